import EarshotData
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

@Suite struct CrossDatasetKindTests {
    @Test func offDiagonalCellsMeasureDomainShiftAndTheDiagonalMembership() async throws {
        // Within each dataset members and non-members share a distribution; the datasets differ in duration.
        let a = ToySplit.durations(perClass: 40, memberRange: 1...3, nonMemberRange: 1...3, seed: 31, dataset: "alpha", prefix: "a")
        let b = ToySplit.durations(perClass: 40, memberRange: 5...8, nonMemberRange: 5...8, seed: 32, dataset: "beta", prefix: "b")
        let box = try Phase1Sandbox(fixtures: ["a": a.artifact(), "b": b.artifact()])
        let summary = try await box.run("""
        experiment: cross
        seed: 13
        nodes:
          a: {kind: fixture, params: {name: a}}
          b: {kind: fixture, params: {name: b}}
          meta_a: {kind: features.metadata, inputs: {split: a}}
          meta_b: {kind: features.metadata, inputs: {split: b}}
          heat: {kind: cross_dataset, inputs: {splits: [a, b], features: [meta_a, meta_b]}, params: {folds: 5, bootstrap: 300}}
          bad: {kind: cross_dataset, inputs: {splits: [a, b], features: [meta_a]}}
        """)
        #expect(summary.node("heat")?.status == .ran)
        let m = try box.artifact("heat", "matrix")
        #expect(try m.stringColumn("dataset") == ["alpha", "beta"])
        let auc = try m.matrix("auc"), lower = try m.matrix("auc_ci_lower"), upper = try m.matrix("auc_ci_upper")
        #expect(auc.columns == ["alpha", "beta"])
        #expect(auc.values[1] > 0.95 && auc.values[2] > 0.95)  // members of alpha vs members of beta, and back
        // No membership signal inside a dataset. (Pooled out-of-fold AUCs on null data scatter around 0.5 with a
        // slight downward bias — scikit-learn's cross_val_predict gives a 5–95 % range of 0.32–0.59 for 40 + 40
        // items — so the check is a band, not the bootstrap interval.)
        for d in [0, 3] {
            #expect(abs(auc.values[d] - 0.5) < 0.2, "\(auc.values)")
            #expect(lower.values[d] <= auc.values[d] && auc.values[d] <= upper.values[d])
        }
        #expect(try m.matrix("positives").values == [40, 40, 40, 40])
        #expect(try m.matrix("negatives").values == [40, 40, 40, 40])
        #expect(try #require(box.failure("bad")).contains("2 splits and 1 features"))
    }
}
