import EarshotAudio
import EarshotData
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation

/// The built-in reference target set up from a `score` node's inputs (`ReferenceSetup`).
///
/// - Vocabulary: every word of the `background`, `memory` and audited split texts (ids are symmetric in
///   members and non-members, so the vocabulary itself leaks nothing).
/// - LM training text: the `background` input's texts (all rows), plus the audited members' transcripts
///   for `memorize: text`.
/// - kNN memory: `members` → the label-1 items of the `memory` input when bound (the original recordings,
///   when the audited split is a resynthesis of them), else of the audited split; `other` → the `memory`
///   input's label-1 items (required, and sharing no id or audio path with the audited split); `text` →
///   the `memory` input's label-1 items when bound, else empty; `none` → empty.
/// Audio is decoded and resampled to 16 kHz (`AudioLoader`) before `AcousticEmbedding`.
struct ReferenceScorer: Sendable {
    let target: ReferenceTarget
    let split: Split
    /// Embedding (or the reason there is none) per split row that needs one.
    let embeddings: [Int: Result<[Double], NodeError>]
    let attributes: [String: AttributeValue]

    init(setup: ReferenceSetup, split: Split, context: NodeContext, pending: [Int]) throws {
        let node = context.node.id
        let background = try context.inputs["background"]?.first.map { try Split(artifact: $0.load()) }
        let memorySplit = try context.inputs["memory"]?.first.map { try Split(artifact: $0.load()) }
        let embedder = try AcousticEmbedding()
        let store = context.store

        let texts = (background?.items.map(\.text) ?? []) + (memorySplit?.items.map(\.text) ?? []) + split.items.map(\.text)
        let vocabulary = WordVocabulary(texts: texts)
        var sentences = (background?.items ?? []).map { vocabulary.encode($0.text) }
        if setup.memorize == .text { sentences += split.items.filter { $0.label == 1 }.map { vocabulary.encode($0.text) } }
        let languageModel = NGramLanguageModel(sentences: sentences, vocabularySize: vocabulary.count, discount: setup.settings.discount)

        let memoryItems: [Split.Item]
        switch setup.memorize {
        case .members:
            memoryItems = (memorySplit ?? split).items.filter { $0.label == 1 }
            guard !memoryItems.isEmpty else { throw NodeError("node '\(node)': memorize: members but there is no member (label 1) to memorise") }
        case .other:
            guard let memorySplit else {
                throw NodeError("node '\(node)': memorize: other needs a 'memory' input: a split of other clips drawn from the member distribution")
            }
            memoryItems = memorySplit.items.filter { $0.label == 1 }
            guard !memoryItems.isEmpty else { throw NodeError("node '\(node)': the 'memory' input has no member (label 1) to memorise") }
            let auditedIDs = Set(split.items.map(\.id)), auditedPaths = Set(split.items.map(\.audioPath))
            if let shared = memoryItems.first(where: { auditedIDs.contains($0.id) || auditedPaths.contains($0.audioPath) }) {
                throw NodeError("node '\(node)': memorize: other, but memory item '\(shared.id)' is also in the audited split; use memorize: members, or a memory of other clips")
            }
        case .text:
            memoryItems = memorySplit?.items.filter { $0.label == 1 } ?? []
        case .none:
            memoryItems = []
        }
        // Audited rows to embed (pending ones, plus memorised ones when the memory is the audited split) and
        // memory items from another split, each embedded once.
        let auditedIDs = Dictionary(split.items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let fromAudited = memorySplit == nil && setup.memorize == .members
        let rows = Array(Set(pending + (fromAudited ? memoryItems.compactMap { auditedIDs[$0.id] } : []))).sorted()
        let auditedVectors = Dictionary(uniqueKeysWithValues: zip(rows, try Self.embed(rows.map { split.items[$0] }, embedder: embedder, store: store)))
        let otherVectors = fromAudited ? [] : try Self.embed(memoryItems, embedder: embedder, store: store)
        let memoryVectors = try memoryItems.enumerated().map { i, item in
            switch fromAudited ? auditedVectors[auditedIDs[item.id]!]! : otherVectors[i] {
            case .success(let v): return v
            case .failure(let e): throw NodeError("node '\(node)': memory item '\(item.id)': \(e.message)")
            }
        }
        let memory = zip(memoryVectors, memoryItems).map { ReferenceTarget.MemoryEntry(embedding: $0, tokens: vocabulary.encode($1.text)) }
        do {
            target = try ReferenceTarget(vocabulary: vocabulary, languageModel: languageModel, memory: memory, settings: setup.settings)
        } catch {
            throw NodeError("node '\(node)': \(error)")
        }
        embeddings = auditedVectors
        self.split = split

        var hasher = SHA256()
        hasher.update("earshot-reference-knnlm-v1\n")
        for w in vocabulary.words { hasher.update(w + "\n") }
        for s in sentences { hasher.update(s.map(String.init).joined(separator: " ") + "\n") }
        for entry in memory {
            hasher.update(entry.tokens.map(String.init).joined(separator: " ") + "\n")
            entry.embedding.withUnsafeBytes { hasher.update($0) }
        }
        let s = setup.settings
        attributes = [
            "model_id": .string("earshot-reference-knnlm/1 memorize=\(setup.memorize.rawValue) strength=\(s.strength) neighbours=\(s.neighbours) temperature=\(s.temperature) bandwidth=\(s.bandwidth) discount=\(s.discount)"),
            "weights_sha256": .string(hasher.finalize().hex),
            "vocab_size": .int(Int64(vocabulary.count)),
            "memory_size": .int(Int64(memory.count)),
            "memory_scale": .double(target.scale),
        ]
    }

    /// Embeddings of the items' audio, computed in parallel (one task per core), placed by index.
    static func embed(_ items: [Split.Item], embedder: AcousticEmbedding, store: ArtifactStore) throws -> [Result<[Double], NodeError>] {
        let results = IndexedSlots<Result<[Double], NodeError>>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let item = items[i]
            do {
                let url = try Split.audioURL(item.audioPath, store: store)
                let audio = try AudioLoader.load(url, targetRate: AcousticEmbedding.sampleRate)
                results[i] = .success(embedder.embed(audio.samples))
            } catch {
                results[i] = .failure(NodeError("cannot read the audio of item '\(item.id)' ('\(item.audioPath)'): \(error)"))
            }
        }
        return results.values
    }

