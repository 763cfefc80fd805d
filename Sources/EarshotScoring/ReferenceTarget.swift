import Foundation

/// The built-in reference target: an acoustic-conditioned kNN-LM whose membership is known by construction,
/// the positive and negative control of an audit (`scorer: reference`; settings in `workers/README.md`).
///
/// It mixes a word n-gram LM (`NGramLanguageModel`) with a nearest-neighbour memory of
/// (acoustic embedding, transcript) pairs (`AcousticEmbedding`). For a clip with embedding x, at output
/// position t with history h:
///
///     p(w | x, h) = λ(x) · p_kNN(w | x, t) + (1 − λ(x)) · p_LM(w | h)
///
/// - Distances: embeddings are standardised per dimension by the memory's mean and standard deviation
///   (deviations below 1e-6 count as 1e-6); d(x, m) is the Euclidean distance divided by √dimension, then
///   by the memory scale s, the median over memory entries of the distance to their nearest other entry
///   (s = 1 when the memory has fewer than two entries). So d̃ ≈ 1 is "as close as two typical clips".
/// - Gate: λ(x) = λ · exp(−d̃₁/ρ), d̃₁ the distance to the nearest entry: an exact recording of a memorised
///   clip gets the full strength λ; silence, noise or another voice (far from every entry) gets ≈ 0.
/// - p_kNN: the k nearest entries j, weighted π_j ∝ exp(−d̃_j/τ), each propose the t-th word of their
///   transcript (`</s>` past its end): p_kNN(w) = Σ_j π_j [word_j(t) = w].
///
/// Modes: `self` greedily decodes (arg max, lowest id on ties) until `</s>` (scored) or `maxNewTokens`
/// tokens, then reports each step's full distribution; `reference` scores the transcript's words and
/// `</s>` teacher-forced. Statistics come from `TokenStatistics.from(logProbabilities:)`.
public struct ReferenceTarget: Sendable {
    /// The memorisation knobs (defaults in parentheses).
    public struct Settings: Sendable, Equatable, Codable {
        /// λ, the memory's maximal weight (0.9).
        public var strength: Double = 0.9
        /// k, neighbours that propose words (8).
        public var neighbours: Int = 8
        /// τ, softmax temperature over scaled distances (0.1).
        public var temperature: Double = 0.1
        /// ρ, gate bandwidth in scaled distance units (0.5).
        public var bandwidth: Double = 0.5
        /// D, the LM's absolute discount (0.75).
        public var discount: Double = 0.75

        public init(strength: Double = 0.9, neighbours: Int = 8, temperature: Double = 0.1, bandwidth: Double = 0.5, discount: Double = 0.75) {
            self.strength = strength
            self.neighbours = neighbours
            self.temperature = temperature
            self.bandwidth = bandwidth
            self.discount = discount
        }

        /// Throws unless 0 ≤ λ ≤ 1, k ≥ 1, τ > 0, ρ > 0 and 0 < D < 1.
        public func validate() throws {
            guard (0...1).contains(strength) else { throw ScoringError.invalidReferenceTarget(reason: "'strength' is \(strength); it must be in [0, 1]") }
            guard neighbours >= 1 else { throw ScoringError.invalidReferenceTarget(reason: "'neighbours' is \(neighbours); it must be at least 1") }
            guard temperature > 0, temperature.isFinite else { throw ScoringError.invalidReferenceTarget(reason: "'temperature' is \(temperature); it must be positive") }
            guard bandwidth > 0, bandwidth.isFinite else { throw ScoringError.invalidReferenceTarget(reason: "'bandwidth' is \(bandwidth); it must be positive") }
            guard discount > 0, discount < 1 else { throw ScoringError.invalidReferenceTarget(reason: "'discount' is \(discount); it must be in (0, 1)") }
        }
    }

    /// One memorised clip: its embedding and its transcript's token ids.
    public struct MemoryEntry: Sendable, Equatable {
        public var embedding: [Double]
        public var tokens: [Int]
        public init(embedding: [Double], tokens: [Int]) {
            self.embedding = embedding
            self.tokens = tokens
        }
    }

    public let vocabulary: WordVocabulary
    public let languageModel: NGramLanguageModel
    public let memory: [MemoryEntry]
    public let settings: Settings
    private let mean: [Double]
    private let deviation: [Double]
    private let standardised: [[Double]]
    /// The memory scale s.
    public let scale: Double

