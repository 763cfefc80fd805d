import EarshotProcess
import EarshotRun
import EarshotStore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one program resolver of every kind that runs a program (`command`, the scorer and synthesis workers;
/// eSpeak uses the same `ProgramLocator` and is identified by its version line).
///
/// Lookup follows `ProgramLocator` (PATH for a bare name, the experiment file's folder for a relative path).
/// Identity is by content: the SHA-256 of the file (links followed), computed once per file state per process —
/// a stat stamp (device, inode, size, mtime, ctime) decides whether a cached digest still holds — so a 10,000-node
/// DAG whose steps all run `bash` hashes bash once. Keys are portable: they take the digest and the name as
/// written in the spec, never the absolute path found on this machine.
enum ProgramResolver {
    /// A program with its script (the first argument, when it names an existing file) made absolute.
    struct Command: Sendable {
        var program: URL
        var arguments: [String]
        /// "program" and, when there is one, "script" → content digests (they enter node keys).
        var files: [String: Digest]
        /// argv as run and the digests, for caches of what the program reports about itself (hellos).
        var fingerprint: String
    }

    /// Locates `program` or throws a `NodeError` that says where it looked (`what` names it: "program", "worker program"…).
    static func locate(_ program: String, specDirectory: String, what: String = "program", hint: String = "") throws -> URL {
        do {
            return try ProgramLocator.locate(program, base: specDirectory)
        } catch ProcessError.notFound(_, let looked) {
            throw NodeError("\(what) '\(program)' not found (\(looked))\(hint)")
        }
    }

    /// Resolves `argv` of a worker: the program and, when the first argument is an existing regular file (the
    /// script an interpreter runs), that file, both hashed.
    static func command(_ argv: [String], specDirectory: String, what: String, hint: String = "") throws -> Command {
        guard let first = argv.first, !first.isEmpty else { throw NodeError("\(what): the command is empty; give [program, args…]") }
        let program = try locate(first, specDirectory: specDirectory, what: what, hint: hint)
        var files = ["program": try identity(of: program, what: what)]
        var arguments = Array(argv.dropFirst())
        if let script = arguments.first, !script.hasPrefix("-") {
            let url = ScorerSpec.resolve(script, specDirectory: specDirectory)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files["script"] = try identity(of: url, what: "\(what)'s script")
                arguments[0] = url.path
            }
        }
        let fingerprint = ([program.path] + arguments).joined(separator: "\u{1F}") + "\u{1E}"
            + files.keys.sorted().map { "\($0)=\(files[$0]!.hex)" }.joined(separator: ",")
        return Command(program: program, arguments: arguments, files: files, fingerprint: fingerprint)
    }

    /// The SHA-256 of the file at `url` (links followed), from the cache while its stat stamp is unchanged.
    static func identity(of url: URL, what: String = "file") throws -> Digest {
        do {
            return try IdentityCache.shared.digest(of: url)
        } catch {
            throw NodeError("cannot read \(what) '\(url.path)': \(error)")
        }
    }

    /// Digests by path with the stamp the file had when hashed. An entry is trusted only if the file had not
    /// changed for a second before it was hashed (a rewrite within one tick of a coarse clock could otherwise
    /// keep the same stamp), the rule the store's fingerprint table follows.
    final class IdentityCache: Sendable {
        static let shared = IdentityCache()

        struct Stamp: Equatable {
            var device: UInt64, inode: UInt64, size: Int64, mtime: Int64, ctime: Int64

            init?(_ path: String) {
                var st = stat()
                guard stat(path, &st) == 0 else { return nil }
                device = UInt64(st.st_dev)
                inode = UInt64(st.st_ino)
                size = Int64(st.st_size)
                mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
                ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
            }
        }

        private let entries = Mutex<[String: (stamp: Stamp, digest: Digest)]>([:])

        /// Whether the digest of `url` is cached for the file's present state.
        func isCached(_ url: URL) -> Bool {
            guard let now = Stamp(url.path) else { return false }
            return entries.withLock { $0[url.path]?.stamp == now }
        }

        func digest(of url: URL) throws -> Digest {
            let path = url.path
            let before = Stamp(path)
            if let before, let known = entries.withLock({ $0[path] }), known.stamp == before { return known.digest }
            let digest = try SHA256.hash(fileAt: url)
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let hashedAt = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
            if let before, Stamp(path) == before, hashedAt - max(before.mtime, before.ctime) > 1_000_000_000 {
                entries.withLock { $0[path] = (before, digest) }
            }
            return digest
        }
    }
}
