import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Explicit transfers between a store and a remote cache (`earshot cache push|pull`).
///
/// A Bazel-style cache cannot list what it holds, so a pull needs an experiment: it walks the graph wave by wave,
/// computing each node's key from its upstream results exactly as a run does, and fetches the nodes the store
/// lacks. A node the remote lacks stops the walk below it (its dependents' keys are unknown until it runs).
public struct RemoteTransfer: Sendable {
    public let store: ArtifactStore
    public let remote: RemoteCache

    public init(store: ArtifactStore, remote: RemoteCache) {
        self.store = store
        self.remote = remote
    }

    /// What a pull did, node by node.
    public struct PullReport: Sendable {
        public var transfer = RemoteCache.TransferReport()
        /// Nodes already in the store.
        public var present: [String] = []
        /// Nodes fetched from the remote.
        public var pulled: [String] = []
        /// Nodes the remote lacks (their dependents were not looked up).
        public var absent: [String] = []
        /// One line per object or record that failed verification (nothing of those nodes was stored).
        public var problems: [String] = []
    }

    /// Pushes every action record in the store (and its objects).
    public func pushAll() async throws -> RemoteCache.TransferReport {
        try await remote.push(store.allActions(), from: store)
    }

    /// Pushes the results the store holds for the experiment as it is now (the nodes `earshot plan` shows cached).
    public func push(graph: ExperimentGraph, registry: KindRegistry) async throws -> RemoteCache.TransferReport {
        let plan = try await Plan.make(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store))
        let records = try plan.entries.filter { $0.status == .cached }.compactMap { entry in
            try entry.key.flatMap(Digest.init(hex:)).flatMap { try store.action(for: $0) }
        }
        return try await remote.push(records, from: store)
    }

    /// Fetches every node of the experiment that the remote holds and the store lacks.
    public func pull(graph: ExperimentGraph, registry: KindRegistry) async throws -> PullReport {
        let resolver = KeyResolver(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store), purpose: .run)
        var outputs: [String: [String: OutputObject]] = [:]
        var report = PullReport()
        var keys: [String: Digest] = [:]
        for wave in graph.waves {
            var wanted: [(node: ValidatedNode, key: Digest)] = []
            for i in wave {
                let node = graph.nodes[i]
                guard graph.dependencies[i].allSatisfy({ outputs[graph.nodes[$0].id] != nil }) else { continue }
                switch try await resolver.resolve(node, upstream: outputs) {
                case .hit(_, let record):
                    outputs[node.id] = record.outputs
                    report.present.append(node.id)
                case .miss(let resolved, _):
                    wanted.append((node, resolved.key))
                case .unknown:
                    continue
                }
            }
            let fetched = try await withThrowingTaskGroup(of: (String, RemoteCache.Fetch).self) { group in
                var results: [String: RemoteCache.Fetch] = [:]
                var next = 0
                func start(_ j: Int) {
                    let (node, key) = wanted[j]
                    group.addTask { (node.id, try await remote.fetch(key: key, into: store)) }
                }
                // More lookups than transfer slots: while some fetches flush and record what they got, the
                // transport already runs the next ones' requests (it caps transfers at `parallelTransfers` itself).
                while next < min(wanted.count, 4 * remote.options.parallelTransfers) { start(next); next += 1 }
                while let (id, result) = try await group.next() {
                    results[id] = result
                    if next < wanted.count { start(next); next += 1 }
                }
                return results
            }
            for (node, key) in wanted {
                switch fetched[node.id]! {
                case .hit(let record, let transfer):
                    outputs[node.id] = record.outputs
                    keys[node.id] = key
                    report.pulled.append(node.id)
                    report.transfer.add(transfer)
                case .absent:
                    report.absent.append(node.id)
                case .rejected(let problems):
                    report.problems += problems.map { "node '\(node.id)': \($0)" }
                }
            }
        }
        try store.updateLatestKeys(keys, experiment: graph.experiment)
        return report
    }
}
