import Foundation

/// An artifact as a value: named n-dimensional datasets, attributes on the root, on datasets and on groups.
///
/// Dataset names are slash-separated paths (`"ids"`, `"features/values"`); the groups on the way are implied
/// (an HDF5 writer creates them). Root attributes whose names start with `earshot.` are provenance (which node,
/// kind, key and producer made the artifact) and are excluded from `contentDigest()`. Equality is bitwise on
/// floating-point payloads (NaN equals the same NaN, `-0.0` differs from `0.0`), matching the bytes written.
public struct Artifact: Sendable, Equatable {
    /// Attributes of the root group `/`, including provenance (`earshot.*`).
    public var attributes: [String: AttributeValue]
    /// Datasets by path.
    public var datasets: [String: Dataset]
    /// Attributes of groups by group path (for example a CSR group's `shape`). Groups without attributes are not
    /// listed: entries whose dictionary is empty are dropped on assignment, so a file round trip preserves equality.
    public var groupAttributes: [String: [String: AttributeValue]] {
        didSet { groupAttributes = groupAttributes.filter { !$0.value.isEmpty } }
    }

    public init(
        attributes: [String: AttributeValue] = [:],
        datasets: [String: Dataset] = [:],
        groupAttributes: [String: [String: AttributeValue]] = [:]
    ) {
        self.attributes = attributes
        self.datasets = datasets
        self.groupAttributes = groupAttributes.filter { !$0.value.isEmpty }
    }

    /// Root attributes with this prefix are provenance and do not enter `contentDigest()`.
    public static let provenancePrefix = "earshot."

    /// Names of the provenance root attributes Earshot writes (all string-valued except `kindVersion`, an int).
    public enum Provenance {
        /// The node name in the experiment (`earshot.node`).
        public static let node = "earshot.node"
        /// The node kind, e.g. `features.acoustic` (`earshot.kind`).
        public static let kind = "earshot.kind"
        /// The node kind's version, an int (`earshot.kind_version`).
        public static let kindVersion = "earshot.kind_version"
        /// The node key hex digest that produced the artifact (`earshot.key`).
        public static let key = "earshot.key"
        /// The producing program and version (`earshot.producer`).
        public static let producer = "earshot.producer"
        /// The artifact type name documented in `schemas/artifacts.md` (`earshot.type`).
        public static let type = "earshot.type"
    }

    /// The root attributes that are provenance (`earshot.*`).
    public var provenance: [String: AttributeValue] {
        attributes.filter { $0.key.hasPrefix(Self.provenancePrefix) }
    }

    /// The dataset at `name`, or `StoreError.artifact` naming it when absent.
    public func dataset(_ name: String) throws -> Dataset {
        guard let dataset = datasets[name] else {
            let known = datasets.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw StoreError.artifact("artifact has no dataset '\(name)' (it has: \(known.isEmpty ? "none" : known))")
        }
        return dataset
    }

    /// Checks what an HDF5 file can hold: names are non-empty `/`-separated paths without empty, `.` or `..`
    /// components or NUL bytes; no dataset path is also a group (`a` and `a/b`); every shape matches its element
    /// count; no string contains NUL (HDF5 variable-length strings are NUL-terminated).
    public func validate() throws {
        var groupNames = Set(groupAttributes.keys)
        func addAncestors(of name: String) {
            let components = name.split(separator: "/", omittingEmptySubsequences: false)
            for end in stride(from: 1, to: components.count, by: 1) {
                groupNames.insert(components[0..<end].joined(separator: "/"))
            }
        }
        for name in datasets.keys {
            try Self.validatePath(name, what: "dataset")
            addAncestors(of: name)
        }
        for name in groupAttributes.keys {
            try Self.validatePath(name, what: "group")
            addAncestors(of: name)
        }
        if let name = Set(datasets.keys).intersection(groupNames).sorted(by: utf8Precedes).first {
            throw StoreError.artifact("'\(name)' is both a dataset and a group; rename one of them")
        }
        try Self.validateAttributes(attributes, owner: "root")
        for (path, attributes) in groupAttributes { try Self.validateAttributes(attributes, owner: "group '\(path)'") }
        for (name, dataset) in datasets {
            try dataset.validate(name: name)
            try Self.validateAttributes(dataset.attributes, owner: "dataset '\(name)'")
        }
    }

    static func validatePath(_ path: String, what: String) throws {
        guard !path.isEmpty else { throw StoreError.artifact("\(what) name is empty") }
        guard !path.utf8.contains(0) else { throw StoreError.artifact("\(what) name '\(path)' contains a NUL byte") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component == "." || component == ".." {
                throw StoreError.artifact(
                    "\(what) name '\(path)' has an empty, '.' or '..' component; use a path like 'features/values'")
            }
        }
    }

    static func validateAttributes(_ attributes: [String: AttributeValue], owner: String) throws {
        for (name, value) in attributes {
            guard !name.isEmpty, !name.utf8.contains(0) else {
                throw StoreError.artifact("attribute name '\(name)' on \(owner) is empty or contains a NUL byte")
            }
            let strings: [String]
            switch value {
            case .string(let s): strings = [s]
            case .strings(let s): strings = s
            default: strings = []
            }
            if strings.contains(where: { $0.utf8.contains(0) }) {
                throw StoreError.artifact("attribute '\(name)' on \(owner) has a string containing a NUL byte")
            }
        }
    }
}

