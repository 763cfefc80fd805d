import EarshotSpec
import EarshotStore

/// What resolving a key may do to learn identities that enter it.
public enum KeyPurpose: Sendable {
    /// `plan`, `why`, `validate`: start no process and write nothing but caches of pure functions of files. An
    /// identity that only a running program can tell (a worker's model) is looked up in what earlier runs
    /// remembered, else reported as not yet known.
    case plan
    /// A run: a program may be started (once per process) to learn its identity, which is then remembered.
    case run
}

/// External files and identities that enter a node's key besides its params and inputs.
public struct KeyExtras: Sendable, Equatable {
    public var files: [String: Digest]
    public var external: [String: Value]
    /// Identities not yet known without starting a program (only when planning); one readable line each. A node
    /// with any has no key yet.
    public var unknown: [String]
    public init(files: [String: Digest] = [:], external: [String: Value] = [:], unknown: [String] = []) {
        self.files = files
        self.external = external
        self.unknown = unknown
    }
}

/// Supplies `KeyExtras` for a node (the node kinds know which files they read). Only `KeyResolver` calls it.
public protocol KeyExtrasProvider: Sendable {
    func keyExtras(for node: ValidatedNode, graph: ExperimentGraph, purpose: KeyPurpose) async throws -> KeyExtras
}

/// Why a node has no reusable result, as data (`lines` spells it out, one fact per line).
public enum MissReason: Sendable, Equatable {
    /// No run of this experiment ever recorded the node.
    case neverRun(experiment: String)
    /// The node's latest run had this very key, but its record is no longer in the store.
    case resultRemoved
    /// The key changed, and the previous run's record (to compare with) is gone.
    case previousRecordGone
    /// The key changed: the field-by-field differences from the previous run (`param 'x' changed: 1 → 2`).
    case changed([String])
    /// The record for the key cannot be read; acting on the miss removes it.
    case unreadableRecord(String)
    /// An object of the result is absent from the store.
    case objectMissing(what: String, object: Digest)
    /// An object of the result fails verification; acting on the miss moves it to quarantine.
    case objectCorrupt(what: String, object: Digest, ext: String, actual: Digest)
    /// The record names a sound object produced for another key (its `earshot.key` provenance): the record is not
    /// trusted, and acting on the miss removes it.
    case misdirectedRecord(RecordProblem)

    /// One readable line per fact.
    public var lines: [String] {
        switch self {
        case .neverRun(let experiment): ["never run in experiment '\(experiment)'"]
        case .resultRemoved: ["its cached result was removed from the store"]
        case .previousRecordGone: ["key changed and the previous record is gone"]
        case .changed(let diffs): diffs.isEmpty ? ["key changed"] : diffs
        case .unreadableRecord(let message): [message]
        case .objectMissing(let what, let object): ["\(what) object \(object.hex.prefix(12)) is missing from the store"]
        case .objectCorrupt(let what, let object, _, let actual):
            ["\(what) object \(object.hex.prefix(12)) failed verification (its bytes hash to \(actual.hex.prefix(12))); recomputing"]
        case .misdirectedRecord(let problem): ["\(problem); recomputing"]
        }
    }

    /// The lines on one line (for tables and run reports).
    public var summary: String { lines.joined(separator: "; ") }
}

/// A node's key and what it depends on.
public struct ResolvedKey: Sendable {
    public let keyInputs: KeyInputs
    public let key: Digest
    public init(keyInputs: KeyInputs, key: Digest) {
        self.keyInputs = keyInputs
        self.key = key
    }
}

/// Whether a node's result can be reused; the one answer `plan`, `why`, runs, single-node runs and transfers share.
public enum KeyResolution: Sendable {
    case hit(ResolvedKey, ActionRecord)
    case miss(ResolvedKey, MissReason)
    /// Planning only: identities the key needs are not known without starting a program (one line each).
    case unknown([String])

