import Foundation

/// The worker protocol's version this module speaks (`schemas/worker-protocol.md`).
public let workerProtocolVersion = 1

/// A worker's handshake, its first line: `{"type":"hello","protocol":1,"model_id":…,"weights_sha256":…,"vocab_size":…}`.
/// `model_id` and `weights_sha256` identify the target model and enter node keys.
public struct WorkerHello: Sendable, Equatable, Codable {
    public var protocolVersion: Int
    public var modelID: String
    /// Lowercase hex SHA-256 of the weights (64 characters).
    public var weightsSHA256: String
    public var vocabularySize: Int
    /// False when the model takes no instruction and ignores the request's `prompt` (default true).
    public var acceptsPrompt: Bool
    /// SHA-256 of the code the worker runs (its script and shared modules), when it reports one; enters node keys.
    public var codeSHA256: String?
    /// Most items the worker scores in one `score_batch` request (default 1: no batching).
    public var maxBatch: Int

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", modelID = "model_id", weightsSHA256 = "weights_sha256"
        case vocabularySize = "vocab_size", acceptsPrompt = "accepts_prompt", codeSHA256 = "code_sha256", maxBatch = "max_batch"
    }

    public init(protocolVersion: Int = workerProtocolVersion, modelID: String, weightsSHA256: String, vocabularySize: Int,
                acceptsPrompt: Bool = true, codeSHA256: String? = nil, maxBatch: Int = 1) {
        self.protocolVersion = protocolVersion
        self.modelID = modelID
        self.weightsSHA256 = weightsSHA256
        self.vocabularySize = vocabularySize
        self.acceptsPrompt = acceptsPrompt
        self.codeSHA256 = codeSHA256
        self.maxBatch = max(1, maxBatch)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        protocolVersion = try container.decode(Int.self, forKey: .protocolVersion)
        modelID = try container.decode(String.self, forKey: .modelID)
        weightsSHA256 = try container.decode(String.self, forKey: .weightsSHA256)
        vocabularySize = try container.decode(Int.self, forKey: .vocabularySize)
        acceptsPrompt = try container.decodeIfPresent(Bool.self, forKey: .acceptsPrompt) ?? true
        codeSHA256 = try container.decodeIfPresent(String.self, forKey: .codeSHA256)
        let batch = try container.decodeIfPresent(Int.self, forKey: .maxBatch) ?? 1
        guard batch >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maxBatch, in: container, debugDescription: "max_batch must be at least 1, got \(batch)")
        }
        maxBatch = batch
    }
}

/// A worker's refusal to score one item (`{"type":"error","id":…,"message":…}`); `id` is nil for a
/// line the worker could not attribute to a request. The worker keeps serving after it.
public struct WorkerErrorReply: Sendable, Equatable, Codable {
    public var id: String?
    public var message: String

    public init(id: String?, message: String) {
        self.id = id
        self.message = message
    }
}

/// A message from a worker to the engine (one JSON object per line on the worker's stdout).
public enum WorkerMessage: Sendable, Equatable {
    case hello(WorkerHello)
    case result(ItemScores)
    case error(WorkerErrorReply)

    private struct Envelope: Decodable { var type: String }

    /// Decodes and checks one line. Rejects, with `ScoringError`: invalid JSON (including NaN/Infinity
    /// literals), an unknown `type`, a hello with another protocol version, a bad weights hash or a
    /// non-positive vocabulary size, a result or error whose `id` is not `expectedID` (when given), a
    /// result whose statistics arrays do not have one finite value per token, and token ids outside
    /// 0..<`vocabularySize` (when given).
    public static func decode(line: String, expectedID: String? = nil, vocabularySize: Int? = nil) throws -> WorkerMessage {
        let data = Data(line.utf8)
        let decoder = JSONDecoder()
        let type: String
        do {
            type = try decoder.decode(Envelope.self, from: data).type
        } catch {
            throw ScoringError.malformedMessage(line: line, reason: "not a JSON object with a string 'type' (\(brief(error)))")
        }
        switch type {
        case "hello":
            let hello: WorkerHello = try decodeBody(WorkerHello.self, line: line, decoder: decoder)
            guard hello.protocolVersion == workerProtocolVersion else { throw ScoringError.unsupportedProtocol(hello.protocolVersion) }
            guard hello.weightsSHA256.count == 64, hello.weightsSHA256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw ScoringError.malformedMessage(line: line, reason: "'weights_sha256' must be 64 lowercase hex digits, got '\(hello.weightsSHA256)'")
            }
            guard hello.vocabularySize > 0, !hello.modelID.isEmpty else {
                throw ScoringError.malformedMessage(line: line, reason: "'vocab_size' must be positive and 'model_id' non-empty")
            }
            return .hello(hello)
        case "result":
            let item: ItemScores = try decodeBody(ItemScores.self, line: line, decoder: decoder)
            if let expectedID, item.id != expectedID { throw ScoringError.unexpectedReplyID(expected: expectedID, actual: item.id) }
            try item.validate()
            if let bad = item.tokens.first(where: { $0 < 0 || $0 >= (vocabularySize ?? Int.max) }) {
                throw ScoringError.malformedMessage(line: line, reason: "token id \(bad) is outside the vocabulary 0..<\(vocabularySize ?? Int.max)")
            }
            return .result(item)
        case "error":
            let reply: WorkerErrorReply = try decodeBody(WorkerErrorReply.self, line: line, decoder: decoder)
            if let expectedID, let id = reply.id, id != expectedID { throw ScoringError.unexpectedReplyID(expected: expectedID, actual: id) }
            return .error(reply)
        default:
            throw ScoringError.malformedMessage(line: line, reason: "unknown message type '\(type)' (expected 'hello', 'result' or 'error')")
        }
    }

    private static func decodeBody<T: Decodable>(_: T.Type, line: String, decoder: JSONDecoder) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(line.utf8))
        } catch {
            throw ScoringError.malformedMessage(line: line, reason: brief(error))
        }
    }

    /// A one-line description of a decoding error naming the offending key path.
    private static func brief(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let prefix = path(context)
            return "missing key '\(prefix.isEmpty ? key.stringValue : prefix + "." + key.stringValue)'"
        case DecodingError.typeMismatch(let type, let context):
            return "'\(path(context))' is not a \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "'\(path(context))' is null, expected a \(type)"
        case DecodingError.dataCorrupted(let context):
            return "invalid JSON at '\(path(context))': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// A message from the engine to a worker (one JSON object per line on the worker's stdin).
public enum WorkerRequest: Sendable, Equatable {
    case score(ScoreRequest)
    /// Several items scored together (`{"type":"score_batch","requests":[…]}`), answered by one reply line per
    /// item, in order; only for workers whose hello has `max_batch` > 1.
    case scoreBatch([ScoreRequest])
    case shutdown

    /// The request as one line of JSON (keys sorted, no trailing newline), after `ScoreRequest.validate()`.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data
        switch self {
        case .score(let request):
            try request.validate()
            data = try encoder.encode(request)
        case .scoreBatch(let requests):
            for request in requests { try request.validate() }
            data = try encoder.encode(ScoreBatch(requests: requests))
        case .shutdown:
            data = try encoder.encode(["type": "shutdown"])
        }
        return String(decoding: data, as: UTF8.self)
    }
}

