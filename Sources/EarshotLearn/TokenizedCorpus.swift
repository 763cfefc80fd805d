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

    /// Number of documents.
    public var count: Int { documentStarts.count - 1 }

    /// Number of distinct terms over all documents.
    public var termCount: Int { terms.count }
}
