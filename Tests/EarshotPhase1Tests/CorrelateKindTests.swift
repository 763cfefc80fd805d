import EarshotData
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

@Suite struct CorrelateKindTests {
    @Test func scoresJoinByIDInTheFirstInputsOrder() async throws {
        let a = ScoreTable(ids: (0..<10).map { "x\($0)" }, labels: (0..<10).map { $0 % 2 }, folds: [Int](repeating: 0, count: 10),
                           scores: [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.5, 0.45, 0.7, 0.05])
        // b: a reversed subset (x9 and x0 missing) plus items a lacks.
        let bIDs = (1..<9).reversed().map { "x\($0)" } + ["y1", "y2"]
        let bScores = (1..<9).reversed().map { Double($0 * $0) / 10 } + [5, 6]
        let b = ScoreTable(ids: bIDs, labels: [], folds: [], scores: bScores)
        let disjoint = ScoreTable(ids: ["z1", "z2", "z3"], labels: [], folds: [], scores: [1, 2, 3])
        let box = try Phase1Sandbox(fixtures: ["a": a.artifact(), "b": b.artifact(), "z": disjoint.artifact()])
        try await box.run("""
        experiment: corr
        nodes:
          a: {kind: fixture, params: {name: a}}
          b: {kind: fixture, params: {name: b}}
          z: {kind: fixture, params: {name: z}}
          both: {kind: correlate, inputs: {a: a, b: b}}
          none: {kind: correlate, inputs: {a: a, b: z}}
        """)
        let c = try box.artifact("both", "correlation")
        let ids = (1..<9).map { "x\($0)" }
        #expect(try c.stringColumn("id") == ids)
        #expect(c.attributes["joined"] == .int(8) && c.attributes["a_items"] == .int(10) && c.attributes["b_items"] == .int(10))
        let x = Array(a.scores[1..<9]), y = (1..<9).map { Double($0 * $0) / 10 }
        #expect(try c.doubleColumn("a") == x && c.doubleColumn("b") == y)
        #expect(try c.int64Column("label") == (1..<9).map { Int64($0 % 2) })
        let pearson = try Correlation.pearson(x, y), spearman = try Correlation.spearman(x, y)
        #expect(c.attributes["pearson_r"] == .double(pearson.coefficient))
        #expect(c.attributes["pearson_p"] == .double(pearson.pValue))
        #expect(c.attributes["pearson_ci_lower"] == .double(pearson.lower))
        #expect(c.attributes["spearman_r"] == .double(spearman.coefficient))
        #expect(c.attributes["spearman_ci_upper"] == .double(spearman.upper))
        let failure = try #require(box.failure("none"))
        #expect(failure.contains("share no item id"))
    }

    @Test func aConstantScoreVectorGivesAnUndefinedCorrelationNotAFailure() async throws {
        let ids = (0..<6).map { "x\($0)" }
        let varied = ScoreTable(ids: ids, labels: [1, 0, 1, 0, 1, 0], folds: [Int](repeating: 0, count: 6), scores: [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
        let flat = ScoreTable(ids: ids, labels: [1, 0, 1, 0, 1, 0], folds: [Int](repeating: 0, count: 6), scores: [Double](repeating: 0.5, count: 6))
        let box = try Phase1Sandbox(fixtures: ["varied": varied.artifact(), "flat": flat.artifact()])
        let summary = try await box.run("""
        experiment: corr-flat
        nodes:
          varied: {kind: fixture, params: {name: varied}}
          flat: {kind: fixture, params: {name: flat}}
          r: {kind: correlate, inputs: {a: varied, b: flat}}
        """)
        #expect(summary.succeeded, "\(summary.nodes.compactMap(\.reason))")
        let c = try box.artifact("r", "correlation")
        #expect(c.attributes["undefined"] == .string("the scores of input 'b' are constant"))
        guard case .double(let r)? = c.attributes["pearson_r"], case .double(let rho)? = c.attributes["spearman_r"] else {
            Issue.record("no coefficients"); return
        }
        #expect(r.isNaN && rho.isNaN)
        #expect(try c.doubleColumn("b") == flat.scores)
    }
}
