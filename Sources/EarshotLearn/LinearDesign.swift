/// A design matrix `X` (n × p) as the logistic loss uses it: `z = Xw + b` and `g = Xᵀr`.
///
/// Both `Matrix` (dense, row-major) and `CSRMatrix` (sparse, never densified) conform; the loss is generic
/// over this protocol so each case compiles to its own tight loop.
protocol LinearDesign: Sendable {
    var rowCount: Int { get }
    var columnCount: Int { get }
    /// `z[i] = Σ_j X[i, j]·w[j] + intercept`.
    func multiply(_ w: UnsafeBufferPointer<Double>, intercept: Double, into z: UnsafeMutableBufferPointer<Double>)
    /// `g[j] = Σ_i X[i, j]·r[i]` (overwrites the first `columnCount` entries of `g`).
    func multiplyTransposed(_ r: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>)
}

extension Matrix: LinearDesign {
    var rowCount: Int { rows }
    var columnCount: Int { columns }

    func multiply(_ w: UnsafeBufferPointer<Double>, intercept: Double, into z: UnsafeMutableBufferPointer<Double>) {
        let p = columns
        values.withUnsafeBufferPointer { x in
            for i in 0..<rows {
                var sum = 0.0
                let base = i * p
                for j in 0..<p { sum += x[base + j] * w[j] }
                z[i] = sum + intercept
            }
        }
    }

    func multiplyTransposed(_ r: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) {
        let p = columns
        for j in 0..<p { g[j] = 0 }
        values.withUnsafeBufferPointer { x in
            for i in 0..<rows {
                let ri = r[i]
                if ri == 0 { continue }
                let base = i * p
                for j in 0..<p { g[j] += x[base + j] * ri }
            }
        }
    }
}

extension CSRMatrix: LinearDesign {
    var rowCount: Int { rows }
    var columnCount: Int { columns }

    func multiply(_ w: UnsafeBufferPointer<Double>, intercept: Double, into z: UnsafeMutableBufferPointer<Double>) {
        indptr.withUnsafeBufferPointer { ptr in
            indices.withUnsafeBufferPointer { idx in
                data.withUnsafeBufferPointer { val in
                    for i in 0..<rows {
                        var sum = 0.0
                        for k in ptr[i]..<ptr[i + 1] { sum += val[k] * w[idx[k]] }
                        z[i] = sum + intercept
                    }
                }
            }
        }
    }

    func multiplyTransposed(_ r: UnsafeBufferPointer<Double>, into g: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<columns { g[j] = 0 }
        indptr.withUnsafeBufferPointer { ptr in
            indices.withUnsafeBufferPointer { idx in
                data.withUnsafeBufferPointer { val in
                    for i in 0..<rows {
                        let ri = r[i]
                        for k in ptr[i]..<ptr[i + 1] { g[idx[k]] += val[k] * ri }
                    }
                }
            }
        }
    }
}
