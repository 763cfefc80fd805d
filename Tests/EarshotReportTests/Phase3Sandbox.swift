import EarshotData
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `fixture`: emits hand-made artifacts. A node `x` with `params: {outputs: [metrics, scores]}` emits the
/// artifacts registered as `x.metrics` and `x.scores`.
struct FixtureKind: NodeKind {
    let artifacts: [String: Artifact]

    var signature: KindSignature {
        KindSignature(name: "fixture", version: 1, summary: "hand-made artifacts",
                      outputs: [OutputSignature("value", type: "any", "the artifact")],
                      params: [ParamSignature("outputs", .list(.string), default: .array([.string("value")]), "output names")],
                      dynamicOutputs: { params in params["outputs"]?.arrayValue?.compactMap(\.stringValue) ?? ["value"] })
    }

    /// The node id enters the key, so two fixture nodes with the same params are different results.
    func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        KeyExtras(external: ["fixture": .string(node.id)])
    }

    func run(_ context: NodeContext) async throws -> [String: Artifact] {
        var out: [String: Artifact] = [:]
        for name in context.strings("outputs") {
            guard let a = artifacts["\(context.node.id).\(name)"] else { throw NodeError("no fixture '\(context.node.id).\(name)'") }
            out[name] = a
        }
        return out
    }
}

/// A temporary folder with an experiment file and a store, running the Phase 3 kinds plus `fixture`.
final class Phase3Sandbox {
    let dir: URL
    let store: ArtifactStore
    var fixtures: [String: Artifact]
    private(set) var summary: RunSummary?

    init(fixtures: [String: Artifact] = [:]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-phase3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        self.fixtures = fixtures
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    var registry: KindRegistry { KindRegistry([CommandKind(), FixtureKind(artifacts: fixtures)] + Phase3Kinds.all()) }

    func write(_ yaml: String) throws -> String {
        let url = dir.appendingPathComponent("exp.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @discardableResult
    func run(_ yaml: String) async throws -> RunSummary {
        let registry = self.registry
        let graph = try registry.load(path: try write(yaml))
        let result = await LocalExecutor(graph: graph, registry: registry, store: store,
                                         options: .init(jobs: 2, keepGoing: true), board: nil).run()
        summary = result
        return result
    }

    func plan(_ yaml: String) async throws -> Plan {
        let registry = self.registry
        return try await Plan.make(graph: try registry.load(path: try write(yaml)), store: store,
                                   extras: RegistryKeyExtras(registry: registry, store: store))
    }

    func artifact(_ node: String, _ output: String) throws -> Artifact {
        guard let report = summary?.nodes.first(where: { $0.id == node }), let hex = report.outputs[output],
              let digest = Digest(hex: hex) else {
            throw NodeError("node '\(node)' produced no '\(output)': \(summary?.nodes.first { $0.id == node }?.reason ?? "not run")")
        }
        return try ArtifactFile.read(from: store.objectURL(digest))
    }

    func failure(_ node: String) -> String? {
        summary?.nodes.first { $0.id == node && $0.status == .failed }?.reason
    }

    func ids(_ status: NodeReport.Status) -> [String] { summary?.nodes.filter { $0.status == status }.map(\.id) ?? [] }
}
