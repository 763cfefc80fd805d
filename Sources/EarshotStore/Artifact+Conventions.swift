/// Typed conventions over `Artifact`, the layouts documented in `schemas/artifacts.md` § Conventions.
///
/// Every setter replaces whatever was at `name` (a dataset, or a group and everything below it). Every getter
/// throws `StoreError.artifact` naming the dataset when it is missing, has another element type or rank, or
/// breaks the convention's invariants.
extension Artifact {
    /// Removes the dataset `name`, or the group `name` with every dataset and group attribute below it.
    public mutating func remove(_ name: String) {
        let prefix = name + "/"
        datasets = datasets.filter { $0.key != name && !$0.key.hasPrefix(prefix) }
        groupAttributes = groupAttributes.filter { $0.key != name && !$0.key.hasPrefix(prefix) }
    }

    // MARK: matrix

    /// A dense `rows × cols` float64 matrix, `values` in row-major order, as a 2-D dataset; `columns` (one name per
    /// column) becomes its `columns` string-array attribute. h5py: `ds[...]` is the `(rows, cols)` array and
    /// `list(ds.attrs['columns'])` the names.
    public mutating func setMatrix(_ name: String, rows: Int, cols: Int, values: [Double], columns: [String]? = nil) throws {
        try setMatrix(name, rows: rows, cols: cols, storage: .float64(values), columns: columns)
    }

    /// As the float64 form, stored as float32 (`<f4`) to halve the size.
    public mutating func setMatrix(_ name: String, rows: Int, cols: Int, values: [Float], columns: [String]? = nil) throws {
        try setMatrix(name, rows: rows, cols: cols, storage: .float32(values), columns: columns)
    }

    private mutating func setMatrix(_ name: String, rows: Int, cols: Int, storage: Dataset.Storage, columns: [String]?) throws {
        if let columns, columns.count != cols {
            throw StoreError.artifact("matrix '\(name)' has \(cols) columns but \(columns.count) column names")
        }
        var dataset = Dataset(storage, attributes: columns.map { ["columns": .strings($0)] } ?? [:])
        dataset.shape = [rows, cols]
        try dataset.validate(name: name)
        remove(name)
        datasets[name] = dataset
    }

    /// The matrix at `name`: its size, row-major values (float32 widened exactly to Double) and column names
    /// (nil when the dataset has no `columns` attribute).
    public func matrix(_ name: String) throws -> (rows: Int, cols: Int, values: [Double], columns: [String]?) {
        let dataset = try self.dataset(name)
        guard dataset.shape.count == 2 else {
            throw StoreError.artifact("dataset '\(name)' has shape \(dataset.shape); a matrix must be 2-d")
        }
        let values: [Double]
        switch dataset.storage {
        case .float64(let v): values = v
        case .float32(let v): values = v.map(Double.init)
        default: throw Self.typeMismatch(name, dataset, expected: "float64 or float32")
        }
        var columns: [String]?
        switch dataset.attributes["columns"] {
        case nil: columns = nil
        case .strings(let names) where names.count == dataset.shape[1]: columns = names
        case let other?:
            throw StoreError.artifact(
                "matrix '\(name)' has a 'columns' attribute \(other) that is not \(dataset.shape[1]) strings")
        }
        return (dataset.shape[0], dataset.shape[1], values, columns)
    }

    // MARK: columns

    /// A 1-D int64 dataset (one value per item, e.g. labels).
    public mutating func setColumn(_ name: String, _ values: [Int64]) { setVector(name, .int64(values)) }
    /// A 1-D float64 dataset (one value per item, e.g. scores).
    public mutating func setColumn(_ name: String, _ values: [Double]) { setVector(name, .float64(values)) }
    /// A 1-D variable-length UTF-8 string dataset (one value per item, e.g. ids); h5py: `ds.asstr()[...]`.
    public mutating func setColumn(_ name: String, _ values: [String]) { setVector(name, .strings(values)) }

    /// The 1-D int64 dataset at `name`.
    public func int64Column(_ name: String) throws -> [Int64] {
        let dataset = try vector(name)
        guard case .int64(let v) = dataset.storage else { throw Self.typeMismatch(name, dataset, expected: "int64") }
        return v
    }

    /// The 1-D float64 dataset at `name` (a float32 one is widened exactly).
    public func doubleColumn(_ name: String) throws -> [Double] {
        let dataset = try vector(name)
        switch dataset.storage {
        case .float64(let v): return v
        case .float32(let v): return v.map(Double.init)
        default: throw Self.typeMismatch(name, dataset, expected: "float64")
        }
    }

    /// The 1-D string dataset at `name`.
    public func stringColumn(_ name: String) throws -> [String] {
        let dataset = try vector(name)
        guard case .strings(let v) = dataset.storage else { throw Self.typeMismatch(name, dataset, expected: "string") }
        return v
    }

    // MARK: bytes

    /// An opaque byte string (a wrapped file, e.g. JSON or a report) as a 1-D uint8 dataset;
    /// h5py: `bytes(f[name][...])`.
    public mutating func setBytes(_ name: String, _ bytes: [UInt8]) { setVector(name, .uint8(bytes)) }

    /// The bytes stored by `setBytes`.
    public func bytes(_ name: String) throws -> [UInt8] {
        let dataset = try vector(name)
        guard case .uint8(let v) = dataset.storage else { throw Self.typeMismatch(name, dataset, expected: "uint8") }
        return v
    }

    // MARK: ragged

