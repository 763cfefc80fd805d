import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File fingerprints: (path, inode, size, mtime, ctime) → SHA-256 of the bytes, kept in the store so that
/// unchanged input files (10,000 audio files of a dataset) are not hashed again on every run.
///
/// Layout: `fingerprints/XY.tsv`, 256 shards chosen by the top byte of the FNV-1a 64-bit hash of the path's
/// UTF-8 bytes. Each shard is a header line `earshot-fingerprints-v1` and one line per file:
/// `check TAB sha256-hex TAB inode TAB size TAB mtime_ns TAB ctime_ns TAB recorded_ns TAB path` (paths holding a tab
/// or a line break are fingerprinted in memory only), where `check` is the first 16 hex digits of the SHA-256 of the
/// rest of the row: a row that fails it is discarded and its file hashed again. Shards load lazily on first use.
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
    /// Start of the names of temporary files (the store's owner token, so `cache gc` knows whose they are); asked
    /// only when a file is written, so a table that only reads leaves no owner lock behind.
    let temporaryPrefixSource: @Sendable () -> String
    var temporaryPrefix: String { temporaryPrefixSource() }

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
    public convenience init(directory: URL, temporaryDirectory: URL, racyWindow: Int64 = 2_000_000_000) {
        self.init(directory: directory, temporaryDirectory: temporaryDirectory, racyWindow: racyWindow, temporaryPrefix: nil)
    }

    init(directory: URL, temporaryDirectory: URL, racyWindow: Int64, temporaryPrefix: (@Sendable () -> String)?) {
        self.directory = directory
        self.temporaryDirectory = temporaryDirectory
        self.racyWindow = racyWindow
        self.temporaryPrefixSource = temporaryPrefix ?? { "\(getpid())" }
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
        guard let stamp = FileStamp(path: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not a regular file" : "no such file"
            throw StoreError.io(path: path, message: "cannot fingerprint: \(reason)")
        }
        return try hash(path: path, stamp: stamp)
    }

    /// `hash(path:)` for a file whose stamp the caller has just taken.
    func hash(path: String, stamp: FileStamp) throws -> Digest {
        let shard = Self.shard(of: path)
        ensureLoaded(shard)
        let cached: Entry? = lock.withLock { shards[shard]?[path] }
        if let cached, cached.stamp == stamp, !isRacy(cached) {
            lock.withLock { trustedFiles += 1 }
            return cached.digest
        }
        let digest = try SHA256.hash(fileAt: URL(fileURLWithPath: path))
        let recorded = Self.now()
        lock.withLock {
            hashedFiles += 1
            // A file that changed while it was read keeps no entry: the bytes hashed may be a mix.
            guard FileStamp(path: path) == stamp else { return }
            let entry = Entry(digest: digest, stamp: stamp, recorded: recorded)
            shards[shard, default: [:]][path] = entry
            dirty[shard, default: [:]][path] = entry
        }
        return digest
    }

    /// A fact: a value that is a pure function of its name (e.g. `provenance:<object sha256>` → the key the object
    /// was produced for, read from the object's bytes), kept in the same shards as fingerprints (with a zero stamp)
    /// so that a fresh process need not open the object again. Never stale; names hold no tab or line break.
    public func fact(_ name: String) -> Digest? {
        let shard = Self.shard(of: name)
        ensureLoaded(shard)
        return lock.withLock { shards[shard]?[name]?.digest }
    }

    /// Remembers a fact (see `fact(_:)`); written by the next `flush()`.
    public func remember(fact name: String, _ value: Digest) {
        guard !name.hasPrefix("/"), !name.contains("\t"), !name.contains("\n"), !name.contains("\r") else { return }
        let shard = Self.shard(of: name)
        let entry = Entry(digest: value, stamp: FileStamp(inode: 0, size: 0, mtime: 0, ctime: 0), recorded: Self.now())
        ensureLoaded(shard)
        lock.withLock {
            guard shards[shard]?[name]?.digest != value else { return }
            shards[shard, default: [:]][name] = entry
            dirty[shard, default: [:]][name] = entry
        }
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
            try withFileLock {
                for (shard, entries) in pending.sorted(by: { $0.key < $1.key }) {
                    var merged = readShard(shard)
                    for (path, entry) in entries where (merged[path]?.recorded ?? .min) <= entry.recorded { merged[path] = entry }
                    let url = shardURL(shard)
                    let tmp = temporaryDirectory.appendingPathComponent("\(temporaryPrefix)-fingerprints-\(UUID().uuidString).tsv")
                    try FileSystem.atomicWrite(Self.encode(merged), to: url, temporary: tmp, sync: false)
                    lock.withLock {
                        for (path, entry) in merged where (shards[shard]?[path]?.recorded ?? .min) <= entry.recorded {
                            shards[shard, default: [:]][path] = entry
                        }
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

    /// Reads a shard on first use, outside the lock (so that threads loading different shards do not wait for each
    /// other); the first reader to finish installs it.
    private func ensureLoaded(_ shard: Int) {
        if lock.withLock({ shards[shard] != nil }) { return }
        let read = readShard(shard)
        lock.withLock { if shards[shard] == nil { shards[shard] = read } }
    }

    func shardURL(_ shard: Int) -> URL {
        directory.appendingPathComponent(String(format: "%02x.tsv", shard))
    }

    /// The entries on disk; an unreadable or foreign file counts as empty (fingerprints are only a cache), and a
    /// row whose check does not match its fields is left out (its file is hashed again).
    func readShard(_ shard: Int) -> [String: Entry] { Self.decode(FileManager.default.contents(atPath: shardURL(shard).path)).entries }

    /// Parses a shard file: its entries and the 1-based line numbers of rows that failed their check
    /// (`foreign` when the file is not a fingerprint shard of this version at all).
    static func decode(_ data: Data?) -> (entries: [String: Entry], badLines: [Int], foreign: Bool) {
        guard let data, !data.isEmpty else { return ([:], [], false) }
        // Parsed on the raw bytes (a store's table holds a row per object and per dataset file: tens of thousands).
        return data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
            var out: [String: Entry] = [:]
            var bad: [Int] = []
            var lineNumber = 0
            var start = 0
            while start < all.count {
                var end = start
                while end < all.count, all[end] != 0x0A { end += 1 }
                lineNumber += 1
                let line = UnsafeRawBufferPointer(rebasing: all[start..<end])
                start = end + 1
                if lineNumber == 1 {
                    guard line.elementsEqual(Self.header.utf8) else { return ([:], [], true) }
                    continue
                }
                if line.isEmpty { continue }
                if let (path, entry) = row(line) { out[path] = entry } else { bad.append(lineNumber) }
            }
            return (out, bad, false)
        }
    }

    /// One row: `check TAB digest TAB inode TAB size TAB mtime TAB ctime TAB recorded TAB path`; nil when malformed or
    /// when the check does not match the rest of the row.
    static func row(_ line: UnsafeRawBufferPointer) -> (String, Entry)? {
        var tabs: [Int] = []
        tabs.reserveCapacity(7)
        for (i, c) in line.enumerated() where c == 0x09 {
            tabs.append(i)
            if tabs.count == 7 { break }
        }
        guard tabs.count == 7, tabs[0] == 16 else { return nil }
        func field(_ k: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: line[(tabs[k - 1] + 1)..<tabs[k]]) }
        func unsigned(_ f: UnsafeRawBufferPointer) -> UInt64? {
            guard !f.isEmpty, f.count <= 20 else { return nil }
            var v: UInt64 = 0
            for c in f {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                guard !o1, !o2 else { return nil }
                v = a
            }
            return v
        }
        func integer(_ k: Int) -> Int64? {
            let f = field(k)
            let negative = f.first == UInt8(ascii: "-")
            guard let v = unsigned(negative ? UnsafeRawBufferPointer(rebasing: f.dropFirst()) : f), v <= UInt64(Int64.max) else { return nil }
            return negative ? -Int64(v) : Int64(v)
        }
        let body = UnsafeRawBufferPointer(rebasing: line[(tabs[0] + 1)...])
        let expected = SHA256.hash(body).hex.utf8
        guard line.prefix(16).elementsEqual(expected.prefix(16)),
              let digest = Digest.parse(hex: field(1)),
              let inode = unsigned(field(2)), let size = integer(3), let mtime = integer(4), let ctime = integer(5),
              let recorded = integer(6) else { return nil }
        let path = String(decoding: UnsafeRawBufferPointer(rebasing: line[(tabs[6] + 1)...]), as: UTF8.self)
        return (path, Entry(digest: digest, stamp: FileStamp(inode: inode, size: size, mtime: mtime, ctime: ctime), recorded: recorded))
    }

    /// v2 rows start with a check: the first 16 hex digits of the SHA-256 of the rest of the row, so a flipped
    /// digit anywhere in a row (the file's digest included) discards that row instead of being trusted.
    static let header = "earshot-fingerprints-v2"

    static func check(_ body: some Collection<UInt8>) -> String { String(SHA256.hash(body).hex.prefix(16)) }

    static func encode(_ entries: [String: Entry]) -> Data {
        var text = header + "\n"
        for path in entries.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        where !path.contains("\t") && !path.contains("\n") && !path.contains("\r") {
            let e = entries[path]!
            let body = "\(e.digest.hex)\t\(e.stamp.inode)\t\(e.stamp.size)\t\(e.stamp.mtime)\t\(e.stamp.ctime)\t\(e.recorded)\t\(path)"
            text += "\(check(Array(body.utf8)))\t\(body)\n"
        }
        return Data(text.utf8)
    }

    /// One line per shard file that is foreign or has rows failing their check (`cache verify`); with `repair`,
    /// each such shard is rewritten with its good rows only (under the table's lock, like `flush`).
    public func verify(repair: Bool) -> [String] {
        var problems: [String] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".tsv") }.sorted()
        for name in names {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                problems.append("fingerprints/\(name) is a directory, not a file")
                if repair { try? FileManager.default.removeItem(at: url) }
                continue
            }
            let decoded = Self.decode(FileManager.default.contents(atPath: url.path))
            if decoded.foreign {
                problems.append("fingerprints/\(name) is not a fingerprint table (no '\(Self.header)' header); its files are hashed again")
            } else if !decoded.badLines.isEmpty {
                let lines = decoded.badLines.prefix(5).map(String.init).joined(separator: ", ") + (decoded.badLines.count > 5 ? ", …" : "")
                problems.append("fingerprints/\(name): \(decoded.badLines.count) row(s) fail their check (line \(lines)); those files are hashed again")
            } else {
                continue
            }
            if repair {
                let tmp = temporaryDirectory.appendingPathComponent("\(temporaryPrefix)-fingerprints-\(UUID().uuidString).tsv")
                try? withFileLock { try FileSystem.atomicWrite(Self.encode(Self.decode(FileManager.default.contents(atPath: url.path)).entries),
                                                               to: url, temporary: tmp, sync: true) }
                lock.withLock { shards.removeAll() }
            }
        }
        return problems
    }

    /// Runs `body` holding the exclusive `flock` on `fingerprints/.lock`.
    func withFileLock<T>(_ body: () throws -> T) throws -> T {
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
        return try body()
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

    /// Drops every store's table from memory, so that the next use reads the shards from disk as a new process
    /// would (benchmarks, tests).
    public static func forgetInProcess() { registryLock.withLock { tables.removeAll() } }

    /// The process-wide table of the store at `root` (one per store, so that every node of a run shares it).
    static func shared(store: ArtifactStore) -> FingerprintTable {
        let root = store.root
        return registryLock.withLock {
            if let table = tables[root.path] { return table }
            let table = FingerprintTable(directory: root.appendingPathComponent("fingerprints"),
                                         temporaryDirectory: root.appendingPathComponent("tmp"), racyWindow: 2_000_000_000,
                                         temporaryPrefix: { store.temporaryPrefix })
            tables[root.path] = table
            return table
        }
    }
}

extension ArtifactStore {
    /// The store's fingerprint table (`fingerprints/`), shared by every handle on this store in this process.
    public var fingerprints: FingerprintTable { FingerprintTable.shared(store: self) }
}

extension FileStamp {
    init(inode: UInt64, size: Int64, mtime: Int64, ctime: Int64) {
        self.inode = inode
        self.size = size
        self.mtime = mtime
        self.ctime = ctime
    }
}
