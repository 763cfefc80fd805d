import EarshotStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// nginx is needed for the end-to-end remote tests; CI installs it and sets EARSHOT_NGINX=1 so they cannot skip.
let nginxAvailable: Bool = {
    if ProcessInfo.processInfo.environment["EARSHOT_NGINX"] == "1" { return true }
    return FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
}()

/// An nginx WebDAV server on a free loopback port serving a temporary folder, started by
/// `scripts/remote-cache-nginx.sh` as a child process and stopped on deinit.
final class NginxRemote {
    let dir: URL
    let port: Int
    let process = Process()
    /// The remote cache's base URL.
    var url: String { "http://127.0.0.1:\(port)/earshot" }
    var data: URL { dir.appendingPathComponent("data/earshot") }

    init(auth: String? = nil) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-nginx-\(UUID().uuidString)")
        port = try Self.freePort()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.script.path, String(port), dir.path]
        var env = ProcessInfo.processInfo.environment
        if let auth { env["REMOTE_AUTH"] = auth }
        process.environment = env
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let log = dir.appendingPathComponent("launch.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !Self.accepts(port) {
            guard Date() < deadline, process.isRunning else {
                let log = ["launch.log", "error.log"].compactMap { try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }.joined()
                throw NodeStartError(message: "nginx did not start on port \(port): \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dir)
    }

    struct NodeStartError: Error { var message: String }

    /// `scripts/remote-cache-nginx.sh` of this checkout.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/remote-cache-nginx.sh")

    /// A port the kernel just handed out for 127.0.0.1 (free at that moment).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw NodeStartError(message: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

@Suite(.serialized, .enabled(if: nginxAvailable, "needs nginx (apt-get install nginx-light); CI sets EARSHOT_NGINX=1"))
struct RemoteCacheTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-remote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeLoggedDiamond(in: dir, seconds: 0.05)
    }

    @Test func runAPushesAndRunBOnAnEmptyStorePullsAndExecutesNothing() throws {
        let server = try NginxRemote()
        let a = try earshot(["run", "shared.yaml", "--store", "a", "--remote", server.url, "--json"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(runCounts(a.stdout)?.ran == 4)
        #expect(FileSystem.files(under: server.data.appendingPathComponent("cas")).count == 4, "write-through uploaded every object")
        #expect(FileSystem.files(under: server.data.appendingPathComponent("ac")).count == 4, "and every action record")
        let b = try earshot(["run", "shared.yaml", "--store", "b", "--remote", server.url, "--json"], in: dir)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(runCounts(b.stdout)?.ran == 0, "run B executes nothing: \(b.stdout)")
        #expect(runCounts(b.stdout)?.cached == 4)
        #expect(b.stdout.contains("pulled from the remote cache"))
        #expect(executions(in: dir) == ["a", "b", "c", "d"], "only run A executed nodes")
        #expect(objectNames(dir.appendingPathComponent("b")) == objectNames(dir.appendingPathComponent("a")))
        #expect(try earshot(["cache", "verify", "--store", "b"], in: dir).status == 0)
    }

    @Test(arguments: ["flip", "truncate"])
    func aTamperedRemoteObjectIsRejectedAndRecomputed(damage: String) throws {
        let server = try NginxRemote()
        let a = try earshot(["run", "shared.yaml", "--store", "a", "--remote", server.url, "--json"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        let bObject = try #require(reportedOutput(a.stdout, node: "b"))
        let onServer = server.data.appendingPathComponent("cas/\(bObject)")
        var bytes = try Data(contentsOf: onServer)
        if damage == "flip" { bytes[bytes.count / 2] ^= 0x40 } else { bytes = bytes.prefix(bytes.count / 3) }
        try bytes.write(to: onServer)

        let c = try earshot(["run", "shared.yaml", "--store", "c", "--remote", server.url, "--json"], in: dir)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains("warning: node 'b': remote object \(bObject) failed verification"), "\(c.stderr)")
        if damage == "truncate" { #expect(c.stderr.contains("truncated")) }
        #expect(runCounts(c.stdout)?.ran == 1, "only the node whose remote object was bad is recomputed: \(c.stdout)")
        #expect(executions(in: dir) == ["a", "b", "b", "c", "d"])
        #expect(reportedOutput(c.stdout, node: "b") == bObject, "recomputing reproduces the same bytes")
        #expect(objectNames(dir.appendingPathComponent("c")) == objectNames(dir.appendingPathComponent("a")))
        #expect(try earshot(["cache", "verify", "--store", "c"], in: dir).status == 0)
        // Write-through replaced the bad copy on the server.
        #expect(try SHA256.hash(fileAt: onServer).hex == bObject)
    }

    @Test func aRemoteRecordPointingAtAnotherNodesObjectIsRejectedAndRecomputed() throws {
        let server = try NginxRemote()
        let a = try earshot(["run", "shared.yaml", "--store", "a", "--remote", server.url, "--json"], in: dir)
        #expect(a.status == 0, "\(a.stderr)")
        let nodes = reportedNodes(a.stdout)
        let b = try #require(nodes["b"]), c = try #require(nodes["c"])
        // The remote's record for b names c's object: every object on the server still hashes to its name.
        let record = server.data.appendingPathComponent("ac/\(b.key)")
        let text = try String(contentsOf: record, encoding: .utf8)
        try text.replacingOccurrences(of: b.object, with: c.object).write(to: record, atomically: true, encoding: .utf8)

        let pulled = try earshot(["run", "shared.yaml", "--store", "p", "--remote", server.url, "--json"], in: dir)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stderr.contains("was produced for key \(c.key.prefix(12))"), "\(pulled.stderr)")
        #expect(runCounts(pulled.stdout)?.ran == 1, "only b is recomputed: \(pulled.stdout)")
        #expect(reportedNodes(pulled.stdout)["b"]?.object == b.object)
        #expect(objectNames(dir.appendingPathComponent("p")) == objectNames(dir.appendingPathComponent("a")))
        #expect(try earshot(["cache", "verify", "--store", "p"], in: dir).status == 0)
    }

    @Test func cachePushAndPullTransferAnExperiment() throws {
        let server = try NginxRemote()
        #expect(try earshot(["run", "shared.yaml", "--store", "a", "-q"], in: dir).status == 0)
        let push = try earshot(["cache", "push", "--store", "a", "--remote", server.url], in: dir)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("pushed 4 actions, 4 objects"), "\(push.stdout)")
        let again = try earshot(["cache", "push", "shared.yaml", "--store", "a", "--remote", server.url], in: dir)
        #expect(again.stdout.contains("pushed 4 actions, 0 objects") && again.stdout.contains("4 objects already there"), "\(again.stdout)")
        let pull = try earshot(["cache", "pull", "shared.yaml", "--store", "p", "--remote", server.url], in: dir)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("4 nodes pulled, 0 already in the store, 0 not on the remote"), "\(pull.stdout)")
        let run = try earshot(["run", "shared.yaml", "--store", "p", "--json"], in: dir)
        #expect(runCounts(run.stdout)?.ran == 0, "everything was pulled: \(run.stdout)")
        #expect(objectNames(dir.appendingPathComponent("p")) == objectNames(dir.appendingPathComponent("a")))
        let why = try earshot(["why", "shared.yaml", "d", "--store", "p"], in: dir)
        #expect(why.stdout.contains("'d' is cached"), "pull records the latest keys: \(why.stdout)")
    }

    @Test func readOnlyRemotesAreNeverWritten() throws {
        let server = try NginxRemote()
        let r = try earshot(["run", "shared.yaml", "--store", "a", "--remote", server.url, "--remote-read-only", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(runCounts(r.stdout)?.ran == 4)
        #expect(FileSystem.files(under: server.dir.appendingPathComponent("data")).isEmpty)
        let push = try earshot(["cache", "push", "--store", "a", "--remote", server.url, "--remote-read-only"], in: dir)
        #expect(push.status == 2)
    }

    @Test func credentialsComeFromNetrcOrTheEnvironment() throws {
        let server = try NginxRemote(auth: "alice:s3cret")
        #expect(try earshot(["run", "shared.yaml", "--store", "a", "-q"], in: dir).status == 0)
        let denied = try earshot(["cache", "push", "--store", "a", "--remote", server.url], in: dir)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("access denied (HTTP 401): set EARSHOT_REMOTE_TOKEN or add a netrc entry for '127.0.0.1'"), "\(denied.stderr)")
        let netrc = dir.appendingPathComponent("netrc")
        try "machine other.example login bob password nope\nmachine 127.0.0.1\n  login alice\n  password s3cret\n".write(to: netrc, atomically: true, encoding: .utf8)
        let push = try earshotWith(["cache", "push", "--store", "a", "--remote", server.url], in: dir, environment: ["NETRC": netrc.path])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("pushed 4 actions"))
        let wrong = try earshotWith(["cache", "push", "--store", "a", "--remote", server.url], in: dir,
                                    environment: ["NETRC": netrc.path, "EARSHOT_REMOTE_TOKEN": "not-accepted-here"])
        #expect(wrong.stderr.contains("the credentials from EARSHOT_REMOTE_TOKEN were refused"), "the token takes precedence: \(wrong.stderr)")
    }

    /// Sizes around libcurl's 16 KiB body pieces and the 1 MiB write buffer, empty and multi-MiB objects, more objects
    /// than transfer slots, then many more requests at once than slots.
    @Test func objectsOfEverySizeStreamThroughFewSlotsAndArriveVerified() async throws {
        let server = try NginxRemote()
        let source = try ArtifactStore(root: dir.appendingPathComponent("source"))
        let sizes = [0, 1, 16_383, 16_384, 16_385, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 5_000_017] + (0..<31).map { 100 + 997 * $0 }
        var objects: [OutputObject] = []
        for (i, size) in sizes.enumerated() {
            var state = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
            let bytes = (0..<size).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            let digest = try source.putObject(ext: "bin") { try Data(bytes).write(to: $0) }
            objects.append(OutputObject(object: digest, content: digest, ext: "bin", type: "blob", bytes: size))
        }
        let record = ActionRecord(key: SHA256.hash("forty objects"), experiment: "t", node: "n", kind: "blob",
                                  outputs: ["first": objects[0]], attachments: Array(objects.dropFirst()), keyInputs: "{}",
                                  inputSources: [:], createdAt: Date(), seconds: 0, producer: "test")
        let remote = try RemoteCache(url: URL(string: server.url)!, options: .init(parallelTransfers: 3), credentials: .some(nil))
        let pushed = try await remote.push(record, from: source)
        #expect(pushed.objects == sizes.count && pushed.bytes == sizes.reduce(0, +) && pushed.actions == 1, "\(pushed)")

        let target = try ArtifactStore(root: dir.appendingPathComponent("target"))
        guard case .hit(let fetched, let transfer) = try await remote.fetch(key: record.key, into: target) else {
            Issue.record("the pushed record was not found")
            return
        }
        #expect(fetched.key == record.key && fetched.attachments == record.attachments)
        #expect(transfer.objects == sizes.count && transfer.bytes == sizes.reduce(0, +) && transfer.skipped == 0, "\(transfer)")
        for object in objects {
            #expect(target.verifyObject(object.object, ext: "bin") == .ok)
            #expect(FileManager.default.contents(atPath: target.objectURL(object.object, ext: "bin").path)
                    == FileManager.default.contents(atPath: source.objectURL(object.object, ext: "bin").path))
        }
        #expect(FileSystem.files(under: target.root.appendingPathComponent("tmp")).isEmpty, "no temporary file is left behind")
        guard case .hit(_, let again) = try await remote.fetch(key: record.key, into: target) else {
            Issue.record("the second lookup missed")
            return
        }
        #expect(again.objects == 0 && again.skipped == sizes.count, "objects already in the store are not downloaded again")

        // Many more requests at once than slots: each queued request starts as soon as a slot frees up. Waiting for
        // the transport's 1 s poll timeout instead (a lost wakeup) took 4-9 s here; the transport counts such polls.
        let stalledBefore = remote.stalledPolls
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<40 { group.addTask { try await remote.fetchAction(SHA256.hash("absent \(i)")) != nil } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == 0)
        #expect(remote.stalledPolls == stalledBefore, "a queued lookup waited for a poll timeout instead of starting when a slot freed")
    }

    func earshotWith(_ args: [String], in dir: URL, environment: [String: String]) throws -> CLIResult {
        try BackgroundEarshot(args, in: dir, environment: environment).finish()
    }

    /// The object digest `run --json` reported for a node's single output.
    func reportedOutput(_ json: String, node: String) -> String? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
              let nodes = o["nodes"] as? [[String: Any]],
              let n = nodes.first(where: { $0["id"] as? String == node }) else { return nil }
        return (n["outputs"] as? [String: String])?.values.first
    }
}

