import Foundation

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

    /// Re-hashes every object (ignoring the in-process stamp cache) and checks every action's outputs.
    public func verify(repair: Bool = false) -> VerifyReport {
        var report = VerifyReport()
        var bad = Set<Digest>()
        for (digest, ext, url) in store.allObjects() {
            report.objects += 1
            do {
                let actual = try SHA256.hash(fileAt: url)
                if actual != digest {
                    report.problems.append("corrupt object \(digest.hex).\(ext): its bytes hash to \(actual.hex)")
                    bad.insert(digest)
                    if repair { try? store.quarantine(digest, ext: ext) }
                }
            } catch {
                report.problems.append("unreadable object \(digest.hex).\(ext): \(error)")
                bad.insert(digest)
            }
        }
        for action in store.allActions() {
            report.actions += 1
            let named = action.outputs.sorted(by: { $0.key < $1.key }).map { ($0.key, $0.value) }
            for (name, out) in named + (action.attachments ?? []).map({ ("attachment", $0) }) {
                let exists = FileManager.default.fileExists(atPath: store.objectURL(out.object, ext: out.ext).path)
                if !exists && !bad.contains(out.object) {
                    report.problems.append("action \(action.key.hex.prefix(12)) (\(action.experiment)/\(action.node)) output '\(name)': object \(out.object.hex) is missing")
                    if repair { store.removeAction(action.key) }
                }
            }
        }
        return report
    }

    public struct GCReport: Sendable {
        public var objects = 0
        public var actions = 0
        public var temporary = 0
        public var bytes = 0
    }

    /// Removes unreferenced objects, actions whose objects are gone, temp files older than an hour (younger
    /// ones may belong to a running process) and the quarantine.
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
            report.bytes += (try? fm.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0 ?? 0
            if (try? fm.removeItem(at: url)) != nil { report.objects += 1 }
        }
        let cutoff = Date().addingTimeInterval(-temporaryAge)
        for dir in ["tmp", "quarantine"] {
            let root = store.root.appendingPathComponent(dir)
            for url in (try? fm.contentsOfDirectory(at: root, includingPropertiesForKeys: [.contentModificationDateKey])) ?? [] {
                let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                if dir == "quarantine" || modified < cutoff {
                    if (try? fm.removeItem(at: url)) != nil { report.temporary += 1 }
                }
            }
        }
        return report
    }
}
