import EarshotSpec
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A content-addressed store on the local file system.
///
/// Layout under `root`:
/// - `objects/ab/abcd….h5` — artifacts named by the SHA-256 of their bytes (read-only files);
/// - `actions/ab/abcd….json` — the action index: node key → output objects and the key's inputs;
/// - `refs/EXPERIMENT/NODE` — the key a node had in its latest run (for `earshot why`);
/// - `runs/` — one JSON record per run; `tmp/` — files being written; `quarantine/` — objects that failed verification;
/// - `owners/<token>.lock` — held by each live process that writes to `tmp/` (see `TemporaryOwner`);
/// - `locks/ab/abcd….lock|.lease` — per-key locks held while a node is computed (see `ActionLock`);
/// - `earshot-store.json` — settings all users of the store share (see `StoreConfiguration`).
///
/// Every write goes to `tmp/`, is fsynced, then renamed into place, so a crash leaves no partial object or record.
/// Thread-safety: the struct is a value holding paths; concurrent use from tasks and processes relies on atomic
/// renames, and per-key locks make concurrent runs compute each key once.
public struct ArtifactStore: Sendable {
    public let root: URL
    /// Settings read from `earshot-store.json` (or given to `init`).
    public let configuration: StoreConfiguration
    let verified: VerifiedStamps

    /// Opens (creating if needed) the store at `root`, with the settings in its `earshot-store.json`.
    public init(root: URL) throws {
        try self.init(root: root, configuration: nil)
    }

    /// Opens (creating if needed) the store at `root`; `configuration` overrides its `earshot-store.json` for this
    /// process (nil: use the file).
    public init(root: URL, configuration: StoreConfiguration?) throws {
        self.root = root.standardizedFileURL
        self.configuration = try configuration ?? StoreConfiguration.load(root: self.root)
        self.verified = VerifiedStamps()
        if self.configuration.groupWritable {
            try FileSystem.makeDirectory(self.root, mode: self.configuration.directoryMode)
        }
        for dir in ["objects", "actions", "refs", "runs", "tmp", "locks"] {
            try makeDirectory(self.root.appendingPathComponent(dir))
        }
    }

    /// Creates a folder inside the store: mode 2775 in a group-writable store, else as the umask allows.
    public func makeDirectory(_ url: URL) throws {
        if configuration.groupWritable {
            try FileSystem.makeDirectory(url, mode: configuration.directoryMode)
        } else {
            try FileSystem.makeDirectory(url)
        }
    }

    // MARK: objects

    /// Where the object with this digest lives.
    public func objectURL(_ digest: Digest, ext: String = "h5") -> URL {
        let hex = digest.hex
        // `.notDirectory`: `appendingPathComponent` would stat the path to learn whether it is a folder (this runs for
        // every object of every cached node).
        return root.appending(path: "objects/\(hex.prefix(2))/\(hex).\(ext)", directoryHint: .notDirectory)
    }

    /// A fresh path in the store's temp folder (same file system as the objects, so renames are atomic).
    public func temporaryURL(ext: String) -> URL {
        root.appendingPathComponent("tmp/\(temporaryPrefix)-\(UUID().uuidString).\(ext)")
    }

    /// Writes an object through `write` (which creates the file at the URL it is given), then publishes it
    /// under its SHA-256: fsync, hash, make read-only, rename. Returns the digest.
    @discardableResult
    public func putObject(ext: String = "h5", write: (URL) throws -> Void) throws -> Digest {
        let tmp = temporaryURL(ext: ext)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try write(tmp)
        try FileSystem.fsync(tmp)
        let digest = try SHA256.hash(fileAt: tmp)
        try publish(tmp, as: digest, ext: ext)
        return digest
    }

    /// Copies a file into the store (it is hashed while copied) and returns its digest.
    @discardableResult
    public func putObject(copying source: URL, ext: String) throws -> Digest {
        try putObject(ext: ext) { tmp in
            do {
                try FileManager.default.copyItem(at: source, to: tmp)
            } catch {
                throw StoreError.io(path: source.path, message: "cannot copy into the store: \((error as NSError).localizedDescription)")
            }
        }
    }

