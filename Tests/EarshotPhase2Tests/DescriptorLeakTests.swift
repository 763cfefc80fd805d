import EarshotGraph
import EarshotNodes
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
