import EarshotSpec
import EarshotStore

/// External files and identities that enter a node's key besides its params and inputs.
public struct KeyExtras: Sendable, Equatable {
    public var files: [String: Digest]
    public var external: [String: Value]
    public init(files: [String: Digest] = [:], external: [String: Value] = [:]) {
        self.files = files
        self.external = external
    }
}

/// Supplies `KeyExtras` for a node (the node kinds know which files they read).
public protocol KeyExtrasProvider: Sendable {
    func keyExtras(for node: ValidatedNode, graph: ExperimentGraph) async throws -> KeyExtras
}

/// Whether a node's result can be reused, and why not when it cannot.
public enum CacheDecision: Sendable {
    case hit(ActionRecord)
    case miss(reason: String)
}

/// The one place where hit/miss is decided, shared by `plan`, `run` and `why` so their reasons agree.
public struct CacheLookup: Sendable {
    public let store: ArtifactStore
    public let experiment: String
    /// Node id → key of its latest completed run in this experiment (read once).
    public let latest: [String: Digest]

    public init(store: ArtifactStore, experiment: String) {
        self.store = store
        self.experiment = experiment
        self.latest = store.latestKeys(experiment: experiment)
    }

    /// The key inputs of `node` given its upstream nodes' output content digests.
    public func keyInputs(for node: ValidatedNode, seed: Int, upstream: [String: [String: OutputObject]], extras: KeyExtras) -> KeyInputs {
        var inputs: [String: [Digest]] = [:]
        for (name, refs) in node.inputs {
            inputs[name] = refs.map { upstream[$0.node]![$0.output]!.content }
        }
        return KeyInputs(kind: node.signature.name, version: node.signature.version, params: node.keyParams ?? node.params,
                         inputs: inputs, files: extras.files, seed: node.signature.seeded ? seed : nil,
                         external: extras.external)
    }

    /// Looks the key up and verifies every output object before trusting it. A corrupt object is moved to
    /// quarantine (so it is recomputed) and the reason says which one.
    public func decide(node: ValidatedNode, keyInputs: KeyInputs, key: Digest) -> CacheDecision {
        let record: ActionRecord?
        do {
            record = try store.action(for: key)
        } catch {
            store.removeAction(key)
            return .miss(reason: "\(error)")
        }
        guard let record else {
            return .miss(reason: explainMiss(node: node.id, keyInputs: keyInputs, key: key))
        }
        let named = record.outputs.keys.sorted().map { ("output '\($0)'", record.outputs[$0]!) }
        for (name, out) in named + (record.attachments ?? []).map({ ("attachment", $0) }) {
            switch store.verifyObject(out.object, ext: out.ext) {
            case .ok: continue
            case .missing:
                return .miss(reason: "\(name) object \(out.object.hex.prefix(12)) is missing from the store")
            case .corrupt(let actual):
                try? store.quarantine(out.object, ext: out.ext)
                return .miss(reason: "\(name) object \(out.object.hex.prefix(12)) failed verification (its bytes hash to \(actual.hex.prefix(12))); recomputing")
            }
        }
        return .hit(record)
    }

    /// Why there is no result for `key`: the differences from the key this node had in its latest run.
    public func explainMiss(node: String, keyInputs: KeyInputs, key: Digest) -> String {
        guard let last = latest[node] else {
            return "never run in experiment '\(experiment)'"
        }
        if last == key { return "its cached result was removed from the store" }
        guard let record = try? store.action(for: last), let old = try? KeyInputs.decode(record.keyInputs) else {
            return "key changed and the previous record is gone"
        }
        let diffs = keyInputs.differences(from: old, sources: record.inputSources)
        return diffs.isEmpty ? "key changed" : diffs.joined(separator: "; ")
    }
}
