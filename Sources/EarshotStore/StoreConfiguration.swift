import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Settings that every process using a store must agree on, kept in `earshot-store.json` at the store's root.
///
/// ```json
/// {"group_writable": true, "lock_mode": "lease", "lease_timeout": 60}
/// ```
/// - `group_writable`: directories are created `2775` (setgid, so new entries inherit the folder's group) and
///   mutable files (action records, refs, run records, lock files) `0664`; objects stay read-only (`0444`,
///   which includes group read). Use it for a store shared by a Unix group.
/// - `lock_mode`: how per-key locks are taken (see `LockMode`). All processes using one store must use the same
///   mode, which is why it lives here rather than only on the command line.
/// - `lease_timeout`: seconds without a heartbeat after which a lease is broken (lease mode only).
/// A missing file means the defaults (private, `flock`, 60 s); the command line writes the file on a store's first
/// use (with `createIfAbsent`, so two processes starting at once agree on one mode), so a later run naming another
/// `--lock-mode` is refused instead of silently locking differently from a run still going.
public struct StoreConfiguration: Sendable, Equatable {
    public static let fileName = "earshot-store.json"

    public var groupWritable: Bool
    public var lockMode: LockMode
    public var leaseTimeout: Double

    public init(groupWritable: Bool = false, lockMode: LockMode = .flock, leaseTimeout: Double = 60) {
        self.groupWritable = groupWritable
        self.lockMode = lockMode
        self.leaseTimeout = leaseTimeout
    }

    /// Mode of directories a group-writable store creates (a private store leaves it to the umask).
    public var directoryMode: mode_t { groupWritable ? 0o2775 : 0o755 }
    /// Mode of mutable files the store writes (records, refs, lock files).
    public var fileMode: mode_t { groupWritable ? 0o664 : 0o644 }

    /// Reads `earshot-store.json` under `root`; the defaults when it does not exist.
    public static func load(root: URL) throws -> StoreConfiguration {
        let url = root.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return StoreConfiguration() }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw StoreError.io(path: url.path, message: "store configuration is not a JSON object; expected e.g. {\"group_writable\": true}")
        }
        var config = StoreConfiguration()
        for key in object.keys where !["group_writable", "lock_mode", "lease_timeout"].contains(key) {
            throw StoreError.io(path: url.path, message: "unknown store setting '\(key)'; known: group_writable, lock_mode, lease_timeout")
        }
        if let v = object["group_writable"] {
            guard let b = v as? Bool else { throw StoreError.io(path: url.path, message: "'group_writable' must be true or false, got '\(v)'") }
            config.groupWritable = b
        }
        if let v = object["lock_mode"] {
            guard let s = v as? String, let mode = LockMode(rawValue: s) else {
                throw StoreError.io(path: url.path, message: "'lock_mode' must be \"flock\" or \"lease\", got '\(v)'")
            }
            config.lockMode = mode
        }
        if let v = object["lease_timeout"] {
            guard let n = (v as? NSNumber)?.doubleValue, n > 0 else {
                throw StoreError.io(path: url.path, message: "'lease_timeout' must be a positive number of seconds, got '\(v)'")
            }
            config.leaseTimeout = n
        }
        return config
    }

    /// Writes the configuration to `earshot-store.json` under `root` unless that file exists; false when it does
    /// (another process created it first: load it). The file appears whole or not at all (`link(2)` never replaces).
    public func createIfAbsent(root: URL) throws -> Bool {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]) + Data("\n".utf8)
        try FileSystem.makeDirectory(root, mode: directoryMode)
        let tmp = root.appendingPathComponent(".\(Self.fileName).\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw StoreError.io(path: tmp.path, message: "cannot create: \(StoreError.posixMessage(errno))") }
        defer { unlink(tmp.path) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        _ = Glibc.fsync(fd)
        close(fd)
        guard written == data.count else { throw StoreError.io(path: tmp.path, message: "short write") }
        let url = root.appendingPathComponent(Self.fileName)
        if link(tmp.path, url.path) == 0 { return true }
        if errno == EEXIST { return false }
        throw StoreError.io(path: url.path, message: "cannot create the store configuration: \(StoreError.posixMessage(errno))")
    }

    var object: [String: Any] { ["group_writable": groupWritable, "lock_mode": lockMode.rawValue, "lease_timeout": leaseTimeout] }

    /// Writes the configuration to `earshot-store.json` under `root` (atomically).
    public func save(root: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try FileSystem.makeDirectory(root, mode: directoryMode)
        let tmp = root.appendingPathComponent(".\(Self.fileName).\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileSystem.atomicWrite(data + Data("\n".utf8), to: root.appendingPathComponent(Self.fileName), temporary: tmp, mode: fileMode)
    }
}
