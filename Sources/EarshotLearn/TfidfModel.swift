/// A fitted TF-IDF vectorizer: a vocabulary (columns in code point order) and its smooth idf weights.
///
/// `transform` maps documents to L2-normalised rows of `count × idf` (see `TfidfVectorizer`), with column
/// indices ascending within each row, like scikit-learn's output after `sort_indices()`.
public struct TfidfModel: Sendable {
    public let ngramRange: ClosedRange<Int>
    /// Inverse document frequency of each column.
    public let idf: [Double]
    let terms: TermTable
    /// Term id (in `terms`) → column, or -1 for terms outside the vocabulary.
    let columnOfTerm: [Int32]
    /// Column → term id (in `terms`).
    let termOfColumn: [Int32]

    init(ngramRange: ClosedRange<Int>, terms: TermTable, columnOfTerm: [Int32], termOfColumn: [Int32],
         idf: [Double]) {
        self.ngramRange = ngramRange
        self.terms = terms
        self.columnOfTerm = columnOfTerm
        self.termOfColumn = termOfColumn
        self.idf = idf
    }

    /// The terms of the columns, in column order (scikit-learn's `get_feature_names_out()`).
    public var vocabulary: [String] { termOfColumn.map { terms.string(Int($0)) } }

    /// Number of columns.
    public var featureCount: Int { idf.count }

    /// TF-IDF rows of `documents`; terms outside the vocabulary are ignored.
    public func transform(_ documents: [String]) -> CSRMatrix {
        var analyzer = TextAnalyzer(ngramRange: ngramRange)
        var builder = RowBuilder(columns: idf.count, rowsHint: documents.count)
        for document in documents {
            analyzer.analyze(document) { term in
                if let id = terms.find(term) { builder.add(column: Int(columnOfTerm[id])) }
            }
            builder.finishRow(idf: idf)
        }
        return builder.matrix()
    }

    /// TF-IDF rows of the corpus documents at `rows` (e.g. a test fold).
    public func transform(_ corpus: TokenizedCorpus, rows: [Int]) -> CSRMatrix {
        let mapping: [Int32]
        if corpus.terms.arena == terms.arena && corpus.terms.starts == terms.starts {
            mapping = columnOfTerm  // the model was fitted on this corpus: term ids agree
        } else {
            mapping = (0..<corpus.termCount).map { id in
                corpus.terms.withTerm(id) { terms.find($0) }.map { columnOfTerm[$0] } ?? -1
            }
        }
        var builder = RowBuilder(columns: idf.count, rowsHint: rows.count)
        mapping.withUnsafeBufferPointer { columnOf in
            corpus.termIDs.withUnsafeBufferPointer { ids in
                for d in rows {
                    precondition(d >= 0 && d < corpus.count, "corpus row \(d) out of range")
                    for k in corpus.documentStarts[d]..<corpus.documentStarts[d + 1] {
                        builder.add(column: Int(columnOf[Int(ids[k])]))
                    }
                    builder.finishRow(idf: idf)
                }
            }
        }
        return builder.matrix()
    }
}

/// Accumulates term counts of one row at a time into CSR arrays.
private struct RowBuilder {
    var counts: [Double]
    var touched: [Int] = []
    var indptr: [Int] = [0]
    var indices: [Int] = []
    var data: [Double] = []
    let columns: Int

    init(columns: Int, rowsHint: Int) {
        self.columns = columns
        counts = [Double](repeating: 0, count: columns)
        indptr.reserveCapacity(rowsHint + 1)
    }

    /// Counts one occurrence of `column`; negative columns (out of vocabulary) are ignored.
    @inline(__always) mutating func add(column: Int) {
        guard column >= 0 else { return }
        if counts[column] == 0 { touched.append(column) }
        counts[column] += 1
    }

    mutating func finishRow(idf: [Double]) {
        touched.sort()
        var squares = 0.0
        let start = data.count
        for column in touched {
            let value = counts[column] * idf[column]
            counts[column] = 0
            squares += value * value
            indices.append(column)
            data.append(value)
        }
        touched.removeAll(keepingCapacity: true)
        if squares > 0 {
            let norm = squares.squareRoot()
            for k in start..<data.count { data[k] /= norm }
        }
        indptr.append(data.count)
    }

    func matrix() -> CSRMatrix {
        CSRMatrix(uncheckedRows: indptr.count - 1, columns: columns, indptr: indptr, indices: indices, data: data)
    }
}
