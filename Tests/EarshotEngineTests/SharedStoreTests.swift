import EarshotStore
import EarshotTestKinds
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// An `earshot` process started without waiting for it; stdout and stderr go to files (no pipe can fill up).
final class BackgroundEarshot {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ args: [String], in dir: URL, environment: [String: String] = [:]) throws {
        let tag = UUID().uuidString.prefix(8)
        stdoutURL = dir.appendingPathComponent("earshot-\(tag).out")
        stderrURL = dir.appendingPathComponent("earshot-\(tag).err")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = earshotBinary
        process.arguments = args
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for the process and returns what it printed.
    func finish() -> CLIResult {
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }
}

/// A diamond of four command nodes; each execution appends "NODE" to `executions.log`, so a test can count them.
func writeLoggedDiamond(in dir: URL, seconds: Double = 0.6) throws {
    try """
    import sys, time, pathlib
    name, delay, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    with open("executions.log", "a") as log:
        log.write(name + "\\n")
    time.sleep(delay)
    data = b"".join(pathlib.Path(p).read_bytes()[:64] for p in sys.argv[4:]) + name.encode()
    pathlib.Path(out, "out.bin").write_bytes(data * 100)
    """.write(to: dir.appendingPathComponent("logged.py"), atomically: true, encoding: .utf8)
    try """
    experiment: shared
    nodes:
      a: {kind: command, params: {run: [python3, logged.py, a, "\(seconds)", "{out}"], outputs: [out.bin], files: [logged.py]}}
      b: {kind: command, inputs: {x: a}, params: {run: [python3, logged.py, b, "\(seconds)", "{out}", "{in.x}"], outputs: [out.bin]}}
      c: {kind: command, inputs: {x: a}, params: {run: [python3, logged.py, c, "\(seconds / 2)", "{out}", "{in.x}"], outputs: [out.bin]}}
      d: {kind: command, inputs: {x: b, y: c}, params: {run: [python3, logged.py, d, "\(seconds / 2)", "{out}", "{in.x}", "{in.y}"], outputs: [out.bin]}}
    """.write(to: dir.appendingPathComponent("shared.yaml"), atomically: true, encoding: .utf8)
}

func executions(in dir: URL) -> [String] {
    ((try? String(contentsOf: dir.appendingPathComponent("executions.log"), encoding: .utf8)) ?? "")
        .split(separator: "\n").map(String.init).sorted()
}

func runCounts(_ json: String) -> (ran: Int, cached: Int)? {
    guard let o = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
          let ran = o["ran"] as? Int, let cached = o["cached"] as? Int else { return nil }
    return (ran, cached)
}

