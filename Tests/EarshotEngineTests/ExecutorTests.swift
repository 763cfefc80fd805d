import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation
import Testing

@Suite struct ExecutorTests {
    @Test func secondRunExecutesNothing() async throws {
        let box = try Sandbox()
        let path = try box.write(twentyNodeExperiment())
        let first = try await box.run(path)
        #expect(first.ran == 20 && first.cached == 0 && first.succeeded)
        let second = try await box.run(path)
        #expect(second.ran == 0)
        #expect(second.cached == 20)
        #expect(second.nodes.map(\.outputs) == first.nodes.map(\.outputs))
        let t3 = try ArtifactFile.read(from: box.store.objectURL(Digest(hex: second.node("t3")!.outputs["value"]!)!))
        // t2 = Σ_i (i+2)·[i, i+1] = [Σ i(i+2), Σ (i+1)(i+2)] for i in 0..<8; t3 = 2·t2.
        var first0 = 0, first1 = 0
        for i in 0..<8 {
            first0 += i * (i + 2)
            first1 += (i + 1) * (i + 2)
        }
        let expected: [Double] = [Double(2 * first0), Double(2 * first1)]
        #expect(try t3.doubleColumn("values") == expected)
    }

    @Test func overrideRerunsExactlyTheNodeAndItsDependents() async throws {
        let box = try Sandbox()
        let path = try box.write(twentyNodeExperiment())
        _ = try await box.run(path)
        let plan = try await box.plan(path, ["s1.factor=10"])
        #expect(plan.entries.filter { $0.status == .run }.map(\.id) == ["s1"])
        #expect(plan.entries.filter { $0.status == .wait }.map(\.id) == ["t0", "t2", "t3"])
        #expect(plan.entries.first { $0.id == "s1" }?.reason == "param 'factor' changed: 3.0 → 10.0")
        #expect(plan.explain("t2").contains("    param 'factor' changed: 3.0 → 10.0"))
        let rerun = try await box.run(path, ["s1.factor=10"])
        #expect(Set(rerun.ids(.ran)) == ["s1", "t0", "t2", "t3"])
        #expect(rerun.cached == 16)
        // Going back to the old value is a cache hit everywhere.
        #expect(try await box.run(path).ran == 0)
    }

    @Test func earlyCutoffStopsAtIdenticalContent() async throws {
        let box = try Sandbox()
        // A param change that does not change the output: 'value' given as int then as the same double.
        let path = try box.write("""
        experiment: cutoff
        nodes:
          a: {kind: slow, params: {ms: 1, value: 3}}
          b: {kind: scale, inputs: {x: a}}
        """)
        _ = try await box.run(path)
        let again = try await box.run(path, ["a.ms=2"])
        #expect(again.ids(.ran) == ["a"])
        #expect(again.ids(.cached) == ["b"])
    }

