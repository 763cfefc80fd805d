import EarshotData
import EarshotGraph
@testable import EarshotRun
import EarshotStore
import EarshotTestKinds
import Foundation
import Testing

/// `plan` and `why` on an experiment with a `score` worker node start no process and leave the store byte-identical;
/// the worker's identity comes from what a run remembered, and a changed model folder makes it unknown again.
@Suite struct PlanStartsNothingTests {
    @Test func planAndWhyStartNoWorkerAndLeaveTheStoreByteIdentical() async throws {
        let box = try Phase2Sandbox()
        let launches = box.url("launches.log")
        let model = box.url("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("weights".utf8).write(to: model.appendingPathComponent("weights.bin"))
        // The worker program records every launch, then runs the fake worker (its argument, the model folder, only
        // enters the identity fingerprint).
        let wrapper = box.url("worker.sh")
        try "#!/bin/sh\necho launched >> '\(launches.path)'\nexec python3 '\(Fixtures.fakeWorker)'\n".write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let path = try box.write("""
        experiment: quiet
        nodes:
          split: {kind: fixture.split, params: {path: "\(try box.writeSplit(Fixtures.split(count: 4)))"}}
          scores: {kind: score, inputs: {split: split}, params: {scorer: {command: ["\(wrapper.path)", "\(model.path)"]}}}
        """)
        let graph = try box.registry.load(path: path)
        let extras = RegistryKeyExtras(registry: box.registry, store: box.store)
        func planAndWhy() async throws -> (Plan, [String]) {
            let plan = try await Plan.make(graph: graph, store: box.store, extras: extras)
            return (plan, plan.explain("scores"))
        }

        // A fresh store: the split runs first, the score node waits for it; nothing starts.
        var before = try TreeDigest.of(box.store.root)
        var (plan, why) = try await planAndWhy()
        #expect(plan.entries.map(\.status) == [.run, .wait])
        #expect(box.lines("launches.log").isEmpty)
        #expect(try TreeDigest.of(box.store.root) == before)

        // With the split computed, the score node's key needs the worker's identity, which is not known yet, and
        // nothing starts to learn it.
        let split = await LocalExecutor(graph: graph, registry: box.registry, store: box.store).runNode("split")
        #expect(split.status == .ran)
        before = try TreeDigest.of(box.store.root)
        (plan, why) = try await planAndWhy()
        #expect(plan.entries.first { $0.id == "scores" }?.status == .run)
        #expect(plan.entries.first { $0.id == "scores" }?.key == nil)
        #expect(why.contains { $0.contains("key not known until it runs: the model identity of worker worker.sh") }, "\(why)")
        #expect(box.lines("launches.log").isEmpty)
        #expect(try TreeDigest.of(box.store.root) == before)

        // A run learns the identity (starting the worker) and remembers it.
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let started = box.lines("launches.log").count
        #expect(started >= 1)

        // A plan in a fresh process knows it from the store: cached, and still nothing starts or changes.
        IdentityCache.forgetInProcess()
        before = try TreeDigest.of(box.store.root)
        (plan, why) = try await planAndWhy()
        #expect(plan.entries.map(\.status) == [.cached, .cached])
        #expect(plan.entries.last?.key == summary.nodes.last?.key)
        #expect(why.first?.contains("is cached") == true)
        #expect(box.lines("launches.log").count == started)
        #expect(try TreeDigest.of(box.store.root) == before)

        // A corrupt object: reported, not quarantined; the store stays byte-identical.
        let object = box.store.objectURL(try #require(summary.nodes.last?.outputs["scores"].flatMap(Digest.init(hex:))))
        try Data("corrupt".utf8).write(to: object)
        before = try TreeDigest.of(box.store.root)
        (plan, why) = try await planAndWhy()
        #expect(plan.entries.last?.status == .run)
        #expect(why.contains { $0.contains("failed verification") }, "\(why)")
        #expect(box.lines("launches.log").count == started)
        #expect(try TreeDigest.of(box.store.root) == before)

        // A changed model folder makes the remembered identity stale: unknown again until a run refreshes it.
        try Data("new weights".utf8).write(to: model.appendingPathComponent("weights-2.bin"))
        (plan, why) = try await planAndWhy()
        #expect(plan.entries.last?.key == nil)
        #expect(why.contains { $0.contains("key not known until it runs") }, "\(why)")
        #expect(box.lines("launches.log").count == started)
        #expect(try TreeDigest.of(box.store.root) == before)
    }
}
