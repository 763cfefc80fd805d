import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File fingerprints: (path, inode, size, mtime, ctime) → SHA-256 of the bytes, kept in the store so that
/// unchanged input files (10,000 audio files of a dataset) are not hashed again on every run.
///
/// Layout: `fingerprints/XY.tsv`, 256 shards chosen by the top byte of the FNV-1a 64-bit hash of the path's
/// UTF-8 bytes. Each shard is a header line `earshot-fingerprints-v1` and one line per file:
/// `sha256-hex TAB inode TAB size TAB mtime_ns TAB ctime_ns TAB recorded_ns TAB path` (paths holding a tab or a
/// line break are fingerprinted in memory only). Shards load lazily on first use.
///
/// Trust: an entry is used only if the file's stamp is unchanged and the file had not changed for
/// `racyWindow` before the entry was recorded (git's "racily clean" rule: file systems stamp times with a
/// coarse clock, so a file rewritten with the same size within one tick of being hashed could otherwise keep
/// a stale entry). A racy entry is re-hashed and re-recorded, after which it is trusted. ctime cannot be set
/// by users, so any write forces a re-hash.
///
/// Persistence: `flush()` writes the shards with new entries under an exclusive `flock` on
/// `fingerprints/.lock`, merging with what is on disk (the later `recorded_ns` wins per path) and replacing
/// each shard by an atomic rename, so concurrent earshot processes never lose each other's entries.
/// Thread-safety: `@unchecked Sendable` because `shards`, `dirty` and the counters are guarded by `lock`;
/// hashing runs outside the lock, so callers may hash in parallel.
public final class FingerprintTable: @unchecked Sendable {
    public let directory: URL
    let temporaryDirectory: URL
    /// Nanoseconds; see "Trust".
    public let racyWindow: Int64

    struct Entry: Equatable {
        var digest: Digest
        var stamp: FileStamp
        var recorded: Int64
    }

    private let lock = NSLock()
    private var shards: [Int: [String: Entry]] = [:]
    private var dirty: [Int: [String: Entry]] = [:]
    private var hashedFiles = 0
    private var trustedFiles = 0

    /// A table kept under `directory`; `temporaryDirectory` must be on the same file system.
    public init(directory: URL, temporaryDirectory: URL, racyWindow: Int64 = 2_000_000_000) {
        self.directory = directory
        self.temporaryDirectory = temporaryDirectory
        self.racyWindow = racyWindow
    }

    /// How many files this table hashed, and how many it answered from fingerprints, since it was created.
    public var counts: (hashed: Int, trusted: Int) { lock.withLock { (hashedFiles, trustedFiles) } }

    /// SHA-256 of the file's bytes, from the table when the file is unchanged. Throws `StoreError.io` naming the
    /// path when the file is missing, not a regular file, or unreadable.
    public func hash(fileAt url: URL) throws -> Digest {
        try hash(path: url.standardizedFileURL.path)
    }

    /// `hash(fileAt:)` for an absolute, already normalised path (no `URL` work: listings name thousands of files).
    public func hash(path: String) throws -> Digest {
        guard let stamp = Self.stamp(path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not a regular file" : "no such file"
            throw StoreError.io(path: path, message: "cannot fingerprint: \(reason)")
        }
        let shard = Self.shard(of: path)
        let cached: Entry? = lock.withLock {
            loadShardLocked(shard)
            return shards[shard]?[path]
        }
        if let cached, cached.stamp == stamp, !isRacy(cached) {
            lock.withLock { trustedFiles += 1 }
            return cached.digest
        }
        let digest = try SHA256.hash(fileAt: URL(fileURLWithPath: path))
        let recorded = Self.now()
        lock.withLock {
            hashedFiles += 1
            // A file that changed while it was read keeps no entry: the bytes hashed may be a mix.
            guard Self.stamp(path) == stamp else { return }
            let entry = Entry(digest: digest, stamp: stamp, recorded: recorded)
            shards[shard, default: [:]][path] = entry
            dirty[shard, default: [:]][path] = entry
        }
        return digest
    }