    func publish(_ tmp: URL, as digest: Digest, ext: String) throws {
        let dest = objectURL(digest, ext: ext)
        if case .ok = verifyObject(digest, ext: ext) { return }
        try makeDirectory(dest.deletingLastPathComponent())
        // Something that is not a file in the object's place (a directory) would make the rename fail: set it aside.
        var st = stat()
        if lstat(dest.path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let dir = root.appendingPathComponent("quarantine")
            try makeDirectory(dir)
            try FileSystem.rename(dest, to: dir.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(dest.lastPathComponent)"))
        }
        chmod(tmp.path, 0o444)
        try FileSystem.rename(tmp, to: dest)
        try FileSystem.fsyncDirectory(dest.deletingLastPathComponent())
        verified.record(dest)
    }

    /// Checks that an object exists and that its bytes hash to its name ("verify before trust").
    ///
    /// A file whose inode, size, mtime and ctime are unchanged since it was last hashed is not hashed again: by this
    /// process (in memory), or by an earlier one (the store's fingerprint table, which `flush` at the end of a run
    /// persists; its racily-clean rule applies). ctime cannot be set by a user, so any write forces a re-hash.
    /// `cache verify` re-hashes every object regardless.
    public func verifyObject(_ digest: Digest, ext: String = "h5") -> ObjectState {
        let path = objectURL(digest, ext: ext).path
        guard let stamp = FileStamp(path: path) else { return .missing }
        if verified.contains(path, stamp) { return .ok }
        guard let actual = try? fingerprints.hash(path: path, stamp: stamp) else { return .missing }
        guard actual == digest else { return .corrupt(actual: actual) }
        verified.insert(path, stamp)
        return .ok
    }

    /// Moves a corrupt object aside so that it is recomputed, keeping it for inspection.
    public func quarantine(_ digest: Digest, ext: String = "h5") throws {
        let url = objectURL(digest, ext: ext)
        let dir = root.appendingPathComponent("quarantine")
        try makeDirectory(dir)
        try FileSystem.rename(url, to: dir.appendingPathComponent("\(digest.hex).\(ext)"))
        verified.remove(url)
    }

    /// Every object in the store (digest and extension), in no particular order.
    public func allObjects() -> [(digest: Digest, ext: String, url: URL)] {
        var out: [(Digest, String, URL)] = []
        for url in FileSystem.files(under: root.appendingPathComponent("objects")) {
            let name = url.lastPathComponent
            guard let dot = name.firstIndex(of: "."), let d = Digest(hex: String(name[..<dot])) else { continue }
            out.append((d, String(name[name.index(after: dot)...]), url))
        }
        return out
    }

    // MARK: action index

    func actionURL(_ key: Digest) -> URL {
        let hex = key.hex
        return root.appending(path: "actions/\(hex.prefix(2))/\(hex).json", directoryHint: .notDirectory)
    }

    /// The recorded result of the action with this key, if any.
    public func action(for key: Digest) throws -> ActionRecord? {
        let url = actionURL(key)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try ActionRecord.decode(data)
        } catch {
            throw StoreError.io(path: url.path, message: "corrupt action record (\(error)); `earshot cache gc` removes it")
        }
    }

    /// Records an action atomically (readers see the old record or the new one, never a mix).
    public func record(_ action: ActionRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let url = actionURL(action.key)
        try makeDirectory(url.deletingLastPathComponent())
        try FileSystem.atomicWrite(try encoder.encode(action), to: url, temporary: temporaryURL(ext: "json"), mode: configuration.fileMode)
    }

    /// Removes an action record (its objects stay until `gc`).
    public func removeAction(_ key: Digest) {
        try? FileManager.default.removeItem(at: actionURL(key))
    }

