import EarshotData
import EarshotGraph
import EarshotLearn
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `subset`: a seeded, balanced subsample of a split — `per_class` members and `per_class` non-members.
///
/// For pilot runs of expensive nodes (a large model's scoring) on a corpus whose cheap nodes use every item.
/// Draw: each side's items sorted by id (UTF-8 order), Fisher–Yates shuffled with `SplitMix64`, the first
/// `per_class` kept; the side streams are seeded with the first two outputs of `SplitMix64(seed)` (members
/// first). The output keeps the input's item order and layout, so ids join with artifacts of the full split.
public struct SubsetKind: NodeKind {
    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: "subset", version: 1,
            summary: "a seeded, balanced subsample of a split (per_class members and non-members)",
            inputs: [InputSignature("split", "the split to subsample", types: [Split.artifactType])],
            outputs: [OutputSignature("split", type: Split.artifactType, "the kept items, in the input's order")],
            params: Params.signatures,
            seeded: true)
    }

    struct Params: KindParams {
        @Param("items kept on each side", in: 1...100_000_000) var perClass: Int
    }

    /// The ids kept from `split` (exposed for tests).
    public static func keptIDs(_ split: Split, perClass: Int, seed: Int, node: String) throws -> Set<String> {
        var root = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        var kept = Set<String>()
        for label in [1, 0] {
            var stream = SplitMix64(seed: root.next())
            var ids = split.items.filter { $0.label == label }.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            guard ids.count >= perClass else {
                throw NodeError("node '\(node)': per_class \(perClass) but the split has only \(ids.count) \(label == 1 ? "members" : "non-members"); lower per_class")
            }
            stream.shuffle(&ids)
            kept.formUnion(ids.prefix(perClass))
        }
        return kept
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let split = try Split(artifact: context.input("split").load())
        let perClass = try context.decodeParams(Params.self).perClass
        let kept = try Self.keptIDs(split, perClass: perClass, seed: context.seed, node: context.node.id)
        var attributes = split.attributes
        attributes["subset_per_class"] = .int(Int64(perClass))
        attributes["subset_of_items"] = .int(Int64(split.items.count))
        let subset = Split(items: split.items.filter { kept.contains($0.id) }, skipped: split.skipped, attributes: attributes)
        return ["split": subset.artifact()]
    }
}