    /// (inode, size, mtime, ctime) of a regular file, by `stat(2)`.
    static func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStamp(inode: UInt64(st.st_ino), size: Int64(st.st_size),
                         mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                         ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// Writes new entries to disk (see "Persistence"). Cheap when nothing is new.
    public func flush() throws {
        let pending: [Int: [String: Entry]] = lock.withLock {
            let d = dirty
            dirty = [:]
            return d
        }
        guard !pending.isEmpty else { return }
        do {
            try FileSystem.makeDirectory(directory)
            try FileSystem.makeDirectory(temporaryDirectory)
            let lockFD = open(directory.appendingPathComponent(".lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard lockFD >= 0 else {
                throw StoreError.io(path: directory.path, message: "cannot open the fingerprint lock: \(StoreError.posixMessage(errno))")
            }
            defer { close(lockFD) }
            while flock(lockFD, LOCK_EX) != 0 {
                if errno != EINTR { throw StoreError.io(path: directory.path, message: "cannot lock the fingerprint table: \(StoreError.posixMessage(errno))") }
            }
            defer { flock(lockFD, LOCK_UN) }
            for (shard, entries) in pending.sorted(by: { $0.key < $1.key }) {
                var merged = readShard(shard)
                for (path, entry) in entries where (merged[path]?.recorded ?? .min) <= entry.recorded { merged[path] = entry }
                let url = shardURL(shard)
                let tmp = temporaryDirectory.appendingPathComponent("fingerprints-\(getpid())-\(UUID().uuidString).tsv")
                try FileSystem.atomicWrite(Self.encode(merged), to: url, temporary: tmp, sync: false)
                lock.withLock {
                    for (path, entry) in merged where (shards[shard]?[path]?.recorded ?? .min) <= entry.recorded {
                        shards[shard, default: [:]][path] = entry
                    }
                }
            }
        } catch {
            // Keep the entries for a later flush.
            lock.withLock { for (shard, entries) in pending { dirty[shard, default: [:]].merge(entries) { current, _ in current } } }
            throw error
        }
    }

    func isRacy(_ entry: Entry) -> Bool {
        entry.stamp.mtime > entry.recorded - racyWindow || entry.stamp.ctime > entry.recorded - racyWindow
    }

    private func loadShardLocked(_ shard: Int) {
        guard shards[shard] == nil else { return }
        shards[shard] = readShard(shard)
    }

    func shardURL(_ shard: Int) -> URL {
        directory.appendingPathComponent(String(format: "%02x.tsv", shard))
    }

    /// The entries on disk; an unreadable or foreign file counts as empty (fingerprints are only a cache).
    func readShard(_ shard: Int) -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: shardURL(shard).path) else { return [:] }
        var out: [String: Entry] = [:]
        var first = true
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if first {
                first = false
                guard line.elementsEqual(Self.header.utf8) else { return [:] }
                continue
            }
            let fields = line.split(separator: 0x09, maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, let digest = Digest(hex: String(decoding: fields[0], as: UTF8.self)),
                  let inode = UInt64(String(decoding: fields[1], as: UTF8.self)),
                  let size = Int64(String(decoding: fields[2], as: UTF8.self)),
                  let mtime = Int64(String(decoding: fields[3], as: UTF8.self)),
                  let ctime = Int64(String(decoding: fields[4], as: UTF8.self)),
                  let recorded = Int64(String(decoding: fields[5], as: UTF8.self)) else { continue }
            let path = String(decoding: fields[6], as: UTF8.self)
            out[path] = Entry(digest: digest, stamp: FileStamp(inode: inode, size: size, mtime: mtime, ctime: ctime), recorded: recorded)
        }
        return out
    }

    static let header = "earshot-fingerprints-v1"

    static func encode(_ entries: [String: Entry]) -> Data {
        var text = header + "\n"
        for path in entries.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        where !path.contains("\t") && !path.contains("\n") && !path.contains("\r") {
            let e = entries[path]!
            text += "\(e.digest.hex)\t\(e.stamp.inode)\t\(e.stamp.size)\t\(e.stamp.mtime)\t\(e.stamp.ctime)\t\(e.recorded)\t\(path)\n"
        }
        return Data(text.utf8)
    }

    /// Top byte of FNV-1a 64 over the path's UTF-8 bytes.
    static func shard(of path: String) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in path.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return Int(h >> 56)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    // MARK: one table per store

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var tables: [String: FingerprintTable] = [:]

    /// The process-wide table of the store at `root` (one per store, so that every node of a run shares it).
    static func shared(root: URL) -> FingerprintTable {
        registryLock.withLock {
            if let table = tables[root.path] { return table }
            let table = FingerprintTable(directory: root.appendingPathComponent("fingerprints"),
                                         temporaryDirectory: root.appendingPathComponent("tmp"))
            tables[root.path] = table
            return table
        }
    }
}

extension ArtifactStore {
    /// The store's fingerprint table (`fingerprints/`), shared by every handle on this store in this process.
    public var fingerprints: FingerprintTable { FingerprintTable.shared(root: root) }
}

extension FileStamp {
    init(inode: UInt64, size: Int64, mtime: Int64, ctime: Int64) {
        self.inode = inode
        self.size = size
        self.mtime = mtime
        self.ctime = ctime
    }
}
