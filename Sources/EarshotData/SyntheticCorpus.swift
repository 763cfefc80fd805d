import EarshotAudio
import EarshotLearn
import Foundation

/// A synthetic speech corpus made with eSpeak NG: members and non-members whose distributions are the same
/// (`shift` empty) or differ by the factors of a `CorpusShift` applied to one side.
///
/// Planning (`plan()`) is a pure function of the settings and the seed. `SplitMix64(seed)` gives, in this
/// order, the base speakers' draws, the shifted speakers' draws, and one seed per side for each of three
/// streams (speaker choice, sentence, noise), so switching one factor on leaves every other draw unchanged.
/// Speakers: speaker k of a pool takes voice `names[k % names.count]`, variant `variants[k % variants.count]`,
/// and a drawn rate (140–199 wpm), pitch (25–74) and word gap (0–2). Without `voice_set` both sides share the
/// base speakers (`A1`, `A2`, …); with it the shifted side has its own (`B1`, …) from another pool.
/// Speakers are balanced within a side: utterance i gets speaker `i mod k` of the side, then the assignment is
/// shuffled with the side's speaker stream, so every speaker has ⌊n/k⌋ or ⌈n/k⌉ utterances on each side (a matched
/// corpus has the same speaker mix on both sides; independent draws would leave chance imbalances that a blind
/// acoustic classifier picks up). Each utterance takes a sentence from its side's domain.
public struct SyntheticCorpus: Sendable {
    public struct Speaker: Sendable, Equatable {
        public var id: String
        public var voice: EspeakSynthesizer.Voice
    }

    public struct Utterance: Sendable, Equatable {
        public var id: String
        /// 1: member, 0: non-member.
        public var label: Int
        public var speaker: Speaker
        /// What is spoken.
        public var sentence: String
        /// What the split lists as text (the sentence, normalised on a `normalise_text` side).
        public var transcript: String
        public var domain: String
        /// Whether the side's shift applies.
        public var shifted: Bool
        /// Seed of the utterance's noise stream.
        public var noiseSeed: UInt64
    }

    public static let baseVoices = (names: ["en-us"], variants: ["m1", "f1", "m3", "f2", "m2", "f3", "m7", "f4"])
    public static let shiftedVoices = (names: ["en-gb-x-rp", "en-gb-scotland", "en-029"], variants: ["m4", "f5", "m6", "f3", "m5", "f2"])

    public var perClass: Int
    public var speakersPerSide: Int
    public var shift: CorpusShift
    /// The label of the side the shift applies to (0: non-members, the default).
    public var shiftedLabel: Int
    public var domain: String
    public var minWords: Int
    public var maxWords: Int
    public var sampleRate: Int
    public var seed: Int

    /// Most utterances per side: every clip is rendered and kept in memory while the node runs.
    public static let perClassRange = 1...100_000
    /// Clip rates eSpeak NG output can be resampled to.
    public static let sampleRateRange = 8_000...192_000

    public init(perClass: Int, speakersPerSide: Int, shift: CorpusShift, shiftedLabel: Int = 0, domain: String = "everyday",
                minWords: Int = 4, maxWords: Int = 16, sampleRate: Int = 16_000, seed: Int) throws {
        guard Self.perClassRange.contains(perClass) else {
            throw DataError.invalidParameter(name: "per_class", value: String(perClass), reason: "must be in \(Self.perClassRange)")
        }
        guard Self.sampleRateRange.contains(sampleRate) else {
            throw DataError.invalidParameter(name: "sample_rate", value: String(sampleRate), reason: "must be in \(Self.sampleRateRange) hz")
        }
        guard speakersPerSide >= 1 else { throw DataError.invalidParameter(name: "speakers", value: String(speakersPerSide), reason: "must be at least 1") }
        for d in [domain, shift.shiftedDomain] where SentenceVocabulary.domain(d) == nil {
            throw DataError.invalidParameter(name: "text domain", value: d, reason: "expected one of \(SentenceVocabulary.domains.joined(separator: ", "))")
        }
        if shift.factors.contains(.textDomain) && shift.shiftedDomain == domain {
            throw DataError.invalidParameter(name: "shift_domain", value: domain, reason: "text_domain needs a shifted domain other than the base domain")
        }
        guard minWords >= 1, maxWords >= minWords else {
            throw DataError.invalidParameter(name: "word range", value: "\(minWords)–\(maxWords)", reason: "need 1 ≤ min_words ≤ max_words")
        }
        self.perClass = perClass
        self.speakersPerSide = speakersPerSide
        self.shift = shift
        self.shiftedLabel = shiftedLabel
        self.domain = domain
        self.minWords = minWords
        self.maxWords = maxWords
        self.sampleRate = sampleRate
        self.seed = seed
    }