    @Test func objectsAreNamedByTheirHashAndCorruptionIsRecomputed() async throws {
        let box = try Sandbox()
        let path = try box.write(twentyNodeExperiment())
        let first = try await box.run(path)
        let objects = box.store.allObjects()
        #expect(objects.count == 20)
        for (digest, _, url) in objects { #expect(try SHA256.hash(fileAt: url) == digest) }
        // Flip one byte of s3's output.
        let victim = Digest(hex: first.node("s3")!.outputs["value"]!)!
        let url = box.store.objectURL(victim)
        chmod(url.path, 0o644)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: url)
        let report = StoreMaintenance(store: box.store).verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains(victim.hex) == true)
        // A fresh store handle (a new process) re-hashes before trusting, and recomputes s3 only:
        // its bytes come out the same, so nothing downstream re-runs.
        let fresh = LocalExecutor(graph: try box.graph(path), registry: box.registry, store: try ArtifactStore(root: box.store.root))
        let rerun = await fresh.run()
        #expect(rerun.ids(.ran) == ["s3"])
        #expect(rerun.node("s3")?.reason?.contains("failed verification") == true)
        #expect(rerun.node("s3")?.outputs == first.node("s3")?.outputs)
        #expect(StoreMaintenance(store: box.store).verify().problems.isEmpty)
    }

    @Test func independentNodesOverlapWithTwoJobs() async throws {
        let box = try Sandbox()
        let group = "overlap-\(UUID().uuidString)"
        let path = try box.write("""
        experiment: overlap
        nodes:
          left: {kind: rendezvous, params: {group: \(group), timeout_ms: 20000}}
          right: {kind: rendezvous, params: {group: \(group), timeout_ms: 20001}}
        """)
        // Distinct keys: two nodes with one key are computed once (the second waits on the key's lock).
        let summary = try await box.run(path, jobs: 2)
        #expect(summary.ids(.ran).sorted() == ["left", "right"], "both nodes waited for each other, so they ran at the same time")
    }

    @Test func oneJobNeverOverlaps() async throws {
        let box = try Sandbox()
        let tag = UUID().uuidString.prefix(6)
        let path = try box.write("""
        experiment: serial
        nodes:
          a\(tag): {kind: slow, params: {ms: 30}}
          b\(tag): {kind: slow, params: {ms: 30, value: 2}}
          c\(tag): {kind: slow, params: {ms: 30, value: 3}}
        """)
        let summary = try await box.run(path, jobs: 1)
        #expect(summary.ran == 3)
        #expect(ExecutionLog.shared.maxConcurrency(of: ["a\(tag)", "b\(tag)", "c\(tag)"]) == 1)
    }

    @Test func firstFailureCancelsTheRestAndCachesNothingOfIt() async throws {
        let box = try Sandbox()
        let tag = UUID().uuidString.prefix(6)
        let path = try box.write("""
        experiment: failing
        nodes:
          bad: {kind: fail, params: {message: "the input 'x.wav' is corrupt"}}
          long\(tag): {kind: slow, params: {ms: 120000}}
          after: {kind: scale, inputs: {x: bad}}
        """)
        // `long` sleeps two minutes: only the cancellation that follows `bad`'s failure ends it in time, however
        // loaded the machine is (with 5 s, a starved scheduler once let it finish first).
        let summary = try await box.run(path, jobs: 2)
        #expect(summary.ids(.failed) == ["bad"])
        #expect(summary.node("bad")?.reason == "the input 'x.wav' is corrupt")
        #expect(Set(summary.ids(.cancelled)) == ["long\(tag)", "after"])
        #expect(box.store.allActions().isEmpty)
        #expect(box.store.allObjects().isEmpty)
    }

    @Test func keepGoingRunsWhatDoesNotDependOnTheFailure() async throws {
        let box = try Sandbox()
        let path = try box.write("""
        experiment: keepgoing
        nodes:
          bad: {kind: fail}
          after: {kind: scale, inputs: {x: bad}}
          fine: {kind: const, params: {value: 4}}
          fine2: {kind: scale, inputs: {x: fine}}
        """)
        let summary = try await box.run(path, jobs: 1, keepGoing: true)
        #expect(summary.ids(.failed) == ["bad"])
        #expect(summary.ids(.cancelled) == ["after"])
        #expect(summary.node("after")?.reason == "upstream 'bad' failed")
        #expect(Set(summary.ids(.ran)) == ["fine", "fine2"])
    }

    @Test func cancellingTheRunLeavesNoPartialArtifacts() async throws {
        let box = try Sandbox()
        let tag = UUID().uuidString.prefix(6)
        let path = try box.write("""
        experiment: interrupted
        nodes:
          quick: {kind: const}
          sleepy\(tag): {kind: slow, inputs: {after: [quick]}, params: {ms: 120000}}
        """)
        let executor = LocalExecutor(graph: try box.graph(path), registry: box.registry, store: box.store, options: .init(jobs: 2))
        let task = Task { await executor.run() }
        while ExecutionLog.shared.starts(of: "sleepy\(tag)") == 0 { try await Task.sleep(nanoseconds: 2_000_000) }
        task.cancel()
        let summary = await task.value
        #expect(summary.node("quick")?.status == .ran)
        #expect(summary.node("sleepy\(tag)")?.status == .cancelled)
        #expect(box.store.allActions().map(\.node) == ["quick"])
        #expect(StoreMaintenance(store: box.store).verify().problems.isEmpty)
        let resumed = try await box.run(path, ["sleepy\(tag).ms=1"])
        #expect(resumed.ids(.cached) == ["quick"])
    }

    @Test func seedEntersKeysOfSeededKindsOnly() throws {
        let box = try Sandbox()
        let path = try box.write("experiment: s\nseed: 1\nnodes:\n  a: {kind: const}\n")
        let g1 = try box.graph(path)
        let k1 = KeyResolver.keyInputs(for: g1.nodes[0], seed: 1, upstream: [:], extras: KeyExtras())
        let k2 = KeyResolver.keyInputs(for: g1.nodes[0], seed: 2, upstream: [:], extras: KeyExtras())
        #expect(try k1.key() == k2.key(), "const is not seeded")
        #expect(k1.seed == nil)
    }
}

