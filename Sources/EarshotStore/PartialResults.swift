import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finished shards of a node that has not completed yet, so that a killed run resumes where it stopped.
///
/// Layout: `partial/<node key hex>/shard-<index, 6 digits>.<SHA-256 of the file>.h5`, one artifact per shard.
/// Each shard is written to `tmp/`, fsynced, hashed and renamed into place, so a shard file is either absent or
/// whole, and its name says what its bytes must hash to. Shards are scoped by the node key: a changed param,
/// input or model gives a new key and starts from nothing.
///
/// Verify before trust: `read(shard:)` re-hashes the file and drops a shard whose bytes do not match its name
/// (a flipped bit, a tampered file) or that has no digest in its name, so its items are computed again.
///
/// Removal: once the node's action is recorded the folder is renamed aside (`partial/.removed-…`) and then
/// deleted, so no writer ever renames into a half-deleted folder; a writer that finds the folder gone creates
/// it again (a stalled lease holder may still be writing shards of a node another run finished; those land in a
/// fresh folder that `cache gc` removes because the key's action is recorded).
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

    static func name(shard: Int, digest: Digest) -> String { String(format: "shard-%06d.", shard) + digest.hex + ".h5" }

    /// (shard index, digest named in the file name or nil for an unverifiable name) of a file in the folder.
    static func parse(_ name: String) -> (shard: Int, digest: Digest?)? {
        guard name.hasPrefix("shard-"), name.hasSuffix(".h5") else { return nil }
        let parts = name.dropFirst(6).dropLast(3).split(separator: ".", omittingEmptySubsequences: false)
        guard let index = Int(parts[0]), index >= 0, parts.count <= 2 else { return nil }
        return (index, parts.count == 2 ? Digest(hex: String(parts[1])) : nil)
    }

    /// Every shard file in the folder, with its index and the digest its name claims.
    func files() -> [(shard: Int, digest: Digest?, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            Self.parse(name).map { ($0.shard, $0.digest, directory.appendingPathComponent(name)) }
        }
    }

    /// Publishes one finished shard atomically (replacing older copies of the same shard).
    public func write(_ artifact: Artifact, shard: Int) throws {
        guard shard >= 0 else { throw StoreError.artifact("shard index \(shard) is negative") }
        let tmp = store.temporaryURL(ext: "h5")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try ArtifactFile.write(artifact, to: tmp)
        try FileSystem.fsync(tmp)
        let digest = try SHA256.hash(fileAt: tmp)
        let dest = directory.appendingPathComponent(Self.name(shard: shard, digest: digest))
        // The folder may be removed by a run that finished this node meanwhile: create it again and retry.
        var attempt = 0
        while true {
            try store.makeDirectory(directory)
            if Glibc.rename(tmp.path, dest.path) == 0 { break }
            let code = errno
            attempt += 1
            guard code == ENOENT, attempt < 100 else {
                throw StoreError.io(path: dest.path, message: "cannot rename '\(tmp.path)' into place: \(StoreError.posixMessage(code))")
            }
        }
        try FileSystem.fsyncDirectory(directory)
        for old in files() where old.shard == shard && old.url.lastPathComponent != dest.lastPathComponent {
            try? FileManager.default.removeItem(at: old.url)
        }
    }

    /// The shard's artifact, or nil when it was never finished. A shard whose bytes do not hash to the digest
    /// in its name, or that cannot be read, is removed and reported as nil, so its items are computed again
    /// rather than trusted.
    public func read(shard: Int) -> Artifact? {
        for file in files() where file.shard == shard {
            if let digest = file.digest, (try? SHA256.hash(fileAt: file.url)) == digest,
               let artifact = try? ArtifactFile.read(from: file.url) {
                return artifact
            }
            try? FileManager.default.removeItem(at: file.url)
        }
        return nil
    }

    /// The file of a finished shard whose bytes hash to the digest in its name, with that digest; nil when the
    /// shard is missing or fails verification (the failing file is left for `read(shard:)` or `verify` to drop).
    public func verifiedFile(shard: Int) -> (url: URL, digest: Digest)? {
        for file in files() where file.shard == shard {
            if let digest = file.digest, (try? SHA256.hash(fileAt: file.url)) == digest { return (file.url, digest) }
        }
        return nil
    }

    /// Publishes a shard file verified elsewhere (a pull from the remote cache, checked against `digest`): fsyncs
    /// it and renames it into place under its digest, unless the shard is already finished here.
    public func install(_ file: URL, shard: Int, digest: Digest) throws {
        guard shard >= 0 else { throw StoreError.artifact("shard index \(shard) is negative") }
        guard verifiedFile(shard: shard) == nil else { return }
        try store.makeDirectory(directory)
        try FileSystem.fsync(file)
        try FileSystem.rename(file, to: directory.appendingPathComponent(Self.name(shard: shard, digest: digest)))
        try FileSystem.fsyncDirectory(directory)
    }

    /// Indices of the shards with a file, ascending (not yet verified: `read(shard:)` verifies).
    public func shards() -> [Int] {
        Array(Set(files().map(\.shard))).sorted()
    }

    /// One line per shard file whose bytes do not match the digest in its name (or whose name has none);
    /// with `repair`, those files are removed.
    public func verify(repair: Bool) -> [String] {
        var problems: [String] = []
        for file in files().sorted(by: { $0.url.path < $1.url.path }) {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: file.url.path, isDirectory: &isDirectory)
            let problem: String?
            if isDirectory.boolValue {
                problem = "is a directory, not a file"
            } else if let digest = file.digest {
                let actual = try? SHA256.hash(fileAt: file.url)
                problem = actual == digest ? nil : "its bytes hash to \(actual?.hex ?? "nothing (unreadable)"), not the digest in its name"
            } else {
                problem = "has no digest in its name, so it cannot be verified"
            }
            guard let problem else { continue }
            problems.append("partial shard \(key.hex.prefix(12))/\(file.url.lastPathComponent) \(problem)")
            if repair { try? FileManager.default.removeItem(at: file.url) }
        }
        return problems
    }

    /// Removes every shard of this key: the folder is renamed aside first, so a concurrent writer either
    /// renames into the old folder before it moves (its shard goes with it) or finds the path free and
    /// creates a new folder; it never finds a folder half-deleted.
    public func remove() {
        let aside = store.root.appendingPathComponent("partial/.removed-\(key.hex.prefix(16))-\(UUID().uuidString.prefix(8))")
        guard Glibc.rename(directory.path, aside.path) == 0 else { return }
        try? FileManager.default.removeItem(at: aside)
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
        // Folders a removal set aside and did not finish deleting (the process was killed meanwhile).
        let partialRoot = store.root.appendingPathComponent("partial")
        for name in (try? fm.contentsOfDirectory(atPath: partialRoot.path)) ?? [] where name.hasPrefix(".removed-") {
            if (try? fm.removeItem(at: partialRoot.appendingPathComponent(name))) != nil { report.folders += 1 }
        }
        return report
    }
}
