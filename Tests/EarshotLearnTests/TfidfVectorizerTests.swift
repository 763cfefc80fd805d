import Testing
@testable import EarshotLearn

struct TfidfFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let fit: [String]
        let transform: [String]
        let min_df: Int
        let ngram_max: Int?
        let vocabulary: [String]
        let idf: [Double]
        let matrix: CSRFixture
    }
    let cases: [Case]
}

@Suite("TfidfVectorizer")
struct TfidfVectorizerTests {
    static let fixture: TfidfFixture = try! Fixture.load("tfidf.json")

    @Test("matches scikit-learn entry by entry (vocabulary, idf, CSR to 1e-12)",
          arguments: TfidfVectorizerTests.fixture.cases.map(\.name))
    func matchesScikitLearn(name: String) throws {
        let golden = try #require(Self.fixture.cases.first { $0.name == name })
        let vectorizer = TfidfVectorizer(ngramRange: 1...(golden.ngram_max ?? 2),
                                         minDocumentFrequency: golden.min_df)
        let model = try vectorizer.fit(golden.fit)
        #expect(model.vocabulary == golden.vocabulary)
        #expect(model.idf.count == golden.idf.count)
        if model.idf.count == golden.idf.count { #expect(maxAbsoluteDifference(model.idf, golden.idf) <= 1e-12) }
        let matrix = model.transform(golden.transform)
        #expect(matrix.rows == golden.matrix.rows)
        #expect(matrix.columns == golden.matrix.columns)
        #expect(matrix.indptr == golden.matrix.indptr)
        #expect(matrix.indices == golden.matrix.indices)
        if matrix.data.count == golden.matrix.data.count {
            #expect(maxAbsoluteDifference(matrix.data, golden.matrix.data) <= 1e-12)
        }
    }

    @Test("a tokenized corpus gives the same model and matrices as fitting strings")
    func corpusPathMatchesStringPath() throws {
        let documents = Self.fixture.cases[0].fit
        let corpus = try TokenizedCorpus(documents: documents)
        let trainRows = Array(stride(from: 0, to: documents.count, by: 3))
        let testRows = documents.indices.filter { $0 % 3 != 0 }
        let vectorizer = TfidfVectorizer()
        let fromStrings = try vectorizer.fit(trainRows.map { documents[$0] })
        let fromCorpus = try vectorizer.fit(corpus, rows: trainRows)
        #expect(fromCorpus.vocabulary == fromStrings.vocabulary)
        #expect(fromCorpus.idf == fromStrings.idf)
        #expect(fromCorpus.transform(corpus, rows: testRows) == fromStrings.transform(testRows.map { documents[$0] }))
        #expect(fromCorpus.transform(testRows.map { documents[$0] }) == fromStrings.transform(corpus, rows: testRows))
    }

    @Test("a resampled corpus (repeated rows) fits like the resampled strings")
    func selectedRowsMatchTheirStrings() throws {
        let documents = Self.fixture.cases[0].fit
        let rows = [3, 0, 3, 3, 1] + Array(stride(from: 2, to: documents.count, by: 4))
        let resampled = try TokenizedCorpus(documents: documents).selecting(rows: rows)
        #expect(resampled.count == rows.count)
        let fromStrings = try TfidfVectorizer().fit(rows.map { documents[$0] })
        let fromCorpus = try TfidfVectorizer().fit(resampled, rows: Array(0..<resampled.count))
        #expect(fromCorpus.vocabulary == fromStrings.vocabulary)
        #expect(fromCorpus.idf == fromStrings.idf)
        #expect(fromCorpus.transform(resampled, rows: Array(0..<resampled.count)) == fromStrings.transform(rows.map { documents[$0] }))
    }

    @Test("tokens are maximal runs of two or more word characters, lowercased like Python")
    func tokenization() throws {
        let model = try TfidfVectorizer(ngramRange: 1...1).fit(["A b_ I'm ΟΔΟΣ x² cafe\u{301} 😀ok Ⅷb"])
        #expect(model.vocabulary == ["b_", "cafe", "ok", "x\u{B2}", "\u{3BF}\u{3B4}\u{3BF}\u{3C2}", "\u{2177}b"])
    }

    @Test("unknown terms are ignored and an empty document is an all-zero row")
    func unknownTermsAndEmptyDocuments() throws {
        let model = try TfidfVectorizer().fit(["alpha beta", "beta gamma"])
        let matrix = model.transform(["delta epsilon", "", "beta"])
        #expect(matrix.indptr == [0, 0, 0, 1])
        #expect(matrix.data == [1.0])
    }

    @Test("invalid settings throw")
    func invalidSettings() {
        #expect(throws: LearnError.self) { try TfidfVectorizer(ngramRange: 0...2).fit(["a b"]) }
        #expect(throws: LearnError.self) { try TfidfVectorizer(minDocumentFrequency: 0).fit(["a b"]) }
        #expect(throws: LearnError.self) { try TfidfVectorizer(maxFeatures: 0).fit(["a b"]) }
    }

    @Test("an empty vocabulary throws, like scikit-learn")
    func emptyVocabulary() {
        #expect(throws: LearnError.emptyVocabulary(documents: 2, minimumDocumentFrequency: 1)) {
            try TfidfVectorizer().fit(["", "a b c !"])
        }
        #expect(throws: LearnError.emptyVocabulary(documents: 0, minimumDocumentFrequency: 1)) {
            try TfidfVectorizer().fit([])
        }
        #expect(throws: LearnError.emptyVocabulary(documents: 2, minimumDocumentFrequency: 2)) {
            try TfidfVectorizer(minDocumentFrequency: 2).fit(["alpha", "beta"])
        }
    }

    @Test("max features keeps the most frequent terms")
    func maxFeatures() throws {
        let model = try TfidfVectorizer(ngramRange: 1...1, maxFeatures: 2)
            .fit(["aa bb bb cc cc cc", "cc dd"])
        #expect(model.vocabulary == ["bb", "cc"])
    }
}
