import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Runs an experiment graph on this machine with structured concurrency.
///
/// A TaskGroup holds the running nodes; a node starts as soon as all its inputs exist, up to `jobs` at once.
/// Cached nodes are resolved inline (no task), which keeps no-op re-runs fast. The first failure cancels
/// the running nodes and starts no more, unless `keepGoing`, in which case only the failed node's
/// downstream is skipped. Cancelling the calling task (Ctrl-C) cancels every node; outputs are published
/// only after a node finishes, by atomic rename, so nothing partial is ever cached.
///
/// A miss is computed under the store's per-key lock (`ArtifactStore.lock`): after taking it, the action index is
/// read again (another run sharing the store may have finished the key meanwhile), then the remote cache is asked
/// (read-through), and only then is the node computed and its result pushed (write-through). The same scheduler
/// drives the Slurm executor, which computes misses as batch jobs instead of in this process.
public struct LocalExecutor: Sendable {
    public struct Options: Sendable {
        public var jobs: Int
        public var keepGoing: Bool
        /// Recorded as `earshot.producer` in every artifact.
        public var producer: String
        public var settings: RunSettings
        /// The HTTP remote cache for read-through and (unless read-only) write-through; nil for none.
        public var remote: RemoteCache?

        public init(jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), keepGoing: Bool = false,
                    producer: String = "earshot", settings: RunSettings = RunSettings(), remote: RemoteCache? = nil) {
            self.jobs = max(1, jobs)
            self.keepGoing = keepGoing
            self.producer = producer
            self.settings = settings
            self.remote = remote
        }
    }

    public let graph: ExperimentGraph
    public let registry: KindRegistry
    public let store: ArtifactStore
    public let options: Options
    public let board: ProgressBoard?
    /// Computes misses somewhere else (a batch scheduler); nil computes them in this process.
    let dispatcher: (any NodeDispatcher)?

    public init(graph: ExperimentGraph, registry: KindRegistry, store: ArtifactStore, options: Options = Options(),
                board: ProgressBoard? = nil) {
        self.init(graph: graph, registry: registry, store: store, options: options, board: board, dispatcher: nil)
    }

    init(graph: ExperimentGraph, registry: KindRegistry, store: ArtifactStore, options: Options, board: ProgressBoard?,
         dispatcher: (any NodeDispatcher)?) {
        self.graph = graph
        self.registry = registry
        self.store = store
        self.options = options
        self.board = board
        self.dispatcher = dispatcher
    }

    enum Outcome: Sendable {
        case ran(ActionRecord)
        /// Another run (sharing the store) or the remote cache supplied the result while this run waited for it.
        case reused(ActionRecord, note: String)
        case failed(key: Digest?, message: String)
        case cancelled(key: Digest?)
    }

    /// Runs every node that is not cached and returns what happened to each. Writes a run record.
    public func run() async -> RunSummary {
        let started = Date()
        let lookup = CacheLookup(store: store, experiment: graph.experiment)
        let extras = RegistryKeyExtras(registry: registry, store: store)
        let n = graph.nodes.count
        var remaining = graph.dependencies.map(\.count)
        var outputs: [String: [String: OutputObject]] = [:]
        var reports = [NodeReport?](repeating: nil, count: n)
        var ready = MinHeap((0..<n).filter { remaining[$0] == 0 })
        var stopping = false
        // Latest keys per node (for `why`), flushed every 2 s and at the end rather than per node.
        var latestChanges: [String: Digest] = [:]
        var lastRefsFlush = Date()

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

        await withTaskGroup(of: (Int, Outcome, Double, [String]).self) { group in
            var running = 0
            while true {
                while running < options.jobs, !stopping, let i = ready.pop() {
                    if Task.isCancelled { stopping = true; break }
                    guard reports[i] == nil else { continue }
                    let node = graph.nodes[i]
                    let prepared: (KeyInputs, Digest, CacheDecision)
                    do {
                        let keyInputs = lookup.keyInputs(for: node, seed: graph.seed, upstream: outputs,
                                                         extras: try await extras.keyExtras(for: node, graph: graph))
                        let key = try keyInputs.key()
                        prepared = (keyInputs, key, lookup.decide(node: node, keyInputs: keyInputs, key: key))
                    } catch {
                        reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .failed, reason: "\(error)")
                        board?.finished(node: node.id, status: "failed", seconds: nil, detail: "\(error)")
                        if options.keepGoing { skipDownstream(of: i, reason: "upstream '\(node.id)' failed") } else { stopping = true; group.cancelAll() }
                        continue
                    }
                    let (keyInputs, key, decision) = prepared
                    switch decision {
                    case .hit(let record):
                        outputs[node.id] = record.outputs
                        if lookup.latest[node.id] != key { latestChanges[node.id] = key }
                        reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cached, key: key.hex,
                                                outputs: record.outputs.mapValues(\.object.hex))
                        board?.finished(node: node.id, status: "cached", seconds: nil)
                        release(i)
                    case .miss(let reason):
                        let inputs = inputArtifacts(for: node, outputs: outputs)
                        reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cancelled, key: key.hex, reason: reason)
                        board?.started(node: node.id, kind: node.signature.name)
                        running += 1
                        group.addTask {
                            let t0 = Date()
                            let (outcome, warnings) = await dispatcher != nil
                                ? dispatcher!.compute(node: node, key: key, keyInputs: keyInputs, executor: self)
                                : computeExclusively(node: node, key: key, keyInputs: keyInputs, inputs: inputs, lookup: lookup)
                            return (i, outcome, Date().timeIntervalSince(t0), warnings)
                        }
                    }
                }
                if running == 0 { break }
                guard let (i, outcome, seconds, warnings) = await group.next() else { break }
                running -= 1
                let node = graph.nodes[i]
                let reason = reports[i]?.reason
                defer { if !warnings.isEmpty { reports[i]?.warnings = warnings } }
                switch outcome {
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
                    if Date().timeIntervalSince(lastRefsFlush) > 2 {
                        try? store.updateLatestKeys(latestChanges, experiment: graph.experiment)
                        latestChanges = [:]
                        lastRefsFlush = Date()
                    }
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .ran, key: record.key.hex,
                                            outputs: record.outputs.mapValues(\.object.hex), seconds: seconds, reason: reason)
                    board?.finished(node: node.id, status: "ran", seconds: seconds)
                    release(i)
                case .failed(let key, let message):
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .failed, key: key?.hex,
                                            seconds: seconds, reason: message)
                    board?.finished(node: node.id, status: "failed", seconds: seconds, detail: message)
                    if options.keepGoing {
                        skipDownstream(of: i, reason: "upstream '\(node.id)' failed")
                    } else if !stopping {
                        stopping = true
                        group.cancelAll()
                    }
                case .cancelled(let key):
                    reports[i] = NodeReport(id: node.id, kind: node.signature.name, status: .cancelled, key: key?.hex,
                                            seconds: seconds, reason: Task.isCancelled ? "interrupted" : "cancelled after another node failed")
                    board?.finished(node: node.id, status: "cancel", seconds: seconds)
                }
                if Task.isCancelled { stopping = true }
            }
        }
        let final = graph.nodes.enumerated().map { i, node in
            reports[i] ?? NodeReport(id: node.id, kind: node.signature.name, status: .cancelled,
                                     reason: Task.isCancelled ? "interrupted" : "not started: the run stopped after a failure")
        }
        try? store.updateLatestKeys(latestChanges, experiment: graph.experiment)
        board?.close()
        let summary = RunSummary(experiment: graph.experiment, nodes: final, seconds: Date().timeIntervalSince(started))
        writeRunRecord(summary, started: started)
        return summary
    }

    func inputArtifacts(for node: ValidatedNode, outputs: [String: [String: OutputObject]]) -> [String: [InputArtifact]] {
        node.inputs.mapValues { refs in
            refs.map { ref in
                let out = outputs[ref.node]![ref.output]!
                return InputArtifact(source: ref, output: out, url: store.objectURL(out.object, ext: out.ext))
            }
        }
    }

    /// Computes a missing node under the store's per-key lock: re-checks the action index once the lock is held
    /// (another process may have computed the key meanwhile), then asks the remote cache, then runs the node and
    /// pushes its result. Never throws; the second value holds warnings (remote problems) for the run's report.
    func computeExclusively(node: ValidatedNode, key: Digest, keyInputs: KeyInputs, inputs: [String: [InputArtifact]],
                            lookup: CacheLookup) async -> (Outcome, [String]) {
        let progress = ProgressHandle(board: board, node: node.id)
        let held: ActionLock
        do {
            held = try await store.lock(key) { holder in
                progress.update(done: 0, total: 0, note: "waiting for \(holder.map(\.description) ?? "another process") to compute it")
            }
        } catch is CancellationError {
            return (.cancelled(key: key), [])
        } catch {
            return (.failed(key: key, message: "\(error)"), [])
        }
        if case .hit(let record) = lookup.decide(node: node, keyInputs: keyInputs, key: key) {
            held.release()
            return (.reused(record, note: "computed by another run sharing the store"), [])
        }
        var warnings: [String] = []
        if let remote = options.remote, !remote.isDown {
            progress.update(done: 0, total: 0, note: "asking the remote cache")
            do {
                switch try await remote.fetch(key: key, into: store) {
                case .hit(let record, let transfer):
                    held.release()
                    return (.reused(record, note: "pulled from the remote cache (\(transfer.objects) objects, \(transfer.bytes) bytes)"), [])
                case .absent:
                    break
                case .rejected(let problems):
                    warnings += problems.map { "\($0); recomputing the node" }
                }
            } catch is CancellationError {
                held.release()
                return (.cancelled(key: key), [])
            } catch {
                if remote.claimWarning() {
                    warnings.append("remote cache lookup failed, computing locally: \(error)\(Self.quietAfterwards(remote))")
                }
            }
        }
        let outcome = await execute(node: node, key: key, keyInputs: keyInputs, inputs: inputs)
        held.release()
        if case .ran(let record) = outcome, let remote = options.remote, !remote.options.readOnly, !remote.isDown {
            do {
                _ = try await remote.push(record, from: store)
            } catch {
                if remote.claimWarning() {
                    warnings.append("write-through to the remote cache failed (the local result stands): \(error)\(Self.quietAfterwards(remote))")
                }
            }
        }
        return (outcome, warnings)
    }

    /// The tail of the one warning a run gives about a failing remote.
    static func quietAfterwards(_ remote: RemoteCache) -> String {
        "; further remote failures in this run are not reported, and after \(remote.options.downAfter) failed tries in a row the remote is not asked again"
    }

    /// Runs one node and publishes its outputs; never throws (failures become outcomes).
    func execute(node: ValidatedNode, key: Digest, keyInputs: KeyInputs, inputs: [String: [InputArtifact]]) async -> Outcome {
        guard let kind = registry[node.signature.name] else {
            return .failed(key: key, message: "no implementation for kind '\(node.signature.name)'")
        }
        let work = store.workDirectoryURL(label: String(key.hex.prefix(16)))
        defer { try? FileManager.default.removeItem(at: work) }
        let t0 = Date()
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let attachments = AttachmentLog()
            let context = NodeContext(node: node, key: key, seed: graph.seed, experiment: graph.experiment,
                                      specDirectory: graph.specDirectory, inputs: inputs, store: store,
                                      workDirectory: work, progress: ProgressHandle(board: board, node: node.id),
                                      settings: options.settings, attachments: attachments)
            let artifacts = try await withTaskExecutorPreference(NodeTaskExecutor(label: "earshot.node.\(node.id)")) {
                try await kind.run(context)
            }
            try Task.checkCancellation()
            let expected = Set(node.outputs)
            if let missing = expected.subtracting(artifacts.keys).sorted().first {
                return .failed(key: key, message: "kind '\(node.signature.name)' produced no output '\(missing)' (a bug in the kind)")
            }
            var published: [String: OutputObject] = [:]
            for name in artifacts.keys.sorted() where expected.contains(name) {
                var artifact = artifacts[name]!
                let type = Self.outputType(node: node, name: name, artifact: artifact)
                artifact.attributes[Artifact.Provenance.type] = .string(type)
                let content = artifact.contentDigest()
                artifact.attributes[Artifact.Provenance.node] = .string(node.id)
                artifact.attributes[Artifact.Provenance.kind] = .string(node.signature.name)
                artifact.attributes[Artifact.Provenance.kindVersion] = .int(Int64(node.signature.version))
                artifact.attributes[Artifact.Provenance.key] = .string(key.hex)
                artifact.attributes[Artifact.Provenance.producer] = .string(options.producer)
                let object = try store.putObject(ext: "h5") { try ArtifactFile.write(artifact, to: $0) }
                let size = (try? FileManager.default.attributesOfItem(atPath: store.objectURL(object).path)[.size] as? Int) ?? 0
                published[name] = OutputObject(object: object, content: content, type: type, bytes: size ?? 0)
            }
            try Task.checkCancellation()
            let record = ActionRecord(key: key, experiment: graph.experiment, node: node.id, kind: node.signature.name,
                                      outputs: published, attachments: attachments.all.isEmpty ? nil : attachments.all,
                                      keyInputs: try keyInputs.canonical(),
                                      inputSources: node.inputs.mapValues { $0.map(\.description) },
                                      createdAt: Date(), seconds: Date().timeIntervalSince(t0), producer: options.producer)
            try store.record(record)
            // Shards a long node persisted for resumption are no longer needed once its result is recorded.
            store.partialResults(for: key).remove()
            return .ran(record)
        } catch is CancellationError {
            return .cancelled(key: key)
        } catch {
            if Task.isCancelled { return .cancelled(key: key) }
            return .failed(key: key, message: "\(error)")
        }
    }

    /// The artifact type: what the artifact says, else the signature's declared type, else "file".
    static func outputType(node: ValidatedNode, name: String, artifact: Artifact) -> String {
        if case .string(let t)? = artifact.attributes[Artifact.Provenance.type] { return t }
        return node.signature.outputs.first { $0.name == name }?.type ?? "file"
    }

    func writeRunRecord(_ summary: RunSummary, started: Date) {
        let stamp = ISO8601DateFormatter().string(from: started).replacingOccurrences(of: ":", with: "")
        let name = "\(stamp)-\(ProcessInfo.processInfo.processIdentifier)-\(FileSystem.safeName(graph.experiment))"
        let record = RunRecord(spec: graph.specFile, startedAt: started, producer: options.producer, jobs: options.jobs,
                               summary: summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(record) { try? store.writeRunRecord(data, name: name) }
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
