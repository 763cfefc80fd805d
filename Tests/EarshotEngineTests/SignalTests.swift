import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM always ends a run: running programs get SIGTERM in their whole process group (a grandchild too), one
/// that ignores it is killed after the grace period, every child is reaped, and earshot exits 130.
@Suite struct SignalTests {
    @Test(.timeLimit(.minutes(10))) func sigtermEndsARunWhoseProgramsIgnoreItOrHaveChildren() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-signal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        experiment: signals
        nodes:
          stubborn: {kind: command, params: {run: [sh, -c, 'trap "" TERM; touch stubborn.started; while :; do sleep 1; done'], outputs: [x]}}
          parent: {kind: command, params: {run: [sh, -c, 'sleep 600 & echo $! > grandchild.pid; touch parent.started; wait'], outputs: [x]}}
        """.write(to: dir.appendingPathComponent("signals.yaml"), atomically: true, encoding: .utf8)
        let markers = ["stubborn.started", "parent.started"].map { dir.appendingPathComponent($0).path }
        let r = try runEarshot(["run", "signals.yaml", "--store", "s", "--jobs", "2"], in: dir) { pid in
            // The event: both programs are running (each touched its file).
            while !markers.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) { usleep(20_000) }
            kill(pid, SIGTERM)
        }
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("interrupted: cancelling running nodes"))
        // The grandchild got the signal with its group: wait for it to be gone (reaped by init), not for a time.
        let text = try String(contentsOf: dir.appendingPathComponent("grandchild.pid"), encoding: .utf8)
        let grandchild = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        while Self.alive(grandchild) { usleep(20_000) }
    }

    /// A process that exists and is not a zombie.
    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }
}
