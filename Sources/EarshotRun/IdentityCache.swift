import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation
import Synchronization

/// Identities of external programs (a scoring worker's model id and weights hash) that only the running program
/// can tell, remembered so that planning never starts it.
///
/// A run learns an identity by starting the program once per process (`probe`) and writes it to
/// `identities/<sha256 of fingerprint>.json` in the store; `plan` and `why` read that file and start nothing. The
/// fingerprint is the caller's (argv and the SHA-256 of program and script) plus the size and modification time of
/// every file and folder (recursively) the arguments name, so a changed model folder makes the entry stale: the
/// plan then says the identity is not yet known, and the next run starts the program and refreshes the entry.
public enum IdentityCache {
    private static let known = Mutex<[String: [String: Value]]>([:])
    private static let probing = NSLock()

    /// The identity for `fingerprint`; `paths` are the arguments that may name files or folders (relative ones
    /// resolve against `context.specDirectory`). Returns nil only when planning and no run remembered it.
    public static func identity(fingerprint: String, paths: [String], context: KeyExtrasContext,
                                probe: () throws -> [String: Value]) throws -> [String: Value]? {
        let full = fingerprint + "\u{1F}" + stamps(of: paths, specDirectory: context.specDirectory)
        if let memo = known.withLock({ $0[full] }) { return memo }
        let url = context.store.root.appendingPathComponent("identities/\(SHA256.hash(full).hex).json")
        let remembered = read(url, fingerprint: full)
        switch context.purpose {
        case .plan:
            return remembered
        case .run:
            // One probe at a time, so that nodes resolved together start a program once, not once each.
            probing.lock()
            defer { probing.unlock() }
            if let memo = known.withLock({ $0[full] }) { return memo }
            let identity = try probe()
            known.withLock { $0[full] = identity }
            if remembered != identity { write(identity, fingerprint: full, to: url, store: context.store) }
            return identity
        }
    }

    /// Forgets what this process learned (tests: a plan as a fresh process would make it).
    static func forgetInProcess() { known.withLock { $0.removeAll() } }

    static func read(_ url: URL, fingerprint: String) -> [String: Value]? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let o = (try? JSONReader.parse(String(decoding: data, as: UTF8.self)))?.objectValue,
              o["fingerprint"]?.stringValue == fingerprint else { return nil }
        return o["identity"]?.objectValue
    }

    /// Best effort: a store that cannot be written keeps the run going (the next plan just does not know).
    static func write(_ identity: [String: Value], fingerprint: String, to url: URL, store: ArtifactStore) {
        guard let text = try? CanonicalJSON.string(.object(["fingerprint": .string(fingerprint), "identity": .object(identity)])) else { return }
        try? store.makeDirectory(url.deletingLastPathComponent())
        try? FileSystem.atomicWrite(Data(text.utf8), to: url, temporary: store.temporaryURL(ext: "json"),
                                    mode: store.configuration.fileMode)
    }

    /// Size and modification time of every existing file named by `paths`, and of every file under a named folder.
    public static func stamps(of paths: [String], specDirectory: String) -> String {
        let base = URL(fileURLWithPath: specDirectory, isDirectory: true)
        var out: [String] = []
        for path in paths where !path.isEmpty && !path.hasPrefix("-") {
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            out.append("\(path)=\(stamp(url))")
            guard isDirectory.boolValue,
                  let walk = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) else { continue }
            var entries: [String] = []
            for case let file as URL in walk {
                entries.append("\(file.path.dropFirst(url.path.count)):\(stamp(file))")
            }
            out += entries.sorted()
        }
        return out.joined(separator: "\u{1F}")
    }

    static func stamp(_ url: URL) -> String {
        let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey])
        return "\(values?.fileSize ?? -1)@\(values?.contentModificationDate?.timeIntervalSince1970 ?? 0)"
    }
}
