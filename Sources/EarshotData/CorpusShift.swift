import EarshotAudio
import EarshotLearn
import Foundation

/// The named factors by which one side of a synthetic corpus differs from the other, and their strengths.
///
/// Factors compose; whatever order they are listed in, audio factors apply in this fixed order:
/// `silence` (pad), `noise` (added to speech and padding alike, at an SNR relative to the speech's power),
/// `telephone`, `bandlimit`, `gain`. `voice_set` gives the shifted side its own speakers from another voice
/// pool, `text_domain` draws its sentences from another domain, `normalise_text` lower-cases its transcripts
/// and strips punctuation (the audio is unchanged).
public struct CorpusShift: Sendable, Equatable {
    public enum Factor: String, Sendable, CaseIterable, Comparable {
        case voiceSet = "voice_set"
        case telephone
        case noise
        case gain
        case bandlimit
        case silence
        case normaliseText = "normalise_text"
        case textDomain = "text_domain"

        public static func < (a: Factor, b: Factor) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var factors: Set<Factor>
    /// Noise: signal-to-noise ratio in dB.
    public var snrDecibels: Double
    /// Gain in dB (negative: quieter).
    public var gainDecibels: Double
    /// Band-limiting: low-pass cutoff in Hz.
    public var bandlimitHz: Double
    /// Silence: seconds of zeros before and after the speech.
    public var silenceSeconds: Double
    /// Text domain of the shifted side (`SentenceVocabulary.domains`).
    public var shiftedDomain: String

    public init(factors: Set<Factor> = [], snrDecibels: Double = 10, gainDecibels: Double = -12, bandlimitHz: Double = 2_000,
                silenceSeconds: Double = 0.75, shiftedDomain: String = "technical") {
        self.factors = factors
        self.snrDecibels = snrDecibels
        self.gainDecibels = gainDecibels
        self.bandlimitHz = bandlimitHz
        self.silenceSeconds = silenceSeconds
        self.shiftedDomain = shiftedDomain
    }

    /// Parses factor names, naming the known ones on a typo.
    public static func factors(_ names: [String]) throws -> Set<Factor> {
        Set(try names.map { name in
            guard let f = Factor(rawValue: name) else {
                throw DataError.invalidParameter(name: "shift factor", value: name,
                                                 reason: "expected one of \(Factor.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return f
        })
    }

    public var isMatched: Bool { factors.isEmpty }

    /// Applies the audio factors to 16 kHz (or `sampleRate`) speech; `noise` draws from `rng`.
    public func applyAudio(_ speech: [Float], sampleRate: Int, rng: inout SplitMix64) throws -> [Float] {
        var x = speech
        let speechPower = SignalEffects.power(speech)
        if factors.contains(.silence) {
            let n = Int((silenceSeconds * Double(sampleRate)).rounded())
            x = SignalEffects.pad(x, leading: n, trailing: n)
        }
        if factors.contains(.noise) {
            SignalEffects.addNoise(&x, snrDecibels: snrDecibels, signalPower: speechPower) { Self.gaussian(&rng) }
        }
        if factors.contains(.telephone) { x = try SignalEffects.telephone(x, sampleRate: sampleRate) }
        if factors.contains(.bandlimit) { x = try SignalEffects.lowPass(x, cutoff: bandlimitHz, sampleRate: sampleRate) }
        if factors.contains(.gain) { SignalEffects.gain(&x, decibels: gainDecibels) }
        return x
    }

    /// Lower case, punctuation removed (apostrophes inside words kept), single spaces.
    public static func normalise(_ text: String) -> String {
        let kept = text.lowercased().map { c -> Character in
            c.isLetter || c.isNumber || c == "'" || c == " " ? c : " "
        }
        return String(kept).split(separator: " ").joined(separator: " ")
    }

    /// A standard normal draw by the Box–Muller transform over two `nextUnitDouble()` draws (the first mapped
    /// to (0, 1] so the logarithm is finite).
    static func gaussian(_ rng: inout SplitMix64) -> Double {
        let u1 = 1 - rng.nextUnitDouble(), u2 = rng.nextUnitDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
