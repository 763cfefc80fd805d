import CHDF5
import Foundation

/// Writes an `Artifact` as an HDF5 file whose bytes depend only on the artifact's content.
///
/// Determinism: object modification times are off on the file (root group), every group and every dataset
/// (`H5Pset_obj_track_times(…, 0)`); file-format bounds are fixed to the 1.8 format (readable by HDF5 ≥ 1.8 and
/// h5py, and unchanged by newer libraries' defaults); groups, datasets and attributes are created in UTF-8 byte
/// order of their names, depth first; layouts are contiguous (no chunking or compression). The file's bytes can
/// still differ between HDF5 releases, which is why node keys use `Artifact.contentDigest()`.
/// Must be used inside `HDF5Library.withLock`.
struct ArtifactWriter {
    let path: String

    /// A group of the tree being written: its attributes and its children by name.
    private final class GroupNode {
        var attributes: [String: AttributeValue] = [:]
        var groups: [String: GroupNode] = [:]
        var datasets: [String: Dataset] = [:]
    }

    func write(_ artifact: Artifact) throws {
        try artifact.validate()
        let tree = Self.tree(of: artifact)
        let file = try createFile()
        try writeContents(tree, file: file)
        try file.close(path: path)
    }

    private static func tree(of artifact: Artifact) -> GroupNode {
        let root = GroupNode()
        root.attributes = artifact.attributes
        func group(at components: [Substring]) -> GroupNode {
            var node = root
            for component in components {
                let key = String(component)
                if let child = node.groups[key] {
                    node = child
                } else {
                    let child = GroupNode()
                    node.groups[key] = child
                    node = child
                }
            }
            return node
        }
        for (name, dataset) in artifact.datasets {
            let components = name.split(separator: "/")
            group(at: Array(components.dropLast())).datasets[String(components.last!)] = dataset
        }
        for (path, attributes) in artifact.groupAttributes {
            group(at: path.split(separator: "/")).attributes = attributes
        }
        return root
    }

    private func createFile() throws -> HDF5Handle {
        let fcpl = try HDF5Handle(.propertyList, H5Pcreate(earshot_h5p_file_create()), operation: "create file plist", path: path)
        try checkHDF5(H5Pset_obj_track_times(fcpl.id, false), "disable root group timestamps", path: path)
        let fapl = try HDF5Handle(.propertyList, H5Pcreate(earshot_h5p_file_access()), operation: "create access plist", path: path)
        try checkHDF5(H5Pset_libver_bounds(fapl.id, H5F_LIBVER_V18, H5F_LIBVER_V18), "set format bounds", path: path)
        // The file has a private temporary name until it is whole (see ArtifactReader.open): no HDF5 file lock.
        try checkHDF5(H5Pset_file_locking(fapl.id, false, true), "disable file locking", path: path)
        return try HDF5Handle(
            .file, H5Fcreate(path, earshot_h5f_acc_trunc(), fcpl.id, fapl.id), operation: "create file", path: path)
    }

    private func writeContents(_ tree: GroupNode, file: HDF5Handle) throws {
        let gcpl = try HDF5Handle(.propertyList, H5Pcreate(earshot_h5p_group_create()), operation: "create group plist", path: path)
        try checkHDF5(H5Pset_obj_track_times(gcpl.id, false), "disable group timestamps", path: path)
        let dcpl = try HDF5Handle(.propertyList, H5Pcreate(earshot_h5p_dataset_create()), operation: "create dataset plist", path: path)
        try checkHDF5(H5Pset_obj_track_times(dcpl.id, false), "disable dataset timestamps", path: path)
        try checkHDF5(H5Pset_layout(dcpl.id, H5D_CONTIGUOUS), "set contiguous layout", path: path)
        let root = try HDF5Handle(.group, H5Gopen2(file.id, "/", earshot_h5p_default()), operation: "open root group", path: path)
        try writeGroup(tree, handle: root, at: "", gcpl: gcpl, dcpl: dcpl)
    }

    private func writeGroup(_ node: GroupNode, handle: HDF5Handle, at prefix: String, gcpl: HDF5Handle, dcpl: HDF5Handle) throws {
        try writeAttributes(node.attributes, on: handle, owner: prefix.isEmpty ? "/" : prefix)
        let names = Set(node.groups.keys).union(node.datasets.keys).sorted(by: utf8Precedes)
        for name in names {
            let fullName = prefix.isEmpty ? name : "\(prefix)/\(name)"
            if let child = node.groups[name] {
                let group = try HDF5Handle(
                    .group, H5Gcreate2(handle.id, name, earshot_h5p_default(), gcpl.id, earshot_h5p_default()),
                    operation: "create group '\(fullName)'", path: path)
                try writeGroup(child, handle: group, at: fullName, gcpl: gcpl, dcpl: dcpl)
            } else if let dataset = node.datasets[name] {
                try writeDataset(dataset, named: name, fullName: fullName, in: handle, dcpl: dcpl)
            }
        }
    }

