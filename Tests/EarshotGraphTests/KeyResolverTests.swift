import EarshotGraph
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation
import Testing

/// The key resolver and the plan on their own: hand-made records in a temporary store, no executor.
@Suite struct KeyResolverTests {
    @Test func recordedResultIsAHit() async throws {
        let box = try GraphBox()
        let graph = try box.graph(label: "plain")
        try await box.record(graph, "a")
        let resolution = try await box.resolver(graph).resolve(graph.nodes[0], upstream: [:])
        guard case .hit(let resolved, let record) = resolution else { Issue.record("expected a hit, got \(resolution)"); return }
        #expect(record.key == resolved.key)
    }

    @Test func paramValueHoldingSemicolonIsExplainedIntact() async throws {
        let box = try GraphBox()
        let first = try box.graph(label: "plain")
        try await box.record(first, "a")
        let plan = try await Plan.make(graph: try box.graph(label: "x; y"), store: box.store, extras: NoExtras())
        #expect(plan.explain("a") == ["'a' will run:", "  param 'label' changed: 'plain' → 'x; y'"])
        #expect(plan.explain("b") == ["'b' waits for upstream nodes that will run; it re-runs only if their outputs change:",
                                      "  'a' runs because:", "    param 'label' changed: 'plain' → 'x; y'"])
        #expect(plan.entries[0].reasons == ["param 'label' changed: 'plain' → 'x; y'"])
    }

    @Test func corruptObjectIsReportedAndLeftInPlace() async throws {
        let box = try GraphBox()
        let graph = try box.graph(label: "plain")
        let record = try await box.record(graph, "a")
        let object = box.store.objectURL(record.outputs["value"]!.object)
        try Data("not the bytes it was named after".utf8).write(to: object)
        let before = try TreeDigest.of(box.store.root)
        let resolution = try await box.resolver(graph).resolve(graph.nodes[0], upstream: [:])
        guard case .miss(_, .objectCorrupt(let what, let digest, _, _)) = resolution else {
            Issue.record("expected a corrupt-object miss, got \(resolution)"); return
        }
        #expect(what == "output 'value'" && digest == record.outputs["value"]!.object)
        let plan = try await Plan.make(graph: graph, store: box.store, extras: NoExtras())
        #expect(plan.entries[0].status == .run)
        #expect(plan.explain("a")[1].contains("failed verification"))
        #expect(try TreeDigest.of(box.store.root) == before, "resolving and planning must not change the store")
        #expect(FileManager.default.fileExists(atPath: object.path))
    }

    @Test func aRecordNamingAnotherKeysObjectIsAMissReportedNotRemoved() async throws {
        let box = try GraphBox()
        let graph = try box.graph(label: "plain")
        var record = try await box.record(graph, "a")
        // A sound object, but produced for another key: the record points at someone else's result.
        let foreign = Artifact(attributes: [Artifact.Provenance.key: .string(SHA256.hash("another key").hex)])
        let object = try box.store.putObject(ext: "h5") { try ArtifactFile.write(foreign, to: $0) }
        record.outputs["value"]?.object = object
        try box.store.record(record)
        let before = try TreeDigest.of(box.store.root)
        let resolution = try await box.resolver(graph).resolve(graph.nodes[0], upstream: [:])
        guard case .miss(_, let reason) = resolution, case .misdirectedRecord(let problem) = reason else {
            Issue.record("expected a misdirected-record miss, got \(resolution)"); return
        }
        #expect(problem.object == object)
        #expect(reason.summary.contains("was produced for key \(SHA256.hash("another key").hex.prefix(12))"), "\(reason.summary)")
        #expect(try TreeDigest.of(box.store.root) == before, "resolving must not change the store (the executor drops the record)")
    }

    @Test func unreadableRecordIsReportedNotRemoved() async throws {
        let box = try GraphBox()
        let graph = try box.graph(label: "plain")
        let record = try await box.record(graph, "a")
        let hex = record.key.hex
        let url = box.store.root.appendingPathComponent("actions/\(hex.prefix(2))/\(hex).json")
        try Data("{".utf8).write(to: url)
        let resolution = try await box.resolver(graph).resolve(graph.nodes[0], upstream: [:])
        guard case .miss(_, .unreadableRecord(let message)) = resolution else { Issue.record("got \(resolution)"); return }
        #expect(message.contains("corrupt action record"))
        #expect(FileManager.default.fileExists(atPath: url.path))
    }

    @Test func unknownIdentityHasNoKeyAndItsDependentsWait() async throws {
        let box = try GraphBox()
        let plan = try await Plan.make(graph: try box.graph(label: "plain"), store: box.store, extras: UnknownWhenPlanning())
        #expect(plan.entries.map(\.status) == [.run, .wait])
        #expect(plan.entries[0].key == nil)
        #expect(plan.entries[0].reasons == ["key not known until it runs: the identity of program p"])
        let resolver = KeyResolver(graph: try box.graph(label: "plain"), store: box.store, extras: UnknownWhenPlanning(), purpose: .run)
        let resolution = try await resolver.resolve(resolver.graph.nodes[0], upstream: [:])
        #expect(resolution.resolved?.keyInputs.external["program"] == .string("p/1"))
    }

    @Test func missReasonsSpellOutEveryCase() {
        let d = SHA256.hash("x")
        #expect(MissReason.neverRun(experiment: "e").lines == ["never run in experiment 'e'"])
        #expect(MissReason.changed([]).lines == ["key changed"])
        #expect(MissReason.changed(["a; b", "c"]).lines == ["a; b", "c"])
        #expect(MissReason.objectMissing(what: "output 'v'", object: d).summary == "output 'v' object \(d.hex.prefix(12)) is missing from the store")
    }
}