    static func speakers(prefix: String, pool: (names: [String], variants: [String]), count: Int, rng: inout SplitMix64) -> [Speaker] {
        (0..<count).map { k in
            let voice = EspeakSynthesizer.Voice(name: pool.names[k % pool.names.count], variant: pool.variants[k % pool.variants.count],
                                                rate: 140 + rng.next(below: 60), pitch: 25 + rng.next(below: 50), wordGap: rng.next(below: 3))
            return Speaker(id: "\(prefix)\(k + 1)", voice: voice)
        }
    }

    /// Every utterance, members first, each side in index order.
    public func plan() -> [Utterance] {
        var root = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        let base = Self.speakers(prefix: "A", pool: Self.baseVoices, count: speakersPerSide, rng: &root)
        let other = Self.speakers(prefix: "B", pool: Self.shiftedVoices, count: speakersPerSide, rng: &root)
        var out: [Utterance] = []
        for label in [1, 0] {
            var speakerStream = SplitMix64(seed: root.next())
            var textStream = SplitMix64(seed: root.next())
            var noiseStream = SplitMix64(seed: root.next())
            let shifted = label == shiftedLabel && !shift.isMatched
            let speakers = shifted && shift.factors.contains(.voiceSet) ? other : base
            let sideDomain = shifted && shift.factors.contains(.textDomain) ? shift.shiftedDomain : domain
            let generator = SentenceGenerator(vocabulary: SentenceVocabulary.domain(sideDomain)!, minWords: minWords, maxWords: maxWords)
            var assignment = (0..<perClass).map { $0 % speakers.count }
            speakerStream.shuffle(&assignment)
            for i in 0..<perClass {
                let sentence = generator.sentence(using: &textStream)
                out.append(Utterance(
                    id: Self.id(label: label, index: i, count: perClass), label: label,
                    speaker: speakers[assignment[i]], sentence: sentence,
                    transcript: shifted && shift.factors.contains(.normaliseText) ? CorpusShift.normalise(sentence) : sentence,
                    domain: sideDomain, shifted: shifted, noiseSeed: noiseStream.next()))
            }
        }
        return out
    }

    /// `m0007` / `n0007`: the side's letter and the index, zero-padded to at least 4 digits (ids sort by index).
    static func id(label: Int, index: Int, count: Int) -> String {
        let digits = String(index), width = max(4, String(max(count - 1, 0)).count)
        return (label == 1 ? "m" : "n") + String(repeating: "0", count: width - digits.count) + digits
    }

    /// Synthesizes one utterance and returns its samples at `sampleRate` after the side's shift.
    public func render(_ u: Utterance, scratch: URL) throws -> [Float] {
        let speech = try EspeakSynthesizer.synthesize(u.sentence, voice: u.speaker.voice, scratch: scratch)
        let resampled = try Resampler(sourceRate: speech.sampleRate, targetRate: sampleRate).resample(speech.samples)
        guard u.shifted else { return resampled }
        var noise = SplitMix64(seed: u.noiseSeed)
        return try shift.applyAudio(resampled, sampleRate: sampleRate, rng: &noise)
    }
}
