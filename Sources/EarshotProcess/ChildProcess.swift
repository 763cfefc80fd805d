import CEarshotSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where one of a child's standard streams goes.
public enum ChildStream: Sendable {
    /// `/dev/null`.
    case null
    /// A file the child opens itself (created or truncated), so the parent holds no descriptor for it.
    case file(String)
    /// A pipe; the parent's end is returned by `ChildProcess.spawn` and owned by the caller.
    case pipe
}

/// How a child ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public var succeeded: Bool { self == .exited(0) }
    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signalled(let signal): return "was killed by signal \(signal)"
        }
    }
}

/// A descriptor the caller owns: closed by `close()` or when released, never twice.
public final class OwnedDescriptor: Sendable {
    private let fd: Mutex<Int32>

    init(_ fd: Int32) { self.fd = Mutex(fd) }
    deinit { close() }

    /// The raw descriptor, or -1 once closed.
    public var rawValue: Int32 { fd.withLock { $0 } }

    public func close() {
        let old = fd.withLock { value -> Int32 in defer { value = -1 }; return value }
        if old >= 0 { _ = Glibc.close(old) }
    }
}

/// One child process started with `posix_spawn`, the only way Earshot starts programs.
///
/// Descriptors: the child gets exactly stdin/stdout/stderr (everything else is closed in the child, so no lock or
/// store file leaks into it); files are opened by the child, so the parent keeps nothing open for them; a pipe's
/// parent end is an `OwnedDescriptor`. Reaping: a thread per child waits for it, so every child is reaped even when
/// nobody awaits it. Signals: the child runs in its own process group with default signal dispositions (the engine
/// ignores SIGINT/SIGTERM and SIGPIPE for itself; children must not inherit that); `signal` and `terminate` reach the
/// whole group and are no-ops once the child has exited, so a reused pid is never signalled.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The program, for messages.
    public let program: String

    private struct State {
        /// Set (under the lock) before the child is reaped: after that no signal is sent.
        var exited = false
        var termination: Termination?
        var continuations: [CheckedContinuation<Termination, Never>] = []
        var semaphores: [DispatchSemaphore] = []
    }
    private let state = Mutex(State())

    private init(pid: pid_t, program: String) {
        self.pid = pid
        self.program = program
    }

    /// What `spawn` returns: the child and the parent's ends of the pipes asked for.
    public struct Started: Sendable {
        public var process: ChildProcess
        /// Write end of the child's stdin, when it is `.pipe`.
        public var stdin: OwnedDescriptor?
        /// Read end of the child's stdout / stderr, when they are `.pipe`.
        public var stdout: OwnedDescriptor?
        public var stderr: OwnedDescriptor?
    }

    /// Starts `program` (an absolute or working-directory-relative path; no PATH search) with `arguments`.
    /// `environment` nil inherits the caller's. Throws `ProcessError` (naming the program and, for running out
    /// of descriptors or processes, the limit) when it cannot start; nothing is left open or unreaped then.
    public static func spawn(program: String, arguments: [String], directory: String? = nil, environment: [String: String]? = nil,
                             stdin: ChildStream = .null, stdout: ChildStream = .null, stderr: ChildStream = .null) throws -> Started {
        _ = ignoreBrokenPipes
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var parentEnds: [OwnedDescriptor?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        defer { for fd in childEnds { _ = close(fd) } }
        for (target, stream) in [stdin, stdout, stderr].enumerated() {
            let fd = Int32(target)
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .pipe:
                var ends: [Int32] = [-1, -1]
                guard earshot_pipe_cloexec(&ends) == 0 else { throw ProcessError.cannotStart(program: program, errno: errno) }
                let (childEnd, parentEnd) = target == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
                childEnds.append(childEnd)
                parentEnds[target] = OwnedDescriptor(parentEnd)
                posix_spawn_file_actions_adddup2(&actions, childEnd, fd)
            }
        }
        earshot_spawn_addclosefrom(&actions, 3)
        if let directory { earshot_spawn_addchdir(&actions, directory) }

        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = [program] + arguments
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in
            guard let environment else { return posix_spawn(&pid, program, &actions, &attributes, cArgv, environ) }
            return withCStrings(environment.map { "\($0.key)=\($0.value)" }) { cEnvp in
                posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnvp)
            }
        }
        guard rc == 0 else { throw ProcessError.cannotStart(program: program, errno: rc) }
        let child = ChildProcess(pid: pid, program: program)
        do {
            try child.startReaper()
        } catch {
            // No thread to reap it: end and reap it here so nothing is left behind.
            _ = kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            throw error
        }
        return Started(process: child, stdin: parentEnds[0], stdout: parentEnds[1], stderr: parentEnds[2])
    }

    /// A write to a dead child's pipe must fail with EPIPE, not kill the engine with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN); return () }()

    private func startReaper() throws {
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 512 * 1024)
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, &attributes, { raw in
            let child = Unmanaged<ChildProcess>.fromOpaque(raw!).takeRetainedValue()
            child.reap()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<ChildProcess>.fromOpaque(context).release()
            throw ProcessError.cannotStart(program: program, errno: rc)
        }
    }

    /// Waits for the exit without reaping, marks the child exited, then reaps it and wakes the waiters.
    private func reap() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        state.withLock { $0.exited = true }
        var status: Int32 = 0
        var rc: pid_t
        repeat { rc = waitpid(pid, &status, 0) } while rc < 0 && errno == EINTR
        let termination: Termination
        if rc < 0 {
            termination = .exited(-1)
        } else if status & 0x7f == 0 {
            termination = .exited((status >> 8) & 0xff)
        } else {
            termination = .signalled(status & 0x7f)
        }
        let (continuations, semaphores) = state.withLock { s in
            s.termination = termination
            defer { s.continuations = []; s.semaphores = [] }
            return (s.continuations, s.semaphores)
        }
        for c in continuations { c.resume(returning: termination) }
        for s in semaphores { s.signal() }
    }

    /// How the child ended, or nil while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// Waits (without blocking a thread) until the child has exited and been reaped.
    public func wait() async -> Termination {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Termination? in
                if let t = s.termination { return t }
                s.continuations.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Blocks until the child has exited, at most `seconds` (nil: no limit); nil when it still runs.
    @discardableResult
    public func wait(seconds: Double?) -> Termination? {
        let semaphore = DispatchSemaphore(value: 0)
        if let done = state.withLock({ s -> Termination? in
            if let t = s.termination { return t }
            s.semaphores.append(semaphore)
            return nil
        }) { return done }
        if let seconds {
            _ = semaphore.wait(timeout: .now() + max(0, seconds))
        } else {
            semaphore.wait()
        }
        return termination
    }

    /// Sends `signal` to the child's process group; nothing once it has exited.
    public func signal(_ signal: Int32) {
        state.withLock { s in
            guard !s.exited else { return }
            if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
        }
    }

    /// SIGTERM now, SIGKILL after `grace` seconds if it still runs.
    public func terminate(grace: Double = 2) {
        signal(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            if termination == nil { signal(SIGKILL) }
        }
    }
}

/// Why a program could not be started.
public enum ProcessError: Error, CustomStringConvertible, Equatable {
    case cannotStart(program: String, errno: Int32)
    case notFound(program: String, looked: String)

    public var description: String {
        switch self {
        case .cannotStart(let program, let code):
            var text = "cannot start '\(program)': \(String(cString: strerror(code)))"
            if code == EMFILE || code == ENFILE {
                var limit = rlimit()
                getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
                text += " (open-file limit \(limit.rlim_cur); raise it with `ulimit -n` or lower --jobs)"
            } else if code == EAGAIN {
                text += " (process or thread limit reached; lower --jobs)"
            }
            return text
        case .notFound(let program, let looked):
            return "program '\(program)' not found (\(looked))"
        }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { for p in pointers { free(p) } }
    return body(pointers + [nil])
}
