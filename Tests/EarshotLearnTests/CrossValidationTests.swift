import Testing
@testable import EarshotLearn

struct CVFixture: Decodable {
    struct Dense: Decodable {
        let x: [[Double]]
        let y: [Int]
        let folds: [Int]
        let c: Double
        let oof: [Double]
        let auc: Double
    }
    struct Text: Decodable {
        let documents: [String]
        let y: [Int]
        let folds: [Int]
        let c: Double
        let oof: [Double]
        let auc: Double
    }
    let dense: Dense
    let text: Text
}

@Suite("CrossValidation")
struct CrossValidationTests {
    static let fixture: CVFixture = try! Fixture.load("cv.json")
    static let classifier = LogisticRegression(c: 1, tolerance: 1e-10, maxIterations: 10_000, functionTolerance: 0)

    @Test("dense 10-fold with scikit-learn's folds: out-of-fold probabilities (1e-7) and AUC agree")
    func denseMatchesScikitLearn() throws {
        let golden = Self.fixture.dense
        let scores = try CrossValidation.outOfFoldScores(
            features: try Matrix(rowArrays: golden.x), labels: golden.y.map { $0 == 1 },
            foldAssignments: golden.folds, classifier: Self.classifier, standardize: true)
        #expect(maxAbsoluteDifference(scores, golden.oof) <= 1e-7)
        #expect(abs(try ROC.rocAUC(scores: scores, labels: golden.y.map { $0 == 1 }) - golden.auc) <= 1e-12)
    }

    @Test("TF-IDF fitted per training fold: out-of-fold probabilities (1e-7) and AUC agree")
    func textMatchesScikitLearn() throws {
        let golden = Self.fixture.text
        let corpus = try TokenizedCorpus(documents: golden.documents)
        let labels = golden.y.map { $0 == 1 }
        let scores = try CrossValidation.outOfFoldScores(
            labels: labels, foldAssignments: golden.folds, classifier: Self.classifier, standardize: false
        ) { fold in
            let model = try TfidfVectorizer().fit(corpus, rows: fold.train)
            return (.sparse(model.transform(corpus, rows: fold.train)), .sparse(model.transform(corpus, rows: fold.test)))
        }
        #expect(maxAbsoluteDifference(scores, golden.oof) <= 1e-7)
        #expect(abs(try ROC.rocAUC(scores: scores, labels: labels) - golden.auc) <= 1e-12)
    }

    @Test("results do not depend on scheduling: repeated runs are bit-identical")
    func deterministic() throws {
        let golden = Self.fixture.dense
        let x = try Matrix(rowArrays: golden.x)
        let labels = golden.y.map { $0 == 1 }
        let first = try CrossValidation.outOfFoldScores(features: x, labels: labels, foldAssignments: golden.folds)
        for _ in 0..<3 {
            #expect(try CrossValidation.outOfFoldScores(features: x, labels: labels, foldAssignments: golden.folds) == first)
        }
    }

    @Test("malformed folds and sparse standardisation throw")
    func errors() throws {
        let x = try Matrix(rowArrays: [[0], [1], [2], [3]])
        let labels = [false, true, false, true]
        #expect(throws: LearnError.invalidFolds(detail: "fold 1 of 0..<3 has no items")) {
            try CrossValidation.outOfFoldScores(features: x, labels: labels, foldAssignments: [0, 0, 2, 2])
        }
        #expect(throws: LearnError.self) {
            try CrossValidation.outOfFoldScores(features: x, labels: labels, foldAssignments: [0, 1, 0])
        }
        #expect(throws: LearnError.self) {
            try CrossValidation.outOfFoldScores(features: x, labels: labels, foldAssignments: [0, 0, 0, 0])
        }
        let sparse = try CSRMatrix(rows: 2, columns: 1, indptr: [0, 1, 2], indices: [0, 0], data: [1, 2])
        #expect(throws: LearnError.standardizeSparse) {
            try CrossValidation.outOfFoldScores(labels: labels, foldAssignments: [0, 0, 1, 1], standardize: true) { _ in
                (.sparse(sparse), .sparse(sparse))
            }
        }
    }
}
