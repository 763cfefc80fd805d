import EarshotData
import EarshotGraph
import EarshotLearn
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
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

/// A `KindSandbox` running Phase 1 kinds (and `command`, `synth_corpus`) plus `fixture`.
final class Phase1Sandbox: KindSandbox {
    /// Artifacts the `fixture` kind serves, by name.
    var fixtures: [String: Artifact]

    init(fixtures: [String: Artifact] = [:]) throws {
        self.fixtures = fixtures
        try super.init(prefix: "phase1")
    }

    override var registry: KindRegistry {
        KindRegistry([CommandKind(), SynthCorpusKind(), FixtureKind(artifacts: fixtures)] + Phase1Kinds.all())
    }
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
