/// Documents analysed once into term ids, so per-fold TF-IDF fits need no re-tokenisation.
///
/// Every term (n-gram) of every document is interned in one table; each document keeps its term ids with
/// repeats, in analyser order. `TfidfVectorizer.fit(_:rows:)` on a corpus gives exactly the model that
/// `fit` on those rows' strings gives (same vocabulary, idf and matrices), because the vocabulary and the
/// document frequencies are computed from the selected rows only.
public struct TokenizedCorpus: Sendable {
    /// The analyser's n-gram sizes.
    public let ngramRange: ClosedRange<Int>
    let terms: TermTable
    /// Document `d`'s term ids are `termIDs[documentStarts[d]..<documentStarts[d + 1]]`.
    let documentStarts: [Int]
    let termIDs: [Int32]
    /// All term ids sorted by code point order of their text.
    let sortedTermIDs: [Int32]

    /// Analyses `documents` with scikit-learn's default analyser (see `TfidfVectorizer`).
    public init(documents: [String], ngramRange: ClosedRange<Int> = 1...2) throws {
        try TfidfVectorizer.validate(ngramRange: ngramRange)
        self.ngramRange = ngramRange
        var analyzer = TextAnalyzer(ngramRange: ngramRange)
        var table = TermTable(capacity: max(1024, documents.count * 8))
        var starts = [0]
        starts.reserveCapacity(documents.count + 1)
        var ids: [Int32] = []
        for document in documents {
            analyzer.analyze(document) { term in ids.append(Int32(table.insert(term))) }
            starts.append(ids.count)
        }
        let sorted = Array(0..<Int32(table.count)).sorted { table.precedes(Int($0), Int($1)) }
        self.terms = table
        self.documentStarts = starts
        self.termIDs = ids
        self.sortedTermIDs = sorted
    }

    /// The documents at `rows`, in that order, repeats allowed (each copy is a document of its own, as in a
    /// bootstrap resample), sharing this corpus's term table: nothing is analysed again. Fits on it equal fits on
    /// those documents' strings, because terms absent from `rows` have document frequency 0 and a vectorizer
    /// keeps only terms with document frequency ≥ 1.
    public func selecting(rows: [Int]) -> TokenizedCorpus {
        var starts = [0], ids: [Int32] = []
        starts.reserveCapacity(rows.count + 1)
        for d in rows {
            precondition(d >= 0 && d < count, "corpus row \(d) out of range")
            ids.append(contentsOf: termIDs[documentStarts[d]..<documentStarts[d + 1]])
            starts.append(ids.count)
        }
        return TokenizedCorpus(ngramRange: ngramRange, terms: terms, documentStarts: starts, termIDs: ids,
                               sortedTermIDs: sortedTermIDs)
    }

    private init(ngramRange: ClosedRange<Int>, terms: TermTable, documentStarts: [Int], termIDs: [Int32],
                 sortedTermIDs: [Int32]) {
        self.ngramRange = ngramRange
        self.terms = terms
        self.documentStarts = documentStarts
        self.termIDs = termIDs
        self.sortedTermIDs = sortedTermIDs
    }

    /// Number of documents.
    public var count: Int { documentStarts.count - 1 }

    /// Number of distinct terms over all documents.
    public var termCount: Int { terms.count }
}