/// The value of an HDF5 attribute: a scalar or a 1-D array of strings (UTF-8), 64-bit integers or doubles.
///
/// Scalars are written with a scalar dataspace and arrays with a 1-D one, so `.int(5)` and `.ints([5])` stay
/// distinct through a file. `Codable` as a one-key object naming the case: `{"int": 5}`, `{"strings": ["a"]}`.
/// Equality compares doubles bitwise.
public enum AttributeValue: Sendable, Equatable, Codable {
    case string(String)
    case int(Int64)
    case double(Double)
    case strings([String])
    case ints([Int64])
    case doubles([Double])

    /// The tag used in `contentDigest()` and in the `Codable` form.
    public var tag: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .double: "double"
        case .strings: "strings"
        case .ints: "ints"
        case .doubles: "doubles"
        }
    }

    public static func == (a: AttributeValue, b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
        case (.strings(let x), .strings(let y)): x == y
        case (.ints(let x), .ints(let y)): x == y
        case (.doubles(let x), .doubles(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
        default: false
        }
    }

    private enum CodingKeys: String, CodingKey { case string, int, double, strings, ints, doubles }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "attribute value must be an object with exactly one of: string, int, double, strings, ints, doubles"))
        }
        switch key {
        case .string: self = .string(try container.decode(String.self, forKey: key))
        case .int: self = .int(try container.decode(Int64.self, forKey: key))
        case .double: self = .double(try container.decode(Double.self, forKey: key))
        case .strings: self = .strings(try container.decode([String].self, forKey: key))
        case .ints: self = .ints(try container.decode([Int64].self, forKey: key))
        case .doubles: self = .doubles(try container.decode([Double].self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .string(let v): try container.encode(v, forKey: .string)
        case .int(let v): try container.encode(v, forKey: .int)
        case .double(let v): try container.encode(v, forKey: .double)
        case .strings(let v): try container.encode(v, forKey: .strings)
        case .ints(let v): try container.encode(v, forKey: .ints)
        case .doubles(let v): try container.encode(v, forKey: .doubles)
        }
    }
}

/// An n-dimensional array in row-major (C) order with its attributes. `shape == []` is a scalar (one element).
public struct Dataset: Sendable, Equatable {
    /// Extent of each dimension; the product must equal `storage.count`.
    public var shape: [Int]
    public var storage: Storage
    public var attributes: [String: AttributeValue]

    /// The elements and their on-disk type. Numbers are stored little-endian (`<f8`, `<f4`, `<i8`, `|u1`);
    /// strings as HDF5 variable-length UTF-8 (h5py: `ds.asstr()[...]` gives `str`, `ds[...]` gives `bytes`).
    /// Equality compares floating-point elements bitwise.
    public enum Storage: Sendable, Equatable {
        case float64([Double])
        case float32([Float])
        case int64([Int64])
        case uint8([UInt8])
        case strings([String])

        /// Number of elements.
        public var count: Int {
            switch self {
            case .float64(let v): v.count
            case .float32(let v): v.count
            case .int64(let v): v.count
            case .uint8(let v): v.count
            case .strings(let v): v.count
            }
        }

        /// The element type's name, as numpy spells it: `float64`, `float32`, `int64`, `uint8`, `string`.
        public var dtype: String {
            switch self {
            case .float64: "float64"
            case .float32: "float32"
            case .int64: "int64"
            case .uint8: "uint8"
            case .strings: "string"
            }
        }

        public static func == (a: Storage, b: Storage) -> Bool {
            switch (a, b) {
            case (.float64(let x), .float64(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
            case (.float32(let x), .float32(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
            case (.int64(let x), .int64(let y)): x == y
            case (.uint8(let x), .uint8(let y)): x == y
            case (.strings(let x), .strings(let y)): x == y
            default: false
            }
        }
    }

    /// A dataset of the given shape; throws `StoreError.artifact` when a dimension is negative or the
    /// product of `shape` differs from `storage.count`.
    public init(shape: [Int], storage: Storage, attributes: [String: AttributeValue] = [:]) throws {
        self.shape = shape
        self.storage = storage
        self.attributes = attributes
        try validate(name: nil)
    }

    /// A 1-D dataset holding `storage` (shape `[storage.count]`).
    public init(_ storage: Storage, attributes: [String: AttributeValue] = [:]) {
        self.shape = [storage.count]
        self.storage = storage
        self.attributes = attributes
    }

    /// Number of elements the shape describes, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (value, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = value
        }
        return product
    }

    func validate(name: String?) throws {
        let label = name.map { "dataset '\($0)'" } ?? "dataset"
        guard let expected = Self.elementCount(shape) else {
            throw StoreError.artifact("\(label) has invalid shape \(shape): dimensions must be non-negative")
        }
        guard expected == storage.count else {
            throw StoreError.artifact(
                "\(label) has shape \(shape) (\(expected) elements) but holds \(storage.count) \(storage.dtype) values")
        }
        if case .strings(let values) = storage, values.contains(where: { $0.utf8.contains(0) }) {
            throw StoreError.artifact("\(label) has a string containing a NUL byte")
        }
    }
}