    /// Every action record in the store.
    public func allActions() -> [ActionRecord] {
        FileSystem.files(under: root.appendingPathComponent("actions")).compactMap { url in
            FileManager.default.contents(atPath: url.path).flatMap { try? ActionRecord.decode($0) }
        }
    }

    // MARK: refs (latest key per experiment node)

    func refsURL(experiment: String) -> URL {
        root.appendingPathComponent("refs/\(FileSystem.safeName(experiment)).json")
    }

    /// Node id → the key it had the last time it completed in this experiment (for `earshot why`).
    public func latestKeys(experiment: String) -> [String: Digest] {
        guard let data = FileManager.default.contents(atPath: refsURL(experiment: experiment).path),
              let map = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return map.compactMapValues(Digest.init(hex:))
    }

    /// Merges `keys` into the experiment's latest keys (read, merge, atomic replace; a concurrent writer
    /// may win a race, which only affects explanations, never results).
    public func updateLatestKeys(_ keys: [String: Digest], experiment: String) throws {
        guard !keys.isEmpty else { return }
        var map = latestKeys(experiment: experiment)
        if keys.allSatisfy({ map[$0.key] == $0.value }) { return }
        map.merge(keys) { _, new in new }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let url = refsURL(experiment: experiment)
        try makeDirectory(url.deletingLastPathComponent())
        try FileSystem.atomicWrite(try encoder.encode(map.mapValues(\.hex)), to: url, temporary: temporaryURL(ext: "json"), sync: false,
                                   mode: configuration.fileMode)
    }

    // MARK: runs

    /// Writes a run record under `runs/` and returns its path.
    @discardableResult
    public func writeRunRecord(_ data: Data, name: String) throws -> URL {
        let url = root.appendingPathComponent("runs/\(name).json")
        try FileSystem.atomicWrite(data, to: url, temporary: temporaryURL(ext: "json"), mode: configuration.fileMode)
        return url
    }
}

/// What `verifyObject` found.
public enum ObjectState: Sendable, Equatable {
    case ok
    case missing
    case corrupt(actual: Digest)
}

/// One output of an action: the object holding it and the digest of its content (what downstream keys use).
public struct OutputObject: Codable, Sendable, Equatable {
    /// SHA-256 of the object file (its name in `objects/`).
    public var object: Digest
    /// Digest of the payload without provenance attributes; equal payloads have equal content digests.
    public var content: Digest
    public var ext: String
    /// Artifact type (see schemas/artifacts.md).
    public var type: String
    public var bytes: Int

    public init(object: Digest, content: Digest, ext: String = "h5", type: String, bytes: Int) {
        self.object = object
        self.content = content
        self.ext = ext
        self.type = type
        self.bytes = bytes
    }
}

/// An entry of the action index.
public struct ActionRecord: Codable, Sendable, Equatable {
    public var key: Digest
    public var experiment: String
    public var node: String
    public var kind: String
    public var outputs: [String: OutputObject]
    /// Further objects the outputs refer to (audio clips named `cas:<sha256>.<ext>` in a split); kept, verified
    /// and transferred with the outputs.
    public var attachments: [OutputObject]?
    /// The canonical JSON whose SHA-256 is `key` (kept for `earshot why`).
    public var keyInputs: String
    /// Where each input came from (node.output), for explanations; not part of the key.
    public var inputSources: [String: [String]]
    public var createdAt: Date
    public var seconds: Double
    public var producer: String

    public init(key: Digest, experiment: String, node: String, kind: String, outputs: [String: OutputObject],
                attachments: [OutputObject]? = nil, keyInputs: String, inputSources: [String: [String]], createdAt: Date, seconds: Double, producer: String) {
        self.key = key
        self.experiment = experiment
        self.node = node
        self.kind = kind
        self.outputs = outputs
        self.attachments = attachments
        self.keyInputs = keyInputs
        self.inputSources = inputSources
        self.createdAt = createdAt
        self.seconds = seconds
        self.producer = producer
    }
}

