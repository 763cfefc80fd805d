import CHDF5
import Foundation

/// Reads an HDF5 file into an `Artifact`: every group and dataset below the root, with attributes.
///
/// Accepted element types: floats (≤ 4 bytes → `float32`, wider → `float64`), 1-byte unsigned integers → `uint8`,
/// other integers → `int64`, variable- or fixed-length strings → `strings` (decoded as UTF-8, fixed-length ones
/// cut at the first NUL). Attributes must be scalars or 1-D. Anything else (compound, enum, references, named
/// datatypes) is rejected with `StoreError.artifact` naming the object. Must be used inside `HDF5Library.withLock`.
struct ArtifactReader {
    let path: String

    func read() throws -> Artifact {
        let file = try open()
        let artifact = try readContents(file)
        try file.close(path: path)
        return artifact
    }

    func readRootAttributes() throws -> [String: AttributeValue] {
        let file = try open()
        let attributes = try {
            let root = try HDF5Handle(.group, H5Gopen2(file.id, "/", earshot_h5p_default()), operation: "open root group", path: path)
            return try readAttributes(of: root, owner: "/")
        }()
        try file.close(path: path)
        return attributes
    }

    /// One root attribute, or nil when the file has none of that name: a cheaper read than every root attribute
    /// (the record check reads `earshot.key` of each object a record names).
    func readRootAttribute(_ name: String) throws -> AttributeValue? {
        let file = try open()
        let value: AttributeValue? = try {
            let root = try HDF5Handle(.group, H5Gopen2(file.id, "/", earshot_h5p_default()), operation: "open root group", path: path)
            guard try checkHDF5(H5Aexists(root.id, name), "look up attribute '\(name)'", path: path) > 0 else { return nil }
            return try readAttribute(name, of: root, owner: "/")
        }()
        try file.close(path: path)
        return value
    }

