import EarshotStore
import Foundation
import Testing

/// The `earshot` executable built next to the test bundle.
let earshotBinary: URL = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // On Linux the test runner is `.build/<config>/EarshotPackageTests.xctest`; earshot sits beside it.
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("earshot")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("earshot")
}()

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs earshot in `dir`; `whileRunning` gets its pid after it starts (to signal it), then the output is collected.
func runEarshot(_ args: [String], in dir: URL, whileRunning: (Int32) -> Void = { _ in }) throws -> CLIResult {
    let p = Process()
    p.executableURL = earshotBinary
    p.arguments = args
    p.currentDirectoryURL = dir
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    whileRunning(p.processIdentifier)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Runs earshot to completion (or until `killAfter` seconds, then SIGKILL).
@discardableResult
func earshot(_ args: [String], in dir: URL, killAfter: Double? = nil) throws -> CLIResult {
    try runEarshot(args, in: dir) { pid in
        guard let killAfter else { return }
        Thread.sleep(forTimeInterval: killAfter)
        kill(pid, SIGKILL)
    }
}

/// Starts earshot, sends `signal` once `marker` exists (or after 300 s, a guard against a hang), and waits for it to exit.
func earshotInterrupted(_ args: [String], in dir: URL, when marker: URL, signal: Int32 = SIGINT) throws -> CLIResult {
    try runEarshot(args, in: dir) { pid in
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: marker.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(pid, signal)
    }
}

/// A store's published artifacts: object name → bytes digest, for comparing runs.
func objectNames(_ store: URL) -> Set<String> {
    Set(FileSystem.files(under: store.appendingPathComponent("objects")).map(\.lastPathComponent))
}

@Suite(.serialized) struct CLITests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func write(_ text: String, _ name: String) throws {
        try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Six command nodes in a diamond; each program sleeps a little and writes derived bytes.
    func writeSlowCommandExperiment() throws {
        try write("""
        import sys, time, pathlib
        time.sleep(float(sys.argv[1]))
        data = b"".join(pathlib.Path(p).read_bytes() for p in sys.argv[3:]) + sys.argv[1].encode()
        pathlib.Path(sys.argv[2], "out.bin").write_bytes(data * 3)
        """, "step.py")
        try write("""
        experiment: killable
        nodes:
          a: {kind: command, params: {run: [python3, step.py, "0.15", "{out}"], outputs: [out.bin], files: [step.py]}}
          b: {kind: command, inputs: {x: a}, params: {run: [python3, step.py, "0.2", "{out}", "{in.x}"], outputs: [out.bin]}}
          c: {kind: command, inputs: {x: a}, params: {run: [python3, step.py, "0.25", "{out}", "{in.x}"], outputs: [out.bin]}}
          d: {kind: command, inputs: {x: b, y: c}, params: {run: [python3, step.py, "0.1", "{out}", "{in.x}", "{in.y}"], outputs: [out.bin]}}
          e: {kind: command, inputs: {x: d}, params: {run: [python3, step.py, "0.2", "{out}", "{in.x}"], outputs: [out.bin]}}
          f: {kind: command, inputs: {x: [a, e]}, params: {run: [python3, step.py, "0.05", "{out}", "{in.x}"], outputs: [out.bin]}}
        """, "exp.yaml")
    }

    @Test func killedRunsResumeToTheSameArtifacts() throws {
        try writeSlowCommandExperiment()
        let reference = try earshot(["run", "exp.yaml", "--store", "ref", "--jobs", "2", "--json"], in: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let want = objectNames(dir.appendingPathComponent("ref"))
        #expect(want.count == 6)
        // Kill at a spread of moments (deterministic schedule), resuming each time into the same store.
        var kills = 0
        for delay in [0.05, 0.3, 0.45, 0.6, 0.8, 0.9, 1.1, 1.3] {
            let r = try earshot(["run", "exp.yaml", "--store", "killed", "--jobs", "2", "-q"], in: dir, killAfter: delay)
            if r.status != 0 { kills += 1 }
            let verify = try earshot(["cache", "verify", "--store", "killed"], in: dir)
            #expect(verify.status == 0, "store must stay clean after SIGKILL at \(delay) s: \(verify.stdout)")
        }
        #expect(kills >= 2, "the schedule should interrupt some runs")
        let final = try earshot(["run", "exp.yaml", "--store", "killed", "--json"], in: dir)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(objectNames(dir.appendingPathComponent("killed")) == want)
        #expect(try earshot(["cache", "verify", "--store", "killed"], in: dir).status == 0)
        let again = try earshot(["run", "exp.yaml", "--store", "killed", "--json"], in: dir)
        #expect(again.stdout.contains("\"ran\":0"))
    }

    @Test func runJsonReportsEveryNode() throws {
        try writeSlowCommandExperiment()
        let r = try earshot(["run", "exp.yaml", "--store", "s", "--json"], in: dir)
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(obj["ran"] as? Int == 6)
        #expect(obj["cached"] as? Int == 0)
        #expect(obj["failed"] as? Int == 0)
        let nodes = obj["nodes"] as! [[String: Any]]
        #expect(nodes.map { $0["id"] as! String } == ["a", "b", "c", "d", "e", "f"])
        for n in nodes {
            #expect((n["key"] as? String)?.count == 64)
            #expect(n["status"] as? String == "ran")
            let outputs = n["outputs"] as! [String: String]
            #expect(outputs["out.bin"]?.count == 64)
        }
    }

    @Test func verifyExitsNonZeroNamingTheCorruptObject() throws {
        try writeSlowCommandExperiment()
        #expect(try earshot(["run", "exp.yaml", "--store", "s", "-q"], in: dir).status == 0)
        let object = FileSystem.files(under: dir.appendingPathComponent("s/objects")).first!
        chmod(object.path, 0o644)
        var bytes = try Data(contentsOf: object)
        bytes[100] ^= 0xFF
        try bytes.write(to: object)
        let v = try earshot(["cache", "verify", "--store", "s"], in: dir)
        #expect(v.status == 1)
        #expect(v.stdout.contains("corrupt object \(object.deletingPathExtension().lastPathComponent)"))
        let rerun = try earshot(["run", "exp.yaml", "--store", "s", "--json"], in: dir)
        #expect(rerun.status == 0)
        #expect(rerun.stdout.contains("\"ran\":1"), "only the node whose object was corrupt re-runs: \(rerun.stdout)")
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
    }

    @Test func whyNamesTheChangedParam() throws {
        try writeSlowCommandExperiment()
        #expect(try earshot(["run", "exp.yaml", "--store", "s", "-q"], in: dir).status == 0)
        let why = try earshot(["why", "exp.yaml", "b", "--store", "s", "-p", "b.timeout=30"], in: dir)
        #expect(why.stdout.contains("param 'timeout' changed: 0.0 → 30.0"), "\(why.stdout)")
        let plan = try earshot(["plan", "exp.yaml", "--store", "s", "-p", "b.timeout=30"], in: dir)
        #expect(plan.stdout.contains("1 to run, 3 waiting on them, 2 cached"), "\(plan.stdout)")
    }

    @Test func commandFailuresShowStderrAndCacheNothing() throws {
        try write("""
        experiment: broken
        nodes:
          crash: {kind: command, params: {run: [python3, -c, "import sys; sys.stderr.write('model weights not found\\\\n'); sys.exit(3)"], outputs: [x.txt]}}
          lazy: {kind: command, params: {run: [python3, -c, "pass"], outputs: [never.txt]}}
        """, "bad.yaml")
        let r = try earshot(["run", "bad.yaml", "--store", "s", "--keep-going"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("command 'python3' of node 'crash' exited with status 3; stderr ends with:\nmodel weights not found"), "\(r.stderr)")
        #expect(r.stderr.contains("did not write its declared output 'never.txt'"))
        #expect(objectNames(dir.appendingPathComponent("s")).isEmpty)
    }

    @Test func editingAReadFileInvalidatesTheNode() throws {
        try writeSlowCommandExperiment()
        #expect(try earshot(["run", "exp.yaml", "--store", "s", "-q"], in: dir).status == 0)
        let script = dir.appendingPathComponent("step.py")
        try (try String(contentsOf: script, encoding: .utf8) + "\n# edited\n").write(to: script, atomically: true, encoding: .utf8)
        let why = try earshot(["why", "exp.yaml", "a", "--store", "s"], in: dir)
        #expect(why.stdout.contains("file 'file.0' content changed"), "\(why.stdout)")
    }

    @Test func ctrlCCancelsCleanlyAndTheNextRunResumes() throws {
        try write("""
        import sys, time, pathlib
        pathlib.Path(sys.argv[2]).touch()
        time.sleep(float(sys.argv[1]))
        pathlib.Path(sys.argv[3], "out.txt").write_text(sys.argv[1])
        """, "sleeper.py")
        let marker = dir.appendingPathComponent("long-started")
        try write("""
        experiment: interrupt
        nodes:
          quick: {kind: command, params: {run: [python3, sleeper.py, "0", "quick-started", "{out}"], outputs: [out.txt]}}
          long: {kind: command, inputs: {after: quick}, params: {run: [python3, sleeper.py, "600", "long-started", "{out}"], outputs: [out.txt]}}
        """, "interrupt.yaml")
        let start = Date()
        let r = try earshotInterrupted(["run", "interrupt.yaml", "--store", "s", "--json"], in: dir, when: marker)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) < 120, "the 600 s child was terminated, not waited for")
        #expect(r.stderr.contains("interrupted: cancelling running nodes"))
        #expect(r.stdout.contains("\"status\":\"cancelled\""))
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
        let actions = FileSystem.files(under: dir.appendingPathComponent("s/actions"))
        #expect(actions.count == 1, "only 'quick' finished and was recorded")
        let plan = try earshot(["plan", "interrupt.yaml", "--store", "s"], in: dir)
        #expect(plan.stdout.contains("1 to run, 0 waiting on them, 1 cached"), "\(plan.stdout)")
    }

    @Test func invalidSpecsGetCompilerStyleDiagnostics() throws {
        try write("""
        experiment: typo
        nodes:
          a: {kind: comand, params: {run: [true], outputs: []}}
        """, "typo.yaml")
        let r = try earshot(["validate", "typo.yaml"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("typo.yaml:3:13: error: unknown node kind 'comand' (did you mean 'command'?)"), "\(r.stderr)")
    }
}

/// A scoring node killed with SIGKILL mid-run resumes from its persisted shards.
@Suite(.serialized) struct ScoringKillTests {
    @Test func sigkillMidScoringThenRerunScoresOnlyUnfinishedItems() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let worker = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
        let hold = dir.appendingPathComponent("hold"), log = dir.appendingPathComponent("requests.log")
        try """
        experiment: killscore
        nodes:
          corpus: {kind: synth_corpus, params: {per_class: 8, dataset: k, speakers: 2, max_words: 5}}
          scores:
            kind: score
            inputs: {split: corpus}
            params:
              scorer: {command: [python3, "\(worker)", --log, "\(log.path)", --hold-on, k-n0000, --hold-file, "\(hold.path)"]}
              shard_size: 2
        """.write(to: dir.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
        // The worker answers the 8 members (4 shards), then pauses on the first non-member while `hold` exists.
        FileManager.default.createFile(atPath: hold.path, contents: nil)
        func requests() -> [String] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        try runEarshot(["run", "exp.yaml", "--store", "s", "-q"], in: dir) { pid in
            let deadline = Date().addingTimeInterval(120)
            while requests().count < 9 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            #expect(requests().count == 9, "the held request reached the worker")
            kill(pid, SIGKILL)
        }
        try FileManager.default.removeItem(at: hold)
        let first = requests()
        try FileManager.default.removeItem(at: log)
        let rerun = try earshot(["run", "exp.yaml", "--store", "s", "--json"], in: dir)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let second = requests()
        #expect(second.count == 8, "only the 8 items without a persisted shard are scored again: \(second)")
        #expect(Set(second).isDisjoint(with: first.prefix(8)))
        #expect(try earshot(["cache", "verify", "--store", "s"], in: dir).status == 0)
    }
}
