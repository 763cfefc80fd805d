import Testing
@testable import EarshotLearn

struct LogisticFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let kind: String
        let c: Double
        let x: [[Double]]?
        let x_test: [[Double]]?
        let documents: [String]?
        let fit_rows: Int?
        let y: [Int]
        let coef: [Double]
        let intercept: Double
        let proba_test: [Double]
        let coef_optimum: [Double]
        let intercept_optimum: Double
        let proba_test_optimum: [Double]
    }
    let cases: [Case]
}

@Suite("LogisticRegression")
struct LogisticRegressionTests {
    static let fixture: LogisticFixture = try! Fixture.load("logistic.json")

    /// Fits the fixture case and returns (coefficients + intercept, test probabilities).
    static func fit(_ golden: LogisticFixture.Case, tolerance: Double) throws
        -> (parameters: [Double], probabilities: [Double], model: LogisticRegressionModel) {
        let classifier = LogisticRegression(c: golden.c, tolerance: tolerance, maxIterations: 10_000,
                                            functionTolerance: 0)
        let labels = golden.y.map { $0 == 1 }
        if golden.kind == "dense" {
            let x = try Matrix(rowArrays: try #require(golden.x))
            let model = try classifier.fit(x, labels: labels)
            let probabilities = try model.predictProbability(try Matrix(rowArrays: try #require(golden.x_test)))
            return (model.coefficients + [model.intercept], probabilities, model)
        }
        let documents = try #require(golden.documents)
        let rows = try #require(golden.fit_rows)
        let tfidf = try TfidfVectorizer().fit(Array(documents[..<rows]))
        let model = try classifier.fit(tfidf.transform(Array(documents[..<rows])), labels: labels)
        let probabilities = try model.predictProbability(tfidf.transform(Array(documents[rows...])))
        return (model.coefficients + [model.intercept], probabilities, model)
    }

    @Test("with tolerance 1e-12 reaches the exact optimum (Newton-polished scikit-learn fit): 1e-8 relative, probabilities 1e-9",
          arguments: LogisticRegressionTests.fixture.cases.map(\.name))
    func matchesOptimum(name: String) throws {
        let golden = try #require(Self.fixture.cases.first { $0.name == name })
        let (parameters, probabilities, model) = try Self.fit(golden, tolerance: 1e-12)
        #expect(model.converged)
        #expect(maxRelativeDifference(parameters, golden.coef_optimum + [golden.intercept_optimum]) <= 1e-8)
        #expect(maxAbsoluteDifference(probabilities, golden.proba_test_optimum) <= 1e-9)
    }

    @Test("agrees with scikit-learn's own tol=1e-10 fit: 1e-6 relative, probabilities 1e-7",
          arguments: LogisticRegressionTests.fixture.cases.map(\.name))
    func matchesScikitLearn(name: String) throws {
        let golden = try #require(Self.fixture.cases.first { $0.name == name })
        let (parameters, probabilities, _) = try Self.fit(golden, tolerance: 1e-10)
        #expect(maxRelativeDifference(parameters, golden.coef + [golden.intercept]) <= 1e-6)
        #expect(maxAbsoluteDifference(probabilities, golden.proba_test) <= 1e-7)
    }

    @Test("dense and sparse inputs give the same model")
    func denseEqualsSparse() throws {
        let golden = try #require(Self.fixture.cases.first { $0.kind == "sparse" })
        let documents = try #require(golden.documents)
        let x = try TfidfVectorizer().fit(documents).transform(documents)
        let labels = documents.indices.map { $0 % 2 == 0 }
        let classifier = LogisticRegression(c: 2, tolerance: 1e-10, maxIterations: 10_000, functionTolerance: 0)
        let sparse = try classifier.fit(x, labels: labels)
        let dense = try classifier.fit(x.dense(), labels: labels)
        #expect(maxRelativeDifference(sparse.coefficients, dense.coefficients) <= 1e-8)
        #expect(abs(sparse.intercept - dense.intercept) <= 1e-8)
    }

    @Test("extreme margins stay finite (stable log-sigmoid)")
    func extremeMargins() throws {
        let x = try Matrix(rowArrays: [[-1e6], [-2e6], [1e6], [2e6]])
        let model = try LogisticRegression(c: 1e6).fit(x, labels: [false, false, true, true])
        let probabilities = try model.predictProbability(x)
        #expect(probabilities.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(probabilities[0] < 0.5 && probabilities[3] > 0.5)
        #expect(LogisticRegressionModel.sigmoid(-1000) == 0 || LogisticRegressionModel.sigmoid(-1000) < 1e-300)
        #expect(LogisticRegressionModel.sigmoid(1000) == 1)
    }

    @Test("bad inputs throw")
    func badInputs() throws {
        let x = try Matrix(rowArrays: [[0], [1]])
        #expect(throws: LearnError.singleClass(what: "logistic regression labels", positives: 2, negatives: 0)) {
            try LogisticRegression().fit(x, labels: [true, true])
        }
        #expect(throws: LearnError.self) { try LogisticRegression(c: 0).fit(x, labels: [true, false]) }
        #expect(throws: LearnError.self) { try LogisticRegression().fit(x, labels: [true]) }
        let nan = try Matrix(rowArrays: [[.nan], [1]])
        #expect(throws: LearnError.nonFinite(what: "logistic regression features", index: 0)) {
            try LogisticRegression().fit(nan, labels: [true, false])
        }
        let model = try LogisticRegression().fit(x, labels: [true, false])
        #expect(throws: LearnError.self) { try model.predictProbability(Matrix(rows: 1, columns: 2)) }
    }
}
