/// An experiment file after parsing and `foreach` expansion, before validation against node kinds.
public struct ExperimentSpec: Sendable {
    /// The file as the user named it (used in diagnostics).
    public var file: String
    /// Absolute directory of the file: relative paths in params resolve against it.
    public var directory: String
    public var name: String
    public var nameLocation: SourceLocation
    public var seed: Int
    public var description: String?
    /// Experiment-wide params: a node param of the same name that the node does not set takes this value.
    public var params: [String: ParamEntry]
    /// Nodes in file order (a `foreach` template expands in place, in item order).
    public var nodes: [NodeSpec]

    public init(file: String, directory: String, name: String, nameLocation: SourceLocation, seed: Int,
                description: String? = nil, params: [String: ParamEntry], nodes: [NodeSpec]) {
        self.file = file
        self.directory = directory
        self.name = name
        self.nameLocation = nameLocation
        self.seed = seed
        self.description = description
        self.params = params
        self.nodes = nodes
    }
}

/// One param value with where it was written.
public struct ParamEntry: Sendable, Hashable {
    public var value: Value
    /// Where the value was written (or the `-p` flag that set it).
    public var location: SourceLocation
    /// Where the param's name was written.
    public var nameLocation: SourceLocation

    public init(_ value: Value, at location: SourceLocation, nameAt nameLocation: SourceLocation? = nil) {
        self.value = value
        self.location = location
        self.nameLocation = nameLocation ?? location
    }
}

/// A reference to an upstream node's output: `node` (its default output) or `node.output`.
public struct NodeRef: Sendable, Hashable, CustomStringConvertible {
    public var node: String
    public var output: String?
    public var location: SourceLocation

    public init(node: String, output: String?, location: SourceLocation) {
        self.node = node
        self.output = output
        self.location = location
    }

    /// Parses `node` or `node.output` (node ids contain no dots; output names may).
    public static func parse(_ text: String, at location: SourceLocation) -> NodeRef {
        if let dot = text.firstIndex(of: ".") {
            return NodeRef(node: String(text[..<dot]), output: String(text[text.index(after: dot)...]), location: location)
        }
        return NodeRef(node: text, output: nil, location: location)
    }

    public var description: String { output.map { "\(node).\($0)" } ?? node }
}

/// The references bound to one input name; `isList` when written as a YAML list.
public struct InputBinding: Sendable, Hashable {
    public var refs: [NodeRef]
    public var isList: Bool
    public var location: SourceLocation

    public init(refs: [NodeRef], isList: Bool, location: SourceLocation) {
        self.refs = refs
        self.isList = isList
        self.location = location
    }
}

/// One node as written (after `foreach` expansion and `-p` overrides).
public struct NodeSpec: Sendable {
    public var id: String
    public var location: SourceLocation
    public var kind: String
    public var kindLocation: SourceLocation
    public var inputs: [String: InputBinding]
    public var params: [String: ParamEntry]
    public var description: String?
    /// The template id when the node came from a `foreach` block.
    public var template: String?
    /// What a batch scheduler should give the node (`resources:`); nil when not written.
    public var resources: NodeResources?

    public init(id: String, location: SourceLocation, kind: String, kindLocation: SourceLocation,
                inputs: [String: InputBinding] = [:], params: [String: ParamEntry] = [:],
                description: String? = nil, template: String? = nil) {
        self.id = id
        self.location = location
        self.kind = kind
        self.kindLocation = kindLocation
        self.inputs = inputs
        self.params = params
        self.description = description
        self.template = template
    }
}
