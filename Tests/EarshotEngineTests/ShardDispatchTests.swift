import EarshotRun
import EarshotStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `score` node of 64 items in 8 shards of 8, scored by the fake worker (`Fixtures/fake_worker.py`), which logs
/// every request to `requests.log` and, while `hold` exists, pauses on `holdOn` (the first item of shard 4).
struct ShardedScoring {
    let dir: URL
    static let worker = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
    static let holdOn = "k-n0000"
    var log: URL { dir.appendingPathComponent("requests.log") }
    var hold: URL { dir.appendingPathComponent("hold") }

    init(prefix: String, resources: String = "{cpus: 1}") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
        experiment: sharded
        nodes:
          corpus: {kind: synth_corpus, params: {per_class: 32, dataset: k, speakers: 2, max_words: 5}}
          scores:
            kind: score
            inputs: {split: corpus}
            resources: \(resources)
            params:
              scorer: {command: [python3, "\(Self.worker)", --log, "\(log.path)", --hold-on, \(Self.holdOn), --hold-file, "\(hold.path)"]}
              shard_size: 8
        """.write(to: dir.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
    }

    /// Item ids the worker was asked to score since the log was last cleared.
    func requests() -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func clearLog() { try? FileManager.default.removeItem(at: log) }

    /// Finished shard files of the store (any key).
    func shardFiles(_ store: String) -> Int {
        FileSystem.files(under: dir.appendingPathComponent("\(store)/partial")).filter { $0.pathExtension == "h5" }.count
    }

    /// The items of shards `range` (rows 0–31 are the members k-m…, 32–63 the non-members k-n…).
    static func items(shards: ClosedRange<Int>) -> Set<String> {
        Set(shards.flatMap { s in (s * 8..<(s + 1) * 8).map { $0 < 32 ? String(format: "k-m%04d", $0) : String(format: "k-n%04d", $0 - 32) } })
    }
}

@Suite(.serialized) struct ShardTaskTests {
    @Test func shardTasksThenTheNodeAssembleTheArtifactOfALocalRun() throws {
        let s = try ShardedScoring(prefix: "shards")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let local = try earshot(["run", "exp.yaml", "--store", "local", "--json"], in: s.dir)
        #expect(local.status == 0, "\(local.stderr)")
        s.clearLog()
        #expect(try earshot(["exec-node", "exp.yaml", "corpus", "--store", "split"], in: s.dir).status == 0)
        let first = try earshot(["exec-node", "exp.yaml", "scores", "--store", "split", "--shards", "0-2,7"], in: s.dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("shards 0-2,7: 4 computed, 0 already finished"), "\(first.stdout)")
        #expect(Set(s.requests()) == ShardedScoring.items(shards: 0...2).union(ShardedScoring.items(shards: 7...7)))
        #expect(s.shardFiles("split") == 4)
        let overlap = try earshot(["exec-node", "exp.yaml", "scores", "--store", "split", "--shards", "2-6"], in: s.dir)
        #expect(overlap.status == 0, "\(overlap.stderr)")
        #expect(overlap.stdout.contains("shards 2-6: 4 computed, 1 already finished"), "\(overlap.stdout)")
        #expect(s.requests().count == 64 && Set(s.requests()).count == 64, "every item scored exactly once across the tasks")
        s.clearLog()
        let assemble = try earshot(["run", "exp.yaml", "--store", "split", "--json"], in: s.dir)
        #expect(assemble.status == 0, "\(assemble.stderr)")
        #expect(runCounts(assemble.stdout)?.ran == 1, "\(assemble.stdout)")
        #expect(s.requests().isEmpty, "the node only assembled the finished shards")
        #expect(objectNames(s.dir.appendingPathComponent("split")) == objectNames(s.dir.appendingPathComponent("local")),
                "byte-identical to the local run")
        #expect(s.shardFiles("split") == 0, "shards are removed once the node is recorded")
        let cached = try earshot(["exec-node", "exp.yaml", "scores", "--store", "split", "--shards", "0"], in: s.dir)
        #expect(cached.status == 0 && cached.stdout.contains("already in the store"), "\(cached.stdout)")
    }

    @Test func badShardListsAreRefusedNamingTheNode() throws {
        let s = try ShardedScoring(prefix: "shards-bad")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        #expect(try earshot(["exec-node", "exp.yaml", "corpus", "--store", "st"], in: s.dir).status == 0)
        let out = try earshot(["exec-node", "exp.yaml", "scores", "--store", "st", "--shards", "6-8"], in: s.dir)
        #expect(out.status == 1)
        #expect(out.stderr.contains("node 'scores' has 8 shards (0–7); there is no shard 8"), "\(out.stderr)")
        let syntax = try earshot(["exec-node", "exp.yaml", "scores", "--store", "st", "--shards", "3-1"], in: s.dir)
        #expect(syntax.status != 0 && syntax.stderr.contains("bad shard list '3-1'"), "\(syntax.stderr)")
        let unsharded = try earshot(["exec-node", "exp.yaml", "corpus", "--store", "st", "--shards", "0"], in: s.dir)
        #expect(unsharded.status == 1 && unsharded.stderr.contains("kind 'synth_corpus' of node 'corpus' does not split into shards"), "\(unsharded.stderr)")
    }

    @Test func shardListsParseAndFormat() throws {
        #expect(try ShardList.parse("0-3,7,9-10,2") == [0, 1, 2, 3, 7, 9, 10])
        #expect(ShardList.format([9, 0, 1, 2, 3, 7, 10]) == "0-3,7,9-10")
        for bad in ["", "a", "3-1", "-1", "1-", "1,,2", "1-2-3"] {
            #expect(throws: NodeError.self) { try ShardList.parse(bad) }
        }
    }
}

@Suite(.serialized, .enabled(if: nginxAvailable, "needs nginx (apt-get install nginx-light); CI sets EARSHOT_NGINX=1"))
struct RemoteShardTests {
    @Test func aSecondStorePullsTheFirstStoresShardsAndScoresOnlyTheRest() throws {
        let s = try ShardedScoring(prefix: "remote-shards")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let server = try NginxRemote()
        let local = try earshot(["run", "exp.yaml", "--store", "local", "--json"], in: s.dir)
        #expect(local.status == 0, "\(local.stderr)")
        s.clearLog()
        // Machine A scores shards 0–4 and pushes them (with the corpus, by write-through).
        #expect(try earshot(["exec-node", "exp.yaml", "corpus", "--store", "a", "--remote", server.url], in: s.dir).status == 0)
        let a = try earshot(["exec-node", "exp.yaml", "scores", "--store", "a", "--shards", "0-4", "--remote", server.url], in: s.dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(FileSystem.files(under: server.data.appendingPathComponent("shards")).count == 5, "one manifest per pushed shard")
        let scoredByA = Set(s.requests())
        #expect(scoredByA == ShardedScoring.items(shards: 0...4))
        s.clearLog()
        // Machine B, with an empty store, pulls the corpus and A's five shards and scores only shards 5–7.
        let b = try earshot(["run", "exp.yaml", "--store", "b", "--remote", server.url, "--json"], in: s.dir)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(Set(s.requests()) == ShardedScoring.items(shards: 5...7), "B scored only the shards A had not: \(s.requests().count) requests")
        #expect(s.requests().count == 24)
        #expect(objectNames(s.dir.appendingPathComponent("b")) == objectNames(s.dir.appendingPathComponent("local")),
                "the assembled artifact is the local run's")
        #expect(try earshot(["cache", "verify", "--store", "b"], in: s.dir).status == 0)
    }

    @Test func aTamperedRemoteShardIsRejectedAndScoredAgain() throws {
        let s = try ShardedScoring(prefix: "remote-shards-bad")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let server = try NginxRemote()
        #expect(try earshot(["exec-node", "exp.yaml", "corpus", "--store", "a", "--remote", server.url], in: s.dir).status == 0)
        #expect(try earshot(["exec-node", "exp.yaml", "scores", "--store", "a", "--shards", "0-1", "--remote", server.url], in: s.dir).status == 0)
        // Damage the object the manifest of shard 1 names.
        let manifest = try #require(FileSystem.files(under: server.data.appendingPathComponent("shards")).first { $0.lastPathComponent == "000001.json" })
        let digest = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any])?["sha256"] as? String)
        let object = server.data.appendingPathComponent("cas/\(digest)")
        var bytes = try Data(contentsOf: object)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: object)
        s.clearLog()
        let b = try earshot(["run", "exp.yaml", "--store", "b", "--remote", server.url, "--json"], in: s.dir)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(Set(s.requests()) == ShardedScoring.items(shards: 1...7), "shard 0 pulled, shard 1 rejected and rescored")
        #expect(b.stderr.contains("failed verification"), "\(b.stderr)")
    }
}

extension SlurmTests {
    /// The array job of a `score` node: 8 tasks of one shard, one of them cancelled mid-shard with `scancel`; the run
    /// resubmits that task's shard alone and assembles the artifact of a local run.
    @Test func aScoreNodeRunsAsAJobArrayAndACancelledTaskIsResubmittedAlone() throws {
        let s = try ShardedScoring(prefix: "slurm-array", resources: "{cpus: 1, time: \"00:10:00\", max_parallel: 8}")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let local = try earshot(["run", "exp.yaml", "--store", "local", "--json"], in: s.dir)
        #expect(local.status == 0, "\(local.stderr)")
        s.clearLog()
        FileManager.default.createFile(atPath: s.hold.path, contents: nil)
        let run = try BackgroundEarshot(["run", "exp.yaml", "--store", "slurm", "--executor", "slurm", "--json"], in: s.dir)
        // Wait until seven shards are finished and task 4 is held on the first item of shard 4.
        let deadline = Date().addingTimeInterval(240)
        while (s.shardFiles("slurm") < 7 || !s.requests().contains(ShardedScoring.holdOn)) && Date() < deadline && run.process.isRunning {
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(s.shardFiles("slurm") == 7, "seven tasks finished their shard: \(run.finish().stderr)")
        let queue = try shell("squeue", "-h", "-r", "-n", "earshot:sharded:scores", "-o", "%F %K %T")
        let tasks = queue.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 3 }
        let held = try #require(tasks.first { $0[1] == "4" }, "squeue lists the array's task 4: '\(queue)'")
        #expect(held[2] == "RUNNING", "'\(queue)'")
        let array = held[0]
        _ = try shell("scancel", "\(array)_4")
        for _ in 0..<200 where !(try shell("squeue", "-h", "-r", "-j", array, "-o", "%T")).isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        try FileManager.default.removeItem(at: s.hold)
        let r = run.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(runCounts(r.stdout)?.ran == 2, "\(r.stdout)")
        #expect(objectNames(s.dir.appendingPathComponent("slurm")) == objectNames(s.dir.appendingPathComponent("local")),
                "the artifact assembled from array tasks is byte-identical to the local run's")
        let requests = s.requests()
        let others = ShardedScoring.items(shards: 0...3).union(ShardedScoring.items(shards: 5...7))
        #expect(requests.filter { others.contains($0) }.count == 56 && Set(requests).isSuperset(of: others),
                "the items of the other tasks were scored once")
        #expect(Set(requests.filter { !others.contains($0) }) == ShardedScoring.items(shards: 4...4), "and shard 4's again")
        let ledger = try #require(FileSystem.files(under: s.dir.appendingPathComponent("slurm/slurm/sharded")).first { $0.lastPathComponent.hasSuffix(".arrays.json") })
        let submissions = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: ledger)) as? [[String: Any]])
        #expect(submissions.count == 2, "\(submissions)")
        #expect(submissions.first?["job"] as? String == array)
        #expect((submissions.first?["tasks"] as? [[Int]]) == (0..<8).map { [$0] }, "one task per shard")
        #expect((submissions.first?["missingAfter"] as? [Int]) == [4])
        #expect((submissions.last?["tasks"] as? [[Int]]) == [[4]], "only the cancelled task's shard was resubmitted")
        #expect(try earshot(["cache", "verify", "--store", "slurm"], in: s.dir).status == 0)
    }

    /// Tasks of several shards, a throttle, and a failing task that exhausts its retries: the node fails naming
    /// the missing shards and the task's log; a re-run submits only the missing shards.
    @Test func shardsPerTaskGroupAndAFailedTaskIsRetriedThenReported() throws {
        let s = try ShardedScoring(prefix: "slurm-array-fail", resources: "{cpus: 1, shards_per_task: 3, max_parallel: 2}")
        defer { try? FileManager.default.removeItem(at: s.dir) }
        // The worker crashes on the first item of shard 4 until `fixed` exists.
        let spec = s.dir.appendingPathComponent("exp.yaml")
        let fixed = s.dir.appendingPathComponent("fixed")
        var text = try String(contentsOf: spec, encoding: .utf8)
        text = text.replacingOccurrences(of: "--hold-on,", with: "--crash-on, k-n0000, --crash-unless, \"\(fixed.path)\", --hold-on,")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        let r = try earshot(["run", "exp.yaml", "--store", "st", "--executor", "slurm"], in: s.dir)
        #expect(r.status == 1)
        // Task 1 (shards 3–5) finishes shard 3, then its worker crashes on shard 4; the retries hold shards 4–5.
        #expect(r.stderr.contains("2 of 8 shards (4-5) are still missing after 3 array jobs; tasks 0 of array job"), "\(r.stderr)")
        #expect(r.stderr.contains("fake worker: crashing on k-n0000"), "the task's log tail: \(r.stderr)")
        let scripts = FileSystem.files(under: s.dir.appendingPathComponent("st/slurm/sharded")).filter { $0.pathExtension == "sh" && $0.lastPathComponent.contains("-array") }
        #expect(scripts.count == 3, "one array, then two retries: \(scripts)")
        let first = try String(contentsOf: try #require(scripts.first { $0.lastPathComponent.hasSuffix("-array1.sh") }), encoding: .utf8)
        #expect(first.contains("0) shards=0-2 ;;") && first.contains("1) shards=3-5 ;;") && first.contains("2) shards=6-7 ;;"), "\(first)")
        FileManager.default.createFile(atPath: fixed.path, contents: nil)
        s.clearLog()
        let again = try earshot(["run", "exp.yaml", "--store", "st", "--executor", "slurm", "--json"], in: s.dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Set(s.requests()) == ShardedScoring.items(shards: 4...5), "the re-run scored only the missing shards")
    }
}
