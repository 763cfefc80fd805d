import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Where a run's missing nodes are computed. The `Scheduler` resolves keys, serves hits, keeps `--jobs` nodes in
/// flight and writes the reports; a dispatcher only computes the misses it is handed, so a new executor (a batch
/// system, a remote service) is one type conforming to this protocol.
///
/// `InProcessDispatcher` computes in this process; `SlurmExecutor` submits one batch job per node. A dispatcher
/// may split a node's work (a kind that persists shards can be computed by several tasks writing under
/// `job.key`), as long as the result is recorded in the store under `job.key` before `dispatch` returns.
public protocol NodeDispatcher: Sendable {
    /// Computes `job.node`, whose inputs are in the store, and records its result under `job.key`. Never throws:
    /// failures and cancellation (the calling task is cancelled on Ctrl-C or after another node failed) are outcomes.
    func dispatch(_ job: NodeJob, in run: RunContext) async -> DispatchResult

    /// Called once when the run ends, after every dispatch returned (cancel leftover jobs, stop polling).
    func finish(_ run: RunContext) async
}

extension NodeDispatcher {
    public func finish(_ run: RunContext) async {}
}

/// One node a run must compute.
public struct NodeJob: Sendable {
    public let node: ValidatedNode
    public let key: Digest
    public let keyInputs: KeyInputs
    /// Input name → bound upstream outputs (objects in the store).
    public let inputs: [String: [InputArtifact]]
    /// Why no result could be reused.
    public let reason: MissReason
    public let progress: ProgressHandle

    public init(node: ValidatedNode, key: Digest, keyInputs: KeyInputs, inputs: [String: [InputArtifact]], reason: MissReason,
                progress: ProgressHandle) {
        self.node = node
        self.key = key
        self.keyInputs = keyInputs
        self.inputs = inputs
        self.reason = reason
        self.progress = progress
    }
}

/// What a dispatch did.
public enum DispatchOutcome: Sendable {
    /// The node was computed; its record is in the store.
    case ran(ActionRecord)
    /// Another run sharing the store, or the remote cache, supplied the result meanwhile.
    case reused(ActionRecord, note: String)
    case failed(String)
    case cancelled
}

/// A dispatch's outcome and the problems that did not stop it (a failed upload to the remote cache).
public struct DispatchResult: Sendable {
    public var outcome: DispatchOutcome
    public var warnings: [String]
    public init(_ outcome: DispatchOutcome, warnings: [String] = []) {
        self.outcome = outcome
        self.warnings = warnings
    }
}

/// Settings of a run (shared by every executor).
public struct RunOptions: Sendable {
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

/// What a dispatcher may use: the run's graph, kinds, store, options and key resolver.
public struct RunContext: Sendable {
    public let graph: ExperimentGraph
    public let registry: KindRegistry
    public let store: ArtifactStore
    public let options: RunOptions
    public let board: ProgressBoard?
    /// Resolves keys with `purpose: .run`; `lookup` checks the store again after a job (read-only).
    public let resolver: KeyResolver

    public init(graph: ExperimentGraph, registry: KindRegistry, store: ArtifactStore, options: RunOptions, board: ProgressBoard?) {
        self.graph = graph
        self.registry = registry
        self.store = store
        self.options = options
        self.board = board
        self.resolver = KeyResolver(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store), purpose: .run)
    }

    /// The bound upstream outputs of `node`, given every upstream node's outputs.
    public func inputArtifacts(for node: ValidatedNode, outputs: [String: [String: OutputObject]]) -> [String: [InputArtifact]] {
        node.inputs.mapValues { refs in
            refs.map { ref in
                let out = outputs[ref.node]![ref.output]!
                return InputArtifact(source: ref, output: out, url: store.objectURL(out.object, ext: out.ext))
            }
        }
    }
}

extension ArtifactStore {
    /// Acts on what the resolver found when a node is about to be computed: a corrupt object goes to quarantine (so
    /// that the recomputed one can take its place) and an unreadable or misdirected record is removed.
    public func repair(_ reason: MissReason, key: Digest) {
        switch reason {
        case .objectCorrupt(_, let object, let ext, _): try? quarantine(object, ext: ext)
        case .unreadableRecord, .misdirectedRecord: removeAction(key)
        default: break
        }
    }
}
