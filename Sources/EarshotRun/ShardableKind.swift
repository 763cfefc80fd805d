import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// A kind whose work splits into shards that separate processes can compute (`score`): each shard is published
/// on its own in the store's partial results under the node key (`PartialResults`), and `run` assembles the
/// node's artifact from the finished shards, computing only the missing ones. A batch executor submits one array
/// job per shardable node (`SlurmArrayDispatch`): every task runs `runShards` for its group of shards, then the
/// submitting process runs the node itself, which finds every shard finished and only assembles — the same code,
/// hence the same bytes, as a local run.
public protocol ShardableKind: NodeKind {
    /// The number of shards of the node, from its params and its inputs (already in the store).
    func shardCount(_ context: NodeContext) throws -> Int

    /// Computes the listed shards that are not finished yet and publishes each as it completes; assembles
    /// nothing. Several processes may run this at once for disjoint shard lists of the same key.
    func runShards(_ shards: [Int], context: NodeContext) async throws
}

/// Shard lists as written on the command line: `0-3,7,9-10`.
public enum ShardList {
    /// Parses `0-3,7` into `[0, 1, 2, 3, 7]` (sorted, without duplicates).
    public static func parse(_ text: String) throws -> [Int] {
        var shards = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let lo = Int(bounds[0]), let hi = Int(bounds[bounds.count - 1]),
                  lo >= 0, lo <= hi else {
                throw NodeError("bad shard list '\(text)': write shard indices and ranges like '0-3,7'")
            }
            shards.formUnion(lo...hi)
        }
        return shards.sorted()
    }

    /// The compact form of a shard list: `[0, 1, 2, 3, 7]` → `0-3,7`.
    public static func format(_ shards: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let s = Array(Set(shards)).sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count, s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

extension LocalExecutor {
    /// A node context for running `kind` code outside `execute` (shard counting, shard tasks); `work` is removed
    /// by the caller.
    func context(for node: ValidatedNode, key: Digest, inputs: [String: [InputArtifact]], work: URL) -> NodeContext {
        NodeContext(node: node, key: key, seed: graph.seed, experiment: graph.experiment, specDirectory: graph.specDirectory,
                    inputs: inputs, store: store, workDirectory: work, progress: ProgressHandle(board: board, node: node.id),
                    settings: options.settings)
    }

    /// The shard count of a shardable node, or nil for a node whose kind does not shard.
    func shardCount(of node: ValidatedNode, key: Digest, inputs: [String: [InputArtifact]]) throws -> Int? {
        guard let kind = registry[node.signature.name] as? any ShardableKind else { return nil }
        let work = store.root.appendingPathComponent("tmp/work-\(key.hex.prefix(16))-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        return try kind.shardCount(context(for: node, key: key, inputs: inputs, work: work))
    }

    /// Computes some shards of one shardable node whose upstream results are in the store (what one task of an
    /// array job runs: `earshot exec-node … --shards 0-3`). Finished shards are skipped; a node already recorded
    /// is reported cached. No key lock is taken: tasks of one array write disjoint shards, each atomically. With a
    /// remote cache, shards a collaborator pushed are pulled first and the shards computed here are pushed after.
    public func runShards(_ id: String, shards: [Int], expectedKey: Digest? = nil) async -> NodeReport {
        let resolved: ResolvedNode
        switch await resolve(id, expectedKey: expectedKey) {
        case .failure(let f): return f.report
        case .success(let r): resolved = r
        }
        let node = resolved.node, key = resolved.key
        func report(_ status: NodeReport.Status, _ reason: String?, seconds: Double? = nil) -> NodeReport {
            NodeReport(id: id, kind: node.signature.name, status: status, key: key.hex, seconds: seconds, reason: reason)
        }
        if case .hit(let record) = resolved.decision {
            return NodeReport(id: id, kind: node.signature.name, status: .cached, key: key.hex,
                              outputs: record.outputs.mapValues(\.object.hex), reason: "already in the store")
        }
        guard let kind = registry[node.signature.name] as? any ShardableKind else {
            return report(.failed, "kind '\(node.signature.name)' of node '\(id)' does not split into shards")
        }
        let inputs = inputArtifacts(for: node, outputs: resolved.outputs)
        let work = store.root.appendingPathComponent("tmp/work-\(key.hex.prefix(16))-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        let t0 = Date()
        var warnings: [String] = []
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let context = context(for: node, key: key, inputs: inputs, work: work)
            let count = try kind.shardCount(context)
            if let bad = shards.first(where: { $0 >= count }) {
                return report(.failed, "node '\(id)' has \(count) shards (0–\(count - 1)); there is no shard \(bad)")
            }
            let partial = store.partialResults(for: key)
            if let remote = options.remote {
                warnings += await remote.pullShardsReporting(shards.filter { !partial.shards().contains($0) }, key: key, into: partial)
            }
            let todo = Set(shards).subtracting(partial.shards())
            var computed: [Int] = []
            if !todo.isEmpty {
                try await withTaskExecutorPreference(NodeTaskExecutor(label: "earshot.node.\(id)")) {
                    try await kind.runShards(todo.sorted(), context: context)
                }
                computed = todo.sorted().filter { partial.shards().contains($0) }
            }
            if let remote = options.remote, !remote.options.readOnly, !computed.isEmpty {
                warnings += await remote.pushShardsReporting(computed, key: key, from: partial)
            }
            var r = report(.ran, "shards \(ShardList.format(shards)): \(computed.count) computed, \(shards.count - todo.count) already finished",
                           seconds: Date().timeIntervalSince(t0))
            if !warnings.isEmpty { r.warnings = warnings }
            return r
        } catch is CancellationError {
            return report(.cancelled, "interrupted")
        } catch {
            if Task.isCancelled { return report(.cancelled, "interrupted") }
            var r = report(.failed, "\(error)", seconds: Date().timeIntervalSince(t0))
            if !warnings.isEmpty { r.warnings = warnings }
            return r
        }
    }
}