@Suite(.serialized) struct SharedStoreTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    @Test(arguments: ["flock", "lease"])
    func twoRunsStartedAtOnceComputeEachNodeOnce(lockMode: String) throws {
        try writeLoggedDiamond(in: dir)
        let args = ["run", "shared.yaml", "--store", "shared-store", "--lock-mode", lockMode, "--json", "--jobs", "2"]
        // The first process creates the store's configuration; start the second at once.
        let first = try BackgroundEarshot(args, in: dir)
        let second = try BackgroundEarshot(args, in: dir)
        let r1 = first.finish(), r2 = second.finish()
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(executions(in: dir) == ["a", "b", "c", "d"], "each node computed exactly once across both runs")
        let c1 = try #require(runCounts(r1.stdout)), c2 = try #require(runCounts(r2.stdout))
        #expect(c1.ran + c2.ran == 4)
        #expect(c1.ran + c1.cached == 4 && c2.ran + c2.cached == 4, "both runs end with every node's result")
        #expect(r1.stdout.contains("computed by another run") || r2.stdout.contains("computed by another run"),
                "one run waited on the other's lock and reused its result")
        let verify = try earshot(["cache", "verify", "--store", "shared-store"], in: dir)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("verified 4 objects and 4 actions: ok"))
        let locks = FileSystem.files(under: dir.appendingPathComponent("shared-store/locks"))
        #expect(locks.isEmpty, "released locks leave no files: \(locks.map(\.lastPathComponent))")
    }

    @Test func aFlockHeldByAKilledProcessIsReleased() async throws {
        let store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        let key = SHA256.hash(Data("held-by-a-child".utf8))
        let url = store.lockURL(key)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A child process takes the lock, says so on stdout, then sleeps while holding it.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)", url.path]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        // Event, not time: wait for the child's "held" line (EOF would mean it died without the lock).
        let line = String(decoding: out.fileHandleForReading.availableLine(), as: UTF8.self)
        #expect(line == "held", "the child reports holding the lock: '\(line)'")
        // Kill the holder once this process has found the lock busy; only the kernel releasing a killed
        // holder's lock can then let `lock` return (the child would sleep 600 s).
        let waited = WaitFlag()
        let lock = try await store.lock(key) { _ in
            waited.set()
            kill(holder.processIdentifier, SIGKILL)
        }
        #expect(waited.value, "the lock was busy while the child held it")
        holder.waitUntilExit()
        #expect(holder.terminationReason == .uncaughtSignal && holder.terminationStatus == SIGKILL, "acquired because the holder was killed")
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func aStaleLeaseOfADeadProcessIsTakenOverAtOnce() async throws {
        let store = try ArtifactStore(root: dir.appendingPathComponent("store"),
                                      configuration: StoreConfiguration(lockMode: .lease, leaseTimeout: 600))
        let key = SHA256.hash(Data("dead-holder".utf8))
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try writeLease(store.lockURL(key), pid: dead.processIdentifier, host: LockHolder.thisHost)
        let started = Date()
        let lock = try await store.lock(key)
        #expect(Date().timeIntervalSince(started) < 60, "a lease whose pid is gone on this host is broken without waiting the 600 s timeout")
        #expect(lock.mode == .lease)
        let holder = try #require(String(data: try Data(contentsOf: store.lockURL(key)), encoding: .utf8))
        #expect(holder.contains("\"pid\":\(getpid())"), "the lease now names this process: \(holder)")
        lock.release()
    }

    @Test func aSilentLeaseOfAnotherHostIsBrokenAfterTheTimeout() async throws {
        let store = try ArtifactStore(root: dir.appendingPathComponent("store"),
                                      configuration: StoreConfiguration(lockMode: .lease, leaseTimeout: 0.8))
        let key = SHA256.hash(Data("remote-holder".utf8))
        try writeLease(store.lockURL(key), pid: 4242, host: "some-other-node")
        let started = Date()
        let lock = try await store.lock(key)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.8 && elapsed < 60, "broken after the lease timeout without a heartbeat (\(elapsed) s)")
        lock.release()
    }

    @Test func aLiveLeaseIsKeptByItsHeartbeat() async throws {
        // A timeout of 2 s beats every 0.5 s: the contender could only break the lease after four missed beats.
        let config = StoreConfiguration(lockMode: .lease, leaseTimeout: 2)
        let store = try ArtifactStore(root: dir.appendingPathComponent("store"), configuration: config)
        let key = SHA256.hash(Data("live-holder".utf8))
        let first = try await store.lock(key)
        let acquired = WaitFlag(), contending = WaitFlag()
        let contender = Task {
            let second = try await store.lock(key) { _ in contending.set() }
            acquired.set()
            second.release()
        }
        // Events, not a fixed sleep: the contender found the lease busy, then the holder refreshed it six times
        // (three lease timeouts' worth of beats) while the contender kept checking.
        while !contending.value { try await Task.sleep(nanoseconds: 5_000_000) }
        var beats = 0
        var last = Self.mtime(store.lockURL(key))
        while beats < 6 {
            try await Task.sleep(nanoseconds: 20_000_000)
            let now = Self.mtime(store.lockURL(key))
            if now != last { beats += 1; last = now }
            #expect(!acquired.value, "a lease whose holder refreshes it is never broken")
            if acquired.value { break }
        }
        #expect(!first.wasLost)
        first.release()
        try await contender.value
        #expect(acquired.value)
    }

    static func mtime(_ url: URL) -> Int {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return -1 }
        return Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
    }

    @Test func groupWritableStoresShareFoldersAndRecords() throws {
        try writeLoggedDiamond(in: dir, seconds: 0)
        let r = try earshot(["run", "shared.yaml", "--store", "g", "--group-writable", "-q"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        func mode(_ path: String) -> Int {
            var st = stat()
            stat(dir.appendingPathComponent(path).path, &st)
            return Int(st.st_mode & 0o7777)
        }
        let config = try String(contentsOf: dir.appendingPathComponent("g/earshot-store.json"), encoding: .utf8)
        #expect(config.contains("\"group_writable\" : true"), "\(config)")
        for folder in ["g", "g/objects", "g/actions", "g/refs", "g/locks", "g/tmp"] {
            #expect(mode(folder) == 0o2775, "\(folder) is \(String(mode(folder), radix: 8))")
        }
        let object = try #require(FileSystem.files(under: dir.appendingPathComponent("g/objects")).first)
        #expect(mode(object.path.replacingOccurrences(of: dir.path + "/", with: "")) == 0o444)
        #expect(mode(object.deletingLastPathComponent().path.replacingOccurrences(of: dir.path + "/", with: "")) == 0o2775)
        for record in FileSystem.files(under: dir.appendingPathComponent("g/actions")) {
            #expect(mode(record.path.replacingOccurrences(of: dir.path + "/", with: "")) == 0o664)
        }
        // A later run without the flag keeps the setting (it lives in the store).
        let again = try earshot(["run", "shared.yaml", "--store", "g", "-p", "a.timeout=5", "-q"], in: dir)
        #expect(again.status == 0)
        for record in FileSystem.files(under: dir.appendingPathComponent("g/actions")) {
            #expect(mode(record.path.replacingOccurrences(of: dir.path + "/", with: "")) == 0o664)
        }
    }

    @Test func aStoreRefusesALockModeItWasNotCreatedWith() throws {
        try writeLoggedDiamond(in: dir, seconds: 0)
        #expect(try earshot(["run", "shared.yaml", "--store", "s", "--lock-mode", "lease", "-q"], in: dir).status == 0)
        let r = try earshot(["run", "shared.yaml", "--store", "s", "--lock-mode", "flock"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("the store locks with 'lease', not 'flock'"), "\(r.stderr)")
        let bad = try earshot(["run", "shared.yaml", "--store", "t", "--lock-mode", "nfs"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--lock-mode must be 'flock' or 'lease', got 'nfs'"), "\(bad.stderr)")
    }

    @Test func twoNodesWithOneKeyInOneRunAreComputedOnce() async throws {
        let box = try Sandbox()
        let tag = UUID().uuidString.prefix(6)
        let path = try box.write("""
        experiment: twins
        nodes:
          first\(tag): {kind: slow, params: {ms: 300, value: 7}}
          second\(tag): {kind: slow, params: {ms: 300, value: 7}}
        """)
        let summary = try await box.run(path, jobs: 2)
        #expect(summary.succeeded)
        #expect(ExecutionLog.shared.starts(of: "first\(tag)") + ExecutionLog.shared.starts(of: "second\(tag)") == 1)
        #expect(summary.ran == 1 && summary.cached == 1)
        #expect(summary.nodes[0].outputs == summary.nodes[1].outputs)
    }

    func writeLease(_ url: URL, pid: Int32, host: String) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("{\"host\":\"\(host)\",\"pid\":\(pid),\"since\":\"2026-01-01T00:00:00Z\"}".utf8).write(to: url)
    }
}

extension FileHandle {
    /// Bytes up to the first newline (without it), or up to end of file; reads one byte at a time, so nothing
    /// after the line is consumed.
    func availableLine() -> Data {
        var line = Data()
        while let byte = try? read(upToCount: 1), let b = byte.first, b != 0x0A { line.append(b) }
        return line
    }
}

/// A flag set from another task.
/// Thread-safety: `@unchecked Sendable` because `flag` is guarded by `lock`.
final class WaitFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
