import EarshotProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How to start a scoring worker: an absolute program path, its arguments, the folder it runs in and
/// environment variables added to the caller's (`PYTHONUNBUFFERED=1` is always added, so a Python worker's
/// replies are not held in a buffer).
public struct WorkerCommand: Sendable, Hashable {
    public var program: URL
    public var arguments: [String]
    public var directory: URL
    public var environment: [String: String]

    public init(program: URL, arguments: [String], directory: URL, environment: [String: String] = [:]) {
        self.program = program
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
    }

    /// The program's file name, for messages.
    public var name: String { program.lastPathComponent + (arguments.first.map { " " + $0 } ?? "") }
}

/// One running worker process speaking protocol v1 (`schemas/worker-protocol.md`) over pipes.
///
/// Blocking I/O with deadlines (`poll(2)`): call it from a dedicated thread, never from the cooperative
/// pool. stdout is read line by line; stderr goes to a file whose tail is quoted when the worker fails.
/// Thread-safety: `@unchecked Sendable` because one thread drives a worker at a time; the only call
/// made from other threads is `kill()`, which just sends SIGKILL to a fixed pid.
public final class WorkerProcess: @unchecked Sendable {
    /// What one read produced.
    public enum Reply: Sendable, Equatable {
        case line(String)
        /// The worker closed stdout or died (a write to its stdin failed).
        case ended
        case timedOut
    }

    public let command: WorkerCommand
    public let stderrURL: URL
    private let child: ChildProcess
    private let stdinEnd: OwnedDescriptor
    private let stdoutEnd: OwnedDescriptor
    private var stdinFD: Int32
    private let stdoutFD: Int32
    private var buffer: [UInt8] = []

    /// Starts the worker. Its stderr is written to `stderrURL` (created or truncated) by the worker itself.
    public init(command: WorkerCommand, stderrURL: URL) throws {
        self.command = command
        self.stderrURL = stderrURL
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        for (k, v) in command.environment { environment[k] = v }
        let started: ChildProcess.Started
        do {
            started = try ChildProcess.spawn(program: command.program.path, arguments: command.arguments, directory: command.directory.path,
                                             environment: environment, stdin: .pipe, stdout: .pipe, stderr: .file(stderrURL.path))
        } catch {
            throw ScoringError.workerFailed(program: command.name, reason: "cannot be started (\(error)); check the program path and that it is executable", stderrTail: "")
        }
        child = started.process
        stdinEnd = started.stdin!
        stdoutEnd = started.stdout!
        stdinFD = stdinEnd.rawValue
        stdoutFD = stdoutEnd.rawValue
    }

    deinit {
        kill()
        stdinEnd.close()
        stdoutEnd.close()
    }

    /// Reads the handshake line (within `timeout` seconds, 0 = no limit) and checks it.
    public func readHello(timeout: Double) throws -> WorkerHello {
        switch readLine(timeout: timeout) {
        case .line(let line):
            guard case .hello(let hello) = try WorkerMessage.decode(line: line) else {
                throw ScoringError.workerFailed(program: command.name, reason: "did not start with a hello line (got '\(line.prefix(120))')", stderrTail: stderrTail())
            }
            return hello
        case .ended:
            throw ScoringError.workerFailed(program: command.name, reason: "\(exitDescription()) before sending its hello", stderrTail: stderrTail())
        case .timedOut:
            kill()
            throw ScoringError.workerFailed(program: command.name, reason: "sent no hello within \(timeout) s (killed)", stderrTail: stderrTail())
        }
    }

    /// Sends one request line and reads the reply line.
    public func exchange(_ request: String, timeout: Double) -> Reply {
        guard send(request) else { return .ended }
        return readLine(timeout: timeout)
    }

    /// Writes `line` and a newline; false when the worker no longer reads (it died).
    public func send(_ line: String) -> Bool {
        guard stdinFD >= 0 else { return false }
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// The next line of stdout (without its newline), waiting at most `timeout` seconds (0 = no limit).
    public func readLine(timeout: Double) -> Reply {
        let deadline = timeout > 0 ? Date().addingTimeInterval(timeout) : nil
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return .line(line)
            }
            var wait: Int32 = -1
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                if left <= 0 { return .timedOut }
                wait = Int32(min(left * 1000 + 1, Double(Int32.max)))
            }
            var descriptor = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, wait)
            if ready < 0 {
                if errno == EINTR { continue }
                return .ended
            }
            if ready == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .ended
            }
            if n == 0 { return .ended }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// Asks the worker to exit (`shutdown`), waits up to `grace` seconds, then kills it.
    public func shutdown(grace: Double = 2) {
        _ = send(#"{"type":"shutdown"}"#)
        stdinEnd.close()
        stdinFD = -1
        if !waitForExit(seconds: grace) { kill() }
    }

    /// Sends SIGKILL to the worker's process group (no-op once the worker has exited).
    public func kill() {
        child.signal(SIGKILL)
    }

    /// Waits until the process has exited and been reaped; false after `seconds`.
    @discardableResult
    public func waitForExit(seconds: Double) -> Bool {
        child.wait(seconds: seconds) != nil
    }

    /// "exited with status N" / "was killed by signal N" / "closed its output", after waiting briefly for the exit.
    public func exitDescription() -> String {
        child.wait(seconds: 2)?.description ?? "closed its output"
    }

    /// The last `bytes` bytes the worker wrote to stderr, trimmed.
    public func stderrTail(bytes: Int = 4000) -> String {
        guard let handle = try? FileHandle(forReadingFrom: stderrURL) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
