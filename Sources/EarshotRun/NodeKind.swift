import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation
import Synchronization

/// A node kind: its signature and its implementation. Implementations are stateless values.
public protocol NodeKind: Sendable {
    var signature: KindSignature { get }

    /// The kind's typed params; its signature's `params` are `paramsType.signatures`, and `run` reads a decoded value
    /// (`NodeContext.decodeParams`). The default is none.
    var paramsType: any KindParams.Type { get }

    /// External files and identities (beyond params and inputs) that the result depends on.
    /// The default is none.
    func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras

    /// Computes the node's outputs (output name → artifact). Throw `NodeError` for failures the user can fix.
    /// Long work checks `Task.isCancelled` (or calls `try Task.checkCancellation()`) and reports progress.
    func run(_ context: NodeContext) async throws -> [String: Artifact]
}

/// The params of a kind that takes none.
public struct NoParams: KindParams {
    public init() {}
}

extension NodeKind {
    public var paramsType: any KindParams.Type { NoParams.self }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras { KeyExtras() }
}

/// What `keyExtras` may use: the store (for its fingerprint table), the experiment's folder, and what resolving may
/// do (`purpose`: a plan starts no program; identities only a program can tell go through `IdentityCache`).
public struct KeyExtrasContext: Sendable {
    public let store: ArtifactStore
    public let specDirectory: String
    public let purpose: KeyPurpose

    public init(store: ArtifactStore, specDirectory: String, purpose: KeyPurpose) {
        self.store = store
        self.specDirectory = specDirectory
        self.purpose = purpose
    }
}

/// One upstream output bound to an input.
public struct InputArtifact: Sendable {
    public let source: OutputRef
    public let output: OutputObject
    /// The object file (read-only).
    public let url: URL

    /// Reads the artifact.
    public func load() throws -> Artifact { try ArtifactFile.read(from: url) }
}

/// Everything a running node may use.
public struct NodeContext: Sendable {
    public let node: ValidatedNode
    public let key: Digest
    public let seed: Int
    public let experiment: String
    public let specDirectory: String
    /// Input name → bound upstream outputs, in the order written.
    public let inputs: [String: [InputArtifact]]
    public let store: ArtifactStore
    /// A fresh folder for the node's scratch files, removed after the node finishes.
    public let workDirectory: URL
    public let progress: ProgressHandle
    /// Run-wide settings from the command line (worker processes per scoring node, …).
    public let settings: RunSettings
    let attachments: AttachmentLog

    public init(node: ValidatedNode, key: Digest, seed: Int, experiment: String, specDirectory: String,
                inputs: [String: [InputArtifact]], store: ArtifactStore, workDirectory: URL, progress: ProgressHandle = .none,
                settings: RunSettings = RunSettings()) {
        self.init(node: node, key: key, seed: seed, experiment: experiment, specDirectory: specDirectory, inputs: inputs,
                  store: store, workDirectory: workDirectory, progress: progress, settings: settings, attachments: AttachmentLog())
    }

    init(node: ValidatedNode, key: Digest, seed: Int, experiment: String, specDirectory: String,
         inputs: [String: [InputArtifact]], store: ArtifactStore, workDirectory: URL, progress: ProgressHandle,
         settings: RunSettings, attachments: AttachmentLog) {
        self.node = node
        self.key = key
        self.seed = seed
        self.experiment = experiment
        self.specDirectory = specDirectory
        self.inputs = inputs
        self.store = store
        self.workDirectory = workDirectory
        self.progress = progress
        self.settings = settings
        self.attachments = attachments
    }

    /// Moves a file the node made (an audio clip) into the store and returns its reference (written
    /// `cas:<sha256>.<ext>`). The object is kept with the node's result: verified, garbage-collected and
    /// transferred with it.
    public func attach(fileAt url: URL, ext: String) throws -> StoreReference {
        let digest = try store.putObject(ext: ext) { tmp in
            do { try FileManager.default.moveItem(at: url, to: tmp) } catch {
                throw NodeError("cannot move '\(url.path)' into the store: \(error.localizedDescription)")
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: store.objectURL(digest, ext: ext).path)[.size] as? Int) ?? 0
        attachments.append(OutputObject(object: digest, content: digest, ext: ext, type: "blob", bytes: size ?? 0))
        return StoreReference(digest: digest, ext: ext)
    }

    public var params: [String: Value] { node.params }

