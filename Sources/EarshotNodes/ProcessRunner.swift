import EarshotRun
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child process without a shell, with stdout/stderr going to files (no pipe can fill up and block),
/// an optional timeout, and termination (SIGTERM, then SIGKILL after 2 s) when the calling task is cancelled.
enum ProcessRunner {
    struct Result: Sendable {
        var status: Int32
        var signalled: Bool
        var timedOut: Bool
        var stderrTail: String

        var describeExit: String {
            if timedOut { return "timed out" }
            return signalled ? "was killed by signal \(status)" : "exited with status \(status)"
        }
    }

    static func run(program: URL, arguments: [String], directory: URL, logDirectory: URL, timeout: Double) async throws -> Result {
        let stdoutURL = logDirectory.appendingPathComponent("stdout.log")
        let stderrURL = logDirectory.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let box = ProcessBox(process)
        let status: (Int32, Bool, Bool) = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { p in
                    continuation.resume(returning: (p.terminationStatus, p.terminationReason == .uncaughtSignal, box.timedOut))
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: NodeError("cannot start '\(program.path)': \(error.localizedDescription)"))
                    return
                }
                if timeout > 0 { box.killAfter(timeout) }
            }
        } onCancel: {
            box.terminate()
        }
        try Task.checkCancellation()
        return Result(status: status.0, signalled: status.1, timedOut: status.2, stderrTail: tail(of: stderrURL, bytes: 4000))
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

/// Thread-safety: `@unchecked Sendable` because `timedOut` is guarded by `lock`; `Process` methods used here
/// (terminate, processIdentifier, isRunning) are safe to call from any thread.
final class ProcessBox: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var _timedOut = false

    init(_ process: Process) { self.process = process }

    var timedOut: Bool { lock.withLock { _timedOut } }

    func terminate() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [process] in
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }

    func killAfter(_ seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            guard process.isRunning else { return }
            lock.withLock { _timedOut = true }
            terminate()
        }
    }
}
