import EarshotData
import EarshotGraph
import EarshotLearn
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `fixture`: emits the artifact registered under its `name` param (hand-made splits, scores, features).
struct FixtureKind: NodeKind {
    let artifacts: [String: Artifact]

    var signature: KindSignature {
        KindSignature(name: "fixture", version: 1, summary: "a hand-made artifact",
                      outputs: [OutputSignature("value", type: "any", "the artifact named by 'name'")],
                      params: [ParamSignature("name", .string, "which artifact")])
    }

    func run(_ context: NodeContext) async throws -> [String: Artifact] {
        guard let name = context.string("name"), let a = artifacts[name] else {
            throw NodeError("no fixture '\(context.string("name") ?? "")'")
        }
        return ["value": a]
    }
}

/// A temporary folder with an experiment file and a store, running Phase 1 kinds plus `fixture`.
final class Phase1Sandbox {
    let dir: URL
    let store: ArtifactStore
    /// Artifacts the `fixture` kind serves, by name.
    var fixtures: [String: Artifact]
    private(set) var summary: RunSummary?

    init(fixtures: [String: Artifact] = [:]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-phase1-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        self.fixtures = fixtures
    }

    var registry: KindRegistry {
        KindRegistry([CommandKind(), SynthCorpusKind(), FixtureKind(artifacts: fixtures)] + Phase1Kinds.all())
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Writes `yaml` as the experiment and runs it (`--keep-going`: a failing node does not cancel the others).
    @discardableResult
    func run(_ yaml: String) async throws -> RunSummary {
        let url = dir.appendingPathComponent("exp.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        let registry = self.registry
        let graph = try registry.load(path: url.path)
        let result = await LocalExecutor(graph: graph, registry: registry, store: store,
                                         options: .init(jobs: 2, keepGoing: true), board: nil).run()
        summary = result
        return result
    }

    /// The artifact a node produced under `output`.
    func artifact(_ node: String, _ output: String) throws -> Artifact {
        guard let report = summary?.nodes.first(where: { $0.id == node }), let hex = report.outputs[output],
              let digest = Digest(hex: hex) else {
            throw NodeError("node '\(node)' produced no '\(output)': \(summary?.nodes.first { $0.id == node }?.reason ?? "not run")")
        }
        return try ArtifactFile.read(from: store.objectURL(digest))
    }

    /// Why a node failed (nil when it did not).
    func failure(_ node: String) -> String? {
        summary?.nodes.first { $0.id == node && $0.status == .failed }?.reason
    }

    /// A scratch file path inside the sandbox.
    func file(_ name: String) -> URL { dir.appendingPathComponent(name) }
}

/// Hand-made split items.
enum ToySplit {
    static func item(_ id: String, label: Int, dataset: String = "toy", text: String = "hello world",
                     duration: Double = 1, fileSize: Int? = nil, sampleRate: Int = 16_000, format: String = "WAV",
                     audioPath: String = "/nonexistent.wav") -> Split.Item {
        Split.Item(id: id, label: label, dataset: dataset, audioPath: audioPath, audioSHA256: "", text: text,
                   speaker: "s", duration: duration, sampleRate: sampleRate, channels: 1, bitDepth: 16, format: format,
                   fileSize: fileSize ?? Int(duration * Double(sampleRate) * 2) + 44)
    }

    /// `perClass` members and non-members whose durations are uniform on `memberRange` / `nonMemberRange`.
    static func durations(perClass: Int, memberRange: ClosedRange<Double>, nonMemberRange: ClosedRange<Double>,
                          seed: UInt64, dataset: String = "toy", prefix: String = "u") -> Split {
        var generator = SplitMix64(seed: seed)
        var items: [Split.Item] = []
        for i in 0..<(2 * perClass) {
            let member = i % 2 == 0
            let range = member ? memberRange : nonMemberRange
            let duration = range.lowerBound + generator.nextUnitDouble() * (range.upperBound - range.lowerBound)
            items.append(item("\(prefix)\(i)", label: member ? 1 : 0, dataset: dataset, duration: duration))
        }
        return Split(items: items)
    }
}

extension RunSummary {
    func node(_ id: String) -> NodeReport? { nodes.first { $0.id == id } }
}
