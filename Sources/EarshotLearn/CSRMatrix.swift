/// A sparse matrix in compressed sparse row (CSR) form, the layout of `scipy.sparse.csr_matrix`.
///
/// Row `i` holds the entries `data[k]` at columns `indices[k]` for `k in indptr[i]..<indptr[i+1]`.
/// Invariants (checked by the throwing initialiser): `indptr.count == rows + 1`, `indptr[0] == 0`,
/// `indptr` non-decreasing, `indptr[rows] == indices.count == data.count`, every index in `0..<columns`.
/// Column indices within a row are sorted ascending when produced by `TfidfVectorizer`.
public struct CSRMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var indptr: [Int]
    public var indices: [Int]
    public var data: [Double]

    /// Wraps CSR arrays after checking the invariants above.
    public init(rows: Int, columns: Int, indptr: [Int], indices: [Int], data: [Double]) throws {
        guard rows >= 0, columns >= 0 else {
            throw LearnError.malformedMatrix(detail: "negative shape (\(rows), \(columns))")
        }
        guard indptr.count == rows + 1 else {
            throw LearnError.lengthMismatch(what: "csr indptr", expected: rows + 1, actual: indptr.count)
        }
        guard indices.count == data.count else {
            throw LearnError.lengthMismatch(what: "csr data", expected: indices.count, actual: data.count)
        }
        guard indptr[0] == 0, indptr[rows] == indices.count else {
            throw LearnError.malformedMatrix(
                detail: "indptr must start at 0 and end at \(indices.count), got \(indptr[0])...\(indptr[rows])")
        }
        for i in 0..<rows where indptr[i] > indptr[i + 1] {
            throw LearnError.malformedMatrix(detail: "indptr decreases at row \(i)")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= columns }) {
            throw LearnError.malformedMatrix(detail: "column index \(bad) outside 0..<\(columns)")
        }
        self.init(uncheckedRows: rows, columns: columns, indptr: indptr, indices: indices, data: data)
    }

    init(uncheckedRows rows: Int, columns: Int, indptr: [Int], indices: [Int], data: [Double]) {
        self.rows = rows
        self.columns = columns
        self.indptr = indptr
        self.indices = indices
        self.data = data
    }

    /// Number of stored entries.
    public var nonzeroCount: Int { data.count }

    /// The value at `(row, column)`, zero when not stored (linear scan of the row).
    public subscript(row: Int, column: Int) -> Double {
        var sum = 0.0
        for k in indptr[row]..<indptr[row + 1] where indices[k] == column { sum += data[k] }
        return sum
    }

    /// The dense equivalent (for tests and small inputs).
    public func dense() -> Matrix {
        var out = Matrix(rows: rows, columns: columns)
        for i in 0..<rows {
            for k in indptr[i]..<indptr[i + 1] { out.values[i * columns + indices[k]] += data[k] }
        }
        return out
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows selected: [Int]) -> CSRMatrix {
        var newIndptr = [0]
        newIndptr.reserveCapacity(selected.count + 1)
        var newIndices: [Int] = []
        var newData: [Double] = []
        for i in selected {
            precondition(i >= 0 && i < rows, "row index out of range")
            newIndices.append(contentsOf: indices[indptr[i]..<indptr[i + 1]])
            newData.append(contentsOf: data[indptr[i]..<indptr[i + 1]])
            newIndptr.append(newIndices.count)
        }
        return CSRMatrix(uncheckedRows: selected.count, columns: columns,
                         indptr: newIndptr, indices: newIndices, data: newData)
    }
}
