import EarshotAudio
import EarshotData
import EarshotLearn
import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Testing

/// The built-in reference target's three documented settings on synthetic voices:
/// (a) memorize: members → high AUC, collapsing on silence and noise;
/// (b) memorize: other → AUC ≈ 0.5 on a matched corpus, spurious AUC on a shifted corpus that tracks the
///     acoustic blind baseline;
/// (c) memorize: text → text-prior signal in reference mode that survives silence.
@Suite(.serialized) struct ReferenceTargetTests {
    /// Audited split (members even, non-members odd), a memory split of other member-distribution clips,
    /// and a background text corpus, written under the sandbox.
    struct Corpus {
        var audited: Split
        var memory: Split
        var background: Split
    }

    static func corpus(_ box: Phase2Sandbox, shifted: Bool, seed: UInt64, perClass: Int = 40) throws -> Corpus {
        var voices = SyntheticVoices(seed: seed)
        let dir = box.url("audio-\(shifted)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let audited = try voices.items(count: 2 * perClass, prefix: "item", label: { $0 % 2 == 0 ? 1 : 0 },
                                       shifted: { shifted && $0 % 2 == 0 }, dir: dir)
        let memory = try voices.items(count: perClass, prefix: "memory", label: { _ in 1 }, shifted: { _ in shifted }, dir: dir)
        return Corpus(audited: Split(items: audited), memory: Split(items: memory), background: Split(items: voices.textItems(count: 300)))
    }

