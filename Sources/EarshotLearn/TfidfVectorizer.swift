import Foundation

/// TF-IDF features with scikit-learn's `TfidfVectorizer(ngram_range=(1, 2))` defaults.
///
/// - Analysis: `str.lower()`, tokens `(?u)\b\w\w+\b`, word n-grams joined by one space (see `TextAnalyzer`
///   for the exact character classes and the Unicode-version caveat).
/// - Vocabulary: every term of the fitted documents with document frequency ≥ `minDocumentFrequency`
///   (then, when `maxFeatures` is set, the most frequent by total count, ties broken by code point order,
///   where scikit-learn's unstable argsort may pick differently); columns sorted by code point order
///   (Python `str` order).
/// - idf (smooth): `idf(t) = ln((1 + n) / (1 + df(t))) + 1`, `n` = number of fitted documents (empty included).
/// - Row `d`: raw count `tf(t, d) × idf(t)`, then divided by its L2 norm (all-zero rows stay zero).
/// Terms unseen at fit time are ignored by `transform`. Callers fit on training folds only. An empty
/// vocabulary throws `LearnError.emptyVocabulary`, as scikit-learn raises.
public struct TfidfVectorizer: Sendable {
    /// N-gram sizes, `1...2` for unigrams and bigrams.
    public var ngramRange: ClosedRange<Int>
    /// scikit-learn's integer `min_df`: keep terms present in at least this many documents (default 1).
    public var minDocumentFrequency: Int
    /// scikit-learn's `max_features`: keep at most this many terms (nil keeps all).
    public var maxFeatures: Int?

    public init(ngramRange: ClosedRange<Int> = 1...2, minDocumentFrequency: Int = 1, maxFeatures: Int? = nil) {
        self.ngramRange = ngramRange
        self.minDocumentFrequency = minDocumentFrequency
        self.maxFeatures = maxFeatures
    }

    static func validate(ngramRange: ClosedRange<Int>) throws {
        guard ngramRange.lowerBound >= 1 else {
            throw LearnError.invalidParameter(name: "ngram range", value: "\(ngramRange)",
                                              expected: "sizes of at least 1, e.g. 1...2")
        }
    }

    private func validate() throws {
        try Self.validate(ngramRange: ngramRange)
        guard minDocumentFrequency >= 1 else {
            throw LearnError.invalidParameter(name: "minimum document frequency", value: "\(minDocumentFrequency)",
                                              expected: "an integer of at least 1")
        }
        if let maxFeatures, maxFeatures < 1 {
            throw LearnError.invalidParameter(name: "max features", value: "\(maxFeatures)",
                                              expected: "nil or an integer of at least 1")
        }
    }

    /// Learns the vocabulary and idf from `documents`.
    public func fit(_ documents: [String]) throws -> TfidfModel {
        try validate()
        var analyzer = TextAnalyzer(ngramRange: ngramRange)
        var table = TermTable(capacity: max(1024, documents.count * 8))
        var documentFrequency: [Int] = []
        var totalCount: [Int] = []
        var lastDocument: [Int] = []
        for (d, document) in documents.enumerated() {
            analyzer.analyze(document) { term in
                let id = table.insert(term)
                if id == documentFrequency.count {
                    documentFrequency.append(0)
                    totalCount.append(0)
                    lastDocument.append(-1)
                }
                totalCount[id] += 1
                if lastDocument[id] != d {
                    lastDocument[id] = d
                    documentFrequency[id] += 1
                }
            }
        }
        let sorted = Array(0..<Int32(table.count)).sorted { table.precedes(Int($0), Int($1)) }
        return try makeModel(terms: table, sortedTermIDs: sorted, documentFrequency: documentFrequency,
                         totalCount: totalCount, documentCount: documents.count)
    }

    /// Learns the vocabulary and idf from the corpus documents at `rows` (a training fold).
    public func fit(_ corpus: TokenizedCorpus, rows: [Int]) throws -> TfidfModel {
        try validate()
        guard corpus.ngramRange == ngramRange else {
            throw LearnError.invalidParameter(name: "corpus ngram range", value: "\(corpus.ngramRange)",
                                              expected: "the vectorizer's \(ngramRange)")
        }
        let termCount = corpus.termCount
        var documentFrequency = [Int](repeating: 0, count: termCount)
        var totalCount = [Int](repeating: 0, count: termCount)
        var lastDocument = [Int](repeating: -1, count: termCount)
        corpus.termIDs.withUnsafeBufferPointer { ids in
            for d in rows {
                precondition(d >= 0 && d < corpus.count, "corpus row \(d) out of range")
                for k in corpus.documentStarts[d]..<corpus.documentStarts[d + 1] {
                    let id = Int(ids[k])
                    totalCount[id] += 1
                    if lastDocument[id] != d {
                        lastDocument[id] = d
                        documentFrequency[id] += 1
                    }
                }
            }
        }
        return try makeModel(terms: corpus.terms, sortedTermIDs: corpus.sortedTermIDs,
                         documentFrequency: documentFrequency, totalCount: totalCount, documentCount: rows.count)
    }

    private func makeModel(terms: TermTable, sortedTermIDs: [Int32], documentFrequency: [Int],
                           totalCount: [Int], documentCount: Int) throws -> TfidfModel {
        var kept = sortedTermIDs.filter { documentFrequency[Int($0)] >= minDocumentFrequency }
        guard !kept.isEmpty else {
            throw LearnError.emptyVocabulary(documents: documentCount, minimumDocumentFrequency: minDocumentFrequency)
        }
        if let maxFeatures, kept.count > maxFeatures {
            let ranked = kept.indices.sorted { a, b in
                let ca = totalCount[Int(kept[a])], cb = totalCount[Int(kept[b])]
                return ca != cb ? ca > cb : a < b
            }
            kept = ranked.prefix(maxFeatures).sorted().map { kept[$0] }
        }
        var columnOfTerm = [Int32](repeating: -1, count: terms.count)
        var idf = [Double](repeating: 0, count: kept.count)
        let n = Double(documentCount)
        for (column, id) in kept.enumerated() {
            columnOfTerm[Int(id)] = Int32(column)
            idf[column] = (log((1 + n) / (1 + Double(documentFrequency[Int(id)]))) + 1)
        }
        return TfidfModel(ngramRange: ngramRange, terms: terms, columnOfTerm: columnOfTerm,
                          termOfColumn: kept, idf: idf)
    }
}
