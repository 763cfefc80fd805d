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

extension RunContext {
    /// A node context for running kind code outside a dispatch (shard counting, shard tasks).
    func nodeContext(for node: ValidatedNode, key: Digest, inputs: [String: [InputArtifact]], work: URL) -> NodeContext {
        NodeContext(node: node, key: key, seed: graph.seed, experiment: graph.experiment, specDirectory: graph.specDirectory,
                    inputs: inputs, store: store, workDirectory: work, progress: ProgressHandle(board: board, node: node.id),
                    settings: options.settings)
    }

    /// The shard count of a job's node, or nil when its kind does not split into shards.
    public func shardCount(of job: NodeJob) throws -> Int? {
        guard let kind = registry[job.node.signature.name] as? any ShardableKind else { return nil }
        let work = store.root.appendingPathComponent("tmp/work-\(job.key.hex.prefix(16))-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        return try kind.shardCount(nodeContext(for: job.node, key: job.key, inputs: job.inputs, work: work))
    }
}

extension LocalExecutor {
    /// Computes some shards of one shardable node whose upstream results are in the store (what one task of an
    /// array job runs: `earshot exec-node … --shards 0-3`). Finished shards are skipped; a node already recorded
    /// is reported cached. No key lock is taken: tasks of one array write disjoint shards, each atomically. With a
    /// remote cache, shards a collaborator pushed are pulled first and the shards computed here are pushed after.
    public func runShards(_ id: String, shards: [Int], expectedKey: Digest? = nil) async -> NodeReport {
        guard let target = graph.index[id] else {
            return NodeReport(id: id, kind: "?", status: .failed, reason: "no node '\(id)' in experiment '\(graph.experiment)'")
        }
        let node = graph.nodes[target]
        var key: Digest?
        var warnings: [String] = []
        func report(_ status: NodeReport.Status, _ reason: String?, seconds: Double? = nil) -> NodeReport {
            var r = NodeReport(id: id, kind: node.signature.name, status: status, key: key?.hex, seconds: seconds, reason: reason)
            if !warnings.isEmpty { r.warnings = warnings }
            return r
        }
        guard let kind = registry[node.signature.name] as? any ShardableKind else {
            return report(.failed, "kind '\(node.signature.name)' of node '\(id)' does not split into shards")
        }
        let run = context
        let t0 = Date()
        let work = store.root.appendingPathComponent("tmp/work-shards-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            let (outputs, problem) = try await upstreamOutputs(of: target, run: run)
            if let problem { return report(.failed, problem) }
            let resolved: ResolvedKey
            switch try await run.resolver.resolve(node, upstream: outputs) {
            case .hit(let r, let record):
                key = r.key
                if let expectedKey, expectedKey != r.key { return mismatch(r.key, expectedKey) { m, k in report(.failed, m) } }
                return NodeReport(id: id, kind: node.signature.name, status: .cached, key: r.key.hex,
                                  outputs: record.outputs.mapValues(\.object.hex), reason: "already in the store")
            case .miss(let r, _):
                resolved = r
            case .unknown(let identities):
                return report(.failed, "the key cannot be computed: \(identities.joined(separator: "; ")) is unknown")
            }
            key = resolved.key
            if let expectedKey, expectedKey != resolved.key { return mismatch(resolved.key, expectedKey) { m, k in report(.failed, m) } }
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let context = run.nodeContext(for: node, key: resolved.key, inputs: run.inputArtifacts(for: node, outputs: outputs), work: work)
            let count = try kind.shardCount(context)
            if let bad = shards.first(where: { $0 >= count }) {
                return report(.failed, "node '\(id)' has \(count) shards (0–\(count - 1)); there is no shard \(bad)")
            }
            let partial = store.partialResults(for: resolved.key)
            if let remote = options.remote {
                let have = Set(partial.shards())
                warnings += await remote.pullShardsReporting(shards.filter { !have.contains($0) }, key: resolved.key, into: partial)
            }
            let todo = Set(shards).subtracting(partial.shards()).sorted()
            var computed: [Int] = []
            if !todo.isEmpty {
                try await withTaskExecutorPreference(NodeTaskExecutor(label: "earshot.node.\(id)")) {
                    try await kind.runShards(todo, context: context)
                }
                let finished = Set(partial.shards())
                computed = todo.filter { finished.contains($0) }
            }
            if let remote = options.remote, !remote.options.readOnly, !computed.isEmpty {
                warnings += await remote.pushShardsReporting(computed, key: resolved.key, from: partial)
            }
            return report(.ran, "shards \(ShardList.format(shards)): \(computed.count) computed, \(shards.count - todo.count) already finished",
                          seconds: Date().timeIntervalSince(t0))
        } catch is CancellationError {
            return report(.cancelled, "interrupted")
        } catch {
            if Task.isCancelled { return report(.cancelled, "interrupted") }
            return report(.failed, "\(error)", seconds: Date().timeIntervalSince(t0))
        }
    }
}