    private func open() throws -> HDF5Handle {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.io(path: path, message: "no such artifact file")
        }
        let isHDF5 = try checkHDF5(H5Fis_hdf5(path), "check signature", path: path)
        guard isHDF5 > 0 else {
            throw StoreError.hdf5(operation: "open", path: path, message: "not an hdf5 file (no hdf5 signature found)")
        }
        // No HDF5 file locks: an artifact file is written under a private temporary name and renamed into place
        // whole, so no reader ever opens a file being written; HDF5's flock only made concurrent readers of one
        // object fail now and then (EAGAIN from H5FD__sec2_lock while another handle held it).
        let fapl = try HDF5Handle(.propertyList, H5Pcreate(earshot_h5p_file_access()), operation: "create access plist", path: path)
        try checkHDF5(H5Pset_file_locking(fapl.id, false, true), "disable file locking", path: path)
        return try HDF5Handle(.file, H5Fopen(path, earshot_h5f_acc_rdonly(), fapl.id), operation: "open file", path: path)
    }

    private func readContents(_ file: HDF5Handle) throws -> Artifact {
        let root = try HDF5Handle(.group, H5Gopen2(file.id, "/", earshot_h5p_default()), operation: "open root group", path: path)
        var artifact = Artifact(attributes: try readAttributes(of: root, owner: "/"))
        var datasets: [String: Dataset] = [:]
        var groupAttributes: [String: [String: AttributeValue]] = [:]
        try readGroup(root, prefix: "", datasets: &datasets, groupAttributes: &groupAttributes)
        artifact.datasets = datasets
        artifact.groupAttributes = groupAttributes
        return artifact
    }

    private func readGroup(
        _ group: HDF5Handle, prefix: String,
        datasets: inout [String: Dataset], groupAttributes: inout [String: [String: AttributeValue]]
    ) throws {
        let owner = prefix.isEmpty ? "/" : prefix
        var info = H5G_info_t()
        try checkHDF5(H5Gget_info(group.id, &info), "get group info of '\(owner)'", path: path)
        for index in 0..<info.nlinks {
            let name = try linkName(in: group, at: index, owner: owner)
            let fullName = prefix.isEmpty ? name : "\(prefix)/\(name)"
            let objectID = H5Oopen(group.id, name, earshot_h5p_default())
            guard objectID >= 0 else {
                throw StoreError.hdf5(operation: "open object '\(fullName)'", path: path, message: HDF5Library.takeErrorMessage())
            }
            switch H5Iget_type(objectID) {
            case H5I_GROUP:
                let child = try HDF5Handle(.group, objectID, operation: "open group '\(fullName)'", path: path)
                let attributes = try readAttributes(of: child, owner: fullName)
                if !attributes.isEmpty { groupAttributes[fullName] = attributes }
                try readGroup(child, prefix: fullName, datasets: &datasets, groupAttributes: &groupAttributes)
            case H5I_DATASET:
                let dataset = try HDF5Handle(.dataset, objectID, operation: "open dataset '\(fullName)'", path: path)
                datasets[fullName] = try readDataset(dataset, name: fullName)
            default:
                H5Oclose(objectID)
                throw StoreError.artifact("'\(path)': object '\(fullName)' is neither a group nor a dataset (named datatypes are not supported)")
            }
        }
    }

    private func linkName(in group: HDF5Handle, at index: hsize_t, owner: String) throws -> String {
        let length = H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, earshot_h5p_default())
        try checkHDF5(length, "get link name #\(index) in '\(owner)'", path: path)
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        try checkHDF5(
            H5Lget_name_by_idx(group.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, earshot_h5p_default()),
            "get link name #\(index) in '\(owner)'", path: path)
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func readDataset(_ dataset: HDF5Handle, name: String) throws -> Dataset {
        let type = try HDF5Handle(.datatype, H5Dget_type(dataset.id), operation: "get type of '\(name)'", path: path)
        let space = try HDF5Handle(.dataspace, H5Dget_space(dataset.id), operation: "get dataspace of '\(name)'", path: path)
        let shape = try self.shape(of: space, owner: name)
        let count = Dataset.elementCount(shape) ?? 0
        let storage = try readElements(type: type, count: count, owner: "dataset '\(name)'") { memoryType, buffer in
            H5Dread(dataset.id, memoryType, earshot_h5s_all(), earshot_h5s_all(), earshot_h5p_default(), buffer)
        }
        return Dataset(shape: shape, storage: storage, attributes: try readAttributes(of: dataset, owner: name), unchecked: ())
    }

    private func readAttributes(of object: HDF5Handle, owner: String) throws -> [String: AttributeValue] {
        final class Names { var values: [String] = [] }
        let names = Names()
        let collect: H5A_operator2_t = { _, name, _, data in
            guard let name, let data else { return -1 }
            Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().values.append(String(cString: name))
            return 0
        }
        var position: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5Aiterate2(object.id, H5_INDEX_NAME, H5_ITER_INC, &position, collect, Unmanaged.passUnretained(names).toOpaque())
        }
        try checkHDF5(status, "list attributes of '\(owner)'", path: path)
        var attributes: [String: AttributeValue] = [:]
        for name in names.values {
            attributes[name] = try readAttribute(name, of: object, owner: owner)
        }
        return attributes
    }

    /// One attribute of `object` (scalar or 1-d).
    private func readAttribute(_ name: String, of object: HDF5Handle, owner: String) throws -> AttributeValue {
        let label = "attribute '\(name)' of '\(owner)'"
        let attribute = try HDF5Handle(.attribute, H5Aopen(object.id, name, earshot_h5p_default()), operation: "open \(label)", path: path)
        let type = try HDF5Handle(.datatype, H5Aget_type(attribute.id), operation: "get type of \(label)", path: path)
        let space = try HDF5Handle(.dataspace, H5Aget_space(attribute.id), operation: "get dataspace of \(label)", path: path)
        let shape = try self.shape(of: space, owner: label)
        guard shape.count <= 1 else {
            throw StoreError.artifact("'\(path)': \(label) has rank \(shape.count); only scalar and 1-d attributes are supported")
        }
        let storage = try readElements(type: type, count: Dataset.elementCount(shape) ?? 0, owner: label) { memoryType, buffer in
            H5Aread(attribute.id, memoryType, buffer)
        }
        let scalar = shape.isEmpty
        switch storage {
        case .strings(let v): return scalar ? .string(v[0]) : .strings(v)
        case .int64(let v): return scalar ? .int(v[0]) : .ints(v)
        case .uint8(let v): return scalar ? .int(Int64(v[0])) : .ints(v.map(Int64.init))
        case .float64(let v): return scalar ? .double(v[0]) : .doubles(v)
        case .float32(let v): return scalar ? .double(Double(v[0])) : .doubles(v.map(Double.init))
        }
    }

    /// `[]` for a scalar dataspace, the dimensions of a simple one, `[0]` for a null one.
    private func shape(of space: HDF5Handle, owner: String) throws -> [Int] {
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: return []
        case H5S_NULL: return [0]
        case H5S_SIMPLE:
            let rank = try checkHDF5(H5Sget_simple_extent_ndims(space.id), "get rank of '\(owner)'", path: path)
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try checkHDF5(H5Sget_simple_extent_dims(space.id, &dims, nil), "get shape of '\(owner)'", path: path)
            return dims.map { Int($0) }
        default:
            throw StoreError.hdf5(operation: "get dataspace of '\(owner)'", path: path, message: HDF5Library.takeErrorMessage())
        }
    }

    /// Reads `count` elements of file type `type` through `read(memoryType, buffer)`, choosing the storage case.
    private func readElements(
        type: HDF5Handle, count: Int, owner: String, _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> Dataset.Storage {
        func numbers<T>(_ zero: T, _ memoryType: hid_t) throws -> [T] {
            var values = [T](repeating: zero, count: count)
            if count > 0 {
                let status = values.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
                try checkHDF5(status, "read \(owner)", path: path)
            }
            return values
        }
        let size = H5Tget_size(type.id)
        switch H5Tget_class(type.id) {
        case H5T_FLOAT:
            return size <= 4 ? .float32(try numbers(Float(0), earshot_h5t_native_float()))
                : .float64(try numbers(Double(0), earshot_h5t_native_double()))
        case H5T_INTEGER:
            if size == 1 && H5Tget_sign(type.id) == H5T_SGN_NONE {
                return .uint8(try numbers(UInt8(0), earshot_h5t_native_uint8()))
            }
            return .int64(try numbers(Int64(0), earshot_h5t_native_int64()))
        case H5T_STRING:
            return .strings(try readStrings(type: type, size: size, count: count, owner: owner, read))
        default:
            throw StoreError.artifact(
                "'\(path)': \(owner) has an unsupported element type (\(Self.className(H5Tget_class(type.id)))); "
                    + "supported: floats, integers, strings")
        }
    }

    /// HDF5's name for a datatype class, for error messages (h5py writes `bool` as an enum).
    private static func className(_ typeClass: H5T_class_t) -> String {
        switch typeClass {
        case H5T_TIME: "time"
        case H5T_BITFIELD: "bitfield"
        case H5T_OPAQUE: "opaque"
        case H5T_COMPOUND: "compound"
        case H5T_REFERENCE: "reference"
        case H5T_ENUM: "enum, e.g. a numpy bool"
        case H5T_VLEN: "variable-length sequence"
        case H5T_ARRAY: "array"
        default: "class \(typeClass.rawValue)"
        }
    }

    private func readStrings(
        type: HDF5Handle, size: Int, count: Int, owner: String, _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count > 0 else { return [] }
        let cset = H5Tget_cset(type.id)
        let variable = try checkHDF5(H5Tis_variable_str(type.id), "inspect string type of \(owner)", path: path) > 0
        let memoryType = try HDF5Handle(.datatype, H5Tcopy(earshot_h5t_c_s1()), operation: "copy string type", path: path)
        try checkHDF5(H5Tset_cset(memoryType.id, cset), "set string charset", path: path)
        if variable {
            try checkHDF5(H5Tset_size(memoryType.id, earshot_h5t_variable()), "make string type variable-length", path: path)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memoryType.id, $0.baseAddress!) }
            defer { for pointer in pointers where pointer != nil { H5free_memory(pointer) } }
            try checkHDF5(status, "read \(owner)", path: path)
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        try checkHDF5(H5Tset_size(memoryType.id, size), "set fixed string size", path: path)
        try checkHDF5(H5Tset_strpad(memoryType.id, H5T_STR_NULLPAD), "set string padding", path: path)
        var bytes = [UInt8](repeating: 0, count: size * count)
        let status = bytes.withUnsafeMutableBytes { read(memoryType.id, $0.baseAddress!) }
        try checkHDF5(status, "read \(owner)", path: path)
        return (0..<count).map { index in
            let element = bytes[(index * size)..<((index + 1) * size)]
            return String(decoding: element.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension Dataset {
    /// For readers that already know `shape` matches `storage` (HDF5 guarantees it).
    init(shape: [Int], storage: Storage, attributes: [String: AttributeValue], unchecked: Void) {
        self.shape = shape
        self.storage = storage
        self.attributes = attributes
    }
}
