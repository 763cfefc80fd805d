import Testing
@testable import EarshotLearn

struct ROCFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let scores: [Double]
        let labels: [Int]
        let auc: Double
        let fpr: [Double]
        let tpr: [Double]
        let thresholds: [Double?]
    }
    let cases: [Case]
}

@Suite("ROC")
struct ROCTests {
    static let fixture: ROCFixture = try! Fixture.load("roc.json")

    @Test("AUC and curve match roc_auc_score / roc_curve(drop_intermediate=False)",
          arguments: ROCTests.fixture.cases.map(\.name))
    func matchesScikitLearn(name: String) throws {
        let golden = try #require(Self.fixture.cases.first { $0.name == name })
        let labels = golden.labels.map { $0 == 1 }
        let auc = try ROC.rocAUC(scores: golden.scores, labels: labels)
        #expect(abs(auc - golden.auc) <= 1e-12)
        let curve = try ROC.rocCurve(scores: golden.scores, labels: labels)
        #expect(maxAbsoluteDifference(curve.falsePositiveRates, golden.fpr) <= 1e-12)
        #expect(maxAbsoluteDifference(curve.truePositiveRates, golden.tpr) <= 1e-12)
        #expect(curve.thresholds == golden.thresholds.map { $0 ?? .infinity })
        #expect(abs(curve.area - golden.auc) <= 1e-12)
    }

    @Test("perfect separation gives 1, reversed 0, constant 0.5")
    func extremes() throws {
        let labels = [false, false, false, true, true]
        #expect(try ROC.rocAUC(scores: [1, 2, 3, 4, 5], labels: labels) == 1)
        #expect(try ROC.rocAUC(scores: [5, 4, 3, 2, 1], labels: labels) == 0)
        #expect(try ROC.rocAUC(scores: [7, 7, 7, 7, 7], labels: labels) == 0.5)
    }

    @Test("ties count one half (Mann–Whitney)")
    func tiesCountHalf() throws {
        // Pairs (pos, neg): (2 vs 1) win, (2 vs 2) tie, (3 vs 1) win, (3 vs 2) win → (3 + 0.5) / 4.
        #expect(try ROC.rocAUC(scores: [1, 2, 2, 3], labels: [false, false, true, true]) == 0.875)
    }

    @Test("TPR at FPR is the largest TPR with FPR ≤ target, without interpolation")
    func tprAtFPR() throws {
        // Sorted: 0.9 P, 0.8 N, 0.7 P, 0.6 P, 0.5 N, 0.4 N, 0.3 P, 0.2 N → 4 P, 4 N.
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
        let labels = [true, false, true, true, false, false, true, false]
        #expect(try ROC.tpr(atFPR: 0, scores: scores, labels: labels) == 0.25)
        #expect(try ROC.tpr(atFPR: 0.2, scores: scores, labels: labels) == 0.25)
        #expect(try ROC.tpr(atFPR: 0.25, scores: scores, labels: labels) == 0.75)
        #expect(try ROC.tpr(atFPR: 0.5, scores: scores, labels: labels) == 0.75)
        #expect(try ROC.tpr(atFPR: 1, scores: scores, labels: labels) == 1)
    }

    @Test("a tie block straddling the target FPR is not split")
    func tprAtFPRWithTies() throws {
        // Top block (score 1): 2 positives and 2 negatives of 4 each → point (0.5, 0.5); nothing before it.
        let scores: [Double] = [1, 1, 1, 1, 0, 0, 0, 0]
        let labels = [true, true, false, false, true, true, false, false]
        #expect(try ROC.tpr(atFPR: 0.25, scores: scores, labels: labels) == 0)
        #expect(try ROC.tpr(atFPR: 0.5, scores: scores, labels: labels) == 0.5)
    }

    @Test("one class, NaN and length mismatch throw")
    func errors() {
        #expect(throws: LearnError.singleClass(what: "roc labels", positives: 2, negatives: 0)) {
            try ROC.rocAUC(scores: [1, 2], labels: [true, true])
        }
        #expect(throws: LearnError.nonFinite(what: "roc scores", index: 1)) {
            try ROC.rocAUC(scores: [1, .nan], labels: [true, false])
        }
        #expect(throws: LearnError.self) { try ROC.rocCurve(scores: [1], labels: [true, false]) }
        #expect(throws: LearnError.self) {
            try ROC.tpr(atFPR: 1.5, scores: [1, 2], labels: [true, false])
        }
    }
}
