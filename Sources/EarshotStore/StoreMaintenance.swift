import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cache verify` and `cache gc`.
public struct StoreMaintenance: Sendable {
    public let store: ArtifactStore

    public init(store: ArtifactStore) { self.store = store }

    public struct VerifyReport: Sendable {
        public var objects = 0
        public var actions = 0
        /// One line per problem, naming the object or action.
        public var problems: [String] = []
    }

    /// Re-hashes every object (ignoring the in-process stamp cache) and checks every entry of the store:
    /// - each entry of `objects/` is a regular file named `<sha256>.<ext>` in the folder of its first two digits,
    ///   whose bytes hash to its name (a directory in an object's place is a problem);
    /// - each file of `actions/` parses as an action record for the key it is named by, and every object it names
    ///   exists, is sound, and (outputs) carries that key as its `earshot.key` provenance;
    /// - every partial shard hashes to the digest in its name; every fingerprint row passes its check.
    /// With `repair`: corrupt objects and entries of the wrong type go to `quarantine/`, records that cannot be
    /// trusted (unparseable, misnamed, or naming a missing, corrupt or misdirected object) are dropped, bad shards
    /// and fingerprint rows are removed; a second `verify` then finds nothing (the next run recomputes what went).
    public func verify(repair: Bool = false) -> VerifyReport {
        var report = VerifyReport()
        let fm = FileManager.default
        var bad = Set<Digest>()
        for (digest, ext, url) in objectEntries(&report.problems, repair: repair) {
            report.objects += 1
            do {
                let actual = try SHA256.hash(fileAt: url)
                if actual != digest {
                    report.problems.append("corrupt object \(digest.hex).\(ext): its bytes hash to \(actual.hex)")
                    bad.insert(digest)
                    if repair { try? store.quarantine(digest, ext: ext) }
                } else {
                    store.verified.record(url)
                }
            } catch {
                report.problems.append("unreadable object \(digest.hex).\(ext): \(error)")
                bad.insert(digest)
                if repair { try? store.quarantine(digest, ext: ext) }
            }
        }
        for url in entries(under: "actions", &report.problems, repair: repair) {
            report.actions += 1
            let relative = "actions/\(url.deletingLastPathComponent().lastPathComponent)/\(url.lastPathComponent)"
            let record: ActionRecord
            do {
                record = try ActionRecord.decode(fm.contents(atPath: url.path) ?? Data())
            } catch {
                report.problems.append("unparseable action record \(relative): \(error)")
                if repair { try? fm.removeItem(at: url) }
                continue
            }
            guard url.lastPathComponent == "\(record.key.hex).json" else {
                report.problems.append("action record \(relative) is for key \(record.key.hex), not the key it is stored under")
                if repair { try? fm.removeItem(at: url) }
                continue
            }
            if let problem = store.check(record) {
                // A record whose object was reported above is not reported twice, but it goes with its object.
                if !bad.contains(problem.object) {
                    report.problems.append("action \(record.key.hex.prefix(12)) (\(record.experiment)/\(record.node)): \(problem)")
                }
                if repair { store.removeAction(record.key) }
            }
        }
        for key in store.keysWithPartialResults() {
            report.problems += store.partialResults(for: key).verify(repair: repair)
        }
        report.problems += store.fingerprints.verify(repair: repair)
        return report
    }

    /// The objects of `objects/`; entries of the wrong type or name are reported (and, with `repair`, moved to
    /// `quarantine/`).
    func objectEntries(_ problems: inout [String], repair: Bool) -> [(digest: Digest, ext: String, url: URL)] {
        var out: [(Digest, String, URL)] = []
        for url in entries(under: "objects", &problems, repair: repair) {
            let name = url.lastPathComponent
            guard let dot = name.firstIndex(of: "."), let digest = Digest(hex: String(name[..<dot])),
                  url.deletingLastPathComponent().lastPathComponent == String(digest.hex.prefix(2)) else {
                problems.append("stray file objects/\(url.deletingLastPathComponent().lastPathComponent)/\(name): not named by its SHA-256")
                if repair { setAside(url) }
                continue
            }
            out.append((digest, String(name[name.index(after: dot)...]), url))
        }
        return out
    }

    /// The regular files two levels under a top folder of the store (`objects/ab/…`, `actions/ab/…`); anything
    /// else there (a directory in a file's place, a link, a file in a folder's place) is a problem.
    func entries(under top: String, _ problems: inout [String], repair: Bool) -> [URL] {
        let fm = FileManager.default
        let root = store.root.appendingPathComponent(top)
        var out: [URL] = []
        for folder in ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).sorted() {
            let dir = root.appendingPathComponent(folder)
            guard Self.type(of: dir) == S_IFDIR else {
                problems.append("\(top)/\(folder) is \(Self.typeName(Self.type(of: dir))), expected a folder")
                if repair { setAside(dir) }
                continue
            }
            for name in ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() {
                let url = dir.appendingPathComponent(name)
                let type = Self.type(of: url)
                guard type == S_IFREG else {
                    problems.append("\(top)/\(folder)/\(name) is \(Self.typeName(type)), expected a file")
                    if repair { setAside(url) }
                    continue
                }
                out.append(url)
            }
        }
        return out
    }

    /// Moves an entry of the wrong type or name to `quarantine/` (kept for inspection; `gc` empties it).
    func setAside(_ url: URL) {
        let dir = store.root.appendingPathComponent("quarantine")
        try? store.makeDirectory(dir)
        try? FileSystem.rename(url, to: dir.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(url.lastPathComponent)"))
    }

    /// `st_mode & S_IFMT` of a path, without following a final symbolic link (0 when it does not exist).
    static func type(of url: URL) -> mode_t {
        var st = stat()
        return lstat(url.path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    static func typeName(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFREG: return "a regular file"
        case S_IFLNK: return "a symbolic link"
        case 0: return "missing"
        default: return "a special file"
        }
    }

    public struct GCReport: Sendable {
        public var objects = 0
        public var actions = 0
        public var temporary = 0
        public var bytes = 0
    }

    /// Removes unreferenced objects, actions whose objects are gone, entries of `tmp/` whose process is gone
    /// (`collectTemporaries`; without an owner token, those older than `temporaryAge`) and the quarantine.
    public func collectGarbage(keepLatestOnly: Bool = false, temporaryAge: TimeInterval = 3600) -> GCReport {
        var report = GCReport()
        let fm = FileManager.default
        var latest = Set<Digest>()
        if keepLatestOnly {
            for url in FileSystem.files(under: store.root.appendingPathComponent("refs")) {
                if let data = fm.contents(atPath: url.path), let map = try? JSONDecoder().decode([String: String].self, from: data) {
                    latest.formUnion(map.values.compactMap(Digest.init(hex:)))
                }
            }
        }
        var referenced = Set<Digest>()
        for action in store.allActions() {
            let complete = action.allObjects.allSatisfy { fm.fileExists(atPath: store.objectURL($0.object, ext: $0.ext).path) }
            if !complete || (keepLatestOnly && !latest.contains(action.key)) {
                store.removeAction(action.key)
                report.actions += 1
                continue
            }
            for out in action.allObjects { referenced.insert(out.object) }
        }
        for (digest, _, url) in store.allObjects() where !referenced.contains(digest) {
            report.bytes += (try? fm.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            if (try? fm.removeItem(at: url)) != nil { report.objects += 1 }
        }
        report.temporary += collectTemporaries(age: temporaryAge)
        let quarantine = store.root.appendingPathComponent("quarantine")
        for url in (try? fm.contentsOfDirectory(at: quarantine, includingPropertiesForKeys: nil)) ?? [] {
            if (try? fm.removeItem(at: url)) != nil { report.temporary += 1 }
        }
        return report
    }
}
