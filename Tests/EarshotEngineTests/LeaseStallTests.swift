import EarshotLearn
import EarshotStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13's concurrency case: a `score` node whose lease holder stalls (SIGSTOP) past the lease timeout, a second
/// run breaking the lease and computing the same node (writing, then removing, the same shard folder), and the
/// holder resuming mid-node. Both runs must succeed with the same result, in every one of 20 seeded trials.
@Suite(.serialized) struct LeaseStallTests {
    static let fakeWorker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EarshotPhase2Tests/Fixtures/fake_worker.py").path
    static let wavs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EarshotDataTests/Fixtures/bad")

    /// 24 items over the six fixture WAVs; a score node with 2-item shards over a fake worker that pauses on
    /// `utt-<hold>` while `hold` exists and logs every request it receives.
    static func write(in dir: URL, hold: Int) throws {
        var manifest = ""
        for i in 0..<24 {
            manifest += "{\"audio_filepath\": \"\(wavs.appendingPathComponent("good_\(i % 6).wav").path)\", \"id\": \"utt-\(String(format: "%02d", i))\", \"member\": \(i % 2), \"text\": \"t \(i)\"}\n"
        }
        try manifest.write(to: dir.appendingPathComponent("m.jsonl"), atomically: true, encoding: .utf8)
        let argv = ["python3", fakeWorker, "--log", dir.appendingPathComponent("requests.log").path, "--delay", "0.01",
                    "--hold-on", String(format: "utt-%02d", hold), "--hold-file", dir.appendingPathComponent("hold").path]
        try """
        experiment: stall
        seed: 3
        nodes:
          split:
            kind: load_split
            params: {source: {format: jsonl, path: \(dir.appendingPathComponent("m.jsonl").path)}, label_column: member, per_class: 12}
          scores:
            kind: score
            inputs: {split: split}
            params: {scorer: {command: [\(argv.map { "\"\($0)\"" }.joined(separator: ", "))]}, shard_size: 2}
        """.write(to: dir.appendingPathComponent("stall.yaml"), atomically: true, encoding: .utf8)
    }

    static func requests(_ dir: URL) -> [String] {
        ((try? String(contentsOf: dir.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits (polling a file the worker appends to: an event, not a duration) until `condition` holds or `process`
    /// ends; false if it ended first.
    static func wait(for process: Process, _ condition: () -> Bool) -> Bool {
        while !condition() {
            guard process.isRunning else { return condition() }
            usleep(5_000)
        }
        return true
    }

    @Test func aStalledLeaseHolderAndASecondRunOnAScoreNodeBothSucceedIn20SeededTrials() throws {
        var failures: [String] = []
        for trial in 0..<20 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-stall-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            var rng = SplitMix64(seed: UInt64(trial))
            let hold = 2 + Int(rng.next() % 18)          // the item the holder stalls at: shards before it are written
            let resumeEarly = rng.next() % 2 == 0         // resume while the second run scores, or after it finished
            try Self.write(in: dir, hold: hold)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("s"), withIntermediateDirectories: true)
            try "{\"lock_mode\": \"lease\", \"lease_timeout\": 1}".write(to: dir.appendingPathComponent("s/earshot-store.json"), atomically: true, encoding: .utf8)
            FileManager.default.createFile(atPath: dir.appendingPathComponent("hold").path, contents: nil)
            let args = ["run", "stall.yaml", "--store", "s", "--json", "--jobs", "2"]

            let first = try BackgroundEarshot(args, in: dir)
            // The holder's worker received the held item: the items before it are answered.
            guard Self.wait(for: first.process, { Self.requests(dir).count > hold }) else {
                failures.append("trial \(trial): the first run ended early: \(first.finish().stderr)")
                continue
            }
            kill(first.process.processIdentifier, SIGSTOP)   // the holder stalls: its lease heartbeat stops
            // Never leave a stopped process behind, whatever happens below.
            defer { if first.process.isRunning { kill(first.process.processIdentifier, SIGCONT) } }
            try FileManager.default.removeItem(at: dir.appendingPathComponent("hold"))
            let seen = Self.requests(dir).count
            let second = try BackgroundEarshot(args, in: dir)
            if resumeEarly {
                // The second run broke the lease and is scoring (its requests reach the log).
                _ = Self.wait(for: second.process) { Self.requests(dir).count >= seen + 2 }
                kill(first.process.processIdentifier, SIGCONT)
            }
            let r2 = second.finish()
            if !resumeEarly { kill(first.process.processIdentifier, SIGCONT) }
            let r1 = first.finish()
            let o1 = reportedNodes(r1.stdout)["scores"]?.object, o2 = reportedNodes(r2.stdout)["scores"]?.object
            if r1.status != 0 || r2.status != 0 || o1 == nil || o1 != o2 {
                failures.append("trial \(trial) (hold \(hold), early \(resumeEarly)): exit \(r1.status)/\(r2.status), outputs \(o1 ?? "-")/\(o2 ?? "-"): \(r1.stderr) \(r2.stderr)")
                continue
            }
            let verify = try earshot(["cache", "verify", "--store", "s"], in: dir)
            if verify.status != 0 { failures.append("trial \(trial): verify: \(verify.stdout)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of 20 trials failed:\n\(failures.joined(separator: "\n"))")
    }
}
