import EarshotAudio
import EarshotData
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing

@Suite struct SynthCorpusTests {
    static func experiment(seed: Int = 11, perClass: Int = 6, params: String = "") -> String {
        """
        experiment: synth
        seed: \(seed)
        nodes:
          split:
            kind: synth_corpus
            params: {per_class: \(perClass), speakers: 3\(params.isEmpty ? "" : ", " + params)}
        """
    }

    /// Share of spectral energy above `hz` (Hann-windowed 512-point frames, hop 256).
    static func energyFraction(above hz: Double, _ samples: [Float], rate: Int) throws -> Double {
        let stft = try STFT(nFFT: 512, hopLength: 256)
        let cut = stft.binFrequencies(sampleRate: Double(rate)).firstIndex { $0 > hz }!
        var high = 0.0, total = 0.0
        stft.forEachPowerFrame(samples) { _, power in
            for k in 0..<power.count {
                total += power[k]
                if k >= cut { high += power[k] }
            }
        }
        return high / total
    }

    static func samples(_ item: Split.Item, _ store: ArtifactStore) throws -> [Float] {
        try AudioLoader.decode(Split.audioURL(item.audioPath, store: store)).samples
    }

    @Test func theSameSeedGivesByteIdenticalArtifactsAndClips() async throws {
        let a = try DataSandbox(), b = try DataSandbox()
        let first = try await a.run(Self.experiment())
        let second = try await b.run(Self.experiment())
        #expect(first.report("split")?.outputs == second.report("split")?.outputs)
        let split = try a.split(first)
        #expect(split.memberCount == 6 && split.nonMemberCount == 6)
        #expect(Set(a.store.allObjects().filter { $0.ext == "wav" }.map(\.digest))
                == Set(b.store.allObjects().filter { $0.ext == "wav" }.map(\.digest)))
        for item in split.items {
            #expect(item.sampleRate == 16_000 && item.bitDepth == 16 && item.format == "WAV/PCM_16" && item.channels == 1)
            #expect(item.duration > 0.5 && item.duration < 12)
            #expect(try SHA256.hash(fileAt: Split.audioURL(item.audioPath, store: a.store)).hex == item.audioSHA256)
            #expect(item.text.last.map { ".?!".contains($0) } == true)
        }
        #expect(split.attributes["mode"] == .string("matched"))
        let other = try await b.run(Self.experiment(seed: 12))
        #expect(try b.split(other).items.map(\.text) != split.items.map(\.text))
    }

    @Test func sentencesVaryInWordsAndLength() {
        var rng = SplitMix64(seed: 5)
        let generator = SentenceGenerator(vocabulary: .everyday, minWords: 4, maxWords: 16)
        let sentences = (0..<300).map { _ in generator.sentence(using: &rng) }
        let lengths = sentences.map { $0.split(separator: " ").count }
        #expect(lengths.allSatisfy { (4...16).contains($0) })
        #expect(Set(lengths).count >= 8)
        #expect(Set(sentences).count >= 295)
        let words = Set(sentences.flatMap { CorpusShift.normalise($0).split(separator: " ") })
        #expect(words.count >= 200)
        #expect(SentenceVocabulary.everyday.words.union(SentenceVocabulary.technical.words).count >= 350)
    }

    @Test func telephoneRemovesEnergyAboveFourKilohertzOnTheShiftedSideOnly() async throws {
        let box = try DataSandbox()
        let matched = try box.split(try await box.run(Self.experiment()))
        let shifted = try box.split(try await box.run(Self.experiment(params: "shift: [telephone]")))
        #expect(shifted.attributes["mode"] == .string("shifted"))
        for (m, s) in zip(matched.items, shifted.items) {
            #expect(m.id == s.id && m.text == s.text && m.speaker == s.speaker)
            let high = try Self.energyFraction(above: 4_000, Self.samples(s, box.store), rate: 16_000)
            if s.label == 1 {
                #expect(m.audioSHA256 == s.audioSHA256)
            } else {
                #expect(m.audioSHA256 != s.audioSHA256)
                #expect(high < 1e-4, "telephone clip \(s.id) keeps \(high) of its energy above 4 kHz")
                // The same clip without the shift keeps clearly more (voices differ: ≥ 10× the shifted bound).
                #expect(try Self.energyFraction(above: 4_000, Self.samples(m, box.store), rate: 16_000) > 1e-3)
            }
        }
    }

    @Test func factorsComposeAndChangeOnlyWhatTheyName() async throws {
        let box = try DataSandbox()
        let matched = try box.split(try await box.run(Self.experiment()))
        let shifted = try box.split(try await box.run(Self.experiment(
            params: "shift: [gain, silence, normalise_text, voice_set], gain_db: -12, silence_s: 0.5")))
        for (m, s) in zip(matched.items, shifted.items) where s.label == 1 {
            #expect(m == s)
        }
        let domain = try box.split(try await box.run(Self.experiment(params: "shift: [text_domain]")))
        for (m, s) in zip(matched.items, shifted.items) where s.label == 0 {
            #expect(s.speaker.hasPrefix("B") && m.speaker.hasPrefix("A"))
            #expect(s.text == CorpusShift.normalise(m.text))
            #expect(!s.text.contains(".") && s.text == s.text.lowercased())
            // Silence adds 2 × 0.5 s; the voice changes the speech itself, so compare against the shifted speech.
            let samples = try Self.samples(s, box.store)
            let lead = samples.prefix(8_000), tail = samples.suffix(8_000)
            #expect(lead.allSatisfy { $0 == 0 } && tail.allSatisfy { $0 == 0 })
            #expect(samples.dropFirst(8_000).dropLast(8_000).contains { $0 != 0 })
        }
        // text_domain: the shifted side speaks technical sentences, the members everyday ones.
        let everydayOnly = SentenceVocabulary.everyday.words.subtracting(SentenceVocabulary.technical.words).subtracting(SentenceVocabulary.sharedWords)
        let technicalOnly = SentenceVocabulary.technical.words.subtracting(SentenceVocabulary.everyday.words).subtracting(SentenceVocabulary.sharedWords)
        func words(_ label: Int) -> Set<String> {
            Set(domain.items.filter { $0.label == label }.flatMap { CorpusShift.normalise($0.text).split(separator: " ").map(String.init) })
        }
        #expect(words(0).isDisjoint(with: everydayOnly) && !words(0).isDisjoint(with: technicalOnly))
        #expect(words(1).isDisjoint(with: technicalOnly) && !words(1).isDisjoint(with: everydayOnly))
    }

    @Test func gainScalesTheShiftedClipsByTheStatedDecibels() async throws {
        let box = try DataSandbox()
        let matched = try box.split(try await box.run(Self.experiment(perClass: 3)))
        let quiet = try box.split(try await box.run(Self.experiment(perClass: 3, params: "shift: [gain], gain_db: -12")))
        for (m, q) in zip(matched.items, quiet.items) where q.label == 0 {
            let ratio = (SignalEffects.power(try Self.samples(q, box.store)) / SignalEffects.power(try Self.samples(m, box.store))).squareRoot()
            #expect(abs(20 * log10(ratio) - (-12)) < 0.05, "\(q.id): \(20 * log10(ratio)) dB")
            #expect(abs(q.duration - m.duration) < 1e-9)
        }
    }

    @Test func aTypoInAFactorIsNamed() async throws {
        let box = try DataSandbox()
        await #expect { _ = try await box.run(Self.experiment(params: "shift: [telefone]")) } throws: { "\($0)".contains("telefone") }
    }
}