    /// The key, when known.
    public var resolved: ResolvedKey? {
        switch self {
        case .hit(let r, _), .miss(let r, _): r
        case .unknown: nil
        }
    }
}

/// Computes node keys and decides hit or miss, reading the store and never changing it: a corrupt object or an
/// unreadable record is reported (`MissReason`), and the executor repairs it when it acts on the miss.
/// The only caller of `KeyExtrasProvider.keyExtras`.
public struct KeyResolver: Sendable {
    public let graph: ExperimentGraph
    public let store: ArtifactStore
    public let extras: any KeyExtrasProvider
    public let purpose: KeyPurpose
    /// Node id → key of its latest completed run in this experiment (read once).
    public let latest: [String: Digest]

    public init(graph: ExperimentGraph, store: ArtifactStore, extras: any KeyExtrasProvider, purpose: KeyPurpose) {
        self.graph = graph
        self.store = store
        self.extras = extras
        self.purpose = purpose
        self.latest = store.latestKeys(experiment: graph.experiment)
    }

    /// The node's key given its upstream nodes' outputs (every upstream node must be in `upstream`), and whether
    /// a verified result exists for it.
    public func resolve(_ node: ValidatedNode, upstream: [String: [String: OutputObject]]) async throws -> KeyResolution {
        let extras = try await self.extras.keyExtras(for: node, graph: graph, purpose: purpose)
        if !extras.unknown.isEmpty { return .unknown(extras.unknown) }
        let keyInputs = Self.keyInputs(for: node, seed: graph.seed, upstream: upstream, extras: extras)
        return lookup(node: node, ResolvedKey(keyInputs: keyInputs, key: try keyInputs.key()))
    }

    /// The key inputs of `node` given its upstream nodes' output content digests.
    public static func keyInputs(for node: ValidatedNode, seed: Int, upstream: [String: [String: OutputObject]],
                                 extras: KeyExtras) -> KeyInputs {
        var inputs: [String: [Digest]] = [:]
        for (name, refs) in node.inputs {
            inputs[name] = refs.map { upstream[$0.node]![$0.output]!.content }
        }
        return KeyInputs(kind: node.signature.name, version: node.signature.version, params: node.keyParams ?? node.params,
                         inputs: inputs, files: extras.files, seed: node.signature.seeded ? seed : nil,
                         external: extras.external)
    }

    /// Looks the key up and verifies every output object, and that each was produced for this key, before trusting
    /// it (again after a lock is taken or a batch job ends: another process may have computed the key meanwhile).
    public func lookup(node: ValidatedNode, _ resolved: ResolvedKey) -> KeyResolution {
        let record: ActionRecord?
        do {
            record = try store.action(for: resolved.key)
        } catch {
            return .miss(resolved, .unreadableRecord("\(error)"))
        }
        guard let record else { return .miss(resolved, explainMiss(node: node.id, resolved)) }
        // Every object hashes to its name, and every output was produced for this key (`ArtifactStore.check`).
        switch store.check(record) {
        case nil:
            return .hit(resolved, record)
        case .missing(let name, let object)?:
            return .miss(resolved, .objectMissing(what: name, object: object))
        case .corrupt(let name, let object, let actual)?:
            let ext = record.allObjects.first { $0.object == object }?.ext ?? "h5"
            return .miss(resolved, .objectCorrupt(what: name, object: object, ext: ext, actual: actual))
        case let problem?:
            return .miss(resolved, .misdirectedRecord(problem))
        }
    }

    /// Why there is no result for the key: the differences from the key this node had in its latest run.
    func explainMiss(node: String, _ resolved: ResolvedKey) -> MissReason {
        guard let last = latest[node] else { return .neverRun(experiment: graph.experiment) }
        if last == resolved.key { return .resultRemoved }
        guard let record = try? store.action(for: last), let old = try? KeyInputs.decode(record.keyInputs) else {
            return .previousRecordGone
        }
        return .changed(resolved.keyInputs.differences(from: old, sources: record.inputSources))
    }
}
