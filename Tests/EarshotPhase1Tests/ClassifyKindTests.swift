import EarshotData
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

@Suite struct ClassifyKindTests {
    static let pipeline = """
    experiment: classify
    seed: 13
    nodes:
      split: {kind: fixture, params: {name: split}}
      meta: {kind: features.metadata, inputs: {split: split}}
      blind: {kind: classify, inputs: {features: meta, labels: split}, params: {folds: 5, bootstrap: 200}}
    """

    @Test func scoresCoverEveryItemWithItsLabelAndAStratifiedFold() async throws {
        let split = ToySplit.durations(perClass: 30, memberRange: 1...5, nonMemberRange: 3...7, seed: 1)
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        let summary = try await box.run(Self.pipeline)
        #expect(summary.succeeded, "\(summary.nodes.compactMap(\.reason))")
        let scores = try ScoreTable(artifact: box.artifact("blind", "scores"), what: "scores")
        #expect(scores.ids == split.items.map(\.id))
        #expect(scores.labels == split.items.map(\.label))
        #expect(Set(scores.folds) == Set(0..<5))
        for fold in 0..<5 {
            let labels = zip(scores.folds, scores.labels).filter { $0.0 == fold }.map(\.1)
            #expect(labels.count == 12 && labels.count { $0 == 1 } == 6)
        }
        #expect(scores.scores.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func metricsAreEarshotLearnsROCOfTheScores() async throws {
        let split = ToySplit.durations(perClass: 40, memberRange: 1...5, nonMemberRange: 3...7, seed: 2)
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        _ = try await box.run(Self.pipeline)
        let scores = try ScoreTable(artifact: box.artifact("blind", "scores"), what: "scores")
        let metrics = try box.artifact("blind", "metrics")
        let labels = scores.labels.map { $0 == 1 }
        let curve = try ROC.rocCurve(scores: scores.scores, labels: labels)
        let interval = try Bootstrap.aucConfidenceInterval(scores: scores.scores, labels: labels, resamples: 200, seed: 14)
        #expect(metrics.attributes["auc"] == .double(try ROC.rocAUC(scores: scores.scores, labels: labels)))
        #expect(metrics.attributes["tpr_at_1pct_fpr"] == .double(try curve.tpr(atFPR: 0.01)))
        #expect(metrics.attributes["tpr_at_0_1pct_fpr"] == .double(try curve.tpr(atFPR: 0.001)))
        #expect(metrics.attributes["auc_ci_lower"] == .double(interval.lower))
        #expect(metrics.attributes["auc_ci_upper"] == .double(interval.upper))
        #expect(metrics.attributes["members"] == .int(40) && metrics.attributes["nonmembers"] == .int(40))
        #expect(try metrics.doubleColumn("roc/fpr") == curve.falsePositiveRates)
        #expect(try metrics.doubleColumn("roc/tpr") == curve.truePositiveRates)
        // Durations overlap on [3, 5] only: the blind baseline separates the classes well but not perfectly.
        guard case .double(let auc)? = metrics.attributes["auc"] else { Issue.record("no auc"); return }
        #expect(auc > 0.8 && auc < 1)
    }

    @Test func scoresMatchADirectCrossValidationWithTheSameFolds() async throws {
        let split = ToySplit.durations(perClass: 20, memberRange: 1...5, nonMemberRange: 3...7, seed: 3)
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        _ = try await box.run(Self.pipeline)
        let scores = try ScoreTable(artifact: box.artifact("blind", "scores"), what: "scores")
        let table = MetadataFeatures.table(for: split)
        guard case let .dense(columns, values) = table.content else { Issue.record("not dense"); return }
        let expected = try CrossValidation.outOfFoldScores(
            features: Matrix(rows: split.items.count, columns: columns.count, values: values),
            labels: split.items.map { $0.label == 1 }, foldAssignments: scores.folds)
        #expect(scores.scores == expected)
        #expect(try StratifiedKFold(folds: 5, seed: 13).assignments(labels: split.items.map(\.label)) == scores.folds)
    }

