import EarshotData
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// The committed fixtures (made by Fixtures/make_fixtures.py).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// The node kinds under test.
func dataRegistry() -> KindRegistry {
    KindRegistry([CommandKind(), LoadSplitKind(), SynthCorpusKind()])
}

/// A temporary folder with an experiment file, a store and copies of fixtures; removed on deinit.
final class DataSandbox {
    let dir: URL
    let store: ArtifactStore
    let registry: KindRegistry

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        registry = dataRegistry()
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Copies a fixture folder or file into the sandbox and returns the copy's path.
    @discardableResult
    func copyFixture(_ relative: String, to name: String? = nil) throws -> String {
        let destination = dir.appendingPathComponent(name ?? relative)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent(relative), to: destination)
        return destination.path
    }

    @discardableResult
    func write(_ text: String, name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func run(_ yaml: String, _ overrides: [String] = [], keepGoing: Bool = false) async throws -> RunSummary {
        let path = try write(yaml, name: "exp.yaml")
        let graph = try registry.load(path: path, overrides: overrides.enumerated().map { try Override.parse($0.element, index: $0.offset + 1) })
        return await LocalExecutor(graph: graph, registry: registry, store: store,
                                   options: .init(jobs: 2, keepGoing: keepGoing), board: nil).run()
    }

    /// The split a node produced in `summary`.
    func split(_ summary: RunSummary, node: String = "split", output: String = "split") throws -> Split {
        guard let hex = summary.nodes.first(where: { $0.id == node })?.outputs[output], let digest = Digest(hex: hex) else {
            throw DataError.unusable("node '\(node)' has no output '\(output)': \(summary.nodes.map { "\($0.id): \($0.status) \($0.reason ?? "")" })")
        }
        return try Split(artifact: ArtifactFile.read(from: store.objectURL(digest)))
    }
}

extension RunSummary {
    func report(_ id: String) -> NodeReport? { nodes.first { $0.id == id } }
    func ids(_ status: NodeReport.Status) -> [String] { nodes.filter { $0.status == status }.map(\.id) }
}
