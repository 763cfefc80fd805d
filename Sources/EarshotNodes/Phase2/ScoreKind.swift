import EarshotData
import EarshotGraph
import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import Foundation

/// `score`: per-token statistics of a target model on every item of a split (the paper's phase 2).
///
/// `mode: self` is the two-stage protocol (greedy decode, then the model's own tokens scored
/// teacher-forced); `mode: reference` scores the item's transcript teacher-forced. The scorer is a worker
/// process, the built-in reference target or an import (`ScorerSpec`). Results are kept in shards of
/// `shard_size` items under the node key as they finish (`PartialResults`), so a killed run resumes and
/// scores only the items of unfinished shards; the final `token_scores` artifact is assembled from them.
///
/// The key holds, besides params and inputs: for a worker, the SHA-256 of its program and of its script
/// (first argument, when a file), and the model id, weights hash, vocabulary size and code digest (`code_sha256`, when the
/// worker reports one: its script and shared modules) from its hello (a run starts the worker once per process to read
/// it and remembers it in `IdentityCache`; a plan only reads what was remembered); for an import, the file's SHA-256.
/// `earshot run --batch-size N` sends workers that accept batches N items at once; it is not part of the key (workers
/// return equal results either way).
public struct ScoreKind: ShardableKind {
    public static let name = "score"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    /// Bumped whenever the artifact for the same key would change, including any change of output of the
    /// reference target (`ReferenceTarget`, `NGramLanguageModel`, `AcousticEmbedding`, `WordVocabulary`).
    public static let version = 2

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: Self.version,
            summary: "per-token statistics of a target model (worker, reference target or import) on every item of a split",
            inputs: [
                InputSignature("split", "the items to score", types: ["split"]),
                InputSignature("memory", "reference target: clips memorised instead of the audited members (memorize: other)", required: false, types: ["split"]),
                InputSignature("background", "reference target: texts the n-gram LM is trained on", required: false, types: ["split"]),
            ],
            outputs: [OutputSignature("scores", type: TokenScores.artifactType, "tokens, decoded text and per-token statistics per item")],
            params: Params.signatures)
    }

    /// `ScoreRequest.Mode` as a param.
    enum Mode: String, ParamChoice {
        case selfConditioned = "self", reference
        var request: ScoreRequest.Mode { self == .reference ? .reference : .selfConditioned }
    }

    struct Params: KindParams {
        @Param("{command: [program, args…]}, reference, {reference: {memorize: members|other|text|none, …}} or {import: path}")
        var scorer: Value
        @Param("self: greedy decode then score the model's own tokens; reference: score the transcript")
        var mode: Mode = .selfConditioned
        @Param("instruction sent to instruction-following models") var prompt = "Transcribe the input speech."
        @Param("upper bound on generated tokens, end-of-text included", in: 1...65_536) var maxNewTokens = 32
        @Param("an item that cannot be scored: fail the node, or skip it (listed under 'skipped')") var onError: OnError = .fail
        @Param("items per persisted shard (the unit of resumption)", in: 1...1_000_000) var shardSize = 64
        @Param("seconds one item may take before the worker is restarted (0: no limit)", in: 0...604_800) var timeout = 600.0
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        switch try ScorerSpec(node.decodeParams(Params.self).scorer, node: node.id) {
        case .command(let argv):
            let worker = try ResolvedWorker(argv: argv, specDirectory: context.specDirectory)
            let identity = try IdentityCache.identity(fingerprint: worker.fingerprint, paths: Array(argv.dropFirst()), context: context) {
                let hello = try WorkerIdentityCache.shared.hello(for: worker.command, fingerprint: worker.fingerprint)
                var identity: [String: Value] = ["model_id": .string(hello.modelID), "weights_sha256": .string(hello.weightsSHA256),
                                                 "vocab_size": .int(hello.vocabularySize)]
                if let code = hello.codeSHA256 { identity["code_sha256"] = .string(code) }
                return identity
            }
            guard let identity else {
                return KeyExtras(files: worker.files, unknown: ["the model identity of worker \(worker.command.name), read from its hello when a run starts it"])
            }
            return KeyExtras(files: worker.files, external: identity)
        case .importFile(let path):
            let url = ScorerSpec.resolve(path, specDirectory: context.specDirectory)
            do {
                return KeyExtras(files: ["import": try SHA256.hash(fileAt: url)])
            } catch {
                throw NodeError("node '\(node.id)': cannot read the import file '\(url.path)': \(error)")
            }
        case .reference:
            return KeyExtras()
        }
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let (collector, attributes) = try await score(context, shards: nil)
        try Task.checkCancellation()
        guard let table = collector.assemble(attributes: attributes) else {
            throw NodeError("node '\(context.node.id)': some items were never scored (a bug in the scorer)")
        }
        return ["scores": table.artifact()]
    }

    public func shardCount(_ context: NodeContext) throws -> Int {
        let items = try Split(artifact: context.input("split").load()).items.count
        let size = try context.decodeParams(Params.self).shardSize
        return (items + size - 1) / size
    }

    public func runShards(_ shards: [Int], context: NodeContext) async throws {
        _ = try await score(context, shards: Set(shards))
    }

    /// Scores the unfinished items (of `shards` only, when given), publishing each shard as it completes;
    /// returns the collector and the artifact's attributes.
    func score(_ context: NodeContext, shards: Set<Int>?) async throws -> (ShardCollector, [String: AttributeValue]) {
        let node = context.node.id
        let params = try context.decodeParams(Params.self)
        let scorer = try ScorerSpec(params.scorer, node: node)
        let split = try Split(artifact: context.input("split").load())
        let mode = params.mode.request
        let onError = params.onError
        let collector = ShardCollector(ids: split.items.map(\.id), labels: split.items.map(\.label),
                                       shardSize: params.shardSize,
                                       partial: context.store.partialResults(for: context.key),
                                       onError: onError, progress: context.progress)
        let pending = collector.resume().filter { shards?.contains($0 / collector.shardSize) ?? true }
        var attributes: [String: AttributeValue] = [
            "mode": .string(mode.rawValue), "prompt": .string(params.prompt),
            "max_new_tokens": .int(Int64(params.maxNewTokens)),
        ]
        switch scorer {
        case .command(let argv):
            let worker = try ResolvedWorker(argv: argv, specDirectory: context.specDirectory)
            let expected = WorkerIdentityCache.shared.cached(worker.fingerprint)
            attributes["scorer"] = .string("command")
            let requests = try pending.map { try request(for: split.items[$0], context: context, params: params) }
            let pool = WorkerPool(command: worker.command, options: WorkerPoolOptions(
                workers: context.settings.workers, itemTimeout: params.timeout,
                expectedHello: expected, logDirectory: context.workDirectory, devices: context.settings.devices, batchSize: context.settings.batchSize))
            let t0 = Date()
            try await pool.score(requests) { position, outcome in try collector.record(pending[position], outcome) }
            measure(context, model: expected?.modelID ?? worker.command.name, items: pending.count, since: t0,
                    workers: min(max(1, pool.options.workers), max(1, pending.count)))
            // The identity the key was computed with; else what the workers reported, else a handshake now.
            let hello = try expected ?? pool.firstHello ?? WorkerIdentityCache.shared.hello(for: worker.command, fingerprint: worker.fingerprint)
            attributes.merge(Self.identity(hello)) { $1 }
        case .importFile(let path):
            let url = ScorerSpec.resolve(path, specDirectory: context.specDirectory)
            let imported: ImportedScores
            do { imported = try ImportedScores(url: url) } catch { throw NodeError("node '\(node)': \(error)") }
            attributes["scorer"] = .string("import")
            if let hello = imported.hello { attributes.merge(Self.identity(hello)) { $1 } }
            for index in pending {
                try Task.checkCancellation()
                let id = split.items[index].id
                try collector.record(index, imported.outcomes[id] ?? .failed(id: id, message: "not in the import file '\(url.lastPathComponent)'"))
            }
        case .reference(let setup):
            let target = try ReferenceScorer(setup: setup, split: split, context: context, pending: pending)
            attributes["scorer"] = .string("reference")
            attributes.merge(target.attributes) { $1 }
            let t0 = Date()
            try await target.score(pending, mode: mode, maxNewTokens: params.maxNewTokens) { index, outcome in
                try collector.record(index, outcome)
            }
            measure(context, model: "reference", items: pending.count, since: t0, workers: 1)
        }
        return (collector, attributes)
    }

    /// Records the throughput of the items just scored, for `plan --cost` (`ThroughputLog`).
    func measure(_ context: NodeContext, model: String, items: Int, since t0: Date, workers: Int) {
        ThroughputLog.append(.init(kind: Self.name, model: model, device: ThroughputLog.deviceLabel, items: items,
                                   seconds: Date().timeIntervalSince(t0), workers: workers, node: context.node.id), to: context.store)
    }

    static func identity(_ hello: WorkerHello) -> [String: AttributeValue] {
        var identity: [String: AttributeValue] = ["model_id": .string(hello.modelID), "weights_sha256": .string(hello.weightsSHA256),
                                                  "vocab_size": .int(Int64(hello.vocabularySize))]
        if let code = hello.codeSHA256 { identity["code_sha256"] = .string(code) }
        return identity
    }

    func request(for item: Split.Item, context: NodeContext, params: Params) throws -> ScoreRequest {
        ScoreRequest(id: item.id, audio: .path(try Split.audioURL(item.audioPath, store: context.store).path),
                     prompt: params.prompt, mode: params.mode.request, maxNewTokens: params.maxNewTokens,
                     transcript: params.mode == .reference ? item.text : nil)
    }
}