extension ActionRecord {
    /// Decodes a record written by `ArtifactStore.record`. Read with `JSONReader` (bytes straight to values) because it
    /// runs once per cached node on every re-run: `JSONDecoder` is several times slower on Linux, `JSONSerialization`
    /// 3–4×.
    public static func decode(_ data: Data) throws -> ActionRecord {
        guard case .object(let o) = try JSONReader.parse(data) else {
            throw StoreError.artifact("action record is not a JSON object")
        }
        func str(_ k: String, _ d: [String: Value] = o) throws -> String {
            guard case .string(let v)? = d[k] else { throw StoreError.artifact("action record lacks '\(k)'") }
            return v
        }
        func digest(_ k: String, _ d: [String: Value] = o) throws -> Digest {
            guard let v = Digest(hex: try str(k, d)) else { throw StoreError.artifact("action record has a malformed '\(k)'") }
            return v
        }
        func number(_ k: String, _ d: [String: Value]) -> Double {
            switch d[k] {
            case .int(let n)?: Double(n)
            case .double(let x)?: x
            default: 0
            }
        }
        func object(_ d: Value) throws -> OutputObject {
            guard case .object(let d) = d else { throw StoreError.artifact("action record has a malformed output") }
            let bytes: Int = if case .int(let n)? = d["bytes"] { n } else { 0 }
            return OutputObject(object: try digest("object", d), content: try digest("content", d), ext: try str("ext", d),
                                type: try str("type", d), bytes: bytes)
        }
        var outputs: [String: OutputObject] = [:]
        if case .object(let o)? = o["outputs"] { for (k, v) in o { outputs[k] = try object(v) } }
        var attachments: [OutputObject]?
        if case .array(let a)? = o["attachments"] { attachments = try a.map { try object($0) } }
        var sources: [String: [String]] = [:]
        if case .object(let o)? = o["inputSources"] {
            for (k, v) in o {
                guard case .array(let names) = v else { continue }
                sources[k] = names.compactMap { if case .string(let s) = $0 { s } else { nil } }
            }
        }
        // JSONEncoder's default date strategy: seconds since 2001-01-01.
        let created = Date(timeIntervalSinceReferenceDate: number("createdAt", o))
        let producer: String = if case .string(let p)? = o["producer"] { p } else { "" }
        return ActionRecord(key: try digest("key"), experiment: try str("experiment"), node: try str("node"), kind: try str("kind"),
                            outputs: outputs, attachments: attachments, keyInputs: try str("keyInputs"), inputSources: sources,
                            createdAt: created, seconds: number("seconds", o), producer: producer)
    }

    /// Outputs and attachments: every object this result needs.
    public var allObjects: [OutputObject] { outputs.keys.sorted().map { outputs[$0]! } + (attachments ?? []) }
}

/// (inode, size, mtime, ctime) of a file: if unchanged, its bytes are unchanged.
struct FileStamp: Hashable, Sendable {
    var inode: UInt64
    var size: Int64
    var mtime: Int64
    var ctime: Int64

    init?(_ url: URL) { self.init(path: url.path) }

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}

/// Objects this process has hashed, with the stamp they had then.
final class VerifiedStamps: Sendable {
    private let stamps = Mutex<[String: FileStamp]>([:])
    /// Object → its `earshot.key` attribute (objects are immutable: named by their hash).
    private let provenanceKeys = Mutex<[Digest: String]>([:])

    func provenance(of object: Digest) -> String? { provenanceKeys.withLock { $0[object] } }
    func setProvenance(_ key: String, of object: Digest) { provenanceKeys.withLock { $0[object] = key } }

    func contains(_ path: String, _ stamp: FileStamp) -> Bool {
        stamps.withLock { $0[path] == stamp }
    }
    func insert(_ path: String, _ stamp: FileStamp) {
        stamps.withLock { $0[path] = stamp }
    }
    func record(_ url: URL) {
        let path = url.path
        if let s = FileStamp(path: path) { insert(path, s) }
    }
    func remove(_ url: URL) {
        _ = stamps.withLock { $0.removeValue(forKey: url.path) }
    }
}
