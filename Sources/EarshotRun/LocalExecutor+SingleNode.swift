import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

extension LocalExecutor {
    /// Computes exactly one node, whose upstream results must already be in the store (what a batch job runs:
    /// `earshot exec-node`). The node goes through the same locked miss path as in a full run, so concurrent jobs
    /// and runs compute it once. `expectedKey`, when given, must match the key computed here: a mismatch means the
    /// experiment file or a file it reads changed after the run was planned.
    public func runNode(_ id: String, expectedKey: Digest? = nil) async -> NodeReport {
        guard let target = graph.index[id] else {
            return NodeReport(id: id, kind: "?", status: .failed, reason: "no node '\(id)' in experiment '\(graph.experiment)'")
        }
        let node = graph.nodes[target]
        func failed(_ message: String, key: Digest? = nil) -> NodeReport {
            NodeReport(id: id, kind: node.signature.name, status: .failed, key: key?.hex, reason: message)
        }
        let run = context
        do {
            let (outputs, problem) = try await upstreamOutputs(of: target, run: run)
            if let problem { return failed(problem) }
            let resolved: ResolvedKey, reason: MissReason
            switch try await run.resolver.resolve(node, upstream: outputs) {
            case .hit(let r, let record):
                if let expectedKey, expectedKey != r.key { return mismatch(r.key, expectedKey, failed) }
                return NodeReport(id: id, kind: node.signature.name, status: .cached, key: r.key.hex,
                                  outputs: record.outputs.mapValues(\.object.hex), reason: "already in the store")
            case .miss(let r, let why):
                resolved = r
                reason = why
            case .unknown(let identities):
                return failed("the key cannot be computed: \(identities.joined(separator: "; ")) is unknown")
            }
            let key = resolved.key
            if let expectedKey, expectedKey != key { return mismatch(key, expectedKey, failed) }
            let t0 = Date()
            let job = NodeJob(node: node, key: key, keyInputs: resolved.keyInputs, inputs: run.inputArtifacts(for: node, outputs: outputs),
                              reason: reason, progress: ProgressHandle(board: board, node: node.id))
            let result = await InProcessDispatcher().dispatch(job, in: run)
            let seconds = Date().timeIntervalSince(t0)
            var report: NodeReport
            switch result.outcome {
            case .ran(let record):
                report = NodeReport(id: id, kind: node.signature.name, status: .ran, key: key.hex,
                                    outputs: record.outputs.mapValues(\.object.hex), seconds: seconds)
            case .reused(let record, let note):
                report = NodeReport(id: id, kind: node.signature.name, status: .cached, key: key.hex,
                                    outputs: record.outputs.mapValues(\.object.hex), seconds: seconds, reason: note)
            case .failed(let message):
                report = failed(message, key: key)
            case .cancelled:
                report = NodeReport(id: id, kind: node.signature.name, status: .cancelled, key: key.hex, reason: "interrupted")
            }
            if !result.warnings.isEmpty { report.warnings = result.warnings }
            return report
        } catch {
            return failed("\(error)")
        }
    }

    /// The outputs of every upstream node of the node at `target`, all of which must be in the store; else the
    /// problem naming the first that is not.
    func upstreamOutputs(of target: Int, run: RunContext) async throws -> ([String: [String: OutputObject]], String?) {
        var ancestors = Set<Int>()
        var stack = graph.dependencies[target]
        while let i = stack.popLast() {
            if ancestors.insert(i).inserted { stack.append(contentsOf: graph.dependencies[i]) }
        }
        var outputs: [String: [String: OutputObject]] = [:]
        // Positions are a topological order, so every upstream result is known before it is needed.
        for i in ancestors.sorted() {
            let up = graph.nodes[i]
            switch try await run.resolver.resolve(up, upstream: outputs) {
            case .hit(_, let record):
                outputs[up.id] = record.outputs
            case .miss(_, let reason):
                return (outputs, "upstream node '\(up.id)' has no result in the store (\(reason.summary)); compute it first")
            case .unknown(let identities):
                return (outputs, "upstream node '\(up.id)' has no key: \(identities.joined(separator: "; ")) is unknown")
            }
        }
        return (outputs, nil)
    }

    func mismatch(_ key: Digest, _ expected: Digest, _ failed: (String, Digest?) -> NodeReport) -> NodeReport {
        failed("node key \(key.hex.prefix(12)) differs from the planned \(expected.hex.prefix(12)): the experiment file or a file it reads changed after the run was planned", key)
    }
}
