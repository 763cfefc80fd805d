import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How per-key locks are taken in a store shared by several processes (and hosts).
///
/// - `flock`: `flock(LOCK_EX)` on `locks/ab/<key>.lock`. The kernel (or the NFS lock manager) releases the lock
///   when its holder dies, however it dies, so a killed run never leaves a key locked. Needs a file system whose
///   `flock` works across every host that shares the store: local disks, NFSv4, NFSv3 with `lockd`. It is
///   unreliable on NFS mounted with `nolock` (locks are then local to each host) and on some FUSE/SMB mounts.
/// - `lease`: an `O_EXCL`-created `locks/ab/<key>.lease` holding pid, host and time, whose mtime the holder
///   refreshes every `timeout/4` s. A lease is broken when its holder is on this host and its pid is gone, or
///   when its mtime has not moved for `timeout` s as seen by the waiter's own clock (so clock skew between hosts
///   does not matter). Works wherever `O_EXCL` create and `rename` are atomic (NFSv3+). Worst case (a holder
///   stalled for longer than the timeout, or two waiters breaking the same stale lease at once): a key computed
///   twice; results are still correct because objects are content-addressed and published by atomic rename.
public enum LockMode: String, Sendable, CaseIterable {
    case flock
    case lease
}

/// Who holds (or held) a lock: what its lock file contains.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var since: Date

    public static var current: LockHolder {
        LockHolder(pid: getpid(), host: thisHost, since: Date())
    }

    /// `gethostname()` (no DNS lookup, unlike `ProcessInfo.hostName`).
    public static let thisHost: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    var json: Data {
        let o: [String: Any] = ["pid": Int(pid), "host": host, "since": ISO8601DateFormatter().string(from: since)]
        return (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
    }

    init(pid: Int32, host: String, since: Date) {
        self.pid = pid
        self.host = host
        self.since = since
    }

    init?(json data: Data) {
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let pid = (o["pid"] as? NSNumber)?.int32Value, let host = o["host"] as? String else { return nil }
        self.pid = pid
        self.host = host
        self.since = (o["since"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } ?? .distantPast
    }

    /// Whether this holder is a process on this host that no longer exists.
    var isDeadOnThisHost: Bool {
        host == Self.thisHost && pid > 0 && kill(pid, 0) != 0 && errno == ESRCH
    }

    public var description: String {
        "pid \(pid) on \(host) (since \(ISO8601DateFormatter().string(from: since)))"
    }
}

/// An exclusive lock on one action key, held while the key's node is computed so that concurrent runs on a
/// shared store compute each key once. Release it with `release()` (also done on deinit).
///
/// Thread-safety: `@unchecked Sendable` because the mutable state (`fd`, `released`, `lost`) is guarded by `lock`;
/// the lease heartbeat runs on a Dispatch timer, not on the cooperative pool, so busy nodes cannot starve it.
public final class ActionLock: @unchecked Sendable {
    public let mode: LockMode
    public let url: URL
    private let lock = NSLock()
    private var fd: Int32
    private var inode: ino_t
    private var released = false
    private var lost = false
    private var heartbeat: DispatchSourceTimer?

    init(mode: LockMode, url: URL, fd: Int32, inode: ino_t, heartbeatEvery: Double?) {
        self.mode = mode
        self.url = url
        self.fd = fd
        self.inode = inode
        if let every = heartbeatEvery {
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
            timer.schedule(deadline: .now() + every, repeating: every)
            timer.setEventHandler { [weak self] in self?.beat() }
            timer.resume()
            heartbeat = timer
        }
    }

    deinit { release() }

    /// True when a lease was broken by another process while held (the holder stalled past the timeout).
    public var wasLost: Bool { lock.withLock { lost } }

    /// Refreshes the lease's mtime (only if the lease file is still ours).
    private func beat() {
        lock.withLock {
            guard !released else { return }
            var st = stat()
            guard stat(url.path, &st) == 0, st.st_ino == inode else { lost = true; return }
            _ = futimens(fd, nil)
        }
    }

    /// Releases the lock: removes the lock file (only if it is still ours) and closes it. Idempotent.
    public func release() {
        lock.withLock {
            guard !released else { return }
            released = true
            heartbeat?.cancel()
            heartbeat = nil
            var st = stat()
            // Unlink while still holding the lock; waiters that locked the old inode notice the path moved on.
            if stat(url.path, &st) == 0, st.st_ino == inode { unlink(url.path) }
            close(fd)
        }
    }
}

extension ArtifactStore {
    /// Where the lock for `key` lives in the current lock mode.
    public func lockURL(_ key: Digest) -> URL {
        let hex = key.hex
        let ext = configuration.lockMode == .flock ? "lock" : "lease"
        return root.appendingPathComponent("locks/\(hex.prefix(2))/\(hex).\(ext)")
    }

    /// Takes the exclusive lock on `key`, waiting (polling every 10–250 ms, cancellably) while another process or
    /// task holds it. `waiting` is called once, with the holder, when the lock is busy.
    public func lock(_ key: Digest, waiting: @Sendable (LockHolder?) -> Void = { _ in }) async throws -> ActionLock {
        let url = lockURL(key)
        try makeDirectory(url.deletingLastPathComponent())
        var delay: UInt64 = 10_000_000
        var announced = false
        var observed: (inode: ino_t, mtime: Int, at: Date)?
        while true {
            try Task.checkCancellation()
            let attempt = try configuration.lockMode == .flock ? tryFlock(url) : tryLease(url, observed: &observed)
            switch attempt {
            case .acquired(let held):
                return held
            case .retryNow:
                continue
            case .busy(let holder):
                if !announced {
                    announced = true
                    waiting(holder)
                }
            }
            try await Task.sleep(nanoseconds: delay)
            delay = min(delay * 2, 250_000_000)
        }
    }

    enum LockAttempt {
        case acquired(ActionLock)
        case busy(LockHolder?)
        case retryNow
    }

    func tryFlock(_ url: URL) throws -> LockAttempt {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, configuration.fileMode)
        guard fd >= 0 else { throw StoreError.io(path: url.path, message: "cannot open lock file: \(FileSystem.errnoText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            let holder = Self.readHolder(fd: fd)
            close(fd)
            if code == EWOULDBLOCK || code == EINTR { return .busy(holder) }
            throw StoreError.io(path: url.path, message: "flock failed: \(StoreError.posixMessage(code)); on a file system without working flock (NFS mounted with 'nolock', some FUSE mounts) use lock mode 'lease' (--lock-mode lease, or \"lock_mode\": \"lease\" in \(StoreConfiguration.fileName))")
        }
        // The holder before us may have unlinked the file after we opened it: we then hold a lock on an
        // orphaned inode, which excludes nobody. Start over unless the path still names our inode.
        var mine = stat(), current = stat()
        guard fstat(fd, &mine) == 0, stat(url.path, &current) == 0, mine.st_ino == current.st_ino, mine.st_dev == current.st_dev else {
            close(fd)
            return .retryNow
        }
        fchmod(fd, configuration.fileMode)
        let info = LockHolder.current.json
        _ = ftruncate(fd, 0)
        _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return .acquired(ActionLock(mode: .flock, url: url, fd: fd, inode: mine.st_ino, heartbeatEvery: nil))
    }

    func tryLease(_ url: URL, observed: inout (inode: ino_t, mtime: Int, at: Date)?) throws -> LockAttempt {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, configuration.fileMode)
        if fd >= 0 {
            fchmod(fd, configuration.fileMode)
            let info = LockHolder.current.json
            _ = info.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            _ = Glibc.fsync(fd)
            var st = stat()
            fstat(fd, &st)
            let timeout = configuration.leaseTimeout
            return .acquired(ActionLock(mode: .lease, url: url, fd: fd, inode: st.st_ino, heartbeatEvery: max(0.05, timeout / 4)))
        }
        guard errno == EEXIST else {
            throw StoreError.io(path: url.path, message: "cannot create lease file: \(FileSystem.errnoText())")
        }
        var st = stat()
        guard stat(url.path, &st) == 0 else { return .retryNow }   // released between our open and stat
        let holder = FileManager.default.contents(atPath: url.path).flatMap(LockHolder.init(json:))
        let mtime = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        if observed == nil || observed!.inode != st.st_ino || observed!.mtime != mtime {
            observed = (st.st_ino, mtime, Date())
        }
        let silent = Date().timeIntervalSince(observed!.at)
        if holder?.isDeadOnThisHost == true || silent >= configuration.leaseTimeout {
            breakLease(url, inode: st.st_ino)
            observed = nil
            return .retryNow
        }
        return .busy(holder)
    }

    /// Removes a stale lease without ever removing a fresh one: move it aside under a unique name, check that what
    /// moved is the stale inode, and if another breaker replaced it in between, put the fresh one back.
    func breakLease(_ url: URL, inode: ino_t) {
        let aside = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).broken-\(UUID().uuidString)")
        guard Glibc.rename(url.path, aside.path) == 0 else { return }
        var st = stat()
        if stat(aside.path, &st) == 0, st.st_ino != inode {
            _ = link(aside.path, url.path)
        }
        unlink(aside.path)
    }

    static func readHolder(fd: Int32) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return LockHolder(json: Data(buffer[..<n]))
    }
}
