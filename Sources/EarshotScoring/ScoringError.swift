/// The one error type of `EarshotScoring`: bad distributions, unusable per-token statistics,
/// indicator inputs that have no defined value, and malformed worker-protocol messages.
///
/// Messages are lowercase, quote the offending value and say what to do about it.
public enum ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A probability row that cannot be a distribution (empty, NaN/+∞ entry, or not summing to 1).
    case invalidDistribution(row: Int, reason: String)
    /// The chosen token id lies outside the distribution's vocabulary.
    case chosenTokenOutOfRange(row: Int, token: Int, vocabularySize: Int)
    /// The arrays of one item's statistics do not all have the same length as its token list.
    case lengthMismatch(id: String, field: String, expected: Int, actual: Int)
    /// A per-token statistic is NaN or infinite.
    case nonFiniteStatistic(id: String, field: String, index: Int, value: Double)
    /// An item whose output has no token: no indicator is defined for it.
    case emptyOutput(id: String)
    /// zlib refused to compress (its return code is quoted).
    case zlibFailure(code: Int32)
    /// A worker line that is not valid protocol-v1 JSON.
    case malformedMessage(line: String, reason: String)
    /// A reply answering another request than the one in flight.
    case unexpectedReplyID(expected: String, actual: String)
    /// A worker handshake announcing a protocol version this engine does not speak.
    case unsupportedProtocol(Int)
    /// A request that violates the protocol's rules before it is even sent.
    case invalidRequest(id: String, reason: String)
    /// A worker process that could not be started, died, broke the protocol or exhausted its restarts;
    /// `stderrTail` is the end of what it wrote to stderr.
    case workerFailed(program: String, reason: String, stderrTail: String)
    /// A worker that did not answer one item within the per-item timeout (it is killed and restarted).
    case itemTimedOut(id: String, seconds: Double)
    /// Precomputed statistics that cannot be imported.
    case importFailed(path: String, reason: String)
    /// A reference-target setting or input that cannot be used.
    case invalidReferenceTarget(reason: String)

    public var description: String {
        switch self {
        case .invalidDistribution(let row, let reason):
            return "row \(row) is not a probability distribution: \(reason); pass raw logits to `from(logits:)` or normalised log-probabilities to `from(logProbabilities:)`"
        case .chosenTokenOutOfRange(let row, let token, let vocabularySize):
            return "row \(row): chosen token \(token) is outside the vocabulary 0..<\(vocabularySize); check the token ids against the model's vocabulary"
        case .lengthMismatch(let id, let field, let expected, let actual):
            return "item '\(id)': '\(field)' has \(actual) values but the item has \(expected) tokens; a worker must send one value per generated token"
        case .nonFiniteStatistic(let id, let field, let index, let value):
            return "item '\(id)': '\(field)'[\(index)] is \(value); statistics must be finite (a token of probability zero cannot be scored)"
        case .emptyOutput(let id):
            return "item '\(id)' has no scored token, so no indicator is defined; make the worker score the end-of-text token or drop the item explicitly"
        case .zlibFailure(let code):
            return "zlib compress2 failed with code \(code)"
        case .malformedMessage(let line, let reason):
            let shown = line.count > 120 ? String(line.prefix(120)) + "…" : line
            return "malformed worker message '\(shown)': \(reason)"
        case .unexpectedReplyID(let expected, let actual):
            return "worker replied for item '\(actual)' while item '\(expected)' was in flight; a worker must answer requests in order"
        case .unsupportedProtocol(let version):
            return "worker speaks protocol \(version) but this engine speaks protocol 1; update the worker"
        case .invalidRequest(let id, let reason):
            return "request '\(id)' is invalid: \(reason)"
        case .workerFailed(let program, let reason, let stderrTail):
            return "worker '\(program)' \(reason)" + (stderrTail.isEmpty ? "" : "; its stderr ends with:\n" + stderrTail)
        case .itemTimedOut(let id, let seconds):
            return "item '\(id)' was not scored within \(seconds) s (the worker was killed and restarted); raise 'timeout' or check the worker"
        case .importFailed(let path, let reason):
            return "cannot import scores from '\(path)': \(reason)"
        case .invalidReferenceTarget(let reason):
            return "reference target: \(reason)"
        }
    }
}
