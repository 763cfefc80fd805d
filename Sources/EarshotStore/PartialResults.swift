import Foundation

/// Finished shards of a node that has not completed yet, so that a killed run resumes where it stopped.
///
/// Layout: `partial/<node key hex>/shard-<index, 6 digits>.h5`, one artifact per shard. Each shard is
/// written to `tmp/`, fsynced and renamed into place, so a shard file is either absent or whole. Shards are
/// scoped by the node key: a changed param, input or model gives a new key and starts from nothing.
/// The folder is removed once the node's action is recorded (`remove()`), and `cache gc` removes folders of
/// recorded actions and folders untouched for longer than its age limit (`StoreMaintenance.collectPartialResults`).
/// Thread-safety: a value holding paths; concurrent writers of different shards never share a file.
public struct PartialResults: Sendable {
    public let store: ArtifactStore
    public let key: Digest

    public init(store: ArtifactStore, key: Digest) {
        self.store = store
        self.key = key
    }

    /// The folder holding this key's shards.
    public var directory: URL { store.root.appendingPathComponent("partial/\(key.hex)") }

    public func url(shard: Int) -> URL { directory.appendingPathComponent(String(format: "shard-%06d.h5", shard)) }

    /// Publishes one finished shard atomically (replacing an older copy of the same shard).
    public func write(_ artifact: Artifact, shard: Int) throws {
        guard shard >= 0 else { throw StoreError.artifact("shard index \(shard) is negative") }
        try FileSystem.makeDirectory(directory)
        let tmp = store.temporaryURL(ext: "h5")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try ArtifactFile.write(artifact, to: tmp)
        try FileSystem.fsync(tmp)
        try FileSystem.rename(tmp, to: url(shard: shard))
        try FileSystem.fsyncDirectory(directory)
    }

    /// Publishes a shard file that was verified elsewhere (a pull from the remote cache): fsyncs it and renames
    /// it into place, unless the shard is already finished here.
    public func install(_ file: URL, shard: Int) throws {
        guard shard >= 0 else { throw StoreError.artifact("shard index \(shard) is negative") }
        guard !FileManager.default.fileExists(atPath: url(shard: shard).path) else { return }
        try FileSystem.makeDirectory(directory)
        try FileSystem.fsync(file)
        try FileSystem.rename(file, to: url(shard: shard))
        try FileSystem.fsyncDirectory(directory)
    }

    /// The shard's artifact, or nil when it was never finished. A shard that cannot be read (a disk
    /// fault) is removed and reported as nil, so its items are computed again rather than trusted.
    public func read(shard: Int) -> Artifact? {
        let url = url(shard: shard)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try ArtifactFile.read(from: url)
        } catch {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
    }

    /// Indices of the finished shards, ascending.
    public func shards() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("shard-"), name.hasSuffix(".h5") else { return nil }
            return Int(name.dropFirst(6).dropLast(3))
        }.sorted()
    }

    /// Removes every shard of this key.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

extension ArtifactStore {
    /// The partial results (finished shards) of the node with this key.
    public func partialResults(for key: Digest) -> PartialResults { PartialResults(store: self, key: key) }

    /// Keys that have a folder under `partial/`.
    public func keysWithPartialResults() -> [Digest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("partial").path)) ?? []
        return names.compactMap { Digest(hex: $0) }.sorted()
    }
}

extension StoreMaintenance {
    /// What `collectPartialResults` removed.
    public struct PartialReport: Sendable, Equatable {
        public var folders = 0
        public var bytes = 0
    }

    /// Removes the partial folders of keys whose action is recorded (the node completed; its shards are
    /// no longer needed) and of keys whose newest shard is older than `maxAge` seconds (an abandoned run).
    public func collectPartialResults(maxAge: TimeInterval) -> PartialReport {
        var report = PartialReport()
        let fm = FileManager.default
        let cutoff = Date().addingTimeInterval(-maxAge)
        for key in store.keysWithPartialResults() {
            let partial = store.partialResults(for: key)
            let files = FileSystem.files(under: partial.directory)
            let newest = files.compactMap { try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate }.max()
                ?? ((try? fm.attributesOfItem(atPath: partial.directory.path)[.modificationDate]) as? Date) ?? .distantPast
            let completed = (try? store.action(for: key)) != nil
            guard completed || newest < cutoff else { continue }
            report.bytes += files.reduce(0) { $0 + (((try? fm.attributesOfItem(atPath: $1.path)[.size]) as? Int) ?? 0) }
            partial.remove()
            report.folders += 1
        }
        return report
    }
}
