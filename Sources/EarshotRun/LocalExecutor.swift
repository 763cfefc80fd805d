import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Runs an experiment graph on this machine: the `Scheduler` with the `InProcessDispatcher` (structured concurrency,
/// up to `jobs` nodes at once, misses computed under the store's per-key lock with remote read- and write-through).
public struct LocalExecutor: Sendable {
    public typealias Options = RunOptions

    public let graph: ExperimentGraph
    public let registry: KindRegistry
    public let store: ArtifactStore
    public let options: Options
    public let board: ProgressBoard?

    public init(graph: ExperimentGraph, registry: KindRegistry, store: ArtifactStore, options: Options = Options(),
                board: ProgressBoard? = nil) {
        self.graph = graph
        self.registry = registry
        self.store = store
        self.options = options
        self.board = board
    }

    var context: RunContext { RunContext(graph: graph, registry: registry, store: store, options: options, board: board) }

    /// Runs every node that is not cached and returns what happened to each. Writes a run record.
    public func run() async -> RunSummary {
        await Scheduler(context, dispatcher: InProcessDispatcher()).execute()
    }
}