    /// Rows of different lengths as group `name` with `values` (float64, all rows concatenated) and `offsets`
    /// (int64, `rows.count + 1` entries, `offsets[0] == 0`, row `i` is `values[offsets[i]..<offsets[i+1]]`);
    /// the group's `encoding` attribute is `"ragged"`.
    public mutating func setRagged(_ name: String, _ rows: [[Double]]) {
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(rows.count + 1)
        for row in rows { offsets.append(offsets.last! + Int64(row.count)) }
        remove(name)
        datasets["\(name)/values"] = Dataset(.float64(rows.flatMap { $0 }))
        datasets["\(name)/offsets"] = Dataset(.int64(offsets))
        groupAttributes[name] = ["encoding": .string("ragged")]
    }

    /// The rows stored by `setRagged`.
    public func ragged(_ name: String) throws -> [[Double]] {
        let values = try doubleColumn("\(name)/values")
        let offsets = try int64Column("\(name)/offsets")
        try Self.checkOffsets(offsets, total: values.count, what: "ragged '\(name)' offsets")
        return (0..<(offsets.count - 1)).map { Array(values[Int(offsets[$0])..<Int(offsets[$0 + 1])]) }
    }

    // MARK: sparse CSR

    /// A sparse `rows × cols` float64 matrix in compressed sparse row form as group `name` with datasets `data`
    /// (float64), `indices` (int64 column of each stored value) and `indptr` (int64, `rows + 1` entries, row `i` is
    /// `data[indptr[i]..<indptr[i+1]]`), and group attributes `shape = [rows, cols]` and `encoding = "csr"`.
    /// scipy: `csr_matrix((g['data'], g['indices'], g['indptr']), shape=g.attrs['shape'])`.
    /// Throws when `indptr` is not non-decreasing from 0 to `data.count`, or an index is outside `0..<cols`.
    public mutating func setCSR(
        _ name: String, rows: Int, cols: Int, indptr: [Int64], indices: [Int64], data: [Double]
    ) throws {
        try Self.checkCSR(name, rows: rows, cols: cols, indptr: indptr, indices: indices, count: data.count)
        remove(name)
        datasets["\(name)/data"] = Dataset(.float64(data))
        datasets["\(name)/indices"] = Dataset(.int64(indices))
        datasets["\(name)/indptr"] = Dataset(.int64(indptr))
        groupAttributes[name] = ["encoding": .string("csr"), "shape": .ints([Int64(rows), Int64(cols)])]
    }

    /// The sparse matrix stored by `setCSR`, checked the same way.
    public func csr(_ name: String) throws -> (rows: Int, cols: Int, indptr: [Int64], indices: [Int64], data: [Double]) {
        guard case .ints(let shape)? = groupAttributes[name]?["shape"], shape.count == 2, shape.allSatisfy({ $0 >= 0 }) else {
            throw StoreError.artifact("csr '\(name)' has no 'shape' attribute of two non-negative ints on its group")
        }
        let data = try doubleColumn("\(name)/data")
        let indices = try int64Column("\(name)/indices")
        let indptr = try int64Column("\(name)/indptr")
        try Self.checkCSR(name, rows: Int(shape[0]), cols: Int(shape[1]), indptr: indptr, indices: indices, count: data.count)
        return (Int(shape[0]), Int(shape[1]), indptr, indices, data)
    }

    // MARK: shared checks

    private mutating func setVector(_ name: String, _ storage: Dataset.Storage) {
        remove(name)
        datasets[name] = Dataset(storage)
    }

    private func vector(_ name: String) throws -> Dataset {
        let dataset = try self.dataset(name)
        guard dataset.shape.count == 1 else {
            throw StoreError.artifact("dataset '\(name)' has shape \(dataset.shape); expected a 1-d column")
        }
        return dataset
    }

    private static func typeMismatch(_ name: String, _ dataset: Dataset, expected: String) -> StoreError {
        .artifact("dataset '\(name)' holds \(dataset.storage.dtype) values; expected \(expected)")
    }

    private static func checkOffsets(_ offsets: [Int64], total: Int, what: String) throws {
        guard offsets.first == 0, offsets.last == Int64(total) else {
            throw StoreError.artifact(
                "\(what) must start at 0 and end at \(total), the value count; got \(offsets.first.map(String.init) ?? "nothing")…\(offsets.last.map(String.init) ?? "")")
        }
        for i in 1..<offsets.count where offsets[i] < offsets[i - 1] {
            throw StoreError.artifact("\(what) decrease at index \(i) (\(offsets[i - 1]) then \(offsets[i]))")
        }
    }

    private static func checkCSR(_ name: String, rows: Int, cols: Int, indptr: [Int64], indices: [Int64], count: Int) throws {
        guard rows >= 0, cols >= 0 else { throw StoreError.artifact("csr '\(name)' has negative shape [\(rows), \(cols)]") }
        guard indptr.count == rows + 1 else {
            throw StoreError.artifact("csr '\(name)' indptr has \(indptr.count) entries; expected rows + 1 = \(rows + 1)")
        }
        guard indices.count == count else {
            throw StoreError.artifact("csr '\(name)' has \(indices.count) indices but \(count) values")
        }
        try checkOffsets(indptr, total: count, what: "csr '\(name)' indptr")
        if let bad = indices.first(where: { $0 < 0 || $0 >= Int64(cols) }) {
            throw StoreError.artifact("csr '\(name)' has column index \(bad) outside 0..<\(cols)")
        }
    }
}