    /// The audited split with every clip replaced by one file (silence or noise).
    static func replacingAudio(_ split: Split, with samples: [Float], box: Phase2Sandbox, name: String) throws -> Split {
        let url = box.url("\(name).wav")
        try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: url)
        return Split(items: split.items.map { var item = $0; item.audioPath = url.path; return item })
    }

    struct Outcome {
        var auc: Double
        var interval: ConfidenceInterval
        /// Member-likeness per item (−perplexity), in split order.
        var scores: [Double]
        var labels: [Bool]
    }

    /// Runs split → score (reference target) → indicators and returns the −perplexity AUC.
    static func audit(_ box: Phase2Sandbox, _ corpus: Corpus, audited: Split? = nil, memorize: String,
                      mode: String = "self", bindMemory: Bool = true, name: String) async throws -> Outcome {
        let auditedPath = try box.writeSplit(audited ?? corpus.audited, name: "\(name)-audited.h5")
        let memoryPath = try box.writeSplit(corpus.memory, name: "\(name)-memory.h5")
        let backgroundPath = try box.writeSplit(corpus.background, name: "\(name)-background.h5")
        let path = try box.write("""
        experiment: \(name)
        nodes:
          audited: {kind: fixture.split, params: {path: "\(auditedPath)"}}
          memory: {kind: fixture.split, params: {path: "\(memoryPath)"}}
          background: {kind: fixture.split, params: {path: "\(backgroundPath)"}}
          scores:
            kind: score
            inputs: {split: audited, \(bindMemory ? "memory: memory, " : "")background: background}
            params: {scorer: {reference: {memorize: \(memorize)}}, mode: \(mode), shard_size: 16}
          mia: {kind: indicators, inputs: {scores: scores}}
        """, name: "\(name).yaml")
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let features = try box.output(summary, node: "mia", "features")
        let matrix = try features.matrix("X")
        let scores = (0..<matrix.rows).map { -matrix.values[$0 * matrix.cols] }
        let labels = try features.int64Column("label").map { $0 == 1 }
        let auc = try ROC.rocAUC(scores: scores, labels: labels)
        let interval = try Bootstrap.aucConfidenceInterval(scores: scores, labels: labels, resamples: 1000, seed: 7)
        return Outcome(auc: auc, interval: interval, scores: scores, labels: labels)
    }

    @Test func settingAMemorizedMembersGiveHighAUCThatSilenceAndNoiseCollapse() async throws {
        let box = try Phase2Sandbox()
        let corpus = try Self.corpus(box, shifted: false, seed: 11)
        // memorize: members with the `memory` input bound to the audited members' original recordings.
        var own = corpus
        own.memory = Split(items: corpus.audited.items.filter { $0.label == 1 })
        let a = try await Self.audit(box, own, memorize: "members", name: "a")
        #expect(a.auc >= 0.9, "AUC \(a.auc)")
        // Without a `memory` input the audited members themselves are memorised: the same scores.
        let unbound = try await Self.audit(box, corpus, memorize: "members", bindMemory: false, name: "a-unbound")
        #expect(unbound.scores == a.scores)

        // The same model (memory = the original members' recordings) audited on silence and on noise.
        let silence = try Self.replacingAudio(corpus.audited, with: [Float](repeating: 0, count: 16_000), box: box, name: "silence")
        let silent = try await Self.audit(box, own, audited: silence, memorize: "members", name: "a-silence")
        #expect(silent.interval.lower <= 0.5 && silent.interval.upper >= 0.5, "\(silent.interval)")
        var random = TestRandom(seed: 5)
        let noise = try Self.replacingAudio(corpus.audited, with: (0..<16_000).map { _ in Float(0.1 * random.gaussian()) }, box: box, name: "noise")
        let noisy = try await Self.audit(box, own, audited: noise, memorize: "members", name: "a-noise")
        #expect(noisy.interval.lower <= 0.5 && noisy.interval.upper >= 0.5, "\(noisy.interval)")
        print("reference target (a): AUC \(a.interval), on silence \(silent.interval), on noise \(noisy.interval)")
    }

    @Test func settingBOtherClipsGiveChanceOnMatchedAndSpuriousAUCOnShifted() async throws {
        let box = try Phase2Sandbox()
        // Under this null the CI misses 0.5 for about one seed in twenty; seeds 1–8 gave estimates 0.41–0.58,
        // every interval containing 0.5 (seed 23 gave 0.36, [0.23, 0.48]).
        let matched = try await Self.audit(box, try Self.corpus(box, shifted: false, seed: 2), memorize: "other", name: "b-matched")
        #expect(matched.interval.lower <= 0.5 && matched.interval.upper >= 0.5, "\(matched.interval)")

        let shiftedCorpus = try Self.corpus(box, shifted: true, seed: 2)
        let shifted = try await Self.audit(box, shiftedCorpus, memorize: "other", name: "b-shifted")
        #expect(shifted.interval.lower > 0.6, "\(shifted.interval)")

        // The acoustic blind baseline (logistic regression on the clips' embeddings, 5-fold out-of-fold)
        // sees the same recording shift, and its scores correlate positively with the spurious MIA scores.
        let embedder = try AcousticEmbedding()
        let rows = try shiftedCorpus.audited.items.map { embedder.embed(try AudioLoader.load(URL(fileURLWithPath: $0.audioPath)).samples) }
        let blind = try CrossValidation.outOfFoldScores(features: try Matrix(rowArrays: rows), labels: shifted.labels,
                                                        foldAssignments: rows.indices.map { $0 % 5 })
        #expect(try ROC.rocAUC(scores: blind, labels: shifted.labels) > 0.8)
        let correlation = try Correlation.pearson(blind, shifted.scores)
        #expect(correlation.coefficient > 0.3, "\(correlation)")
        print("reference target (b): matched AUC \(matched.interval), shifted AUC \(shifted.interval), blind-vs-MIA Pearson \(correlation.coefficient)")
    }

    @Test func settingCTextPriorShowsInReferenceModeEvenOnSilence() async throws {
        let box = try Phase2Sandbox()
        let corpus = try Self.corpus(box, shifted: false, seed: 37)
        let text = try await Self.audit(box, corpus, memorize: "text", mode: "reference", name: "c")
        #expect(text.auc >= 0.9, "AUC \(text.auc)")
        let silence = try Self.replacingAudio(corpus.audited, with: [Float](repeating: 0, count: 16_000), box: box, name: "silence-c")
        let silent = try await Self.audit(box, corpus, audited: silence, memorize: "text", mode: "reference", name: "c-silence")
        #expect(silent.auc >= 0.9, "AUC \(silent.auc)")
        // Without memorisation the same protocol is at chance.
        let none = try await Self.audit(box, corpus, memorize: "none", mode: "reference", name: "none")
        #expect(none.interval.lower <= 0.5 && none.interval.upper >= 0.5, "\(none.interval)")
        print("reference target (c): AUC \(text.interval), on silence \(silent.interval); memorize none \(none.interval)")
    }

    @Test func memorisedClipDecodesItsTranscriptAndFarClipsFallBackToTheLM() throws {
        let vocabulary = WordVocabulary(texts: ["the cat sat", "a dog ran"])
        let lm = NGramLanguageModel(sentences: [vocabulary.encode("a dog ran")], vocabularySize: vocabulary.count)
        let memory = [ReferenceTarget.MemoryEntry(embedding: [0, 0], tokens: vocabulary.encode("the cat sat")),
                      ReferenceTarget.MemoryEntry(embedding: [1, 1], tokens: vocabulary.encode("a dog ran"))]
        let target = try ReferenceTarget(vocabulary: vocabulary, languageModel: lm, memory: memory, settings: .init())
        let member = try target.score(id: "m", embedding: [0, 0], mode: .selfConditioned, transcript: nil, maxNewTokens: 8)
        #expect(member.text == "the cat sat")
        #expect(member.tokens.last == WordVocabulary.endOfText)
        #expect(member.stats.logProb.allSatisfy { $0 > Foundation.log(0.8) })
        let far = try target.neighbourhood(of: [40, -40])
        #expect(far.gate < 1e-6)
        let capped = try target.score(id: "c", embedding: [0, 0], mode: .selfConditioned, transcript: nil, maxNewTokens: 2)
        #expect(capped.tokens.count == 2)
        let reference = try target.score(id: "r", embedding: [0, 0], mode: .reference, transcript: "The cat, sat!", maxNewTokens: 1)
        #expect(reference.tokens == vocabulary.encode("the cat sat") + [WordVocabulary.endOfText])
        #expect(throws: ScoringError.self) { try ReferenceTarget.Settings(strength: 1.5).validate() }
    }
}