@Suite struct GraphTests {
    @Test func cyclesAreReportedWithTheirPath() throws {
        let box = try Sandbox()
        let path = try box.write("""
        experiment: cyc
        nodes:
          a: {kind: scale, inputs: {x: c}}
          b: {kind: scale, inputs: {x: a}}
          c: {kind: scale, inputs: {x: b}}
          d: {kind: const}
        """)
        do {
            _ = try box.graph(path)
            Issue.record("a cycle must be an error")
        } catch let e as SpecError {
            #expect(e.message == "dependency cycle: a → b → c → a; a node cannot depend on its own output")
            #expect(e.location?.line == 3)
        }
    }

    @Test func wavesAndTopologicalOrder() throws {
        let box = try Sandbox()
        let g = try box.graph(try box.write(twentyNodeExperiment()))
        #expect(g.waves.count == 5)
        #expect(g.waves[0].map { g.nodes[$0].id } == (0..<8).map { "c\($0)" })
        for (i, deps) in g.dependencies.enumerated() { #expect(deps.allSatisfy { $0 < i }) }
    }

    @Test func keysAreStableAcrossProcessesAndIgnoreParamOrder() throws {
        let a = KeyInputs(kind: "k", version: 1, params: ["x": .int(1), "y": .array([.double(0.5)])], inputs: ["in": [SHA256.hash("a")]])
        let b = KeyInputs(kind: "k", version: 1, params: ["y": .array([.double(0.5)]), "x": .int(1)], inputs: ["in": [SHA256.hash("a")]])
        #expect(try a.key() == b.key())
        // A fixed expectation: if this changes, every cache in the world is invalidated — bump deliberately.
        #expect(try a.canonical() == #"{"external":{},"files":{},"inputs":{"in":["ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"]},"kind":"k","params":{"x":1,"y":[0.5]},"version":1}"#)
        #expect(try a.key().hex == SHA256.hash(KeyInputs.domain + a.canonical()).hex)
    }

    @Test func differencesNameEveryChangedField() throws {
        let old = KeyInputs(kind: "k", version: 1, params: ["n_mfcc": .int(20), "gone": .bool(true)], inputs: ["split": [SHA256.hash("a")]],
                            files: ["file.0": SHA256.hash("f")], seed: 1)
        let new = KeyInputs(kind: "k", version: 2, params: ["n_mfcc": .int(13), "fresh": .string("x")], inputs: ["split": [SHA256.hash("b")]],
                            files: ["file.0": SHA256.hash("g")], seed: 2)
        let diffs = new.differences(from: try KeyInputs.decode(old.canonical()), sources: ["split": ["load.split"]])
        #expect(diffs.contains("kind 'k' version changed: 1 → 2"))
        #expect(diffs.contains("param 'n_mfcc' changed: 20 → 13"))
        #expect(diffs.contains("param 'fresh' added: 'x'"))
        #expect(diffs.contains("param 'gone' removed (was true)"))
        #expect(diffs.contains { $0.hasPrefix("input 'split' (from load.split) content changed: ") })
        #expect(diffs.contains { $0.hasPrefix("file 'file.0' content changed") })
        #expect(diffs.contains("seed changed: 1 → 2"))
    }
}
