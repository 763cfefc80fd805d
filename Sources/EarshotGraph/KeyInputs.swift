import EarshotSpec
import EarshotStore
import Foundation

/// Everything a node's result depends on; its canonical JSON's SHA-256 is the node key.
///
/// Inputs enter by the *content* digest of the upstream artifacts (not the upstream keys), so an upstream
/// re-run that reproduces the same payload leaves this key unchanged (early cutoff). Never wall-clock time,
/// never a per-process random seed, never a node id (renaming a node keeps its cache).
public struct KeyInputs: Sendable, Equatable {
    public var kind: String
    public var version: Int
    /// Every declared param, defaults filled in.
    public var params: [String: Value]
    /// Input name → content digests of the bound upstream outputs, in the order written.
    public var inputs: [String: [Digest]]
    /// External files the node reads → SHA-256 of their bytes.
    public var files: [String: Digest]
    /// The experiment seed, for kinds that draw random numbers.
    public var seed: Int?
    /// Identities of external things the result depends on (a worker's model id and weights hash).
    public var external: [String: Value]

    public init(kind: String, version: Int, params: [String: Value], inputs: [String: [Digest]],
                files: [String: Digest] = [:], seed: Int? = nil, external: [String: Value] = [:]) {
        self.kind = kind
        self.version = version
        self.params = params
        self.inputs = inputs
        self.files = files
        self.seed = seed
        self.external = external
    }

    /// Domain separation: keys can never collide with hashes of other earshot JSON.
    public static let domain = "earshot-action-key-v1\n"

    public var value: Value {
        var object: [String: Value] = [
            "kind": .string(kind),
            "version": .int(version),
            "params": .object(params),
            "inputs": .object(inputs.mapValues { .array($0.map { .string($0.hex) }) }),
            "files": .object(files.mapValues { .string($0.hex) }),
            "external": .object(external),
        ]
        if let seed { object["seed"] = .int(seed) }
        return .object(object)
    }

    /// The canonical JSON text (what the action index stores and `why` compares).
    public func canonical() throws -> String { try CanonicalJSON.string(value) }

    /// The node key: SHA-256 of the domain tag followed by the canonical JSON.
    public func key() throws -> Digest {
        var hasher = SHA256()
        hasher.update(Self.domain)
        hasher.update(try CanonicalJSON.encode(value))
        return hasher.finalize()
    }

    /// Reads back the canonical JSON stored in an action record.
    public static func decode(_ canonical: String) throws -> KeyInputs {
        let v = try JSONReader.parse(canonical)
        guard let o = v.objectValue, let kind = o["kind"]?.stringValue, let version = o["version"]?.intValue else {
            throw GraphError.corruptKeyInputs(canonical.prefix(80).description)
        }
        func digests(_ v: Value?) -> [Digest] { v?.arrayValue?.compactMap { $0.stringValue.flatMap(Digest.init(hex:)) } ?? [] }
        return KeyInputs(kind: kind, version: version, params: o["params"]?.objectValue ?? [:],
                         inputs: (o["inputs"]?.objectValue ?? [:]).mapValues { digests($0) },
                         files: (o["files"]?.objectValue ?? [:]).compactMapValues { $0.stringValue.flatMap(Digest.init(hex:)) },
                         seed: o["seed"]?.intValue, external: o["external"]?.objectValue ?? [:])
    }

    /// Field-by-field differences from an earlier key's inputs, one readable line each
    /// (`param 'n_mfcc' changed: 20 → 13`). Empty when nothing differs.
    public func differences(from old: KeyInputs, sources: [String: [String]] = [:]) -> [String] {
        var out: [String] = []
        if kind != old.kind { out.append("kind changed: '\(old.kind)' → '\(kind)'") }
        if version != old.version { out.append("kind '\(kind)' version changed: \(old.version) → \(version)") }
        for name in Set(params.keys).union(old.params.keys).sorted() {
            switch (old.params[name], params[name]) {
            case (nil, let new?): out.append("param '\(name)' added: \(new)")
            case (let was?, nil): out.append("param '\(name)' removed (was \(was))")
            case (let was?, let new?) where !Self.same(was, new): out.append("param '\(name)' changed: \(was) → \(new)")
            default: break
            }
        }
        for name in Set(inputs.keys).union(old.inputs.keys).sorted() where inputs[name] != old.inputs[name] {
            let from = sources[name].map { " (from \($0.joined(separator: ", ")))" } ?? ""
            let was = old.inputs[name]?.map { String($0.hex.prefix(12)) }.joined(separator: ",") ?? "none"
            let now = inputs[name]?.map { String($0.hex.prefix(12)) }.joined(separator: ",") ?? "none"
            out.append("input '\(name)'\(from) content changed: \(was) → \(now)")
        }
        for name in Set(files.keys).union(old.files.keys).sorted() where files[name] != old.files[name] {
            switch (old.files[name], files[name]) {
            case (nil, _): out.append("file '\(name)' added")
            case (_, nil): out.append("file '\(name)' no longer read")
            case (let a?, let b?): out.append("file '\(name)' content changed: \(a.hex.prefix(12)) → \(b.hex.prefix(12))")
            }
        }
        if seed != old.seed { out.append("seed changed: \(old.seed.map(String.init) ?? "none") → \(seed.map(String.init) ?? "none")") }
        for name in Set(external.keys).union(old.external.keys).sorted() where !Self.same(external[name] ?? .null, old.external[name] ?? .null) {
            out.append("external '\(name)' changed: \(old.external[name] ?? .null) → \(external[name] ?? .null)")
        }
        return out
    }

    /// Equality up to int/double representation (JSON cannot tell 13.0 from 13 after a round trip).
    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)): return x.keys == y.keys && x.keys.allSatisfy { same(x[$0]!, y[$0]!) }
        default: return a == b
        }
    }
}

/// Errors of the graph layer.
public enum GraphError: Error, CustomStringConvertible {
    case corruptKeyInputs(String)
    case unknownNode(String, suggestion: String)
    case notCached(String)

    public var description: String {
        switch self {
        case .corruptKeyInputs(let s): "the stored key inputs are not valid earshot JSON: '\(s)…'"
        case .unknownNode(let id, let hint): "no node '\(id)' in the experiment\(hint)"
        case .notCached(let id): "node '\(id)' has no cached result for the experiment as it is now; run it first (`earshot plan` says why)"
        }
    }
}
