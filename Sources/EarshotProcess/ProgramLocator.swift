import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Finds a program the one way every kind does: a name without '/' is looked up on PATH (the caller's, or
/// `/usr/local/bin:/usr/bin:/bin` when unset; the first executable regular file wins); a path with '/' is taken
/// as is when absolute, else relative to `base` (the experiment file's folder). Symlinks are kept: a virtual
/// environment's `bin/python` only selects its environment when called by its own path.
public enum ProgramLocator {
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// `environment` replaces the process's PATH when given (tests); otherwise PATH is read with getenv, not by
    /// copying the whole environment, since this runs for every node that starts a program (even on a no-op re-run).
    ///
    /// What was found is remembered per process for (name, base, PATH) and reused while that file is still an
    /// executable regular file (one `stat` instead of a PATH walk and URL normalisation for each of 10,000 nodes).
    /// A program installed into an earlier PATH folder while a process runs is seen by the next process.
    public static func locate(_ program: String, base: String, environment: [String: String]? = nil) throws -> URL {
        guard !program.isEmpty else { throw ProcessError.notFound(program: program, looked: "the name is empty") }
        let path: String
        if let environment { path = environment["PATH"] ?? defaultPath } else { path = getenv("PATH").map { String(cString: $0) } ?? defaultPath }
        let memoKey = program + "\u{0}" + base + "\u{0}" + path
        if let known = found.withLock({ $0[memoKey] }), isExecutableFile(known.path) { return known }
        let url = try search(program, base: base, path: path)
        found.withLock { $0[memoKey] = url }
        return url
    }

    private static let found = Mutex<[String: URL]>([:])

    private static func search(_ program: String, base: String, path: String) throws -> URL {
        if program.contains("/") {
            let url = (program.hasPrefix("/") ? URL(fileURLWithPath: program)
                : URL(fileURLWithPath: program, relativeTo: URL(fileURLWithPath: base, isDirectory: true))).standardizedFileURL
            guard isExecutableFile(url.path) else {
                throw ProcessError.notFound(program: program, looked: "no executable file at '\(url.path)'")
            }
            return url
        }
        for dir in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = dir.hasSuffix("/") ? String(dir) + program : String(dir) + "/" + program
            if isExecutableFile(candidate) { return URL(fileURLWithPath: candidate).standardizedFileURL }
        }
        throw ProcessError.notFound(program: program, looked: "not on PATH")
    }

    /// An executable regular file (after following links).
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}

extension ChildProcess {
    /// Runs a program to completion with `input` on its stdin (/dev/null when nil), returning its exit and
    /// everything it wrote on stdout and stderr (all three pipes served as they become ready, so none can fill up
    /// and stall the child).
    public static func output(program: String, arguments: [String], directory: String? = nil, environment: [String: String]? = nil,
                              input: Data? = nil) throws -> (termination: Termination, stdout: Data, stderr: Data) {
        let started = try spawn(program: program, arguments: arguments, directory: directory, environment: environment,
                                stdin: input == nil ? .null : .pipe, stdout: .pipe, stderr: .pipe)
        var collected = [Data(), Data()]
        let ends = [started.stdout!, started.stderr!]
        var open = [true, true]
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let pending = [UInt8](input ?? Data())
        var written = 0
        if input != nil && pending.isEmpty { started.stdin?.close() }
        while open.contains(true) {
            var fds = ends.indices.map { pollfd(fd: open[$0] ? ends[$0].rawValue : -1, events: Int16(POLLIN), revents: 0) }
            let feeding = started.stdin.map { $0.rawValue >= 0 } ?? false
            fds.append(pollfd(fd: feeding ? started.stdin!.rawValue : -1, events: Int16(POLLOUT), revents: 0))
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if feeding, fds[2].revents != 0, let stdin = started.stdin {
                // At most PIPE_BUF bytes once the pipe is writable: such a write never blocks.
                let count = min(Int(PIPE_BUF), pending.count - written)
                let n = pending.withUnsafeBytes { write(stdin.rawValue, $0.baseAddress! + written, count) }
                if n > 0 { written += n } else if n < 0 && errno != EINTR && errno != EAGAIN { written = pending.count }
                if written >= pending.count { stdin.close() }
            }
            for i in ends.indices where open[i] && fds[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(ends[i].rawValue, $0.baseAddress!, $0.count) }
                if n > 0 {
                    collected[i].append(contentsOf: chunk[0..<n])
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[i] = false
                    ends[i].close()
                }
            }
        }
        for end in ends { end.close() }
        started.stdin?.close()
        let termination = started.process.wait(seconds: nil)!
        return (termination, collected[0], collected[1])
    }
}
