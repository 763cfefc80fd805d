import EarshotStore

/// One input of a report: the artifact and where it came from.
public struct ReportSource: Sendable {
    /// The upstream node and output (`mia_orig`, `metrics`); the layout names it `mia_orig` or `mia_orig.metrics`.
    public var node: String
    public var output: String
    /// The artifact type (`earshot.type`: `metrics`, `aggregate`, `correlation`, `auc_matrix`, `scores`, …).
    public var type: String
    /// The node kind that produced it (`earshot.kind`), empty when unknown.
    public var kind: String
    /// The producing node's key (`earshot.key`, hex), empty when unknown.
    public var nodeKey: String
    /// The artifact's content digest (hex): what entered the report node's key.
    public var content: String
    public var artifact: Artifact

    public init(node: String, output: String, type: String, kind: String = "", nodeKey: String = "", content: String = "",
                artifact: Artifact) {
        self.node = node
        self.output = output
        self.type = type
        self.kind = kind
        self.nodeKey = nodeKey
        self.content = content
        self.artifact = artifact
    }

    /// A source described by the artifact's own provenance attributes (type, kind, key) and content digest.
    public init(node: String, output: String, artifact: Artifact) {
        func string(_ name: String) -> String {
            if case .string(let s)? = artifact.attributes[name] { return s }
            return ""
        }
        self.init(node: node, output: output, type: string(Artifact.Provenance.type), kind: string(Artifact.Provenance.kind),
                  nodeKey: string(Artifact.Provenance.key), content: artifact.contentDigest().hex, artifact: artifact)
    }

    /// `node.output`, how messages and the report name the input.
    public var ref: String { "\(node).\(output)" }

    /// A finite number stored as a root attribute (double or int); nil when absent or not finite.
    func number(_ name: String) -> Double? {
        switch artifact.attributes[name] {
        case .double(let d)?: d.isFinite ? d : nil
        case .int(let i)?: Double(i)
        default: nil
        }
    }

    /// An integer root attribute; nil when absent.
    func integer(_ name: String) -> Int? {
        if case .int(let i)? = artifact.attributes[name] { return Int(i) }
        return nil
    }

    /// A string root attribute; nil when absent.
    func string(_ name: String) -> String? {
        if case .string(let s)? = artifact.attributes[name] { return s }
        return nil
    }

    /// A required finite number, or `ReportError` naming the attribute.
    func requiredNumber(_ name: String) throws -> Double {
        guard let value = number(name) else {
            throw ReportError.malformed(ref, type: type, "root attribute '\(name)' is missing or not a finite number")
        }
        return value
    }

    /// Throws unless the artifact's type is one of `accepted`, saying what the report needed it for.
    func expect(_ accepted: [String], for use: String) throws {
        guard accepted.contains(type) else {
            throw ReportError("input '\(ref)' is a \(type.isEmpty ? "untyped" : "'\(type)'") artifact but \(use) needs \(accepted.map { "'\($0)'" }.joined(separator: " or ")); bind the right output (e.g. 'node.metrics') in the report's inputs")
        }
    }
}
