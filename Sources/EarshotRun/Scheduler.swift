import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Drives a run: resolves each node's key once its inputs exist, serves hits inline (no task, which keeps no-op
/// re-runs fast), and hands misses to a `NodeDispatcher`, keeping at most `jobs` in flight in a task group.
///
/// Resolving (key extras, key, record lookup and verification) reads files and never starts a node, so the nodes
/// ready at one moment are resolved together on every core (`resolveBatch`); a miss that finds no free slot waits,
/// resolved, in a queue. Ready nodes start in topological (file) order. The first failure cancels the running nodes
/// and starts no more, unless `keepGoing`, in which case only the failed node's downstream is skipped. Cancelling the calling task
/// (Ctrl-C) cancels every node. The scheduler writes the node reports, the experiment's latest keys (for `why`) and
/// the run record.
public struct Scheduler: Sendable {
    public let run: RunContext
    public let dispatcher: any NodeDispatcher

    public init(_ run: RunContext, dispatcher: any NodeDispatcher) {
        self.run = run
        self.dispatcher = dispatcher
    }

    /// Runs every node that is not cached and returns what happened to each. Writes a run record.
    public func execute() async -> RunSummary {
        let started = Date()
        let graph = run.graph, store = run.store, board = run.board, options = run.options
        let resolver = run.resolver
        let n = graph.nodes.count
        var remaining = graph.dependencies.map(\.count)
        var outputs: [String: [String: OutputObject]] = [:]
        var reports = [NodeReport?](repeating: nil, count: n)
        var ready = MinHeap((0..<n).filter { remaining[$0] == 0 })
        var stopping = false
        // Latest keys per node (for `why`), flushed now and then and at the end rather than per node. A flush rewrites
        // the experiment's whole map, so the pause between flushes grows with what one costs (at least 2 s, and 20×
        // the last flush): on a 50,000-node run the flushes stay a few percent of the run instead of a growing share.
        var latestChanges: [String: Digest] = [:]
        var lastRefsFlush = Date()
        var refsFlushPause = 2.0

        func release(_ i: Int) {
            for d in graph.dependents[i] {
                remaining[d] -= 1
                if remaining[d] == 0 { ready.push(d) }
            }
        }
        func skipDownstream(of i: Int, reason: String) {
            for d in graph.downstream(of: i) where reports[d] == nil {
                let node = graph.nodes[d]
                reports[d] = NodeReport(id: node.id, kind: node.signature.name, status: .cancelled, reason: reason)
                board?.finished(node: node.id, status: "skip", seconds: nil, detail: reason)
            }
        }

        await withTaskGroup(of: (Int, DispatchResult, Double).self) { group in
            var running = 0
            func fail(_ i: Int, _ message: String, key: Digest? = nil, seconds: Double? = nil) {
                let node = graph.nodes[i]
                reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .failed, key: key?.hex, seconds: seconds, reason: message)
                board?.finished(node: node.id, status: "failed", seconds: seconds, detail: message)
                if options.keepGoing {
                    skipDownstream(of: i, reason: "upstream '\(node.id)' failed")
                } else if !stopping {
                    stopping = true
                    group.cancelAll()
                }
            }
            // Resolved misses that found every slot taken, in the order they were resolved.
            var waiting: [(Int, ResolvedKey, MissReason)] = []
            func dispatch(_ i: Int, _ resolved: ResolvedKey, _ reason: MissReason) {
                let node = graph.nodes[i]
                let job = NodeJob(node: node, key: resolved.key, keyInputs: resolved.keyInputs,
                                  inputs: run.inputArtifacts(for: node, outputs: outputs), reason: reason,
                                  progress: ProgressHandle(board: board, node: node.id))
                reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cancelled, key: resolved.key.hex,
                                        reason: reason.summary)
                board?.started(node: node.id, kind: node.signature.name)
                running += 1
                group.addTask {
                    let t0 = Date()
                    let result = await dispatcher.dispatch(job, in: run)
                    return (i, result, Date().timeIntervalSince(t0))
                }
            }
            while true {
                while running < options.jobs, !stopping, !waiting.isEmpty {
                    let (i, resolved, reason) = waiting.removeFirst()
                    dispatch(i, resolved, reason)
                }
                while running < options.jobs, waiting.isEmpty, !stopping, !ready.isEmpty {
                    if Task.isCancelled { stopping = true; break }
                    var batch: [Int] = []
                    while batch.count < Self.batchSize, let i = ready.pop() {
                        if reports[i] == nil { batch.append(i) }  // else skipped: downstream of a failure
                    }
                    let resolutions = await resolveBatch(batch, resolver: resolver, upstream: outputs)
                    for (i, resolution) in zip(batch, resolutions) {
                        let node = graph.nodes[i]
                        switch resolution {
                        case .failure(let error):
                            fail(i, "\(error)")
                        case .success(.hit(let resolved, let record)):
                            outputs[node.id] = record.outputs
                            if resolver.latest[node.id] != resolved.key { latestChanges[node.id] = resolved.key }
                            reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cached, key: resolved.key.hex,
                                                    outputs: record.outputs.mapValues(\.object.hex))
                            board?.finished(node: node.id, status: "cached", seconds: nil)
                            release(i)
                        case .success(.miss(let resolved, let reason)):
                            if stopping { continue }
                            if running < options.jobs { dispatch(i, resolved, reason) } else { waiting.append((i, resolved, reason)) }
                        case .success(.unknown(let identities)):
                            // Resolving with purpose .run learns every identity; a provider that still cannot is a bug.
                            fail(i, "the key cannot be computed: \(identities.joined(separator: "; ")) is unknown")
                        }
                    }
                }
                if running == 0 { break }
                guard let (i, result, seconds) = await group.next() else { break }
                running -= 1
                let node = graph.nodes[i]
                let key = reports[i]?.key
                let reason = reports[i]?.reason
                defer { if !result.warnings.isEmpty { reports[i]?.warnings = result.warnings } }
                switch result.outcome {
                case .reused(let record, let note):
                    outputs[node.id] = record.outputs
                    latestChanges[node.id] = record.key
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cached, key: record.key.hex,
                                            outputs: record.outputs.mapValues(\.object.hex), seconds: seconds, reason: note)
                    board?.finished(node: node.id, status: "reused", seconds: seconds, detail: note)
                    release(i)
                case .ran(let record):
                    outputs[node.id] = record.outputs
                    latestChanges[node.id] = record.key
                    if Date().timeIntervalSince(lastRefsFlush) > refsFlushPause {
                        let t0 = Date()
                        try? store.updateLatestKeys(latestChanges, experiment: graph.experiment)
                        latestChanges = [:]
                        lastRefsFlush = Date()
                        refsFlushPause = max(2, 20 * lastRefsFlush.timeIntervalSince(t0))
                    }
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .ran, key: record.key.hex,
                                            outputs: record.outputs.mapValues(\.object.hex), seconds: seconds, reason: reason)
                    board?.finished(node: node.id, status: "ran", seconds: seconds)
                    release(i)
                case .failed(let message):
                    fail(i, message, key: key.flatMap(Digest.init(hex:)), seconds: seconds)
                case .cancelled:
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cancelled, key: key, seconds: seconds,
                                            reason: Task.isCancelled ? "interrupted" : "cancelled after another node failed")
                    board?.finished(node: node.id, status: "cancel", seconds: seconds)
                }
                if Task.isCancelled { stopping = true }
            }
        }
        await dispatcher.finish(run)
        let final = graph.nodes.enumerated().map { i, node in
            reports[i] ?? NodeReport(id: node.id, kind: node.signature.name, status: .cancelled,
                                     reason: Task.isCancelled ? "interrupted" : "not started: the run stopped after a failure")
        }
        try? store.updateLatestKeys(latestChanges, experiment: graph.experiment)
        // What this run learned about objects (hashes by stamp, provenance), so that the next process trusts them
        // without opening them; a cache, so a store that cannot take it keeps the run's outcome.
        try? store.fingerprints.flush()
        board?.close()
        let summary = RunSummary(experiment: graph.experiment, nodes: final, seconds: Date().timeIntervalSince(started))
        writeRunRecord(summary, started: started)
        return summary
    }

    /// Nodes resolved together at most (enough to keep every core busy between two looks at finished nodes).
    static let batchSize = 256

    /// Resolves `batch` (all ready, so independent of each other) on up to one task per core, in order.
    func resolveBatch(_ batch: [Int], resolver: KeyResolver,
                      upstream: [String: [String: OutputObject]]) async -> [Result<KeyResolution, any Error>] {
        let nodes = batch.map { run.graph.nodes[$0] }
        @Sendable func resolve(_ k: Int) async -> Result<KeyResolution, any Error> {
            do { return .success(try await resolver.resolve(nodes[k], upstream: upstream)) } catch { return .failure(error) }
        }
        if nodes.count == 1 { return [await resolve(0)] }  // no task for a lone node
        let width = min(nodes.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        var results = [Result<KeyResolution, any Error>?](repeating: nil, count: nodes.count)
        await withTaskGroup(of: [(Int, Result<KeyResolution, any Error>)].self) { group in
            for lane in 0..<width {
                group.addTask {
                    var out: [(Int, Result<KeyResolution, any Error>)] = []
                    for k in stride(from: lane, to: nodes.count, by: width) { out.append((k, await resolve(k))) }
                    return out
                }
            }
            for await lane in group { for (k, r) in lane { results[k] = r } }
        }
        return results.map { $0! }
    }

    func writeRunRecord(_ summary: RunSummary, started: Date) {
        let stamp = ISO8601DateFormatter().string(from: started).replacingOccurrences(of: ":", with: "")
        let name = "\(stamp)-\(ProcessInfo.processInfo.processIdentifier)-\(FileSystem.safeName(run.graph.experiment))"
        let record = RunRecord(spec: run.graph.specFile, startedAt: started, producer: run.options.producer, jobs: run.options.jobs,
                               summary: summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(record) { _ = try? run.store.writeRunRecord(data, name: name) }
    }
}

/// What a run leaves under `runs/` in the store.
public struct RunRecord: Codable, Sendable {
    public var spec: String
    public var startedAt: Date
    public var producer: String
    public var jobs: Int
    public var summary: RunSummary
}

/// A binary min-heap of node positions: ready nodes start in topological (file) order.
struct MinHeap {
    private var items: [Int] = []

    init(_ initial: [Int]) { for i in initial { push(i) } }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ x: Int) {
        items.append(x)
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if items[p] <= items[c] { break }
            items.swapAt(p, c)
            c = p
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
        return top
    }
}