@Suite struct RemoteCacheClientTests {
    @Test func netrcEntriesMatchTheHostElseTheDefault() {
        let netrc = Netrc.parse("""
        # team caches
        machine cache.lab.example login alice password "two words"
        machine other.example
            login bob
            password hunter2
        macdef init
        cd /pub

        default login anonymous password guest
        """)
        #expect(netrc.entry(for: "cache.lab.example") == .init(machine: "cache.lab.example", login: "alice", password: "two words"))
        #expect(netrc.entry(for: "OTHER.example")?.login == "bob")
        #expect(netrc.entry(for: "elsewhere.example") == .init(machine: nil, login: "anonymous", password: "guest"))
        #expect(Netrc.parse("machine a login x password y").entry(for: "b") == nil)
    }

    @Test func theTokenWinsOverNetrcAndNeitherComesFromTheURL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-netrc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("netrc")
        try "machine cache.lab.example login alice password s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        let url = URL(string: "https://cache.lab.example/earshot")!
        let basic = RemoteCredentials.resolve(for: url, environment: ["NETRC": file.path])
        #expect(basic?.authorization == "Basic " + Data("alice:s3cret".utf8).base64EncodedString())
        #expect(basic?.source == file.path)
        let bearer = RemoteCredentials.resolve(for: url, environment: ["NETRC": file.path, "EARSHOT_REMOTE_TOKEN": "t0k"])
        #expect(bearer?.authorization == "Bearer t0k")
        #expect(RemoteCredentials.resolve(for: URL(string: "https://elsewhere.example/")!, environment: ["NETRC": file.path]) == nil)
        #expect(throws: StoreError.self) { try RemoteCache(url: URL(string: "https://alice:s3cret@cache.lab.example/")!) }
        #expect(throws: StoreError.self) { try RemoteCache(url: URL(string: "ftp://cache.lab.example/")!) }
    }

    @Test func refusedConnectionsAreRetriedWithBackoffThenReported() async throws {
        let port = try NginxRemote.freePort()   // nothing listens there
        let remote = try RemoteCache(url: URL(string: "http://127.0.0.1:\(port)/earshot")!,
                                     options: .init(attempts: 3, backoff: 0.2), credentials: .some(nil))
        let started = Date()
        let error = await #expect(throws: StoreError.self) { try await remote.fetchAction(SHA256.hash(Data("k".utf8))) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.6, "two backoffs of 0.2 s and 0.4 s before giving up (\(elapsed) s)")
        #expect("\(error!)".contains("gave up after 3 attempts: connection refused"), "\(error!)")
    }
}
