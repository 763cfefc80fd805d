import Foundation
import Testing
@testable import EarshotLearn

struct CorrelationFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let x: [Double]
        let y: [Double]
        let pearson_r: Double
        let pearson_p: Double
        let pearson_ci95: [Double]
        let pearson_ci90: [Double]
        let spearman_rho: Double
        let spearman_p: Double
    }
    let cases: [Case]
}

@Suite("Correlation")
struct CorrelationTests {
    static let fixture: CorrelationFixture = try! Fixture.load("correlation.json")

    @Test("Pearson and Spearman match scipy (r 1e-9 relative, p 1e-7 relative, CI 1e-9)",
          arguments: CorrelationTests.fixture.cases.map(\.name))
    func matchesScipy(name: String) throws {
        let golden = try #require(Self.fixture.cases.first { $0.name == name })
        let pearson = try Correlation.pearson(golden.x, golden.y)
        #expect(relativeDifference(pearson.coefficient, golden.pearson_r) <= 1e-9)
        #expect(relativeDifference(pearson.pValue, golden.pearson_p) <= 1e-7)
        #expect(abs(pearson.lower - golden.pearson_ci95[0]) <= 1e-9)
        #expect(abs(pearson.upper - golden.pearson_ci95[1]) <= 1e-9)
        let pearson90 = try Correlation.pearson(golden.x, golden.y, confidence: 0.9)
        #expect(abs(pearson90.lower - golden.pearson_ci90[0]) <= 1e-9)
        #expect(abs(pearson90.upper - golden.pearson_ci90[1]) <= 1e-9)
        let spearman = try Correlation.spearman(golden.x, golden.y)
        #expect(relativeDifference(spearman.coefficient, golden.spearman_rho) <= 1e-9)
        #expect(relativeDifference(spearman.pValue, golden.spearman_p) <= 1e-7)
        #expect(spearman.lower < spearman.coefficient && spearman.coefficient < spearman.upper)
    }

    @Test("average ranks share ties like scipy's rankdata")
    func averageRanks() {
        #expect(Correlation.averageRanks([10, 20, 20, 5, 20]) == [2, 4, 4, 1, 4])
        #expect(Correlation.averageRanks([]) == [])
    }

    @Test("perfect correlation has p = 0 and a degenerate interval")
    func perfect() throws {
        let result = try Correlation.pearson([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
        #expect(result.coefficient == 1)
        #expect(result.pValue == 0)
        #expect(result.upper == 1)
    }

    @Test("degenerate inputs throw instead of returning NaN")
    func degenerate() {
        #expect(throws: LearnError.tooFewItems(what: "correlation inputs", minimum: 3, actual: 2)) {
            try Correlation.pearson([1, 2], [1, 2])
        }
        #expect(throws: LearnError.constantInput(what: "correlation x")) {
            try Correlation.spearman([3, 3, 3, 3], [1, 2, 3, 4])
        }
        #expect(throws: LearnError.nonFinite(what: "correlation y", index: 2)) {
            try Correlation.pearson([1, 2, 3], [1, 2, .nan])
        }
        #expect(throws: LearnError.self) { try Correlation.pearson([1, 2, 3], [1, 2]) }
    }

    @Test("incomplete beta and normal quantile hit known values")
    func specialFunctions() {
        // I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b; I_0.5(a, a) = 0.5.
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(a: 3, b: 1, x: 0.4) - 0.064) <= 1e-14)
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(a: 1, b: 4, x: 0.3) - (1 - pow(0.7, 4))) <= 1e-14)
        #expect(abs(SpecialFunctions.regularizedIncompleteBeta(a: 250, b: 250, x: 0.5) - 0.5) <= 1e-12)
        #expect(abs(SpecialFunctions.normalQuantile(0.975) - 1.959963984540054) <= 1e-14)
        #expect(abs(SpecialFunctions.normalQuantile(1e-10) + 6.361340902404056) <= 1e-12)
        #expect(SpecialFunctions.normalQuantile(0.5) == 0)
    }
}
