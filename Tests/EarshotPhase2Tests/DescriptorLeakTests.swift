import EarshotGraph
@testable import EarshotNodes
import EarshotProcess
import EarshotRun
import EarshotStore
import Foundation
import Testing

/// Every descriptor a node opens is closed when it ends: the process's open descriptors (`/proc/self/fd`) are the
/// same before and after 200 `command` nodes and a `score` node driving a worker. Counted in a child process (an
/// exit test), since other tests of this process open and close files in parallel.
@Suite struct DescriptorLeakTests {
    @Test func commandNodesAndAScoringWorkerLeaveNoDescriptorOpen() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
          do {
            let box = try Phase2Sandbox()
            func experiment(_ name: String, commands: Int) throws -> String {
                var yaml = Fixtures.fakeExperiment(splitPath: try box.writeSplit(Fixtures.split(count: 6, prefix: name), name: "\(name).h5"),
                                                   flags: [], params: "shard_size: 2")
                    .replacingOccurrences(of: "experiment: fake", with: "experiment: \(name)") + "\n"
                for i in 0..<commands {
                    yaml += "  step\(i): {kind: command, params: {run: [sh, -c, 'echo \(name) $0 > \"$1/x.txt\"', '\(i)', '{out}'], outputs: [x.txt]}}\n"
                }
                return try box.write(yaml, name: "\(name).yaml")
            }
            // One warm-up run, so that what the process opens once and keeps (Dispatch's event descriptors, …)
            // is open before counting.
            let warm = try await box.run(try experiment("warm", commands: 2), workers: 2)
            guard warm.succeeded else { throw NodeError("warm-up failed: \(warm.nodes.compactMap(\.reason))") }
            let before = openDescriptors()
            let summary = try await box.run(try experiment("many", commands: 200), workers: 2)
            let after = openDescriptors()
            guard summary.succeeded, summary.ran == 202 else {
                throw NodeError("the run did not succeed: \(summary.ran) ran; \(summary.nodes.compactMap(\.reason).prefix(3))")
            }
            // The parent compares the counts; the listing names what was left open.
            let report = "descriptors before: \(before.count), after: \(after.count)\n"
                + "left open: \(after.subtracting(before).sorted())\nclosed: \(before.subtracting(after).sorted())\n"
            FileHandle.standardError.write(Data(report.utf8))
          } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
          }
        }
        let stderr = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        let counts = try #require(stderr.firstMatch(of: /descriptors before: (\d+), after: (\d+)/), "\(stderr)")
        #expect(Int(counts.1)! > 0)
        #expect(counts.1 == counts.2, "\(stderr)")
    }
}

/// This process's open descriptors as "fd -> target".
func openDescriptors() -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return Set(names.compactMap { name in
        // The listing's own descriptor is gone by now: readlink fails for it.
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)") else { return nil }
        return "\(name) -> \(target)"
    })
}

/// Running out of descriptors is a clear error for the node that needs one (a worker's pipes), never a hang; a
/// `command` needs none to start; once descriptors are free again programs start as before. In a child process (an exit test): it lowers its own open-file limit.
@Suite struct DescriptorLimitTests {
    @Test func startingAProgramWithNoDescriptorLeftFailsClearly() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-fdlimit-\(UUID().uuidString)")
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            var saved = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved)
            // The lowest free descriptor number becomes the limit: no new descriptor can be made.
            let lowest = dup(0)
            close(lowest)
            var tight = saved
            tight.rlim_cur = rlim_t(lowest)
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &tight)
            do {
                _ = try ChildProcess.spawn(program: "/bin/sh", arguments: ["-c", "exit 0"], stdout: .pipe)
                say("pipe: started")
            } catch { say("pipe: \(error)") }
            do {
                _ = try await ProcessRunner.run(program: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "exit 0"], directory: dir,
                                                logDirectory: dir, timeout: 0)
                say("command: started")
            } catch { say("command: \(error)") }
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved)
            do {
                let r = try await ProcessRunner.run(program: URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "exit 0"], directory: dir,
                                                    logDirectory: dir, timeout: 0)
                say("after: \(r.termination)")
            } catch { say("after: \(error)") }
        }
        let stderr = String(decoding: try #require(result).standardErrorContent, as: UTF8.self)
        #expect(stderr.contains("pipe: cannot start '/bin/sh': Too many open files (open-file limit"), "\(stderr)")
        // A command's log files are opened by the child in place of its stdout/stderr: starting it takes no new
        // descriptor in the engine, so it starts even at the limit.
        #expect(stderr.contains("command: started"), "\(stderr)")
        #expect(stderr.contains("after: exited with status 0"), "\(stderr)")
    }
}