    /// Scores the pending rows chunk by chunk (parallel within a chunk), recording outcomes in row order.
    func score(_ pending: [Int], mode: ScoreRequest.Mode, maxNewTokens: Int,
               record: (Int, ItemOutcome) throws -> Void) async throws {
        let chunk = max(1, ProcessInfo.processInfo.activeProcessorCount * 8)
        for start in stride(from: 0, to: pending.count, by: chunk) {
            try Task.checkCancellation()
            let rows = Array(pending[start..<min(start + chunk, pending.count)])
            let outcomes = IndexedSlots<ItemOutcome>(count: rows.count)
            DispatchQueue.concurrentPerform(iterations: rows.count) { i in
                let item = split.items[rows[i]]
                switch embeddings[rows[i]] {
                case .success(let embedding)?:
                    do {
                        outcomes[i] = .scored(try target.score(id: item.id, embedding: embedding, mode: mode,
                                                               transcript: mode == .reference ? item.text : nil, maxNewTokens: maxNewTokens))
                    } catch {
                        outcomes[i] = .failed(id: item.id, message: "\(error)")
                    }
                case .failure(let error)?:
                    outcomes[i] = .failed(id: item.id, message: error.message)
                case nil:
                    outcomes[i] = .failed(id: item.id, message: "no embedding was computed (a bug in the reference scorer)")
                }
            }
            for (i, outcome) in outcomes.values.enumerated() { try record(rows[i], outcome) }
        }
    }
}