    /// The single artifact bound to a single input.
    public func input(_ name: String) throws -> InputArtifact {
        guard let list = inputs[name], let first = list.first else {
            throw NodeError("node '\(node.id)' has no input '\(name)'")
        }
        return first
    }

    /// The node's params as the kind's typed value (`KindParams`): validated, defaults filled in.
    public func decodeParams<P: KindParams>(_ type: P.Type = P.self) throws -> P {
        do { return try P(decoding: node.params) } catch {
            throw NodeError("node '\(node.id)' (\(node.signature.name)): \(error)")
        }
    }

    public func string(_ name: String) -> String? { node.params[name]?.stringValue }
    public func int(_ name: String) -> Int? { node.params[name]?.intValue }
    public func double(_ name: String) -> Double? { node.params[name]?.doubleValue }
    public func bool(_ name: String) -> Bool? { node.params[name]?.boolValue }
    public func strings(_ name: String) -> [String] { node.params[name]?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// Settings of a run that node kinds may consult; they never enter node keys (they change how, not what).
public struct RunSettings: Sendable {
    /// Worker processes a scoring node may start (`earshot run --workers N`).
    public var workers: Int
    /// GPUs the workers are spread over, one `CUDA_VISIBLE_DEVICES` value per worker in turn (`--gpus`).
    public var devices: [String]
    /// Items a scoring node sends to one worker at once (`earshot run --batch-size N`), for workers that
    /// score batches; results equal the unbatched ones, so it never enters a key.
    public var batchSize: Int
    public init(workers: Int = 1, devices: [String] = [], batchSize: Int = 1) {
        self.workers = max(1, workers)
        self.devices = devices
        self.batchSize = max(1, batchSize)
    }

    /// The GPUs of `--gpus`: `auto` → the entries of `CUDA_VISIBLE_DEVICES` when set, else one index per GPU the
    /// NVIDIA driver lists in `/proc/driver/nvidia/gpus` (none without a driver); otherwise a comma-separated list.
    public static func devices(_ spec: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               driverDirectory: String = "/proc/driver/nvidia/gpus") -> [String] {
        guard spec == "auto" else { return spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let visible = environment["CUDA_VISIBLE_DEVICES"] {
            return visible.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "-1" }
        }
        let count = ((try? FileManager.default.contentsOfDirectory(atPath: driverDirectory)) ?? []).count
        return (0..<count).map(String.init)
    }
}

/// Objects a node attached while running.
final class AttachmentLog: Sendable {
    private let items = Mutex<[Digest: OutputObject]>([:])
    func append(_ o: OutputObject) { items.withLock { $0[o.object] = o } }
    var all: [OutputObject] { items.withLock { $0.values.sorted { $0.object < $1.object } } }
}

/// A node failure with a message for the user (lowercase, names the item, says the fix).
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The node kinds an executor can run, by name.
public struct KindRegistry: Sendable {
    public private(set) var kinds: [String: any NodeKind] = [:]

    public init(_ kinds: [any NodeKind]) {
        for k in kinds { self.kinds[k.signature.name] = k }
    }

    public var signatures: [KindSignature] { kinds.values.map(\.signature).sorted { $0.name < $1.name } }

    public subscript(name: String) -> (any NodeKind)? { kinds[name] }

    /// Reads, expands and validates an experiment file and builds its graph.
    public func load(path: String, overrides: [Override] = []) throws -> ExperimentGraph {
        let spec = try SpecReader(overrides: overrides).read(path: path)
        return try graph(spec)
    }

    public func graph(_ spec: ExperimentSpec) throws -> ExperimentGraph {
        let nodes = try SpecValidator(kinds: signatures).validate(spec)
        return try ExperimentGraph(spec: spec, nodes: nodes)
    }
}

/// Key extras from the registered kinds.
public struct RegistryKeyExtras: KeyExtrasProvider {
    public let registry: KindRegistry
    public let store: ArtifactStore

    public init(registry: KindRegistry, store: ArtifactStore) {
        self.registry = registry
        self.store = store
    }

    public func keyExtras(for node: ValidatedNode, graph: ExperimentGraph, purpose: KeyPurpose) async throws -> KeyExtras {
        guard let kind = registry[node.signature.name] else { return KeyExtras() }
        return try await kind.keyExtras(for: node, context: KeyExtrasContext(store: store, specDirectory: graph.specDirectory, purpose: purpose))
    }
}
