import EarshotStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The path of an action record (`actions/ab/<key>.json`) in a store folder.
func recordURL(_ store: URL, key: String) -> URL {
    store.appendingPathComponent("actions/\(key.prefix(2))/\(key).json")
}

/// Node id → (key, first output object) from `run --json`.
func reportedNodes(_ json: String) -> [String: (key: String, object: String)] {
    guard let o = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
          let nodes = o["nodes"] as? [[String: Any]] else { return [:] }
    var out: [String: (String, String)] = [:]
    for n in nodes {
        if let id = n["id"] as? String, let key = n["key"] as? String, let object = (n["outputs"] as? [String: String])?.values.first {
            out[id] = (key, object)
        }
    }
    return out
}

/// `cache verify` / `--repair` / `gc` over every kind of damage the attack campaign of issue 13 found, and records
/// cross-checked against their objects' provenance.
@Suite(.serialized) struct StoreIntegrityTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-integrity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeLoggedDiamond(in: dir, seconds: 0)
    }

    /// Runs the diamond into `store` and returns the run's report per node.
    func runDiamond(_ store: String) throws -> [String: (key: String, object: String)] {
        let r = try earshot(["run", "shared.yaml", "--store", store, "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return reportedNodes(r.stdout)
    }

    @Test func aRecordPointingAtAnotherNodesObjectIsDetectedDroppedAndRecomputed() throws {
        let nodes = try runDiamond("s")
        let want = objectNames(dir.appendingPathComponent("s"))
        let b = try #require(nodes["b"]), c = try #require(nodes["c"])
        // b's record now names c's (valid) object: every object still hashes to its name.
        let url = recordURL(dir.appendingPathComponent("s"), key: b.key)
        let text = try String(contentsOf: url, encoding: .utf8)
        try text.replacingOccurrences(of: b.object, with: c.object).write(to: url, atomically: true, encoding: .utf8)

        let verify = try earshot(["cache", "verify", "--store", "s"], in: dir)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("(shared/b): output 'out.bin' object \(c.object.prefix(12)) was produced for key \(c.key.prefix(12))"), "\(verify.stdout)")
        let rerun = try earshot(["run", "shared.yaml", "--store", "s", "--json"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(runCounts(rerun.stdout)?.ran == 1, "only b is recomputed: \(rerun.stdout)")
        #expect(reportedNodes(rerun.stdout)["b"]?.object == b.object, "and its result equals the clean run's")
        #expect(executions(in: dir) == ["a", "b", "b", "c", "d"])
        #expect(objectNames(dir.appendingPathComponent("s")) == want)
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
    }

    @Test func verifyRepairLeavesAStoreThatVerifiesCleanAfterEveryKindOfDamage() throws {
        let nodes = try runDiamond("s")
        let want = objectNames(dir.appendingPathComponent("s"))
        let store = dir.appendingPathComponent("s")
        // 1. a's object corrupt, 2. b's record unparseable, 3. c's object replaced by a directory,
        // 4. a stray directory among the records.
        let a = try #require(nodes["a"]), b = try #require(nodes["b"]), c = try #require(nodes["c"])
        let aURL = store.appendingPathComponent("objects/\(a.object.prefix(2))/\(a.object).h5")
        chmod(aURL.path, 0o644)
        var bytes = try Data(contentsOf: aURL)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: aURL)
        try Data("{\"key\": ".utf8).write(to: recordURL(store, key: b.key))
        let cURL = store.appendingPathComponent("objects/\(c.object.prefix(2))/\(c.object).h5")
        try FileManager.default.removeItem(at: cURL)
        try FileManager.default.createDirectory(at: cURL, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(at: store.appendingPathComponent("actions/zz/stray.json"), withIntermediateDirectories: true)

        let verify = try earshot(["cache", "verify", "--store", "s"], in: dir)
        #expect(verify.status == 1)
        for expected in ["corrupt object \(a.object)", "unparseable action record actions/\(b.key.prefix(2))/\(b.key).json",
                         "objects/\(c.object.prefix(2))/\(c.object).h5 is a directory, expected a file",
                         "actions/zz/stray.json is a directory, expected a file"] {
            #expect(verify.stdout.contains(expected), "\(expected) in \(verify.stdout)")
        }
        let repair = try earshot(["cache", "verify", "--store", "s", "--repair"], in: dir)
        #expect(repair.status == 1, "repair reports what it found")
        let again = try earshot(["cache", "verify", "--store", "s"], in: dir)
        #expect(again.status == 0, "a repaired store verifies clean: \(again.stdout)")
        // The next run recomputes what repair dropped and ends with the clean run's objects.
        let rerun = try earshot(["run", "shared.yaml", "--store", "s", "--json"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(objectNames(store) == want)
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
    }

    @Test func aRunReplacesAnObjectThatBecameADirectory() throws {
        let nodes = try runDiamond("s")
        let want = objectNames(dir.appendingPathComponent("s"))
        let c = try #require(nodes["c"])
        let url = dir.appendingPathComponent("s/objects/\(c.object.prefix(2))/\(c.object).h5")
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url.appendingPathComponent("inner"), withIntermediateDirectories: true)
        let rerun = try earshot(["run", "shared.yaml", "--store", "s", "--json"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(runCounts(rerun.stdout)?.ran == 1, "c is recomputed and published over the directory: \(rerun.stdout)")
        #expect(objectNames(dir.appendingPathComponent("s")) == want)
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
    }

    @Test func gcEmptiesTmpAfterKilledRunsButSparesALiveRun() throws {
        // Steps that take long enough for kills to land while work folders exist.
        try writeLoggedDiamond(in: dir, seconds: 0.4)
        for delay in [0.3, 0.6, 0.9, 1.2, 0.45, 0.75] {
            try earshot(["run", "shared.yaml", "--store", "k", "--jobs", "2", "-q"], in: dir, killAfter: delay)
        }
        let tmp = dir.appendingPathComponent("k/tmp")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        #expect(!left.isEmpty, "killed runs leave work folders behind")
        // A live run holding a work folder: its step waits for a file this test creates.
        try """
        import os, sys, time, pathlib
        pathlib.Path(sys.argv[3]).write_text(os.getcwd())
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.01)
        pathlib.Path(sys.argv[1], "out.bin").write_text("live")
        """.write(to: dir.appendingPathComponent("wait.py"), atomically: true, encoding: .utf8)
        try """
        experiment: live
        nodes:
          w: {kind: command, params: {run: [python3, "\(dir.appendingPathComponent("wait.py").path)", "{out}", "\(dir.appendingPathComponent("go").path)", "\(dir.appendingPathComponent("started").path)"], outputs: [out.bin]}}
        """.write(to: dir.appendingPathComponent("live.yaml"), atomically: true, encoding: .utf8)
        let live = try BackgroundEarshot(["run", "live.yaml", "--store", "k", "-q"], in: dir)
        // Event, not time: the step writes `started` from inside the live run's work folder.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("started").path) {
            #expect(live.process.isRunning, "the live run ended before its step started")
            if !live.process.isRunning { break }
            usleep(10_000)
        }
        let gc = try earshot(["cache", "gc", "--store", "k"], in: dir)
        #expect(gc.status == 0, "\(gc.stderr)")
        let during = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        #expect(during.count == 1 && during[0].contains("-work-"), "only the live run's work folder is left: \(during)")
        FileManager.default.createFile(atPath: dir.appendingPathComponent("go").path, contents: nil)
        let result = live.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try earshot(["cache", "gc", "--store", "k"], in: dir).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("k/owners").path).isEmpty,
                "dead processes' owner locks are gone too")
        let finish = try earshot(["run", "shared.yaml", "--store", "k", "-q"], in: dir)
        #expect(finish.status == 0)
        #expect(try earshot(["cache", "verify", "--store", "k"], in: dir).status == 0)
    }

    @Test func aRunWithAnotherLockModeThanTheStoresFirstRunIsRefused() throws {
        // The first run names no mode: the store records the default, so a lease run beside it cannot mix modes.
        #expect(try earshot(["run", "shared.yaml", "--store", "m", "-q"], in: dir).status == 0)
        let config = try String(contentsOf: dir.appendingPathComponent("m/earshot-store.json"), encoding: .utf8)
        #expect(config.contains("\"lock_mode\" : \"flock\""), "\(config)")
        let lease = try earshot(["run", "shared.yaml", "--store", "m", "--lock-mode", "lease"], in: dir)
        #expect(lease.status == 2)
        #expect(lease.stderr.contains("the store locks with 'flock', not 'lease'"), "\(lease.stderr)")
        #expect(try earshot(["run", "shared.yaml", "--store", "m", "--lock-mode", "flock", "-q"], in: dir).status == 0)
    }
}

/// A fingerprint row whose file digest was flipped on disk is caught by the next process: the file is hashed again,
/// the split keeps its key and its bytes, and nothing re-runs (issue 13: `plan` used to report a content change).
@Suite struct FingerprintRowIntegrityTests {
    @Test func aCorruptFingerprintRowChangesNoKeyAndNoResult() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-fprow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let wavs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EarshotDataTests/Fixtures/bad")
        var manifest = ""
        // The committed fixtures, unchanged since checkout: their fingerprint rows are trusted at once (a file
        // changed within 2 s of being hashed would be hashed again anyway, which would hide the corruption).
        for i in 0..<6 {
            let wav = wavs.appendingPathComponent("good_\(i).wav")
            manifest += "{\"audio_filepath\": \"\(wav.path)\", \"id\": \"u\(i)\", \"member\": \(i % 2), \"text\": \"t\"}\n"
        }
        try manifest.write(to: dir.appendingPathComponent("m.jsonl"), atomically: true, encoding: .utf8)
        try """
        experiment: fp
        nodes:
          split: {kind: load_split, params: {source: {format: jsonl, path: m.jsonl}, label_column: member, per_class: 3}}
        """.write(to: dir.appendingPathComponent("fp.yaml"), atomically: true, encoding: .utf8)
        let clean = try earshot(["run", "fp.yaml", "--store", "s", "--json"], in: dir)
        #expect(clean.status == 0, "\(clean.stderr)")
        let before = try #require(reportedNodes(clean.stdout)["split"])
        // Flip one hex digit of a file digest in a row of the table the run wrote.
        let fp = dir.appendingPathComponent("s/fingerprints")
        var flipped = false
        for shard in try FileManager.default.contentsOfDirectory(at: fp, includingPropertiesForKeys: nil) where shard.pathExtension == "tsv" && !flipped {
            var lines = try String(contentsOf: shard, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count > 1, !lines[1].isEmpty else { continue }
            var fields = lines[1].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let digest = Array(fields[1])
            fields[1] = String(digest.prefix(5)) + (digest[5] == "a" ? "b" : "a") + String(digest.dropFirst(6))
            lines[1] = fields.joined(separator: "\t")
            try lines.joined(separator: "\n").write(to: shard, atomically: true, encoding: .utf8)
            flipped = true
        }
        #expect(flipped)
        let verify = try earshot(["cache", "verify", "--store", "s"], in: dir)
        #expect(verify.status == 1 && verify.stdout.contains("row(s) fail their check"), "\(verify.stdout)")
        let again = try earshot(["run", "fp.yaml", "--store", "s", "--json"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(runCounts(again.stdout)?.ran == 0, "no content changed, so nothing re-runs: \(again.stdout)")
        #expect(reportedNodes(again.stdout)["split"]?.key == before.key)
        #expect(reportedNodes(again.stdout)["split"]?.object == before.object)
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0, "the run re-recorded the row")
    }
}