/// No files or identities beyond params and inputs.
struct NoExtras: KeyExtrasProvider {
    func keyExtras(for node: ValidatedNode, graph: ExperimentGraph, purpose: KeyPurpose) async throws -> KeyExtras { KeyExtras() }
}

/// An identity that only a run can learn (as a scoring worker's model).
struct UnknownWhenPlanning: KeyExtrasProvider {
    func keyExtras(for node: ValidatedNode, graph: ExperimentGraph, purpose: KeyPurpose) async throws -> KeyExtras {
        guard node.signature.name == "label" else { return KeyExtras() }
        switch purpose {
        case .plan: return KeyExtras(unknown: ["the identity of program p"])
        case .run: return KeyExtras(external: ["program": .string("p/1")])
        }
    }
}

/// A temporary folder with a store and a two-node experiment `a` (kind `label`) → `b` (kind `copy`).
final class GraphBox {
    let dir: URL
    let store: ArtifactStore
    static let kinds = [
        KindSignature(name: "label", version: 1, summary: "a labelled value", outputs: [OutputSignature("value", type: "vector", "the value")],
                      params: [ParamSignature("label", .string, default: .string(""), "any text")]),
        KindSignature(name: "copy", version: 1, summary: "a copy", inputs: [InputSignature("x", "a value")],
                      outputs: [OutputSignature("value", type: "vector", "the copy")]),
    ]

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try ArtifactStore(root: dir.appendingPathComponent("store"))
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func graph(label: String) throws -> ExperimentGraph {
        let url = dir.appendingPathComponent("exp.yaml")
        let quoted = "'" + label.replacingOccurrences(of: "'", with: "''") + "'"
        try "experiment: g\nnodes:\n  a: {kind: label, params: {label: \(quoted)}}\n  b: {kind: copy, inputs: {x: a}}\n"
            .write(to: url, atomically: true, encoding: .utf8)
        let spec = try SpecReader().read(path: url.path)
        return try ExperimentGraph(spec: spec, nodes: try SpecValidator(kinds: Self.kinds).validate(spec))
    }

    func resolver(_ graph: ExperimentGraph) -> KeyResolver {
        KeyResolver(graph: graph, store: store, extras: NoExtras(), purpose: .plan)
    }

    /// Records a result for node `id` (whose upstream nodes have none) as an executor would.
    @discardableResult
    func record(_ graph: ExperimentGraph, _ id: String) async throws -> ActionRecord {
        let node = try #require(graph.node(id))
        let resolution = try await resolver(graph).resolve(node, upstream: [:])
        let resolved = try #require(resolution.resolved)
        // An HDF5 artifact carrying the key it was produced for, as the executor writes it (the resolver checks it).
        let artifact = Artifact(attributes: [Artifact.Provenance.key: .string(resolved.key.hex), "value": .string("value of \(id)")])
        let object = try store.putObject(ext: "h5") { try ArtifactFile.write(artifact, to: $0) }
        let record = ActionRecord(key: resolved.key, experiment: graph.experiment, node: id, kind: node.signature.name,
                                  outputs: ["value": OutputObject(object: object, content: object, type: "vector", bytes: 10)],
                                  keyInputs: try resolved.keyInputs.canonical(), inputSources: [:], createdAt: Date(), seconds: 0.1,
                                  producer: "test")
        try store.record(record)
        try store.updateLatestKeys([id: resolved.key], experiment: graph.experiment)
        return record
    }
}
