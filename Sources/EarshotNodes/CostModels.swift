import EarshotRun
import EarshotSpec
import Foundation

// Item counts of the kinds that make or process splits, for `earshot plan --cost` (`CostPlan`).

/// Twice a `per_class` (items on each side), nil when the params do not decode.
private func bothSides(_ perClass: Int?) -> Int? { perClass.map { 2 * $0 } }

/// The item count of the single split bound to `input`.
private func splitItems(_ inputs: [String: [Int?]], _ input: String) -> Int? { inputs[input]?.first ?? nil }

extension LoadSplitKind: ItemCountingKind {
    /// Unknown for `per_class: all` (the sides' sizes are known only from their listings).
    public func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts {
        ItemCounts(outputs: ["split": bothSides((try? node.decodeParams(Params.self))?.perClass.count)])
    }
}

extension SynthCorpusKind: ItemCountingKind {
    public func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts {
        ItemCounts(outputs: ["split": bothSides((try? node.decodeParams(Params.self))?.perClass)])
    }
}

extension SubsetKind: ItemCountingKind {
    public func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts {
        let kept = bothSides((try? node.decodeParams(Params.self))?.perClass)
        guard let kept, let all = splitItems(inputs, "split") else { return ItemCounts(outputs: ["split": kept]) }
        return ItemCounts(outputs: ["split": min(kept, all)])
    }
}

extension ResynthesizeKind: ItemCountingKind {
    /// Every realization holds the input's items; the work is one clip per item and realization.
    public func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts {
        let items = splitItems(inputs, "split")
        let outputs = Dictionary(uniqueKeysWithValues: node.outputs.map { ($0, items) })
        return ItemCounts(work: items.map { .items($0 * node.outputs.count) } ?? .unknown, outputs: outputs)
    }
}

extension ScoreKind: ItemCountingKind {
    public func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts {
        let items = splitItems(inputs, "split")
        return ItemCounts(work: items.map { .items($0) } ?? .unknown, outputs: ["scores": items])
    }
}
