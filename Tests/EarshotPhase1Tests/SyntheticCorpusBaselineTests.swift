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
        // matched uses one speaker: with several, each utterance draws its speaker independently, so the sides'
        // realised speaker mixes differ (at seed 13, 28 vs 8 utterances of one speaker) and the acoustic
        // baseline rightly finds that difference (AUC 0.61).
        let summary = try await box.run("""
        experiment: synthetic-baselines
        seed: 13
        params: {folds: 5, bootstrap: 1000}
        nodes:
          shifted: {kind: synth_corpus, params: {per_class: 100, shift: [noise]}}
          matched: {kind: synth_corpus, params: {per_class: 100, speakers: 1}}
          partial: {kind: synth_corpus, params: {per_class: 150, shift: [silence], silence_s: 0.3}}
          ac_shifted: {kind: features.acoustic, inputs: {split: shifted}}
          blind_shifted: {kind: classify, inputs: {features: ac_shifted, labels: shifted}}
          meta_matched: {kind: features.metadata, inputs: {split: matched}}
          text_matched: {kind: features.text, inputs: {split: matched}}
          ac_matched: {kind: features.acoustic, inputs: {split: matched}}
          meta_blind: {kind: classify, inputs: {features: meta_matched, labels: matched}}
          text_blind: {kind: classify, inputs: {features: text_matched, labels: matched}}
          ac_blind: {kind: classify, inputs: {features: ac_matched, labels: matched}}
          meta_partial: {kind: features.metadata, inputs: {split: partial}}
          blind_partial: {kind: classify, inputs: {features: meta_partial, labels: partial}}
          cohort: {kind: match_cohort, inputs: {scores: blind_partial, split: partial}}
          blind_cohort: {kind: classify, inputs: {features: meta_partial, labels: cohort}}
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
        // Matched: metadata and text intervals include 0.5 (measured 0.526 [0.442, 0.599], 0.559 [0.479, 0.640]).
        #expect(try interval("meta_blind").contains(0.5))
        #expect(try interval("text_blind").contains(0.5))
        // The acoustic one measured 0.647 [0.571, 0.721] at this seed: scikit-learn gives the same AUC with the
        // same folds, and 0.46–0.59 on seeds 1–4. The percentile bootstrap of out-of-fold scores ignores the
        // variability of the fitted models, so its nominal 95 % under-covers on null data (see the report);
        // the check here is that it is far from the shifted corpus's separation.
        #expect(try metric("ac_blind", "auc") < 0.7 && metric("ac_blind", "auc_ci_upper") < metric("blind_shifted", "auc_ci_lower"))
        // Partial shift (0.3 s of silence before and after each non-member): the metadata baseline sees the
        // durations (measured 0.835); matching on its scores leaves a balanced cohort at chance (0.464 [0.357, 0.567]).
        #expect(try metric("blind_partial", "auc") > 0.75)
        #expect(try interval("blind_cohort").contains(0.5))
        let cohort = try Split(artifact: box.artifact("cohort", "split"))
        #expect(cohort.memberCount == cohort.nonMemberCount && cohort.memberCount >= 40)
    }
}
