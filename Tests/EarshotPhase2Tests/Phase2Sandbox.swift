import EarshotData
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation

/// A temporary folder with a store, split files and experiment files; removed on deinit.
final class Phase2Sandbox: @unchecked Sendable {
    let dir: URL
    let store: ArtifactStore
    let registry = KindRegistry([CommandKind(), ScoreKind(), IndicatorsKind(), ArtifactFileKind(name: "fixture.split", output: "split", type: "split"),
                                 ArtifactFileKind(name: "fixture.scores", output: "scores", type: "token_scores")])

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-phase2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func url(_ name: String) -> URL { dir.appendingPathComponent(name) }

    /// Writes a split artifact file and returns its path.
    func writeSplit(_ split: Split, name: String = "split.h5") throws -> String {
        let url = url(name)
        try? FileManager.default.removeItem(at: url)
        try ArtifactFile.write(split.artifact(), to: url)
        return url.path
    }

    @discardableResult
    func write(_ yaml: String, name: String = "exp.yaml") throws -> String {
        let url = url(name)
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func run(_ path: String, workers: Int = 1, batchSize: Int = 1) async throws -> RunSummary {
        let graph = try registry.load(path: path)
        let executor = LocalExecutor(graph: graph, registry: registry, store: store,
                                     options: .init(jobs: 2, settings: RunSettings(workers: workers, batchSize: batchSize)), board: nil)
        return await executor.run()
    }

    /// The artifact a node produced in a summary.
    func output(_ summary: RunSummary, node: String, _ name: String) throws -> Artifact {
        guard let report = summary.nodes.first(where: { $0.id == node }), let hex = report.outputs[name],
              let digest = Digest(hex: hex) else {
            throw NodeError("node '\(node)' has no output '\(name)' (\(summary.nodes.first { $0.id == node }?.reason ?? "not run"))")
        }
        return try ArtifactFile.read(from: store.objectURL(digest))
    }

    func report(_ summary: RunSummary, _ node: String) -> NodeReport? { summary.nodes.first { $0.id == node } }

    /// Lines of a log file (empty when absent).
    func lines(_ name: String) -> [String] {
        guard let text = try? String(contentsOf: url(name), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let fakeWorker = directory.appendingPathComponent("fake_worker.py").path

    /// A split of `count` items alternating member / non-member, audio paths that need not exist.
    static func split(count: Int, prefix: String = "utt") -> Split {
        Split(items: (0..<count).map { i in
            Split.Item(id: String(format: "\(prefix)-%03d", i), label: i % 2 == 0 ? 1 : 0, dataset: "fake",
                       audioPath: "/nonexistent/\(prefix)-\(i).wav", audioSHA256: String(repeating: "0", count: 64),
                       text: "text \(i)", speaker: "s\(i % 3)", duration: 1, sampleRate: 16000, channels: 1, bitDepth: 16,
                       format: "wav", fileSize: 0)
        })
    }

    /// A score experiment over the fake worker; `flags` are extra worker arguments.
    static func fakeExperiment(splitPath: String, flags: [String], params: String = "") -> String {
        let argv = (["python3", fakeWorker] + flags).map { "\"\($0)\"" }.joined(separator: ", ")
        return """
        experiment: fake
        nodes:
          split: {kind: fixture.split, params: {path: "\(splitPath)"}}
          scores:
            kind: score
            inputs: {split: split}
            params: {scorer: {command: [\(argv)]}\(params.isEmpty ? "" : ", " + params)}
        """
    }
}