private struct ScoreBatch: Encodable {
    var type = "score_batch"
    var requests: [ScoreRequest]
}

/// One item to score (`{"type":"score",…}`).
public struct ScoreRequest: Sendable, Equatable, Encodable {
    /// `self`: greedy decode, then score the decoded tokens teacher-forced (the paper's two-stage
    /// protocol). `reference`: score the given transcript teacher-forced.
    public enum Mode: String, Sendable, Codable { case selfConditioned = "self", reference }

    /// The audio: a file path the worker can read, or mono PCM samples sent inline.
    public enum Audio: Sendable, Equatable {
        case path(String)
        case pcm(samples: [Float], sampleRate: Int)
    }

    public var id: String
    public var audio: Audio
    public var prompt: String
    public var mode: Mode
    /// Upper bound on generated tokens, the end-of-text token included (`self` mode).
    public var maxNewTokens: Int
    /// Required in `reference` mode, absent otherwise.
    public var transcript: String?

    public init(id: String, audio: Audio, prompt: String, mode: Mode, maxNewTokens: Int, transcript: String? = nil) {
        self.id = id
        self.audio = audio
        self.prompt = prompt
        self.mode = mode
        self.maxNewTokens = maxNewTokens
        self.transcript = transcript
    }

    /// Throws unless `id` is non-empty, `maxNewTokens` ≥ 1, a PCM payload has a positive sample rate
    /// and finite samples, and `transcript` is present exactly in `reference` mode.
    public func validate() throws {
        guard !id.isEmpty else { throw ScoringError.invalidRequest(id: id, reason: "the id is empty") }
        guard maxNewTokens >= 1 else { throw ScoringError.invalidRequest(id: id, reason: "max_new_tokens is \(maxNewTokens), it must be at least 1") }
        if case .pcm(let samples, let sampleRate) = audio {
            guard sampleRate > 0 else { throw ScoringError.invalidRequest(id: id, reason: "sample_rate is \(sampleRate), it must be positive") }
            guard samples.allSatisfy(\.isFinite) else { throw ScoringError.invalidRequest(id: id, reason: "the PCM samples contain NaN or infinity") }
        }
        switch (mode, transcript) {
        case (.reference, nil): throw ScoringError.invalidRequest(id: id, reason: "mode 'reference' needs a transcript")
        case (.selfConditioned, .some): throw ScoringError.invalidRequest(id: id, reason: "mode 'self' takes no transcript")
        default: break
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, id, audioPath = "audio_path", pcm = "pcm_f32_b64", sampleRate = "sample_rate"
        case prompt, mode, maxNewTokens = "max_new_tokens", transcript
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("score", forKey: .type)
        try container.encode(id, forKey: .id)
        switch audio {
        case .path(let path):
            try container.encode(path, forKey: .audioPath)
        case .pcm(let samples, let sampleRate):
            try container.encode(Self.base64LittleEndian(samples), forKey: .pcm)
            try container.encode(sampleRate, forKey: .sampleRate)
        }
        try container.encode(prompt, forKey: .prompt)
        try container.encode(mode, forKey: .mode)
        try container.encode(maxNewTokens, forKey: .maxNewTokens)
        try container.encodeIfPresent(transcript, forKey: .transcript)
    }

    /// Base64 of the samples as little-endian IEEE-754 float32, the `pcm_f32_b64` encoding.
    public static func base64LittleEndian(_ samples: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples.count * 4)
        for sample in samples {
            let bits = sample.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
