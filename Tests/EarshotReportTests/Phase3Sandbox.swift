import EarshotData
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
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

/// A `KindSandbox` running the Phase 3 kinds (and `command`) plus `fixture`.
final class Phase3Sandbox: KindSandbox {
    var fixtures: [String: Artifact]

    init(fixtures: [String: Artifact] = [:]) throws {
        self.fixtures = fixtures
        try super.init(prefix: "phase3")
    }

    override var registry: KindRegistry { KindRegistry([CommandKind(), FixtureKind(artifacts: fixtures)] + Phase3Kinds.all()) }
}
