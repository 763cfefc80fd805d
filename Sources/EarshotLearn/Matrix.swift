/// A dense row-major matrix of `Double`s: element `(i, j)` is `values[i * columns + j]`.
///
/// A plain value type: copies are cheap until mutated (copy-on-write through `Array`).
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Row-major storage, `rows * columns` values.
    public var values: [Double]

    /// Wraps row-major `values`; throws when `values.count != rows * columns`.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0 else {
            throw LearnError.malformedMatrix(detail: "negative shape (\(rows), \(columns))")
        }
        guard values.count == rows * columns else {
            throw LearnError.lengthMismatch(what: "matrix values for shape (\(rows), \(columns))",
                                            expected: rows * columns, actual: values.count)
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix shape must be non-negative")
        self.rows = rows
        self.columns = columns
        self.values = [Double](repeating: value, count: rows * columns)
    }

    /// Builds a matrix from equal-length rows; throws when the rows are ragged.
    public init(rowArrays: [[Double]]) throws {
        let columns = rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * columns)
        for (index, row) in rowArrays.enumerated() {
            guard row.count == columns else {
                throw LearnError.lengthMismatch(what: "row \(index)", expected: columns, actual: row.count)
            }
            values.append(contentsOf: row)
        }
        self.rows = rowArrays.count
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// The rows at `indices`, in that order (used to cut training and test folds).
    public func selecting(rows indices: [Int]) -> Matrix {
        var out = [Double](repeating: 0, count: indices.count * columns)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "row index out of range")
                    for j in 0..<columns { target[k * columns + j] = source[i * columns + j] }
                }
            }
        }
        return Matrix(uncheckedRows: indices.count, columns: columns, values: out)
    }

    init(uncheckedRows rows: Int, columns: Int, values: [Double]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}
