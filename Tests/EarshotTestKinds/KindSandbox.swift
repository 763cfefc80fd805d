import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// A temporary folder holding an experiment file and a store, removed on deinit: experiments written as YAML run
/// with `registry` (subclasses name their kinds), `--keep-going`, two jobs at once, and their results are read back
/// by node and output.
open class KindSandbox {
    public let dir: URL
    public let store: ArtifactStore
    /// The last run's summary.
    public private(set) var summary: RunSummary?

    /// `prefix` names the temporary folder (`earshot-PREFIX-UUID`).
    public init(prefix: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// The kinds experiments run with.
    open var registry: KindRegistry { TestKinds.registry() }

    /// Writes `yaml` as the sandbox's experiment file; returns its path.
    public func write(_ yaml: String) throws -> String {
        let url = dir.appendingPathComponent("exp.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Writes `yaml` as the experiment and runs it (`--keep-going`: a failing node does not cancel the others).
    @discardableResult
    public func run(_ yaml: String) async throws -> RunSummary {
        let registry = self.registry
        let graph = try registry.load(path: try write(yaml))
        let result = await LocalExecutor(graph: graph, registry: registry, store: store,
                                         options: .init(jobs: 2, keepGoing: true), board: nil).run()
        summary = result
        return result
    }

    /// What running `yaml` would do, without running it.
    public func plan(_ yaml: String) async throws -> Plan {
        let registry = self.registry
        return try await Plan.make(graph: try registry.load(path: try write(yaml)), store: store,
                                   extras: RegistryKeyExtras(registry: registry, store: store))
    }

    /// The artifact a node produced under `output` in the last run.
    public func artifact(_ node: String, _ output: String) throws -> Artifact {
        guard let report = summary?.nodes.first(where: { $0.id == node }), let hex = report.outputs[output],
              let digest = Digest(hex: hex) else {
            throw NodeError("node '\(node)' produced no '\(output)': \(summary?.nodes.first { $0.id == node }?.reason ?? "not run")")
        }
        return try ArtifactFile.read(from: store.objectURL(digest))
    }

    /// Why a node failed in the last run (nil when it did not).
    public func failure(_ node: String) -> String? {
        summary?.nodes.first { $0.id == node && $0.status == .failed }?.reason
    }

    /// The nodes of the last run with `status`.
    public func ids(_ status: NodeReport.Status) -> [String] { summary?.nodes.filter { $0.status == status }.map(\.id) ?? [] }

    /// A scratch file path inside the sandbox.
    public func file(_ name: String) -> URL { dir.appendingPathComponent(name) }
}
