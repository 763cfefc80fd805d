import EarshotNodes
import EarshotRun
import Foundation
import Testing

/// Cancelling a run while `resynthesize`'s `command` condition waits on its program: the blocking pipe I/O runs on
/// its own thread, where `Task.isCancelled` is always false, so the cancellation must reach it another way.
@Suite struct ResynthesizeCancellationTests {
    /// The program takes item1 and never answers (the per-item timeout is 600 s). Before the fix the run waited
    /// out that timeout; now cancelling kills the program and the node ends as cancelled. The time limit is the
    /// guard against the old behaviour (a hang), not a measurement.
    @Test(.timeLimit(.minutes(5))) func cancellingStopsAProgramBusyOnAnItem() async throws {
        let sandbox = try ResynthesizeTests.sandbox()
        let busy = sandbox.dir.appendingPathComponent("busy-on-item1")
        let yaml = ResynthesizeTests.experiment("condition: command, realizations: 1, timeout: 600, "
            + "command: [python3, '\(ResynthesizeTests.fakeSynthesizer)', --hang-on, item1, --started, '\(busy.path)']")
        let registry = sandbox.registry
        let graph = try registry.load(path: try sandbox.write(yaml))
        let executor = LocalExecutor(graph: graph, registry: registry, store: sandbox.store, options: .init(jobs: 2), board: nil)
        let run = Task { await executor.run() }
        // The event: the program has item1 and will not answer it.
        while !FileManager.default.fileExists(atPath: busy.path) { try await Task.sleep(for: .milliseconds(20)) }
        let cancelled = ContinuousClock.now
        run.cancel()
        let summary = await run.value
        let waited = ContinuousClock.now - cancelled
        let node = try #require(summary.nodes.first { $0.id == "resynth" })
        #expect(node.status == .cancelled, "\(node.status) \(node.reason ?? ""); stopped \(waited) after the cancellation")
        #expect(summary.nodes.first { $0.id == "split" }?.status == .ran)
        // Promptly (typically well under a second or two); the bound is loose for loaded machines, and far below
        // the 600 s item timeout the old code waited out.
        #expect(waited < .seconds(60), "stopped \(waited) after the cancellation")
    }
}
