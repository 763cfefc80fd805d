/// What a node kind accepts and produces: the contract `earshot kinds` prints and validation enforces.
public struct KindSignature: Sendable {
    public var name: String
    /// Bumped whenever the kind's output for the same inputs would change; part of every node key.
    public var version: Int
    public var summary: String
    public var inputs: [InputSignature]
    /// Fixed outputs. The first is the default output that `inputs: {x: node}` refers to.
    public var outputs: [OutputSignature]
    public var params: [ParamSignature]
    /// Whether the experiment seed enters the node key (kinds that draw random numbers).
    public var seeded: Bool
    /// Outputs that depend on params (the `command` kind's declared files); replaces `outputs` when set.
    public var dynamicOutputs: (@Sendable ([String: Value]) -> [String])?
    /// Accepts inputs under any name (the `command` kind names them in its argv); `inputs` then lists none.
    public var acceptsAnyInputs: Bool = false

    public init(name: String, version: Int, summary: String, inputs: [InputSignature] = [],
                outputs: [OutputSignature], params: [ParamSignature] = [], seeded: Bool = false,
                dynamicOutputs: (@Sendable ([String: Value]) -> [String])? = nil) {
        self.name = name
        self.version = version
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.seeded = seeded
        self.dynamicOutputs = dynamicOutputs
    }

    /// Output names for a node with these resolved params.
    public func outputNames(params: [String: Value]) -> [String] {
        dynamicOutputs?(params) ?? outputs.map(\.name)
    }
}

public struct InputSignature: Sendable {
    public var name: String
    public var summary: String
    public var required: Bool
    /// Accepts a list of upstream outputs.
    public var multiple: Bool
    /// Artifact types accepted (empty: any).
    public var types: [String]

    public init(_ name: String, _ summary: String, required: Bool = true, multiple: Bool = false, types: [String] = []) {
        self.name = name
        self.summary = summary
        self.required = required
        self.multiple = multiple
        self.types = types
    }
}

public struct OutputSignature: Sendable {
    public var name: String
    /// Artifact type (documented in schemas/artifacts.md).
    public var type: String
    public var summary: String

    public init(_ name: String, type: String, _ summary: String) {
        self.name = name
        self.type = type
        self.summary = summary
    }
}

public struct ParamSignature: Sendable {
    public var name: String
    public var type: ParamType
    /// nil: the param is required.
    public var defaultValue: Value?
    public var summary: String

    public init(_ name: String, _ type: ParamType, default defaultValue: Value? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// Param types; validation checks and normalises values (an int given for a double becomes a double,
/// a relative path becomes absolute against the experiment file's folder).
public indirect enum ParamType: Sendable, CustomStringConvertible {
    case int(min: Int? = nil, max: Int? = nil)
    case double(min: Double? = nil, max: Double? = nil)
    case bool
    case string
    /// One of a fixed set of strings.
    case choice([String])
    /// A filesystem path, made absolute relative to the experiment file.
    case path
    case list(ParamType)
    /// A mapping with string keys and values of one type.
    case map(ParamType)
    /// Any YAML value (the kind validates it).
    case any
    /// A value of the type, or null (not set).
    case optional(ParamType)

    public var description: String {
        switch self {
        case .int(let lo, let hi): "int" + Self.range(lo.map(String.init), hi.map(String.init))
        case .double(let lo, let hi): "double" + Self.range(lo.map { $0.description }, hi.map { $0.description })
        case .bool: "bool"
        case .string: "string"
        case .choice(let options): options.map { "'\($0)'" }.joined(separator: "|")
        case .path: "path"
        case .list(let t): "[\(t)]"
        case .map(let t): "{string: \(t)}"
        case .any: "any"
        case .optional(let t): "\(t) or null"
        }
    }

    /// Whether every number this type admits is bounded on both sides (what `validate` can promise a kind).
    public var isBounded: Bool {
        switch self {
        case .int(let lo, let hi): lo != nil && hi != nil
        case .double(let lo, let hi): lo != nil && hi != nil
        case .list(let t), .map(let t), .optional(let t): t.isBounded
        case .bool, .string, .choice, .path, .any: true
        }
    }

    static func range(_ lo: String?, _ hi: String?) -> String {
        switch (lo, hi) {
        case (nil, nil): ""
        case (let l?, nil): " ≥ \(l)"
        case (nil, let h?): " ≤ \(h)"
        case (let l?, let h?): " in [\(l), \(h)]"
        }
    }
}
