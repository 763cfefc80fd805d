import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import Foundation

/// Per-item error policy of a scoring node: `fail` stops the node naming the item; `skip` leaves the
/// item out and lists it (with the reason) in the artifact's `skipped` table.
enum OnError: String, ParamChoice { case fail, skip }

/// Collects item outcomes of a `score` node and publishes each shard as soon as all its items are in.
///
/// Items are the split's rows in order; shard s holds rows `s·size ..< min((s+1)·size, n)`. A finished
/// shard is a `token_scores` artifact written to the store's partial results under the node key, so a
/// killed run re-scores only the items of unfinished shards.
/// Thread-safety: `@unchecked Sendable` because every mutable field is guarded by `lock` (shards are
/// written while holding it, one at a time).
final class ShardCollector: @unchecked Sendable {
    let ids: [String]
    let labels: [Int]
    let shardSize: Int
    let partial: PartialResults
    let onError: OnError
    let progress: ProgressHandle

    private let lock = NSLock()
    private var outcomes: [Int: ItemOutcome] = [:]
    private var missing: [Int: Int] = [:]
    private var finished: [Int: TokenScores] = [:]
    private var done: Int

    var shardCount: Int { (ids.count + shardSize - 1) / shardSize }

    func range(of shard: Int) -> Range<Int> { (shard * shardSize)..<min((shard + 1) * shardSize, ids.count) }

    init(ids: [String], labels: [Int], shardSize: Int, partial: PartialResults, onError: OnError, progress: ProgressHandle) {
        self.ids = ids
        self.labels = labels
        self.shardSize = shardSize
        self.partial = partial
        self.onError = onError
        self.progress = progress
        self.done = 0
    }

    /// Loads the shards a previous run finished (those whose ids match this split's rows) and returns the
    /// indices of the items still to score, in order.
    func resume() -> [Int] {
        var pending: [Int] = []
        for shard in 0..<shardCount {
            let rows = range(of: shard)
            if let artifact = partial.read(shard: shard), let table = try? TokenScores(artifact: artifact),
               Self.covers(table, ids: Array(ids[rows])) {
                lock.withLock {
                    finished[shard] = table
                    done += rows.count
                }
            } else {
                pending.append(contentsOf: rows)
                lock.withLock { missing[shard] = rows.count }
            }
        }
        progress.update(done: done, total: ids.count, note: done > 0 ? "resumed" : "")
        return pending
    }

    /// Number of items restored from finished shards by `resume()`.
    var resumedItems: Int { lock.withLock { finished.values.reduce(0) { $0 + $1.items.count + $1.skipped.count } } }

    /// A shard's table must hold exactly its rows' ids, each once, as scored or skipped, in row order.
    static func covers(_ table: TokenScores, ids: [String]) -> Bool {
        let scored = table.items.map(\.id), skipped = table.skipped.map(\.id)
        guard scored.count + skipped.count == ids.count else { return false }
        let skippedSet = Set(skipped)
        return ids.filter { !skippedSet.contains($0) } == scored && skippedSet.count == skipped.count
    }

    /// Records one item's outcome; throws `NodeError` for a failed item under `on_error: fail`, or when the
    /// outcome names another item than the row.
    func record(_ index: Int, _ outcome: ItemOutcome) throws {
        let expected = ids[index]
        switch outcome {
        case .scored(let item):
            guard item.id == expected else {
                throw NodeError("scores for row \(index) are for item '\(item.id)', expected '\(expected)'")
            }
        case .failed(let id, let message):
            guard onError == .skip else {
                throw NodeError("item '\(id)' could not be scored: \(message); fix it, or set on_error: skip to leave it out (it is then listed under 'skipped')")
            }
        }
        let shard = index / shardSize
        try lock.withLock {
            guard outcomes[index] == nil else { return }
            outcomes[index] = outcome
            done += 1
            missing[shard, default: 0] -= 1
            if missing[shard] == 0 {
                let table = table(for: shard)
                try partial.write(table.artifact(), shard: shard)
                finished[shard] = table
                for i in range(of: shard) { outcomes.removeValue(forKey: i) }
            }
        }
        progress.update(done: lock.withLock { done }, total: ids.count)
    }

    /// Builds the table of a shard whose outcomes are all in (call with `lock` held).
    private func table(for shard: Int) -> TokenScores {
        var items: [ItemScores] = [], labels: [Int] = [], skipped: [TokenScores.Skipped] = []
        for i in range(of: shard) {
            switch outcomes[i]! {
            case .scored(let item):
                items.append(item)
                labels.append(self.labels[i])
            case .failed(let id, let message):
                skipped.append(TokenScores.Skipped(id: id, reason: message))
            }
        }
        return TokenScores(items: items, labels: labels, skipped: skipped)
    }

    /// All shards joined in row order; nil while some shard is unfinished.
    func assemble(attributes: [String: AttributeValue]) -> TokenScores? {
        lock.withLock {
            var result = TokenScores(items: [], labels: [], skipped: [], attributes: attributes)
            for shard in 0..<shardCount {
                guard let table = finished[shard] else { return nil }
                result.items += table.items
                result.labels += table.labels
                result.skipped += table.skipped
            }
            return result
        }
    }
}
