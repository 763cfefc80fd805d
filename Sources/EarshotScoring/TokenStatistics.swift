import Foundation

/// Per-token statistics of one scored output, as a struct of arrays (index t = the t-th scored token).
///
/// Every quantity is in nats (natural logarithms) and is computed from the target model's full
/// next-token distribution p at step t, following VL-MIA's `get_meta_metrics` (metric_util.py,
/// Li et al. 2024) and the Min-K%++ authors' `run.py` (Zhang et al. 2024):
/// - `logProb`: log p(y_t), the chosen token's log-probability.
/// - `entropy`: Shannon entropy −Σ p log p; terms with p = 0 count as 0 (their limit).
/// - `expectedLogProbSquared`: E_p[(log p)²] = Σ p (log p)² (terms with p = 0 count as 0); with
///   μ = −entropy it gives Min-K%++'s variance σ² = E_p[(log p)²] − μ².
/// - `renyi05`, `renyi2`: Rényi entropies H_α = 1/(1−α) · log Σ p̃^α with p̃ = clamp(p, 1e-10, 1 − 1e-10),
///   exactly as VL-MIA computes them. The clamp is VL-MIA's, not the textbook definition: over a
///   vocabulary of V tokens it adds up to V·1e-5 to Σ p̃^0.5, which visibly raises H_0.5 for large V.
/// - `renyiInf`: H_∞ = −log max p (no clamp; VL-MIA's `-max_p`).
/// - `top1LogProb`: max log p.
/// - `top2LogProb`: the largest log p strictly below the maximum (VL-MIA's
///   `token_log_probs[token_log_probs != max].max()`), so tied maxima are skipped; equal to
///   `top1LogProb` when every entry is equal (where VL-MIA's code raises).
///
/// The JSON keys are the worker protocol's (`log_prob`, `entropy`, `expected_log_prob_sq`, `renyi_0_5`,
/// `renyi_2`, `renyi_inf`, `top1_log_prob`, `top2_log_prob`); see `schemas/worker-protocol.md`.
public struct TokenStatistics: Sendable, Codable, Equatable {
    public var logProb: [Double]
    public var entropy: [Double]
    public var expectedLogProbSquared: [Double]
    public var renyi05: [Double]
    public var renyi2: [Double]
    public var renyiInf: [Double]
    public var top1LogProb: [Double]
    public var top2LogProb: [Double]

    /// The clamp VL-MIA applies to probabilities before its Rényi sums: [ε, 1 − ε] with ε = 1e-10.
    public static let renyiClampEpsilon = 1e-10

    /// Relative tolerance on Σ exp(log p) = 1 accepted by `from(logProbabilities:chosen:)`.
    public static let normalisationTolerance = 1e-6

    enum CodingKeys: String, CodingKey {
        case logProb = "log_prob"
        case entropy
        case expectedLogProbSquared = "expected_log_prob_sq"
        case renyi05 = "renyi_0_5"
        case renyi2 = "renyi_2"
        case renyiInf = "renyi_inf"
        case top1LogProb = "top1_log_prob"
        case top2LogProb = "top2_log_prob"
    }

    public init(
        logProb: [Double], entropy: [Double], expectedLogProbSquared: [Double], renyi05: [Double],
        renyi2: [Double], renyiInf: [Double], top1LogProb: [Double], top2LogProb: [Double]
    ) {
        self.logProb = logProb
        self.entropy = entropy
        self.expectedLogProbSquared = expectedLogProbSquared
        self.renyi05 = renyi05
        self.renyi2 = renyi2
        self.renyiInf = renyiInf
        self.top1LogProb = top1LogProb
        self.top2LogProb = top2LogProb
    }