    public init(vocabulary: WordVocabulary, languageModel: NGramLanguageModel, memory: [MemoryEntry], settings: Settings) throws {
        try settings.validate()
        guard languageModel.vocabularySize == vocabulary.count else {
            throw ScoringError.invalidReferenceTarget(reason: "the LM has \(languageModel.vocabularySize) ids but the vocabulary \(vocabulary.count)")
        }
        let dimension = memory.first?.embedding.count ?? 0
        if let bad = memory.firstIndex(where: { $0.embedding.count != dimension || !$0.embedding.allSatisfy(\.isFinite) }) {
            throw ScoringError.invalidReferenceTarget(reason: "memory entry \(bad) has a non-finite embedding or one of another dimension")
        }
        self.vocabulary = vocabulary
        self.languageModel = languageModel
        self.memory = memory
        self.settings = settings
        let n = Double(max(memory.count, 1))
        var mean = [Double](repeating: 0, count: dimension)
        for entry in memory { for d in 0..<dimension { mean[d] += entry.embedding[d] } }
        for d in 0..<dimension { mean[d] /= n }
        var variance = [Double](repeating: 0, count: dimension)
        for entry in memory {
            for d in 0..<dimension {
                let centred = entry.embedding[d] - mean[d]
                variance[d] += centred * centred
            }
        }
        let deviation: [Double] = variance.map { Swift.max(($0 / n).squareRoot(), 1e-6) }
        self.mean = mean
        self.deviation = deviation
        let standardised = memory.map { entry in (0..<dimension).map { (entry.embedding[$0] - mean[$0]) / deviation[$0] } }
        self.standardised = standardised
        if memory.count >= 2 {
            var nearest: [Double] = []
            for i in standardised.indices {
                var best = Double.infinity
                for j in standardised.indices where j != i { best = min(best, Self.distance(standardised[i], standardised[j])) }
                nearest.append(best)
            }
            nearest.sort()
            let median = nearest.count % 2 == 1 ? nearest[nearest.count / 2] : (nearest[nearest.count / 2 - 1] + nearest[nearest.count / 2]) / 2
            scale = median > 0 ? median : 1
        } else {
            scale = 1
        }
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { let d = a[i] - b[i]; sum += d * d }
        return (sum / Double(max(a.count, 1))).squareRoot()
    }

    /// The memory's view of one clip: the gate λ(x) and the neighbours' weights (entry index, π_j).
    public func neighbourhood(of embedding: [Double]) throws -> (gate: Double, neighbours: [(entry: Int, weight: Double)]) {
        guard !memory.isEmpty else { return (0, []) }
        guard embedding.count == mean.count, embedding.allSatisfy(\.isFinite) else {
            throw ScoringError.invalidReferenceTarget(reason: "an embedding has \(embedding.count) values (expected \(mean.count)) or a non-finite value")
        }
        var x = [Double](repeating: 0, count: embedding.count)
        for d in embedding.indices { x[d] = (embedding[d] - mean[d]) / deviation[d] }
        var all: [(entry: Int, d: Double)] = []
        all.reserveCapacity(standardised.count)
        for j in standardised.indices { all.append((j, Self.distance(x, standardised[j]) / scale)) }
        all.sort { $0.d < $1.d || ($0.d == $1.d && $0.entry < $1.entry) }
        let ranked = all.prefix(settings.neighbours)
        let nearest: Double = ranked.first!.d
        let gate: Double = settings.strength * Foundation.exp(-nearest / settings.bandwidth)
        var weights: [Double] = ranked.map { candidate -> Double in Foundation.exp(-(candidate.d - nearest) / settings.temperature) }
        let total: Double = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        return (gate, zip(ranked, weights).map { (entry: $0.entry, weight: $1) })
    }

    /// Scores one clip. `transcript` is required in `reference` mode.
    public func score(id: String, embedding: [Double], mode: ScoreRequest.Mode, transcript: String?, maxNewTokens: Int) throws -> ItemScores {
        let (gate, neighbours) = try neighbourhood(of: embedding)
        func step(_ history: [Int]) -> [Double] {
            var p = languageModel.distribution(after: history)
            for i in p.indices { p[i] *= 1 - gate }
            let t = history.count
            for (entry, weight) in neighbours {
                let words = memory[entry].tokens
                p[t < words.count ? words[t] : WordVocabulary.endOfText] += gate * weight
            }
            let total = p.reduce(0, +)
            return p.map { Foundation.log($0 / total) }
        }
        var tokens: [Int] = []
        var rows: [[Double]] = []
        switch mode {
        case .selfConditioned:
            while tokens.count < maxNewTokens {
                let row = step(tokens)
                var best = 0
                for i in row.indices where row[i] > row[best] { best = i }
                rows.append(row)
                tokens.append(best)
                if best == WordVocabulary.endOfText { break }
            }
        case .reference:
            guard let transcript else { throw ScoringError.invalidRequest(id: id, reason: "mode 'reference' needs a transcript") }
            for token in vocabulary.encode(transcript) + [WordVocabulary.endOfText] {
                rows.append(step(tokens))
                tokens.append(token)
            }
        }
        let stats = try TokenStatistics.from(logProbabilities: rows, chosen: tokens)
        return ItemScores(id: id, tokens: tokens, text: vocabulary.decode(tokens), stats: stats)
    }
}
