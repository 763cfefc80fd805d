import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation

/// A temporary folder holding an experiment file and a store, removed on deinit.
final class Sandbox {
    let dir: URL
    let store: ArtifactStore
    let registry: KindRegistry

    init(registry: KindRegistry = TestKinds.registry()) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        self.registry = registry
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func write(_ yaml: String, name: String = "exp.yaml") throws -> String {
        let url = dir.appendingPathComponent(name)
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func graph(_ path: String, _ overrides: [String] = []) throws -> ExperimentGraph {
        try registry.load(path: path, overrides: overrides.enumerated().map { try Override.parse($0.element, index: $0.offset + 1) })
    }

    func run(_ path: String, _ overrides: [String] = [], jobs: Int = 2, keepGoing: Bool = false) async throws -> RunSummary {
        let executor = LocalExecutor(graph: try graph(path, overrides), registry: registry, store: store,
                                     options: .init(jobs: jobs, keepGoing: keepGoing), board: nil)
        return await executor.run()
    }

    func plan(_ path: String, _ overrides: [String] = []) async throws -> Plan {
        try await Plan.make(graph: try graph(path, overrides), store: store,
                            extras: RegistryKeyExtras(registry: registry, store: store))
    }
}

extension RunSummary {
    func ids(_ status: NodeReport.Status) -> [String] { nodes.filter { $0.status == status }.map(\.id) }
    func node(_ id: String) -> NodeReport? { nodes.first { $0.id == id } }
}

/// A chain-and-fan experiment of `n` nodes: consts, scales of them, and sums.
func twentyNodeExperiment() -> String {
    var yaml = "experiment: twenty\nnodes:\n"
    for i in 0..<8 { yaml += "  c\(i): {kind: const, params: {value: [\(i), \(i + 1)]}}\n" }
    for i in 0..<8 { yaml += "  s\(i): {kind: scale, inputs: {x: c\(i)}, params: {factor: \(i + 2)}}\n" }
    yaml += "  t0: {kind: sum, inputs: {terms: [s0, s1, s2, s3]}}\n"
    yaml += "  t1: {kind: sum, inputs: {terms: [s4, s5, s6, s7]}}\n"
    yaml += "  t2: {kind: sum, inputs: {terms: [t0, t1]}}\n"
    yaml += "  t3: {kind: scale, inputs: {x: t2}}\n"
    return yaml
}
