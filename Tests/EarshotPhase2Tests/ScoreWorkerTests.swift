import EarshotData
@testable import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Testing

/// The `score` node driving the fake worker (`Fixtures/fake_worker.py`): pool, restarts, malformed
/// replies, timeouts, per-item errors, shards and resumption.
@Suite struct ScoreWorkerTests {
    @Test func scoresEveryItemInSplitOrderWithTwoWorkers() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 10)
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(split),
                                                         flags: ["--log", box.url("requests.log").path],
                                                         params: "shard_size: 3"))
        let summary = try await box.run(path, workers: 2)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let table = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        #expect(table.items.map(\.id) == split.items.map(\.id))
        #expect(table.labels == split.items.map(\.label))
        #expect(table.skipped.isEmpty)
        #expect(table.attributes["model_id"] == .string("fake-model/1"))
        #expect(Set(box.lines("requests.log")) == Set(split.items.map(\.id)))
        #expect(box.lines("requests.log").count == 10)
        // utt-000 has 1 + len("utt-000") % 5 = 3 tokens.
        #expect(table.items[0].tokens.count == 3)
        // The key holds the worker's identity and the script's hash.
        let key = try #require(box.report(summary, "scores")?.key.flatMap { Digest(hex: $0) })
        let record = try #require(try box.store.action(for: key))
        #expect(record.keyInputs.contains("\"model_id\":\"fake-model/1\""))
        #expect(record.keyInputs.contains(try SHA256.hash(fileAt: URL(fileURLWithPath: Fixtures.fakeWorker)).hex))
        // A second run is a cache hit and starts no scoring request.
        let again = try await box.run(path, workers: 2)
        #expect(again.ran == 0 && again.cached == 2)
        #expect(box.lines("requests.log").count == 10)
    }

    @Test func crashedWorkerIsRestartedAndContinues() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 8)
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(split), flags: [
            "--log", box.url("requests.log").path, "--crash-on", "utt-003", "--crash-once", box.url("crashed").path,
        ]))
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let table = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        #expect(table.items.map(\.id) == split.items.map(\.id))
        let log = box.lines("requests.log")
        #expect(log.filter { $0 == "utt-003" }.count == 2)
        #expect(log.count == 9)
    }

    @Test func workerThatKeepsCrashingFailsWithItsStderr() async throws {
        let box = try Phase2Sandbox()
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(Fixtures.split(count: 6)),
                                                         flags: ["--crash-on", "utt-002"]))
        let summary = try await box.run(path)
        let report = try #require(box.report(summary, "scores"))
        #expect(report.status == .failed)
        let reason = report.reason ?? ""
        #expect(reason.contains("exited with status 3 while scoring item 'utt-002'"))
        #expect(reason.contains("crashed 4 times (limit 3 restarts)"))
        #expect(reason.contains("fake worker: crashing on utt-002"))
        #expect(try box.store.action(for: try #require(report.key.flatMap { Digest(hex: $0) })) == nil)
    }

    @Test func malformedReplyFailsClearlyAndCachesNothing() async throws {
        let box = try Phase2Sandbox()
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(Fixtures.split(count: 6)),
                                                         flags: ["--malformed-on", "utt-004"], params: "shard_size: 2"))
        let summary = try await box.run(path)
        let report = try #require(box.report(summary, "scores"))
        #expect(report.status == .failed)
        #expect(report.reason?.contains("sent a malformed reply to item 'utt-004'") == true)
        #expect(report.reason?.contains("nothing from this item is kept") == true)
        let key = try #require(report.key.flatMap { Digest(hex: $0) })
        #expect(try box.store.action(for: key) == nil)
        // Finished shards (utt-000…003) may stay for a resumed run; the shard holding utt-004 was never written.
        let partial = box.store.partialResults(for: key)
        #expect(!partial.shards().contains(2))
        for shard in partial.shards() {
            let table = try TokenScores(artifact: try #require(partial.read(shard: shard)))
            #expect(!table.items.map(\.id).contains("utt-004"))
        }
    }

    @Test func hungItemTimesOutAndIsSkippedWhenAllowed() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 4)
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(split), flags: ["--hang-on", "utt-001"],
                                                         params: "timeout: 1, on_error: skip"))
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let table = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        #expect(table.items.map(\.id) == ["utt-000", "utt-002", "utt-003"])
        #expect(table.skipped.map(\.id) == ["utt-001"])
        #expect(table.skipped.first?.reason.contains("was not scored within 1.0 s") == true)
    }

    @Test func workerErrorFollowsOnError() async throws {
        let box = try Phase2Sandbox()
        let splitPath = try box.writeSplit(Fixtures.split(count: 5))
        let failing = try box.write(Fixtures.fakeExperiment(splitPath: splitPath, flags: ["--error-on", "utt-003"]), name: "fail.yaml")
        let failed = try await box.run(failing)
        let reason = box.report(failed, "scores")?.reason ?? ""
        #expect(reason.contains("item 'utt-003' could not be scored: worker error: cannot read audio for utt-003"))
        #expect(reason.contains("on_error: skip"))
        let skipping = try box.write(Fixtures.fakeExperiment(splitPath: splitPath, flags: ["--error-on", "utt-003"],
                                                             params: "on_error: skip"), name: "skip.yaml")
        let summary = try await box.run(skipping)
        let table = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        #expect(table.items.map(\.id) == ["utt-000", "utt-001", "utt-002", "utt-004"])
        #expect(table.skipped == [TokenScores.Skipped(id: "utt-003", reason: "worker error: cannot read audio for utt-003")])
    }

    @Test func killedRunResumesAndScoresOnlyUnfinishedItems() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 16)
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(split),
                                                         flags: ["--log", box.url("first.log").path, "--hold-on", "utt-007",
                                                                 "--hold-file", box.url("hold").path],
                                                         params: "shard_size: 2"))
        let registry = box.registry, store = box.store
        let graph = try registry.load(path: path)
        // The worker pauses on item 7 while the hold file exists: items 0–6 are answered, shards 0–2 persisted.
        FileManager.default.createFile(atPath: box.url("hold").path, contents: nil)
        let run = Task { await LocalExecutor(graph: graph, registry: registry, store: store).run() }
        // Cancel (as Ctrl-C does) once the held request reached the worker.
        let deadline = Date().addingTimeInterval(600)
        while box.lines("first.log").count < 8 && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        run.cancel()
        let first = await run.value
        #expect(box.report(first, "scores")?.status == .cancelled)
        let key = try #require(store.keysWithPartialResults().first)
        let partial = store.partialResults(for: key)
        let persisted = try partial.shards().flatMap { try TokenScores(artifact: try #require(partial.read(shard: $0))).items.map(\.id) }
        #expect(persisted.count == 6, "shards of items 0–5 are complete; item 6 waits in an unfinished shard")
        try FileManager.default.removeItem(at: box.url("hold"))
        #expect(try store.action(for: key) == nil)

        // Re-run with the same key (only the log file differs, and it is not a file the key reads): a fresh
        // log counts the requests of the second run.
        try FileManager.default.moveItem(at: box.url("first.log"), to: box.url("first.done.log"))
        try FileManager.default.createSymbolicLink(at: box.url("first.log"), withDestinationURL: box.url("second.log"))
        let second = try await box.run(path)
        #expect(second.succeeded, "\(second.nodes.map { $0.reason ?? "" })")
        let rescored = box.lines("second.log")
        #expect(rescored.count == 16 - persisted.count)
        #expect(Set(rescored).isDisjoint(with: persisted))
        let table = try TokenScores(artifact: try box.output(second, node: "scores", "scores"))
        #expect(table.items.map(\.id) == split.items.map(\.id))
        // The executor deletes the shards once the action is recorded; gc finds nothing left.
        #expect(store.keysWithPartialResults().isEmpty)
        #expect(StoreMaintenance(store: store).collectPartialResults(maxAge: 86_400).folders == 0)
    }

    @Test(.timeLimit(.minutes(10))) func cancellationKillsWorkers() async throws {
        let box = try Phase2Sandbox()
        let pool = WorkerPool(command: WorkerCommand(program: URL(fileURLWithPath: "/usr/bin/env"),
                                                     arguments: ["python3", Fixtures.fakeWorker, "--hang-on", "a", "--log", box.url("requests.log").path],
                                                     directory: box.dir),
                              options: WorkerPoolOptions(workers: 1, logDirectory: box.dir))
        let requests = [ScoreRequest(id: "a", audio: .path("/x.wav"), prompt: "", mode: .selfConditioned, maxNewTokens: 4)]
        let task = Task { try await pool.score(requests) { _, _ in } }
        // Cancel once the worker holds the request it will never answer (it logs each request it receives).
        while box.lines("requests.log").isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
        let t0 = Date()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The worker hangs forever; cancellation must not wait for it (SIGTERM, then SIGKILL after 2 s). The bound
        // is loose on purpose: waiting would never end, and a loaded machine once took 15.3 s.
        #expect(Date().timeIntervalSince(t0) < 300)
    }

    @Test func poolRunsTheRequestedNumberOfWorkersAndRecordsEachItemOnce() async throws {
        let box = try Phase2Sandbox()
        let pool = WorkerPool(command: WorkerCommand(program: URL(fileURLWithPath: "/usr/bin/env"),
                                                     arguments: ["python3", Fixtures.fakeWorker, "--delay", "0.02"], directory: box.dir),
                              options: WorkerPoolOptions(workers: 3, logDirectory: box.dir))
        let requests = (0..<30).map { ScoreRequest(id: "r\($0)", audio: .path("/x.wav"), prompt: "", mode: .selfConditioned, maxNewTokens: 4) }
        let seen = IndexedSlots<String>(count: requests.count)
        try await pool.score(requests) { index, outcome in
            guard case .scored(let item) = outcome else { throw NodeError("item \(index) failed") }
            seen[index] = item.id
        }
        #expect(seen.values == requests.map(\.id))
        #expect(pool.workersStarted == 3)
    }
}
