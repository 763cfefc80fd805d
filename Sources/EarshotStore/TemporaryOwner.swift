import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Marks which entries of a store's `tmp/` belong to a live process, so `cache gc` can remove the work folders
/// and half-written files of killed runs without touching those of a running one.
///
/// Each process that writes to `tmp/` takes a token `<pid>-<8 hex>` and holds an exclusive `flock` on
/// `owners/<token>.lock` for as long as it lives; every name it creates in `tmp/` starts with `<token>-`. An entry is
/// orphaned when its token's lock file is missing or can be locked (the kernel releases a killed holder's lock,
/// however it died). The lock file is created under another name, locked, then renamed into place, so `gc` never
/// sees it unlocked while its owner lives; a normal exit removes it, `gc` removes those of killed processes.
/// In a `lease`-mode store `flock` may not work across hosts, so `gc` there also requires an entry to be older
/// than its age limit (see `StoreMaintenance.collectGarbage`).
/// Thread-safety: `@unchecked Sendable` because its fields are immutable after `init`; the registry is guarded by
/// `registryLock`.
final class TemporaryOwner: @unchecked Sendable {
    let token: String
    let url: URL
    private let fd: Int32

    private init?(store: ArtifactStore) {
        let token = "\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let owners = store.root.appendingPathComponent("owners")
        try? store.makeDirectory(owners)
        let url = owners.appendingPathComponent("\(token).lock")
        let staging = owners.appendingPathComponent(".\(token).lock.new")
        let fd = open(staging.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, store.configuration.fileMode)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, Glibc.rename(staging.path, url.path) == 0 else {
            unlink(staging.path)
            close(fd)
            return nil
        }
        self.token = token
        self.url = url
        self.fd = fd
    }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var owners: [String: TemporaryOwner] = [:]
    nonisolated(unsafe) private static var exitHookInstalled = false

    /// This process's token for the store at `root` (created on first use); nil when `owners/` cannot be written,
    /// in which case temporary names carry the pid only and `gc` falls back to their age.
    static func token(for store: ArtifactStore) -> String? {
        registryLock.withLock {
            if let owner = owners[store.root.path] { return owner.token }
            guard let owner = TemporaryOwner(store: store) else { return nil }
            owners[store.root.path] = owner
            if !exitHookInstalled {
                exitHookInstalled = true
                atexit { TemporaryOwner.removeAll() }
            }
            return owner.token
        }
    }

    /// Removes this process's lock files (at exit; a killed process leaves its own for `gc`).
    static func removeAll() {
        registryLock.withLock { for owner in owners.values { unlink(owner.url.path) } }
    }

    /// The token a `tmp/` entry name starts with, if it has one.
    static func token(ofEntry name: String) -> String? {
        let parts = name.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isNumber), parts[1].count == 8,
              parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return "\(parts[0])-\(parts[1])"
    }

    /// Whether the process holding `owners/<token>.lock` is alive (its lock is held). A missing file means no; a
    /// file this user cannot open counts as alive (nothing is removed on a guess). `flock` needs no write access.
    static func isAlive(token: String, root: URL) -> Bool {
        let url = root.appendingPathComponent("owners/\(token).lock")
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno != ENOENT }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}

extension ArtifactStore {
    /// The prefix of every name this process creates in `tmp/` (see `TemporaryOwner`).
    var temporaryPrefix: String {
        TemporaryOwner.token(for: self) ?? "\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// A fresh work folder path under `tmp/` for one execution of a node (created by the caller); `cache gc`
    /// removes it if its process dies without removing it.
    public func workDirectoryURL(label: String) -> URL {
        root.appendingPathComponent("tmp/\(temporaryPrefix)-work-\(FileSystem.safeName(label))-\(UUID().uuidString.prefix(8))")
    }
}

extension StoreMaintenance {
    /// Removes the entries of `tmp/` whose owning process is gone (see `TemporaryOwner`) and the lock files of dead
    /// owners. An entry without an owner token (older versions) or in a `lease`-mode store must also be older than
    /// `age` seconds. Returns how many entries were removed.
    func collectTemporaries(age: TimeInterval) -> Int {
        let fm = FileManager.default
        let cutoff = Date().addingTimeInterval(-age)
        let lease = store.configuration.lockMode == .lease
        var removed = 0
        var alive: [String: Bool] = [:]
        func live(_ token: String) -> Bool {
            if let known = alive[token] { return known }
            let value = TemporaryOwner.isAlive(token: token, root: store.root)
            alive[token] = value
            return value
        }
        let tmp = store.root.appendingPathComponent("tmp")
        for url in (try? fm.contentsOfDirectory(at: tmp, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [] {
            let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let old = modified < cutoff
            let orphaned: Bool
            if let token = TemporaryOwner.token(ofEntry: url.lastPathComponent) {
                orphaned = !live(token) && (!lease || old)
            } else {
                orphaned = old
            }
            if orphaned, (try? fm.removeItem(at: url)) != nil { removed += 1 }
        }
        let owners = store.root.appendingPathComponent("owners")
        for name in (try? fm.contentsOfDirectory(atPath: owners.path)) ?? [] where name.hasSuffix(".lock") && !name.hasPrefix(".") {
            let token = String(name.dropLast(5))
            if !live(token) { unlink(owners.appendingPathComponent(name).path) }
        }
        return removed
    }
}
