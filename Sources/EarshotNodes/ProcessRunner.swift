import EarshotProcess
import EarshotRun
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child process without a shell, with stdout/stderr going to files the child opens itself (no pipe can
/// fill up and block, and the engine holds no descriptor for them), an optional timeout, and termination
/// (SIGTERM to its process group, then SIGKILL after 2 s) when the calling task is cancelled. The child is reaped
/// in every case.
enum ProcessRunner {
    struct Result: Sendable {
        var termination: Termination
        var timedOut: Bool
        var stderrTail: String

        var status: Int32 { if case .exited(let s) = termination { s } else { -1 } }
        var describeExit: String { timedOut ? "timed out" : termination.description }
    }

    static func run(program: URL, arguments: [String], directory: URL, logDirectory: URL, timeout: Double) async throws -> Result {
        let stderrURL = logDirectory.appendingPathComponent("stderr.log")
        let started: ChildProcess.Started
        do {
            started = try ChildProcess.spawn(program: program.path, arguments: arguments, directory: directory.path,
                                             stdout: .file(logDirectory.appendingPathComponent("stdout.log").path),
                                             stderr: .file(stderrURL.path))
        } catch {
            throw NodeError("\(error)")
        }
        let child = started.process
        let timedOut = Atomic<Bool>(false)
        var timer: DispatchWorkItem?
        if timeout > 0 {
            let item = DispatchWorkItem { [child] in
                guard child.termination == nil else { return }
                timedOut.store(true, ordering: .relaxed)
                child.terminate()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: item)
            timer = item
        }
        let termination = await withTaskCancellationHandler {
            await child.wait()
        } onCancel: {
            child.terminate()
        }
        timer?.cancel()
        try Task.checkCancellation()
        return Result(termination: termination, timedOut: timedOut.load(ordering: .relaxed), stderrTail: tail(of: stderrURL, bytes: 4000))
    }

    static func tail(of url: URL, bytes: Int) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
