import EarshotAudio
import EarshotData
import EarshotLearn
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

/// Blind acoustic baselines on small audio corpora written here: a tone plus white noise whose level is the
/// only difference between the classes.
@Suite struct AcousticCohortTests {
    /// `perClass` members and non-members; each clip's noise level is uniform on its class's range.
    static func corpus(in directory: URL, perClass: Int, member: ClosedRange<Double>, nonMember: ClosedRange<Double>,
                       seed: UInt64, prefix: String) throws -> Split {
        var generator = SplitMix64(seed: seed)
        var items: [Split.Item] = []
        for i in 0..<(2 * perClass) {
            let isMember = i % 2 == 0
            let range = isMember ? member : nonMember
            let level = range.lowerBound + generator.nextUnitDouble() * (range.upperBound - range.lowerBound)
            let frequency = 150 + 100 * generator.nextUnitDouble()
            let samples = (0..<4000).map { n in
                Float(0.2 * sin(2 * Double.pi * frequency * Double(n) / 16_000) + level * (2 * generator.nextUnitDouble() - 1))
            }
            let url = directory.appendingPathComponent("\(prefix)\(i).wav")
            try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: url)
            items.append(ToySplit.item("\(prefix)\(i)", label: isMember ? 1 : 0, duration: 0.25, audioPath: url.path))
        }
        return Split(items: items)
    }

    @Test func shiftedIsSeparableMatchedIsNotAndMatchingRemovesAPartialShift() async throws {
        let box = try Phase1Sandbox()
        let audio = box.file("audio")
        try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
        box.fixtures["shifted"] = try Self.corpus(in: audio, perClass: 60, member: 0.005...0.01, nonMember: 0.05...0.1,
                                                  seed: 1, prefix: "s").artifact()
        box.fixtures["matched"] = try Self.corpus(in: audio, perClass: 60, member: 0.01...0.05, nonMember: 0.01...0.05,
                                                  seed: 2, prefix: "m").artifact()
        box.fixtures["partial"] = try Self.corpus(in: audio, perClass: 200, member: 0.01...0.05, nonMember: 0.03...0.07,
                                                  seed: 3, prefix: "p").artifact()
        let summary = try await box.run("""
        experiment: acoustic-cohorts
        seed: 13
        params: {folds: 5, bootstrap: 500}
        nodes:
          shifted: {kind: fixture, params: {name: shifted}}
          matched: {kind: fixture, params: {name: matched}}
          partial: {kind: fixture, params: {name: partial}}
          ac_shifted: {kind: features.acoustic, inputs: {split: shifted}}
          ac_matched: {kind: features.acoustic, inputs: {split: matched}}
          ac_partial: {kind: features.acoustic, inputs: {split: partial}}
          blind_shifted: {kind: classify, inputs: {features: ac_shifted, labels: shifted}}
          blind_matched: {kind: classify, inputs: {features: ac_matched, labels: matched}}
          blind_partial: {kind: classify, inputs: {features: ac_partial, labels: partial}}
          cohort: {kind: match_cohort, inputs: {scores: blind_partial, split: partial}}
          blind_cohort: {kind: classify, inputs: {features: ac_partial, labels: cohort}}
        """)
        #expect(summary.succeeded, "\(summary.nodes.compactMap(\.reason))")
        func metric(_ node: String, _ key: String) throws -> Double {
            guard case .double(let v)? = try box.artifact(node, "metrics").attributes[key] else { return .nan }
            return v
        }
        #expect(try metric("blind_shifted", "auc") > 0.99)
        #expect(try metric("blind_matched", "auc_ci_lower") < 0.5 && metric("blind_matched", "auc_ci_upper") > 0.5)
        #expect(try metric("blind_partial", "auc") > 0.75)
        #expect(try metric("blind_cohort", "auc_ci_lower") < 0.5 && metric("blind_cohort", "auc_ci_upper") > 0.5)
        let cohort = try Split(artifact: box.artifact("cohort", "split"))
        #expect(cohort.memberCount == cohort.nonMemberCount && cohort.memberCount >= 80)
    }
}
