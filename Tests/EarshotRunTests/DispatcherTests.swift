import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation
import Synchronization
import Testing

/// The scheduler with dispatchers defined here, outside `EarshotRun`, through the public protocol only.
@Suite struct DispatcherTests {
    static let chain = """
    experiment: d
    nodes:
      c1: {kind: const, params: {value: [1, 2]}}
      c2: {kind: const, params: {value: 3}}
      s1: {kind: scale, inputs: {x: c1}, params: {factor: 10}}
      s2: {kind: scale, inputs: {x: c2}}
      total: {kind: sum, inputs: {terms: [s1, s2]}}
    """

    @Test func anExecutorDefinedOutsideRunsARealExperiment() async throws {
        let box = try KindSandbox(prefix: "dispatch")
        let graph = try box.registry.load(path: try box.write(Self.chain))
        let recorder = RecordingDispatcher()
        let run = RunContext(graph: graph, registry: box.registry, store: box.store, options: RunOptions(jobs: 2), board: nil)
        let summary = await Scheduler(run, dispatcher: recorder).execute()
        #expect(summary.succeeded && summary.ran == 5)
        #expect(recorder.dispatched.sorted() == ["c1", "c2", "s1", "s2", "total"])
        #expect(recorder.finished == 1)
        #expect(recorder.maxInFlight <= 2)
        // Every dispatch came with the key the store now holds, and the sum is what the kinds compute.
        for report in summary.nodes { #expect(try box.store.action(for: try #require(report.key.flatMap(Digest.init(hex:)))) != nil) }
        // A second run is all hits: nothing is dispatched.
        let again = await Scheduler(run, dispatcher: recorder).execute()
        #expect(again.cached == 5 && recorder.dispatched.count == 5)
        // The miss reason travels with the job.
        #expect(recorder.reasons["c1"] == .neverRun(experiment: "d"))
    }

    @Test func aFailedDispatchSkipsOnlyItsDownstreamWithKeepGoing() async throws {
        let box = try KindSandbox(prefix: "dispatch")
        let graph = try box.registry.load(path: try box.write(Self.chain))
        let run = RunContext(graph: graph, registry: box.registry, store: box.store, options: RunOptions(jobs: 1, keepGoing: true), board: nil)
        let summary = await Scheduler(run, dispatcher: RecordingDispatcher(failing: "s1")).execute()
        #expect(summary.nodes.first { $0.id == "s1" }?.reason == "refused by the test dispatcher")
        #expect(summary.nodes.first { $0.id == "total" }?.reason == "upstream 's1' failed")
        #expect(Set(summary.nodes.filter { $0.status == .ran }.map(\.id)) == ["c1", "c2", "s2"])
    }

    @Test func runActsOnACorruptObjectThatThePlanOnlyReported() async throws {
        let box = try KindSandbox(prefix: "dispatch")
        let first = try await box.run(Self.chain)
        let object = box.store.objectURL(try #require(first.nodes.first { $0.id == "s2" }?.outputs["value"].flatMap(Digest.init(hex:))))
        try Data("garbage".utf8).write(to: object)
        let before = try TreeDigest.of(box.store.root)
        let plan = try await box.plan(Self.chain)
        #expect(plan.entries.first { $0.id == "s2" }?.reason.contains("failed verification") == true)
        #expect(try TreeDigest.of(box.store.root) == before)
        let rerun = try await box.run(Self.chain)
        #expect(rerun.nodes.first { $0.id == "s2" }?.status == .ran)
        #expect(box.store.verifyObject(try #require(Digest(hex: object.deletingPathExtension().lastPathComponent))) == .ok)
        let quarantined = box.store.root.appendingPathComponent("quarantine/\(object.lastPathComponent)")
        #expect(FileManager.default.fileExists(atPath: quarantined.path))
    }
}

/// Records every job it is handed, then computes it with the in-process dispatcher (or refuses one node).
final class RecordingDispatcher: NodeDispatcher {
    private struct State {
        var dispatched: [String] = []
        var reasons: [String: MissReason] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var finished = 0
    }
    private let state = Mutex(State())
    let failing: String?

    init(failing: String? = nil) { self.failing = failing }

    var dispatched: [String] { state.withLock { $0.dispatched } }
    var reasons: [String: MissReason] { state.withLock { $0.reasons } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var finished: Int { state.withLock { $0.finished } }

    func dispatch(_ job: NodeJob, in run: RunContext) async -> DispatchResult {
        state.withLock {
            $0.dispatched.append(job.node.id)
            $0.reasons[job.node.id] = job.reason
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if job.node.id == failing { return DispatchResult(.failed("refused by the test dispatcher")) }
        return await InProcessDispatcher().dispatch(job, in: run)
    }

    func finish(_ run: RunContext) async { state.withLock { $0.finished += 1 } }
}
