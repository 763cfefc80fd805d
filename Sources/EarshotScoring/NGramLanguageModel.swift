import Foundation

/// The reference target's word vocabulary. Id 0 is `</s>` (end of text), id 1 is `<unk>`, then the
/// words in UTF-8 byte order.
///
/// Words: the text lowercased, split on whitespace, with leading and trailing characters that are neither
/// letters, digits nor apostrophes removed; empty results are dropped.
public struct WordVocabulary: Sendable, Equatable {
    public static let endOfText = 0
    public static let unknown = 1
    public let words: [String]
    private let index: [String: Int]

    /// A vocabulary of every word in `texts`.
    public init(texts: [String]) {
        var set = Set<String>()
        for text in texts { set.formUnion(Self.words(in: text)) }
        words = ["</s>", "<unk>"] + set.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var index: [String: Int] = [:]
        for (i, w) in words.enumerated() where i > 1 { index[w] = i }
        self.index = index
    }

    public var count: Int { words.count }

    /// The normalised words of a text.
    public static func words(in text: String) -> [String] {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).compactMap { raw in
            let kept = raw.drop { !($0.isLetter || $0.isNumber || $0 == "'") }
            var end = kept.endIndex
            while end > kept.startIndex, let c = kept[kept.index(before: end)...].first, !(c.isLetter || c.isNumber || c == "'") {
                end = kept.index(before: end)
            }
            let word = String(kept[kept.startIndex..<end])
            return word.isEmpty ? nil : word
        }
    }

    /// Token ids of a text (`<unk>` for words outside the vocabulary), without `</s>`.
    public func encode(_ text: String) -> [Int] { Self.words(in: text).map { index[$0] ?? Self.unknown } }

    /// The text of token ids: words joined by single spaces, `</s>` left out.
    public func decode(_ tokens: [Int]) -> String {
        tokens.filter { $0 != Self.endOfText }.map { words[$0] }.joined(separator: " ")
    }
}

/// A word trigram language model with interpolated absolute discounting over a fixed vocabulary.
///
/// Trained on sentences wrapped as `<s> <s> w_1 … w_n </s>` (`<s>` is context only, never predicted).
/// With discount D (default 0.75), c(·) counts and N₁₊(h·) the number of distinct words seen after h:
///   p₁(w) = (c(w) + 1) / (N + V)                                    (add-one unigram over the V ids)
///   p₂(w | v) = max(c(v w) − D, 0)/c(v ·) + D·N₁₊(v ·)/c(v ·) · p₁(w)     (p₁ when c(v ·) = 0)
///   p₃(w | u v) = max(c(u v w) − D, 0)/c(u v ·) + D·N₁₊(u v ·)/c(u v ·) · p₂(w | v)   (p₂ when unseen)
/// Every id, `<unk>` and `</s>` included, has positive probability, and each distribution sums to one
/// (up to rounding).
public struct NGramLanguageModel: Sendable {
    public let vocabularySize: Int
    public let discount: Double
    private let unigram: [Double]
    private let bigrams: [Int: Counts]
    private let trigrams: [Pair: Counts]

    static let start = -1

    struct Pair: Hashable, Sendable { var u: Int, v: Int }

    struct Counts: Sendable {
        var next: [Int: Double] = [:]
        var total: Double = 0
    }

    /// Trains on token-id sentences (without `</s>`, which is appended).
    public init(sentences: [[Int]], vocabularySize: Int, discount: Double = 0.75) {
        self.vocabularySize = vocabularySize
        self.discount = discount
        var unigramCounts = [Double](repeating: 0, count: vocabularySize)
        var bigrams: [Int: Counts] = [:]
        var trigrams: [Pair: Counts] = [:]
        var total = 0.0
        for sentence in sentences {
            let padded = [Self.start, Self.start] + sentence + [WordVocabulary.endOfText]
            for t in 2..<padded.count {
                let w = padded[t]
                unigramCounts[w] += 1
                total += 1
                bigrams[padded[t - 1], default: Counts()].next[w, default: 0] += 1
                bigrams[padded[t - 1], default: Counts()].total += 1
                let pair = Pair(u: padded[t - 2], v: padded[t - 1])
                trigrams[pair, default: Counts()].next[w, default: 0] += 1
                trigrams[pair, default: Counts()].total += 1
            }
        }
        unigram = unigramCounts.map { ($0 + 1) / (total + Double(vocabularySize)) }
        self.bigrams = bigrams
        self.trigrams = trigrams
    }

    /// p(· | history) over the whole vocabulary; `history` is the tokens so far (only the last two matter).
    public func distribution(after history: [Int]) -> [Double] {
        let v = history.last ?? Self.start
        let u = history.count >= 2 ? history[history.count - 2] : Self.start
        var p = unigram
        if let counts = bigrams[v] { interpolate(&p, counts) }
        if let counts = trigrams[Pair(u: u, v: v)] { interpolate(&p, counts) }
        return p
    }

    private func interpolate(_ lower: inout [Double], _ counts: Counts) {
        let backoff = discount * Double(counts.next.count) / counts.total
        for i in lower.indices { lower[i] *= backoff }
        for (w, c) in counts.next { lower[w] += max(c - discount, 0) / counts.total }
    }
}
