import EarshotStore
import Foundation

/// The `token_scores` artifact: per scored item its token ids, decoded text and per-token statistics
/// (layout in `schemas/artifacts.md`, "token_scores"). Also the layout of one shard of a running `score` node.
///
/// Rows follow the split's item order. Datasets: `id`, `text` (strings), `label` (int64, from the split),
/// `tokens` (ragged: `tokens/values` int64, `tokens/offsets` int64), `stats/<name>` for each of the eight
/// statistics (ragged float64 with the same offsets), and `skipped/id`, `skipped/reason` for items that
/// could not be scored under `on_error: skip`.
public struct TokenScores: Sendable, Equatable {
    public var items: [ItemScores]
    /// Membership label per item (1 member, 0 non-member, -1 unknown), aligned with `items`.
    public var labels: [Int]
    public var skipped: [Skipped]
    /// Scorer identity and settings (`model_id`, `weights_sha256`, `vocab_size`, `mode`, `prompt`, …).
    public var attributes: [String: AttributeValue]

    /// An item left out, and why.
    public struct Skipped: Sendable, Equatable {
        public var id: String
        public var reason: String
        public init(id: String, reason: String) {
            self.id = id
            self.reason = reason
        }
    }

    public static let artifactType = "token_scores"

    public init(items: [ItemScores], labels: [Int], skipped: [Skipped] = [], attributes: [String: AttributeValue] = [:]) {
        self.items = items
        self.labels = labels
        self.skipped = skipped
        self.attributes = attributes
    }

    /// The artifact (type `token_scores`).
    public func artifact() -> Artifact {
        var a = Artifact()
        a.setColumn("id", items.map(\.id))
        a.setColumn("text", items.map(\.text))
        a.setColumn("label", labels.map(Int64.init))
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(items.count + 1)
        for item in items { offsets.append(offsets.last! + Int64(item.tokens.count)) }
        a.datasets["tokens/values"] = Dataset(.int64(items.flatMap { $0.tokens.map(Int64.init) }))
        a.datasets["tokens/offsets"] = Dataset(.int64(offsets))
        a.groupAttributes["tokens"] = ["encoding": .string("ragged")]
        for (index, name) in Self.statisticNames.enumerated() {
            a.datasets["stats/\(name)/values"] = Dataset(.float64(items.flatMap { $0.stats.fields[index].values }))
            a.datasets["stats/\(name)/offsets"] = Dataset(.int64(offsets))
            a.groupAttributes["stats/\(name)"] = ["encoding": .string("ragged")]
        }
        a.setColumn("skipped/id", skipped.map(\.id))
        a.setColumn("skipped/reason", skipped.map(\.reason))
        for (k, v) in attributes { a.attributes[k] = v }
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        return a
    }

    /// The protocol names of the statistics, in `TokenStatistics.fields` order.
    public static let statisticNames = ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2",
                                        "renyi_inf", "top1_log_prob", "top2_log_prob"]

    /// Reads a `token_scores` artifact (or a shard), checking that every ragged group has one row per item
    /// and, when `validating`, that each item's statistics are finite with one value per token (the
    /// `indicators` node reads without it, to report such items one by one).
    public init(artifact a: Artifact, validating: Bool = true) throws {
        let ids = try a.stringColumn("id")
        let texts = try a.stringColumn("text")
        let labels = (try? a.int64Column("label")).map { $0.map(Int.init) } ?? Array(repeating: -1, count: ids.count)
        guard texts.count == ids.count, labels.count == ids.count else {
            throw StoreError.artifact("token_scores: 'id', 'text' and 'label' have different lengths (\(ids.count), \(texts.count), \(labels.count))")
        }
        let tokens = try Self.raggedRows(a, "tokens", rows: ids.count, values: { try a.int64Column($0).map(Int.init) })
        var statistics: [[[Double]]] = []
        for name in Self.statisticNames {
            statistics.append(try Self.raggedRows(a, "stats/\(name)", rows: ids.count, values: { try a.doubleColumn($0) }))
        }
        var items: [ItemScores] = []
        items.reserveCapacity(ids.count)
        for i in ids.indices {
            let s = statistics.map { $0[i] }
            let item = ItemScores(id: ids[i], tokens: tokens[i], text: texts[i], stats: TokenStatistics(
                logProb: s[0], entropy: s[1], expectedLogProbSquared: s[2], renyi05: s[3], renyi2: s[4],
                renyiInf: s[5], top1LogProb: s[6], top2LogProb: s[7]))
            if validating { try item.stats.validate(id: item.id, tokenCount: item.tokens.count) }
            items.append(item)
        }
        let skippedIDs = (try? a.stringColumn("skipped/id")) ?? []
        let reasons = (try? a.stringColumn("skipped/reason")) ?? []
        guard skippedIDs.count == reasons.count else {
            throw StoreError.artifact("token_scores: 'skipped/id' and 'skipped/reason' have different lengths")
        }
        self.items = items
        self.labels = labels
        self.skipped = zip(skippedIDs, reasons).map { Skipped(id: $0, reason: $1) }
        self.attributes = a.attributes.filter { !$0.key.hasPrefix(Artifact.provenancePrefix) }
    }

    private static func raggedRows<T>(_ a: Artifact, _ name: String, rows: Int, values: (String) throws -> [T]) throws -> [[T]] {
        let flat = try values("\(name)/values")
        let offsets = try a.int64Column("\(name)/offsets")
        guard offsets.count == rows + 1, offsets.first == 0, offsets.last == Int64(flat.count),
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw StoreError.artifact("token_scores: '\(name)/offsets' must have \(rows + 1) non-decreasing entries from 0 to \(flat.count)")
        }
        return (0..<rows).map { Array(flat[Int(offsets[$0])..<Int(offsets[$0 + 1])]) }
    }
}
