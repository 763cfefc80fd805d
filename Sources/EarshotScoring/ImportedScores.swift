import EarshotStore
import Foundation

/// Statistics precomputed elsewhere (scoring run on a cluster), read for `scorer: {import: PATH}`.
///
/// Two formats, chosen by extension:
/// - `.jsonl` / `.json` / `.ndjson`: the worker reply format, one message per line (`schemas/worker-protocol.md`):
///   an optional `hello` first (its model id and weights hash are kept as provenance), then `result` and
///   `error` lines in any order. Blank lines are ignored. Every line is checked as strictly as a live
///   worker's reply (finite statistics, one per token, token ids below the hello's `vocab_size`).
/// - `.h5` / `.hdf5`: a `token_scores` artifact (`schemas/artifacts.md`); its `skipped` rows count as failures.
/// An id that appears twice is an error (which of the two would be meant is unknowable).
public struct ImportedScores: Sendable {
    public var hello: WorkerHello?
    /// Outcome by item id.
    public var outcomes: [String: ItemOutcome]

    public init(url: URL) throws {
        let ext = url.pathExtension.lowercased()
        switch ext {
        case "h5", "hdf5":
            let table: TokenScores
            do {
                table = try TokenScores(artifact: try ArtifactFile.read(from: url))
            } catch {
                throw ScoringError.importFailed(path: url.path, reason: "\(error)")
            }
            var outcomes: [String: ItemOutcome] = [:]
            for item in table.items { try Self.insert(.scored(item), id: item.id, into: &outcomes, path: url.path) }
            for s in table.skipped { try Self.insert(.failed(id: s.id, message: s.reason), id: s.id, into: &outcomes, path: url.path) }
            self.outcomes = outcomes
            if case .string(let model)? = table.attributes["model_id"], case .string(let weights)? = table.attributes["weights_sha256"] {
                let vocabulary: Int
                if case .int(let v)? = table.attributes["vocab_size"] { vocabulary = Int(v) } else { vocabulary = 1 }
                hello = WorkerHello(modelID: model, weightsSHA256: weights, vocabularySize: vocabulary)
            } else {
                hello = nil
            }
        case "jsonl", "json", "ndjson":
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ScoringError.importFailed(path: url.path, reason: "the file cannot be read")
            }
            var hello: WorkerHello?
            var outcomes: [String: ItemOutcome] = [:]
            for (number, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty { continue }
                let message: WorkerMessage
                do {
                    message = try WorkerMessage.decode(line: line, vocabularySize: hello?.vocabularySize)
                } catch {
                    throw ScoringError.importFailed(path: url.path, reason: "line \(number + 1): \(error)")
                }
                switch message {
                case .hello(let h):
                    guard hello == nil, outcomes.isEmpty else {
                        throw ScoringError.importFailed(path: url.path, reason: "line \(number + 1): a hello must be the first line and appear once")
                    }
                    hello = h
                case .result(let item):
                    try Self.insert(.scored(item), id: item.id, into: &outcomes, path: url.path)
                case .error(let reply):
                    guard let id = reply.id else {
                        throw ScoringError.importFailed(path: url.path, reason: "line \(number + 1): an error line without an item id")
                    }
                    try Self.insert(.failed(id: id, message: "worker error: \(reply.message)"), id: id, into: &outcomes, path: url.path)
                }
            }
            self.hello = hello
            self.outcomes = outcomes
        default:
            throw ScoringError.importFailed(path: url.path, reason: "unknown extension '.\(ext)'; use .jsonl (worker replies) or .h5 (a token_scores artifact)")
        }
    }

    private static func insert(_ outcome: ItemOutcome, id: String, into outcomes: inout [String: ItemOutcome], path: String) throws {
        guard outcomes[id] == nil else {
            throw ScoringError.importFailed(path: path, reason: "item '\(id)' appears twice")
        }
        outcomes[id] = outcome
    }
}