    private func writeDataset(_ dataset: Dataset, named name: String, fullName: String, in parent: HDF5Handle, dcpl: HDF5Handle) throws {
        let space = try dataspace(shape: dataset.shape, owner: fullName)
        let types = try ElementTypes(dataset.storage, path: path)
        let handle = try HDF5Handle(
            .dataset, H5Dcreate2(parent.id, name, types.file, space.id, earshot_h5p_default(), dcpl.id, earshot_h5p_default()),
            operation: "create dataset '\(fullName)'", path: path)
        if dataset.storage.count > 0 {
            let status = try withElementBuffer(dataset.storage) { buffer in
                H5Dwrite(handle.id, types.memory, earshot_h5s_all(), earshot_h5s_all(), earshot_h5p_default(), buffer)
            }
            try checkHDF5(status, "write dataset '\(fullName)'", path: path)
        }
        try writeAttributes(dataset.attributes, on: handle, owner: fullName)
    }

    private func writeAttributes(_ attributes: [String: AttributeValue], on object: HDF5Handle, owner: String) throws {
        for name in attributes.keys.sorted(by: utf8Precedes) {
            let value = attributes[name]!
            let storage: Dataset.Storage
            let shape: [Int]
            switch value {
            case .string(let v): (storage, shape) = (.strings([v]), [])
            case .int(let v): (storage, shape) = (.int64([v]), [])
            case .double(let v): (storage, shape) = (.float64([v]), [])
            case .strings(let v): (storage, shape) = (.strings(v), [v.count])
            case .ints(let v): (storage, shape) = (.int64(v), [v.count])
            case .doubles(let v): (storage, shape) = (.float64(v), [v.count])
            }
            let label = "attribute '\(name)' of '\(owner)'"
            let space = try dataspace(shape: shape, owner: label)
            let types = try ElementTypes(storage, path: path)
            let attribute = try HDF5Handle(
                .attribute, H5Acreate2(object.id, name, types.file, space.id, earshot_h5p_default(), earshot_h5p_default()),
                operation: "create \(label)", path: path)
            if storage.count > 0 {
                let status = try withElementBuffer(storage) { H5Awrite(attribute.id, types.memory, $0) }
                try checkHDF5(status, "write \(label)", path: path)
            }
        }
    }

    /// A scalar dataspace for `[]`, a simple one otherwise.
    private func dataspace(shape: [Int], owner: String) throws -> HDF5Handle {
        if shape.isEmpty {
            return try HDF5Handle(.dataspace, H5Screate(H5S_SCALAR), operation: "create dataspace for '\(owner)'", path: path)
        }
        let dims = shape.map { hsize_t($0) }
        return try HDF5Handle(
            .dataspace, H5Screate_simple(Int32(dims.count), dims, nil), operation: "create dataspace for '\(owner)'", path: path)
    }

    /// Calls `body` with a pointer to the elements in memory layout `ElementTypes.memory` expects; strings are
    /// passed as an array of NUL-terminated C strings, freed afterwards.
    private func withElementBuffer(_ storage: Dataset.Storage, _ body: (UnsafeRawPointer) -> herr_t) throws -> herr_t {
        switch storage {
        case .float64(let v): return v.withUnsafeBytes { body($0.baseAddress!) }
        case .float32(let v): return v.withUnsafeBytes { body($0.baseAddress!) }
        case .int64(let v): return v.withUnsafeBytes { body($0.baseAddress!) }
        case .uint8(let v): return v.withUnsafeBytes { body($0.baseAddress!) }
        case .strings(let v):
            let pointers: [UnsafeMutablePointer<CChar>?] = v.map { strdup($0) }
            defer { pointers.forEach { free($0) } }
            guard !pointers.contains(where: { $0 == nil }) else {
                throw StoreError.io(path: path, message: "out of memory copying \(v.count) strings")
            }
            return pointers.withUnsafeBytes { body($0.baseAddress!) }
        }
    }
}

/// The file and memory HDF5 types of a storage case: little-endian standard types on disk, native in memory;
/// strings are variable-length UTF-8 in both. Owns the string type it creates.
struct ElementTypes {
    let file: hid_t
    let memory: hid_t
    private let owned: HDF5Handle?

    init(_ storage: Dataset.Storage, path: String) throws {
        switch storage {
        case .float64: (file, memory, owned) = (earshot_h5t_ieee_f64le(), earshot_h5t_native_double(), nil)
        case .float32: (file, memory, owned) = (earshot_h5t_ieee_f32le(), earshot_h5t_native_float(), nil)
        case .int64: (file, memory, owned) = (earshot_h5t_std_i64le(), earshot_h5t_native_int64(), nil)
        case .uint8: (file, memory, owned) = (earshot_h5t_std_u8le(), earshot_h5t_native_uint8(), nil)
        case .strings:
            let type = try Self.variableUTF8String(path: path)
            (file, memory, owned) = (type.id, type.id, type)
        }
    }

    /// A new variable-length, NUL-terminated UTF-8 string type.
    static func variableUTF8String(path: String) throws -> HDF5Handle {
        let type = try HDF5Handle(.datatype, H5Tcopy(earshot_h5t_c_s1()), operation: "copy string type", path: path)
        try checkHDF5(H5Tset_size(type.id, earshot_h5t_variable()), "make string type variable-length", path: path)
        try checkHDF5(H5Tset_cset(type.id, H5T_CSET_UTF8), "set string type to utf-8", path: path)
        return type
    }
}
