import EarshotData
import EarshotRun
import EarshotStore

/// Reading the inputs Phase 1 kinds share.
enum Phase1Inputs {
    /// The split bound to `input`.
    static func split(_ context: NodeContext, input: String) throws -> Split {
        let artifact = try context.input(input).load()
        return try split(artifact, what: "input '\(input)' of node '\(context.node.id)'")
    }

    static func split(_ artifact: Artifact, what: String) throws -> Split {
        do { return try Split(artifact: artifact) } catch {
            throw NodeError("\(what) is not a split artifact: \(error)")
        }
    }

    /// Labels as booleans (member = true); throws unless every label is 0 or 1 and both classes occur.
    static func binaryLabels(_ split: Split, node: String) throws -> [Bool] {
        if let bad = split.items.first(where: { $0.label != 0 && $0.label != 1 }) {
            throw NodeError("node '\(node)': item '\(bad.id)' has label \(bad.label); labels must be 1 (member) or 0 (non-member)")
        }
        guard split.memberCount > 0, split.nonMemberCount > 0 else {
            throw NodeError("node '\(node)': the split has \(split.memberCount) members and \(split.nonMemberCount) non-members; classification needs both")
        }
        return split.items.map { $0.label == 1 }
    }

    /// Every features artifact bound to `input`, in the order written.
    static func featureTables(_ context: NodeContext, input: String) throws -> [FeatureTable] {
        let bound = context.inputs[input] ?? []
        guard !bound.isEmpty else { throw NodeError("node '\(context.node.id)' has no '\(input)' input") }
        return try bound.map { try FeatureTable(artifact: $0.load(), fallbackName: $0.source.node) }
    }
}
