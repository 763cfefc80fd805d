import EarshotData
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

@Suite struct MatchCohortKindTests {
    @Test func matcherPairsNearestWithinTheCaliperWithoutReplacement() {
        // Members at logits 0, 1, 5; non-members at 0.1, 0.9, 1.2, -3.
        let logits = [0.0, 1.0, 5.0, 0.1, 0.9, 1.2, -3.0]
        let scores = logits.map { 1 / (1 + exp(-$0)) }
        let labels = [true, true, true, false, false, false, false]
        let result = PropensityMatcher(caliper: 0.2).match(scores: scores, labels: labels)
        // Members (the smaller class) in decreasing logit: 5 finds nothing within the caliper; 1 takes 0.9; 0 takes 0.1.
        #expect(result.pairs.map(\.0) == [1, 0] && result.pairs.map(\.1) == [4, 3])
        let sd = PropensityMatcher.pooledStandardDeviation([0, 1, 5], [0.1, 0.9, 1.2, -3])
        #expect(abs(result.width - 0.2 * sd) < 1e-9)
        let unbounded = PropensityMatcher(caliper: 0).match(scores: scores, labels: labels)
        #expect(unbounded.pairs.count == 3 && unbounded.width == .infinity)
    }

    @Test func matchingAShiftedSplitLeavesABalancedCohortAtChance() async throws {
        // Members' durations on [1, 7], non-members' on [4, 10]: a strong shift with an overlap on [4, 7].
        let split = ToySplit.durations(perClass: 200, memberRange: 1...7, nonMemberRange: 4...10, seed: 21)
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        let summary = try await box.run("""
        experiment: cohort
        seed: 13
        nodes:
          split: {kind: fixture, params: {name: split}}
          meta: {kind: features.metadata, inputs: {split: split}}
          blind: {kind: classify, inputs: {features: meta, labels: split}, params: {folds: 5, bootstrap: 500}}
          matched: {kind: match_cohort, inputs: {scores: blind, split: split}}
          recheck: {kind: classify, inputs: {features: meta, labels: matched}, params: {folds: 5, bootstrap: 500}}
        """)
        #expect(summary.succeeded, "\(summary.nodes.compactMap(\.reason))")
        func double(_ a: Artifact, _ k: String) -> Double { if case .double(let v)? = a.attributes[k] { v } else { .nan } }
        let before = try box.artifact("blind", "metrics")
        #expect(double(before, "auc") > 0.85)
        let matchedArtifact = try box.artifact("matched", "split")
        let matched = try Split(artifact: matchedArtifact)
        #expect(matched.memberCount == matched.nonMemberCount)
        #expect(matched.memberCount >= 40)
        guard case .int(let pairs)? = matched.attributes["cohort_pairs"],
              case .int(let droppedMembers)? = matched.attributes["cohort_dropped_members"],
              case .int(let droppedNonMembers)? = matched.attributes["cohort_dropped_nonmembers"] else {
            Issue.record("cohort attributes missing"); return
        }
        #expect(Int(pairs) == matched.memberCount && Int(droppedMembers) == 200 - matched.memberCount
                && Int(droppedNonMembers) == 200 - matched.memberCount)
        // The matched items keep the original order and content.
        let original = Dictionary(uniqueKeysWithValues: split.items.map { ($0.id, $0) })
        #expect(matched.items.allSatisfy { original[$0.id] == $0 })
        #expect(matched.items.map(\.id) == split.items.map(\.id).filter { id in matched.items.contains { $0.id == id } })
        let after = try box.artifact("recheck", "metrics")
        #expect(abs(double(after, "auc") - 0.5) < 0.1)
        #expect(double(after, "auc_ci_lower") < 0.5 && double(after, "auc_ci_upper") > 0.5)
    }
}
