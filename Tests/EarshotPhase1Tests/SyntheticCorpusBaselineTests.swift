import EarshotData
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

/// The must-show 3 on `synth_corpus` corpora (eSpeak NG speech, seed 13): a blind acoustic baseline
/// detects a shifted corpus, the blind baselines stay near chance on a matched corpus, and `match_cohort`
/// removes a partial (duration) shift. Takes about a minute in a debug build (synthesis dominates).
@Suite struct SyntheticCorpusBaselineTests {
    @Test func blindBaselinesOnShiftedMatchedAndCohortMatchedCorpora() async throws {
        let box = try Phase1Sandbox()
        // The matched corpus has six speakers, balanced per side (`synth_corpus`); its blind baselines use the
        // refit interval (`ci: refit`), which covers the fitted models' variability as well as the sample's.
        let summary = try await box.run("""
        experiment: synthetic-baselines
        seed: 13
        params: {folds: 5, bootstrap: 1000}
        nodes:
          shifted: {kind: synth_corpus, params: {per_class: 100, shift: [noise]}}
          matched: {kind: synth_corpus, params: {per_class: 100}}
          partial: {kind: synth_corpus, params: {per_class: 150, shift: [silence], silence_s: 0.3}}
          ac_shifted: {kind: features.acoustic, inputs: {split: shifted}}
          blind_shifted: {kind: classify, inputs: {features: ac_shifted, labels: shifted}}
          meta_matched: {kind: features.metadata, inputs: {split: matched}}
          text_matched: {kind: features.text, inputs: {split: matched}}
          ac_matched: {kind: features.acoustic, inputs: {split: matched}}
          meta_blind: {kind: classify, inputs: {features: meta_matched, labels: matched}, params: {ci: refit, bootstrap: 200}}
          text_blind: {kind: classify, inputs: {features: text_matched, labels: matched}, params: {ci: refit, bootstrap: 200}}
          ac_blind: {kind: classify, inputs: {features: ac_matched, labels: matched}, params: {ci: refit, bootstrap: 200}}
          meta_partial: {kind: features.metadata, inputs: {split: partial}}
          blind_partial: {kind: classify, inputs: {features: meta_partial, labels: partial}}
          cohort: {kind: match_cohort, inputs: {scores: blind_partial, split: partial}}
          blind_cohort: {kind: classify, inputs: {features: meta_partial, labels: cohort}, params: {ci: refit, bootstrap: 200}}
        """)
        #expect(summary.succeeded, "\(summary.nodes.compactMap(\.reason))")
        func metric(_ node: String, _ key: String) throws -> Double {
            guard case .double(let v)? = try box.artifact(node, "metrics").attributes[key] else { return .nan }
            return v
        }
        func interval(_ node: String) throws -> ClosedRange<Double> {
            try metric(node, "auc_ci_lower")...metric(node, "auc_ci_upper")
        }
        // Shifted (white noise at 10 dB SNR on the non-members): the acoustic baseline separates perfectly.
        #expect(try metric("blind_shifted", "auc") > 0.99)
        // Matched: no blind baseline tells the sides apart (all three intervals include 0.5). Measured: metadata
        // 0.528 [0.400, 0.651], text 0.475 [0.336, 0.623], acoustic 0.380 [0.291, 0.564] — below 0.5, as
        // cross-validated AUCs of ~100 label-free columns on 200 items tend to be (the held-out item's own class is
        // the one its training fold under-represents).
        for node in ["meta_blind", "text_blind", "ac_blind"] {
            let (auc, range) = (try metric(node, "auc"), try interval(node))
            #expect(range.contains(0.5), "\(node): \(auc) \(range)")
            #expect(try box.artifact(node, "metrics").attributes["auc_ci_method"] == .string("refit"))
        }
        // Partial shift (0.3 s of silence before and after each non-member): the metadata baseline sees the
        // durations (measured 0.859); matching on its scores leaves a balanced cohort at chance (0.444 [0.282, 0.621]).
        #expect(try metric("blind_partial", "auc") > 0.75)
        let (cohortAUC, cohortRange) = (try metric("blind_cohort", "auc"), try interval("blind_cohort"))
        #expect(cohortRange.contains(0.5), "cohort: \(cohortAUC) \(cohortRange)")
        let cohort = try Split(artifact: box.artifact("cohort", "split"))
        #expect(cohort.memberCount == cohort.nonMemberCount && cohort.memberCount >= 40)
    }
}
