/// Column standardisation with scikit-learn's `StandardScaler()` semantics: `z = (x − mean) / scale`.
///
/// - `mean` is the column mean; `variance` is the population variance (ddof = 0), computed in two passes
///   with the compensation term `Σ(x − mean)² − (Σ(x − mean))² / n`.
/// - `scale = sqrt(variance)`, except for (near-)constant columns, whose scale is 1: a column is constant
///   when `variance ≤ n·ε·variance + (n·|mean|·ε)²` (ε = `Double.ulpOfOne`), scikit-learn's own test.
/// Fit it on the training fold only and apply it to both folds.
public struct StandardScaler: Sendable, Equatable {
    public let mean: [Double]
    public let variance: [Double]
    public let scale: [Double]

    /// Learns per-column mean and scale from the rows of `x` (at least one row).
    public init(fitting x: Matrix) throws {
        guard x.rows >= 1 else { throw LearnError.tooFewItems(what: "standard scaler rows", minimum: 1, actual: 0) }
        let n = x.rows, p = x.columns
        var mean = [Double](repeating: 0, count: p)
        var variance = [Double](repeating: 0, count: p)
        var correction = [Double](repeating: 0, count: p)
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<n {
                for j in 0..<p { mean[j] += v[i * p + j] }
            }
            for j in 0..<p { mean[j] /= Double(n) }
            for i in 0..<n {
                for j in 0..<p {
                    let d = v[i * p + j] - mean[j]
                    variance[j] += d * d
                    correction[j] += d
                }
            }
        }
        var scale = [Double](repeating: 1, count: p)
        let eps = Double.ulpOfOne, count = Double(n)
        for j in 0..<p {
            guard mean[j].isFinite, variance[j].isFinite else {
                throw LearnError.nonFinite(what: "standard scaler column \(j)", index: j)
            }
            variance[j] = max(0, (variance[j] - correction[j] * correction[j] / count) / count)
            let bound = count * eps * variance[j] + (count * mean[j] * eps) * (count * mean[j] * eps)
            scale[j] = variance[j] <= bound ? 1 : variance[j].squareRoot()
        }
        self.mean = mean
        self.variance = variance
        self.scale = scale
    }

    /// `(x − mean) / scale` column by column; throws when the column count differs from the fitted one.
    public func transform(_ x: Matrix) throws -> Matrix {
        guard x.columns == mean.count else {
            throw LearnError.lengthMismatch(what: "standard scaler columns", expected: mean.count, actual: x.columns)
        }
        var out = x
        let p = x.columns
        out.values.withUnsafeMutableBufferPointer { v in
            for i in 0..<x.rows {
                for j in 0..<p { v[i * p + j] = (v[i * p + j] - mean[j]) / scale[j] }
            }
        }
        return out
    }
}
