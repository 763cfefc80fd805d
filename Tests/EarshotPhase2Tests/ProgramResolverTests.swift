@testable import EarshotNodes
import EarshotProcess
import EarshotRun
import EarshotStore
import Foundation
import Testing

/// The one program resolver: lookup rules, identity by content cached per file state, errors that say where it looked.
@Suite struct ProgramResolverTests {
    @Test func bareNamesComeFromPathAndRelativePathsFromTheExperimentFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-resolver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tool = dir.appendingPathComponent("bin/tool")
        try "#!/bin/sh\n".write(to: tool, atomically: true, encoding: .utf8)
        chmod(tool.path, 0o755)
        let environment = ["PATH": "/nonexistent:\(dir.appendingPathComponent("bin").path)"]
        #expect(try ProgramLocator.locate("tool", base: "/", environment: environment).path == tool.path)
        #expect(try ProgramLocator.locate("bin/tool", base: dir.path).path == tool.path)
        #expect(try ProgramLocator.locate("./bin/../bin/tool", base: dir.path).path == tool.path)
        // Not executable, or absent: the error says where it looked.
        chmod(tool.path, 0o644)
        #expect(throws: ProcessError.notFound(program: "tool", looked: "not on PATH")) {
            try ProgramLocator.locate("tool", base: "/", environment: environment)
        }
        let error = #expect(throws: NodeError.self) { try ProgramResolver.locate("bin/tool", specDirectory: dir.path, what: "worker program") }
        #expect(error?.description == "worker program 'bin/tool' not found (no executable file at '\(tool.path)')")
    }

    @Test func identityIsTheContentHashCachedWhileTheFileIsUnchanged() throws {
        // An old file (the system shell): hashed once, then served from the cache.
        let shell = try ProgramLocator.locate("sh", base: "/")
        let digest = try ProgramResolver.identity(of: shell)
        #expect(digest == (try SHA256.hash(fileAt: shell)))
        #expect(ProgramResolver.IdentityCache.shared.isCached(shell))
        #expect(try ProgramResolver.identity(of: shell) == digest)
        // A file written just now is not cached (its stamp could survive a same-size rewrite within one clock
        // tick), so rewriting it with other bytes of the same size gives the new content's hash at once.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("step.sh")
        try "echo a\n".write(to: script, atomically: false, encoding: .utf8)
        #expect(try ProgramResolver.identity(of: script) == SHA256.hash(Data("echo a\n".utf8)))
        #expect(!ProgramResolver.IdentityCache.shared.isCached(script))
        try "echo b\n".write(to: script, atomically: false, encoding: .utf8)
        #expect(try ProgramResolver.identity(of: script) == SHA256.hash(Data("echo b\n".utf8)))
    }

    @Test func workerCommandsHashTheProgramAndTheScriptItRuns() throws {
        let resolved = try ProgramResolver.command(["python3", Fixtures.fakeWorker, "--flag"], specDirectory: "/", what: "worker program")
        #expect(resolved.files["script"] == (try SHA256.hash(fileAt: URL(fileURLWithPath: Fixtures.fakeWorker))))
        #expect(resolved.files["program"] == (try SHA256.hash(fileAt: resolved.program)))
        #expect(resolved.arguments == [Fixtures.fakeWorker, "--flag"])
    }
}