    @Test func featuresJoinByIDAndMissingItemsAreReported() async throws {
        let full = ToySplit.durations(perClass: 20, memberRange: 1...5, nonMemberRange: 3...7, seed: 4)
        var subset = full
        subset.items = Array(full.items.reversed().prefix(30))
        var extra = subset
        extra.items.append(ToySplit.item("stranger", label: 1))
        let box = try Phase1Sandbox(fixtures: ["full": full.artifact(), "subset": subset.artifact(), "extra": extra.artifact()])
        try await box.run("""
        experiment: join
        nodes:
          full: {kind: fixture, params: {name: full}}
          subset: {kind: fixture, params: {name: subset}}
          extra: {kind: fixture, params: {name: extra}}
          meta: {kind: features.metadata, inputs: {split: full}}
          sub: {kind: classify, inputs: {features: meta, labels: subset}, params: {folds: 3}}
          bad: {kind: classify, inputs: {features: meta, labels: extra}, params: {folds: 3}}
          lenient: {kind: classify, inputs: {features: meta, labels: extra}, params: {folds: 3, missing: drop}}
        """)
        let scores = try ScoreTable(artifact: box.artifact("sub", "scores"), what: "scores")
        #expect(scores.ids == subset.items.map(\.id))
        let failure = try #require(box.failure("bad"))
        #expect(failure.contains("no row for 1 of 31 items (first: 'stranger')"))
        let lenient = try box.artifact("lenient", "scores")
        #expect(try lenient.stringColumn("id") == subset.items.map(\.id))
        #expect(lenient.attributes["dropped_items"] == .int(1))
    }

    @Test func severalFeatureInputsAreConcatenated() async throws {
        var split = ToySplit.durations(perClass: 20, memberRange: 1...5, nonMemberRange: 3...7, seed: 5)
        for i in split.items.indices { split.items[i].text = split.items[i].label == 1 ? "alpha beta \(i)" : "gamma beta \(i)" }
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        try await box.run("""
        experiment: concat
        nodes:
          split: {kind: fixture, params: {name: split}}
          meta: {kind: features.metadata, inputs: {split: split}}
          text: {kind: features.text, inputs: {split: split}}
          both: {kind: classify, inputs: {features: [meta, text], labels: split}, params: {folds: 4}}
        """)
        let metrics = try box.artifact("both", "metrics")
        #expect(metrics.attributes["features"] == .strings(["metadata", "text"]))
        // The words 'alpha'/'gamma' give the classes away.
        #expect(metrics.attributes["auc"] == .double(1))
    }

    @Test func permutationTestGivesTheNullDistributionOfThePipelinesAUC() async throws {
        let shifted = ToySplit.durations(perClass: 20, memberRange: 1...3, nonMemberRange: 5...7, seed: 6)
        let null = ToySplit.durations(perClass: 20, memberRange: 1...7, nonMemberRange: 1...7, seed: 7)
        let box = try Phase1Sandbox(fixtures: ["shifted": shifted.artifact(), "flat": null.artifact()])
        try await box.run("""
        experiment: permutations
        seed: 13
        params: {folds: 4, permutations: 30, bootstrap: 100}
        nodes:
          shifted: {kind: fixture, params: {name: shifted}}
          flat: {kind: fixture, params: {name: flat}}
          meta_shifted: {kind: features.metadata, inputs: {split: shifted}}
          meta_flat: {kind: features.metadata, inputs: {split: flat}}
          blind_shifted: {kind: classify, inputs: {features: meta_shifted, labels: shifted}}
          blind_flat: {kind: classify, inputs: {features: meta_flat, labels: flat}}
        """)
        let separated = try box.artifact("blind_shifted", "metrics")
        #expect(separated.attributes["permutations"] == .int(30))
        #expect(separated.attributes["permutation_p"] == .double(1.0 / 31))
        let metrics = try box.artifact("blind_flat", "metrics")
        let nullAUCs = try metrics.doubleColumn("null_auc")
        #expect(nullAUCs.count == 30)
        // The first permutation, recomputed: one Fisher–Yates shuffle of the labels from SplitMix64(seed + 2).
        var generator = SplitMix64(seed: 15)
        var labels = null.items.map { $0.label == 1 }
        generator.shuffle(&labels)
        let classifier = BlindClassifier(folds: 4, seed: 13)
        let table = MetadataFeatures.table(for: null)
        let (_, scores) = try classifier.outOfFold(tables: [table], labels: labels)
        #expect(nullAUCs[0] == (try ROC.rocAUC(scores: scores, labels: labels)))
        guard case .double(let auc)? = metrics.attributes["auc"], case .double(let p)? = metrics.attributes["permutation_p"] else {
            Issue.record("missing metrics"); return
        }
        #expect(p == Double(1 + nullAUCs.count { $0 >= auc }) / 31)
    }
}
