import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Computes misses somewhere other than this process (a batch scheduler). The scheduler loop of `LocalExecutor`
/// stays the same; only where a missing node is computed changes.
protocol NodeDispatcher: Sendable {
    /// Computes `node` (whose inputs are in the store) and returns the outcome and any warnings.
    func compute(node: ValidatedNode, key: Digest, keyInputs: KeyInputs, inputs: [String: [InputArtifact]],
                 executor: LocalExecutor) async -> (LocalExecutor.Outcome, [String])
}

extension LocalExecutor {
    /// Computes exactly one node, whose upstream results must already be in the store (what a batch job runs:
    /// `earshot exec-node`). The node goes through the same locked miss path as in a full run, so concurrent jobs
    /// and runs compute it once. `expectedKey`, when given, must match the key computed here: a mismatch means the
    /// experiment file or a file it reads changed after the run was planned.
    public func runNode(_ id: String, expectedKey: Digest? = nil) async -> NodeReport {
        let resolved: ResolvedNode
        switch await resolve(id, expectedKey: expectedKey) {
        case .failure(let f): return f.report
        case .success(let r): resolved = r
        }
        let node = resolved.node, key = resolved.key
        if case .hit(let record) = resolved.decision {
            return NodeReport(id: id, kind: node.signature.name, status: .cached, key: key.hex,
                              outputs: record.outputs.mapValues(\.object.hex), reason: "already in the store")
        }
        let t0 = Date()
        let lookup = CacheLookup(store: store, experiment: graph.experiment)
        let (outcome, warnings) = await computeExclusively(node: node, key: key, keyInputs: resolved.keyInputs,
                                                           inputs: inputArtifacts(for: node, outputs: resolved.outputs), lookup: lookup)
        let seconds = Date().timeIntervalSince(t0)
        var report: NodeReport
        switch outcome {
        case .ran(let record):
            report = NodeReport(id: id, kind: node.signature.name, status: .ran, key: key.hex,
                                outputs: record.outputs.mapValues(\.object.hex), seconds: seconds)
        case .reused(let record, let note):
            report = NodeReport(id: id, kind: node.signature.name, status: .cached, key: key.hex,
                                outputs: record.outputs.mapValues(\.object.hex), seconds: seconds, reason: note)
        case .failed(_, let message):
            report = NodeReport(id: id, kind: node.signature.name, status: .failed, key: key.hex, reason: message)
        case .cancelled:
            report = NodeReport(id: id, kind: node.signature.name, status: .cancelled, key: key.hex, reason: "interrupted")
        }
        if !warnings.isEmpty { report.warnings = warnings }
        return report
    }

    /// One node of the graph with its key and the upstream results it reads.
    struct ResolvedNode: Sendable {
        var node: ValidatedNode
        var keyInputs: KeyInputs
        var key: Digest
        var decision: CacheDecision
        var outputs: [String: [String: OutputObject]]
    }

    /// Resolves one node whose upstream results must already be in the store: its key (checked against
    /// `expectedKey`: a mismatch means the experiment file or a file it reads changed after the run was planned),
    /// its cache decision and its upstream outputs; or the failed report to return.
    func resolve(_ id: String, expectedKey: Digest?) async -> Result<ResolvedNode, NodeReportFailure> {
        guard let target = graph.index[id] else {
            return .failure(NodeReportFailure(NodeReport(id: id, kind: "?", status: .failed, reason: "no node '\(id)' in experiment '\(graph.experiment)'")))
        }
        let node = graph.nodes[target]
        func failed(_ message: String, key: Digest? = nil) -> Result<ResolvedNode, NodeReportFailure> {
            .failure(NodeReportFailure(NodeReport(id: id, kind: node.signature.name, status: .failed, key: key?.hex, reason: message)))
        }
        let lookup = CacheLookup(store: store, experiment: graph.experiment)
        let extras = RegistryKeyExtras(registry: registry, store: store)
        var ancestors = Set<Int>()
        var stack = graph.dependencies[target]
        while let i = stack.popLast() {
            if ancestors.insert(i).inserted { stack.append(contentsOf: graph.dependencies[i]) }
        }
        var outputs: [String: [String: OutputObject]] = [:]
        do {
            // Positions are a topological order, so every upstream result is known before it is needed.
            for i in ancestors.sorted() {
                let up = graph.nodes[i]
                let keyInputs = lookup.keyInputs(for: up, seed: graph.seed, upstream: outputs,
                                                 extras: try await extras.keyExtras(for: up, graph: graph))
                switch lookup.decide(node: up, keyInputs: keyInputs, key: try keyInputs.key()) {
                case .hit(let record):
                    outputs[up.id] = record.outputs
                case .miss(let reason):
                    return failed("upstream node '\(up.id)' has no result in the store (\(reason)); compute it first")
                }
            }
            let keyInputs = lookup.keyInputs(for: node, seed: graph.seed, upstream: outputs,
                                             extras: try await extras.keyExtras(for: node, graph: graph))
            let key = try keyInputs.key()
            if let expectedKey, expectedKey != key {
                return failed("node key \(key.hex.prefix(12)) differs from the planned \(expectedKey.hex.prefix(12)): the experiment file or a file it reads changed after the run was planned", key: key)
            }
            return .success(ResolvedNode(node: node, keyInputs: keyInputs, key: key,
                                         decision: lookup.decide(node: node, keyInputs: keyInputs, key: key), outputs: outputs))
        } catch {
            return failed("\(error)")
        }
    }
}

/// A node report that ends a single-node command early (as an `Error`, to travel in a `Result`).
struct NodeReportFailure: Error {
    var report: NodeReport
    init(_ report: NodeReport) { self.report = report }
}
