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
/// worker reports one: its script and shared modules) from its hello (the worker is started once at key time to read it,
/// once per process); for an import, the file's SHA-256. `earshot run --batch-size N` sends workers that accept
/// batches N items at once; it is not part of the key (workers return equal results either way).
public struct ScoreKind: NodeKind {
    public static let name = "score"

    public init() {}

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
            params: [
                ParamSignature("scorer", .any, "{command: [program, args…]}, reference, {reference: {memorize: members|other|text|none, …}} or {import: path}"),
                ParamSignature("mode", .choice(["self", "reference"]), default: .string("self"), "self: greedy decode then score the model's own tokens; reference: score the transcript"),
                ParamSignature("prompt", .string, default: .string("Transcribe the input speech."), "instruction sent to instruction-following models"),
                ParamSignature("max_new_tokens", .int(min: 1), default: .int(32), "upper bound on generated tokens, end-of-text included"),
                ParamSignature("on_error", .choice(["fail", "skip"]), default: .string("fail"), "an item that cannot be scored: fail the node, or skip it (listed under 'skipped')"),
                ParamSignature("shard_size", .int(min: 1), default: .int(64), "items per persisted shard (the unit of resumption)"),
                ParamSignature("timeout", .double(min: 0), default: .double(600), "seconds one item may take before the worker is restarted (0: no limit)"),
            ])
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        switch try ScorerSpec(node.params["scorer"], node: node.id) {
        case .command(let argv):
            let worker = try ResolvedWorker(argv: argv, specDirectory: context.specDirectory)
            let hello = try WorkerIdentityCache.shared.hello(for: worker.command, fingerprint: worker.fingerprint)
            var external: [String: Value] = [
                "model_id": .string(hello.modelID), "weights_sha256": .string(hello.weightsSHA256),
                "vocab_size": .int(hello.vocabularySize),
            ]
            if let code = hello.codeSHA256 { external["code_sha256"] = .string(code) }
            return KeyExtras(files: worker.files, external: external)
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
        let node = context.node.id
        let scorer = try ScorerSpec(context.params["scorer"], node: node)
        let split = try Split(artifact: context.input("split").load())
        let mode = ScoreRequest.Mode(rawValue: context.string("mode") ?? "self") ?? .selfConditioned
        let onError = OnError(rawValue: context.string("on_error") ?? "fail") ?? .fail
        let collector = ShardCollector(ids: split.items.map(\.id), labels: split.items.map(\.label),
                                       shardSize: context.int("shard_size") ?? 64,
                                       partial: context.store.partialResults(for: context.key),
                                       onError: onError, progress: context.progress)
        let pending = collector.resume()
        var attributes: [String: AttributeValue] = [
            "mode": .string(mode.rawValue), "prompt": .string(context.string("prompt") ?? ""),
            "max_new_tokens": .int(Int64(context.int("max_new_tokens") ?? 32)),
        ]
        switch scorer {
        case .command(let argv):
            let worker = try ResolvedWorker(argv: argv, specDirectory: context.specDirectory)
            let expected = WorkerIdentityCache.shared.cached(worker.fingerprint)
            attributes["scorer"] = .string("command")
            let requests = try pending.map { try request(for: split.items[$0], context: context, mode: mode) }
            let pool = WorkerPool(command: worker.command, options: WorkerPoolOptions(
                workers: context.settings.workers, itemTimeout: context.double("timeout") ?? 0,
                expectedHello: expected, logDirectory: context.workDirectory, batchSize: context.settings.batchSize))
            try await pool.score(requests) { position, outcome in try collector.record(pending[position], outcome) }
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
            try await target.score(pending, mode: mode, maxNewTokens: context.int("max_new_tokens") ?? 32) { index, outcome in
                try collector.record(index, outcome)
            }
        }
        try Task.checkCancellation()
        guard let table = collector.assemble(attributes: attributes) else {
            throw NodeError("node '\(node)': some items were never scored (a bug in the scorer)")
        }
        return ["scores": table.artifact()]
    }

    static func identity(_ hello: WorkerHello) -> [String: AttributeValue] {
        var identity: [String: AttributeValue] = ["model_id": .string(hello.modelID), "weights_sha256": .string(hello.weightsSHA256),
                                                  "vocab_size": .int(Int64(hello.vocabularySize))]
        if let code = hello.codeSHA256 { identity["code_sha256"] = .string(code) }
        return identity
    }

    func request(for item: Split.Item, context: NodeContext, mode: ScoreRequest.Mode) throws -> ScoreRequest {
        ScoreRequest(id: item.id, audio: .path(try Split.audioURL(item.audioPath, store: context.store).path),
                     prompt: context.string("prompt") ?? "", mode: mode, maxNewTokens: context.int("max_new_tokens") ?? 32,
                     transcript: mode == .reference ? item.text : nil)
    }
}