    /// Assembles the struct of arrays from per-token rows, in order.
    public init(tokens: [Token]) {
        self.init(
            logProb: tokens.map(\.logProb), entropy: tokens.map(\.entropy),
            expectedLogProbSquared: tokens.map(\.expectedLogProbSquared), renyi05: tokens.map(\.renyi05),
            renyi2: tokens.map(\.renyi2), renyiInf: tokens.map(\.renyiInf),
            top1LogProb: tokens.map(\.top1LogProb), top2LogProb: tokens.map(\.top2LogProb))
    }

    /// Number of scored tokens (the length of `logProb`; `validate` checks the other arrays agree).
    public var count: Int { logProb.count }

    /// The arrays with their protocol names, in the protocol's order.
    public var fields: [(name: String, values: [Double])] {
        [
            ("log_prob", logProb), ("entropy", entropy), ("expected_log_prob_sq", expectedLogProbSquared),
            ("renyi_0_5", renyi05), ("renyi_2", renyi2), ("renyi_inf", renyiInf),
            ("top1_log_prob", top1LogProb), ("top2_log_prob", top2LogProb),
        ]
    }

    /// Throws unless every array has `tokenCount` values and every value is finite.
    public func validate(id: String, tokenCount: Int) throws {
        for (name, values) in fields {
            guard values.count == tokenCount else {
                throw ScoringError.lengthMismatch(id: id, field: name, expected: tokenCount, actual: values.count)
            }
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw ScoringError.nonFiniteStatistic(id: id, field: name, index: index, value: values[index])
            }
        }
    }

    /// Statistics for a sequence of steps from raw logits (one row per step, each over the whole
    /// vocabulary) and the chosen token of each step. See `Token.from(logits:chosen:)`.
    public static func from(logits: [[Double]], chosen: [Int]) throws -> TokenStatistics {
        guard logits.count == chosen.count else {
            throw ScoringError.lengthMismatch(id: "logits", field: "chosen", expected: logits.count, actual: chosen.count)
        }
        return TokenStatistics(tokens: try zip(logits, chosen).enumerated().map { row, pair in
            try Token.from(logits: pair.0, chosen: pair.1, row: row)
        })
    }

    /// Statistics from normalised log-probabilities (one row per step). See `Token.from(logProbabilities:chosen:)`.
    public static func from(logProbabilities: [[Double]], chosen: [Int]) throws -> TokenStatistics {
        guard logProbabilities.count == chosen.count else {
            throw ScoringError.lengthMismatch(
                id: "logProbabilities", field: "chosen", expected: logProbabilities.count, actual: chosen.count)
        }
        return TokenStatistics(tokens: try zip(logProbabilities, chosen).enumerated().map { row, pair in
            try Token.from(logProbabilities: pair.0, chosen: pair.1, row: row)
        })
    }

    /// The statistics of one scored token (one row of `TokenStatistics`).
    public struct Token: Sendable, Equatable {
        public var logProb: Double
        public var entropy: Double
        public var expectedLogProbSquared: Double
        public var renyi05: Double
        public var renyi2: Double
        public var renyiInf: Double
        public var top1LogProb: Double
        public var top2LogProb: Double

        public init(
            logProb: Double, entropy: Double, expectedLogProbSquared: Double, renyi05: Double,
            renyi2: Double, renyiInf: Double, top1LogProb: Double, top2LogProb: Double
        ) {
            self.logProb = logProb
            self.entropy = entropy
            self.expectedLogProbSquared = expectedLogProbSquared
            self.renyi05 = renyi05
            self.renyi2 = renyi2
            self.renyiInf = renyiInf
            self.top1LogProb = top1LogProb
            self.top2LogProb = top2LogProb
        }

        /// Statistics of one step from raw logits, through a numerically stable log-softmax in Double:
        /// log p_i = x_i − (m + log Σ_j exp(x_j − m)) with m = max_j x_j.
        /// Entries of −∞ (masked tokens) get p = 0; NaN or +∞ entries, an all-masked row and an
        /// out-of-range `chosen` throw.
        public static func from(logits row: [Double], chosen: Int, row index: Int = 0) throws -> Token {
            guard !row.isEmpty else { throw ScoringError.invalidDistribution(row: index, reason: "it is empty") }
            guard row.allSatisfy({ !$0.isNaN && $0 != .infinity }) else {
                throw ScoringError.invalidDistribution(row: index, reason: "it contains NaN or +infinity")
            }
            let maximum = row.max()!
            guard maximum.isFinite else {
                throw ScoringError.invalidDistribution(row: index, reason: "every entry is -infinity")
            }
            var sum = 0.0
            for x in row { sum += Foundation.exp(x - maximum) }
            let logNormaliser = maximum + Foundation.log(sum)
            return try fromNormalised(row.map { $0 - logNormaliser }, chosen: chosen, row: index)
        }

        /// Statistics of one step from log-probabilities that already sum to one
        /// (|Σ exp(log p) − 1| ≤ `normalisationTolerance`, otherwise it throws).
        public static func from(logProbabilities row: [Double], chosen: Int, row index: Int = 0) throws -> Token {
            guard !row.isEmpty else { throw ScoringError.invalidDistribution(row: index, reason: "it is empty") }
            guard row.allSatisfy({ !$0.isNaN && $0 <= TokenStatistics.normalisationTolerance }) else {
                throw ScoringError.invalidDistribution(row: index, reason: "it contains NaN or a log-probability above 0")
            }
            var total = 0.0
            for value in row { total += Foundation.exp(value) }
            guard abs(total - 1) <= TokenStatistics.normalisationTolerance else {
                throw ScoringError.invalidDistribution(row: index, reason: "its probabilities sum to \(total), not 1")
            }
            return try fromNormalised(row, chosen: chosen, row: index)
        }

        private static func fromNormalised(_ logProbabilities: [Double], chosen: Int, row index: Int) throws -> Token {
            guard logProbabilities.indices.contains(chosen) else {
                throw ScoringError.chosenTokenOutOfRange(row: index, token: chosen, vocabularySize: logProbabilities.count)
            }
            let epsilon = TokenStatistics.renyiClampEpsilon
            var negativeEntropy = 0.0  // Σ p log p
            var secondMoment = 0.0  // Σ p (log p)²
            var sumRoot = 0.0  // Σ p̃^0.5
            var sumSquare = 0.0  // Σ p̃²
            var top1 = -Double.infinity
            for logP in logProbabilities {
                let p = Foundation.exp(logP)
                if p > 0 {
                    negativeEntropy += p * logP
                    secondMoment += p * logP * logP
                }
                let clamped = min(max(p, epsilon), 1 - epsilon)
                sumRoot += clamped.squareRoot()
                sumSquare += clamped * clamped
                top1 = max(top1, logP)
            }
            var top2 = -Double.infinity
            for logP in logProbabilities where logP != top1 { top2 = max(top2, logP) }
            if top2 == -.infinity { top2 = top1 }
            return Token(
                logProb: logProbabilities[chosen], entropy: -negativeEntropy, expectedLogProbSquared: secondMoment,
                renyi05: 2 * Foundation.log(sumRoot), renyi2: -Foundation.log(sumSquare), renyiInf: -top1,
                top1LogProb: top1, top2LogProb: top2)
        }
    }
}

/// One item's scorer output: the scored token ids, their decoded text and per-token statistics.
///
/// `stats` holds one value per entry of `tokens` (checked by `validate`). `text` is what the zlib
/// ratio compresses (UTF-8 bytes).
public struct ItemScores: Sendable, Codable, Equatable {
    public var id: String
    public var tokens: [Int]
    public var text: String
    public var stats: TokenStatistics

    public init(id: String, tokens: [Int], text: String, stats: TokenStatistics) {
        self.id = id
        self.tokens = tokens
        self.text = text
        self.stats = stats
    }

    /// Throws unless every statistics array has one finite value per token.
    public func validate() throws {
        try stats.validate(id: id, tokenCount: tokens.count)
    }
}
