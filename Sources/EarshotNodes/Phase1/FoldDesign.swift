import EarshotLearn
import EarshotRun

/// The design matrices of each cross-validation fold, built from one or more aligned feature tables.
///
/// Fold discipline: everything fitted is fitted on the fold's training rows only — the TF-IDF vocabulary
/// and idf of every text table (`TfidfVectorizer.fit(_:rows:)` on a corpus tokenised once), and the
/// `StandardScaler` of the dense columns — then applied to the training and test rows.
/// - Dense tables only: their columns are concatenated (table order, then column order) and the result is
///   dense; standardisation is left to `CrossValidation` (`standardizesInCrossValidation`).
/// - With a text table: the result is sparse — each text table's TF-IDF block (its own vocabulary), then the
///   dense columns, standardised here when `standardize` is set, stored as explicit entries (exact zeros
///   omitted). TF-IDF blocks are never standardised (they are already L2-normalised rows).
struct FoldDesign: Sendable {
    let tables: [FeatureTable]
    let standardize: Bool
    /// Tokenised documents of each text table (nil for dense tables), analysed once for all folds.
    let corpora: [TokenizedCorpus?]
    /// Dense columns of all dense tables, concatenated.
    let dense: Matrix
    let hasText: Bool

    /// `tables` must all have the same rows (aligned to the same item ids).
    init(tables: [FeatureTable], standardize: Bool) throws {
        precondition(!tables.isEmpty, "fold design needs at least one table")
        self.tables = tables
        self.standardize = standardize
        let rows = tables[0].ids.count
        var corpora: [TokenizedCorpus?] = []
        var denseRows = [[Double]](repeating: [], count: rows)
        var hasText = false
        for table in tables {
            try table.checkFinite()
            switch table.content {
            case let .text(documents, settings):
                hasText = true
                guard settings.ngramMin >= 1, settings.ngramMin <= settings.ngramMax else {
                    throw NodeError("text features '\(table.name)' have ngram range \(settings.ngramMin)…\(settings.ngramMax); need 1 ≤ ngram_min ≤ ngram_max")
                }
                corpora.append(try TokenizedCorpus(documents: documents, ngramRange: settings.ngramMin...settings.ngramMax))
            case let .dense(columns, values):
                corpora.append(nil)
                let p = columns.count
                for r in 0..<rows { denseRows[r].append(contentsOf: values[(r * p)..<((r + 1) * p)]) }
            }
        }
        self.corpora = corpora
        self.hasText = hasText
        self.dense = try Matrix(rowArrays: denseRows)
    }

    /// This design restricted to `rows`, in that order, repeats allowed (a bootstrap resample): text is not
    /// analysed again (`TokenizedCorpus.selecting(rows:)`) and the tables are not re-checked.
    func selecting(rows: [Int]) -> FoldDesign {
        FoldDesign(tables: tables.map { $0.selecting(rows: rows) }, standardize: standardize,
                   corpora: corpora.map { $0?.selecting(rows: rows) }, dense: dense.selecting(rows: rows), hasText: hasText)
    }

    private init(tables: [FeatureTable], standardize: Bool, corpora: [TokenizedCorpus?], dense: Matrix, hasText: Bool) {
        self.tables = tables
        self.standardize = standardize
        self.corpora = corpora
        self.dense = dense
        self.hasText = hasText
    }

    /// Whether `CrossValidation` should standardise (dense designs only; sparse ones are standardised here).
    var standardizesInCrossValidation: Bool { standardize && !hasText }

    /// The training and test matrices of `fold` (rows in `fold.train` / `fold.test` order).
    func matrices(for fold: Fold) throws -> (train: FeatureMatrix, test: FeatureMatrix) {
        guard hasText else {
            return (.dense(dense.selecting(rows: fold.train)), .dense(dense.selecting(rows: fold.test)))
        }
        var trainBlocks: [CSRMatrix] = [], testBlocks: [CSRMatrix] = []
        for (table, corpus) in zip(tables, corpora) {
            guard let corpus, case let .text(_, settings) = table.content else { continue }
            let model = try settings.vectorizer.fit(corpus, rows: fold.train)
            trainBlocks.append(model.transform(corpus, rows: fold.train))
            testBlocks.append(model.transform(corpus, rows: fold.test))
        }
        if dense.columns > 0 {
            var xTrain = dense.selecting(rows: fold.train), xTest = dense.selecting(rows: fold.test)
            if standardize {
                let scaler = try StandardScaler(fitting: xTrain)
                xTrain = try scaler.transform(xTrain)
                xTest = try scaler.transform(xTest)
            }
            trainBlocks.append(try Self.sparse(xTrain))
            testBlocks.append(try Self.sparse(xTest))
        }
        return (.sparse(try Self.horizontalStack(trainBlocks)), .sparse(try Self.horizontalStack(testBlocks)))
    }

    /// The TF-IDF vocabulary fitted in `fold` for each text table (in table order): for inspection in tests.
    func vocabularies(for fold: Fold) throws -> [[String]] {
        try zip(tables, corpora).compactMap { table, corpus in
            guard let corpus, case let .text(_, settings) = table.content else { return nil }
            return try settings.vectorizer.fit(corpus, rows: fold.train).vocabulary
        }
    }

    /// A dense matrix as CSR, exact zeros omitted.
    static func sparse(_ m: Matrix) throws -> CSRMatrix {
        var indptr = [0], indices: [Int] = [], data: [Double] = []
        indptr.reserveCapacity(m.rows + 1)
        for i in 0..<m.rows {
            for j in 0..<m.columns where m[i, j] != 0 {
                indices.append(j)
                data.append(m[i, j])
            }
            indptr.append(indices.count)
        }
        return try CSRMatrix(rows: m.rows, columns: m.columns, indptr: indptr, indices: indices, data: data)
    }

    /// Blocks with equal row counts side by side; column indices of block b are offset by the widths before it.
    static func horizontalStack(_ blocks: [CSRMatrix]) throws -> CSRMatrix {
        guard let rows = blocks.first?.rows else {
            throw NodeError("no feature blocks to stack; give classify at least one features input")
        }
        var indptr = [0], indices: [Int] = [], data: [Double] = []
        indptr.reserveCapacity(rows + 1)
        for i in 0..<rows {
            var offset = 0
            for block in blocks {
                for k in block.indptr[i]..<block.indptr[i + 1] {
                    indices.append(block.indices[k] + offset)
                    data.append(block.data[k])
                }
                offset += block.columns
            }
            indptr.append(indices.count)
        }
        return try CSRMatrix(rows: rows, columns: blocks.reduce(0) { $0 + $1.columns }, indptr: indptr,
                             indices: indices, data: data)
    }
}
