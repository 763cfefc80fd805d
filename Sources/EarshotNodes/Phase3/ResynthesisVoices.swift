import EarshotAudio
import EarshotLearn
import EarshotRun
import EarshotSpec
import EarshotStore

/// The eSpeak NG voices the `tts` condition speaks with, and which one speaks each item in each realization.
///
/// A voice is written `name+variant` (`en-gb+m3`) or as a mapping `{voice: en-gb+m3, rate: 160, pitch: 40}`
/// (rate in words per minute, default 175; pitch 0–100, default 50). An item never gets the voice it was
/// recorded with: its speaker is compared with each voice's `name+variant`, either directly (the speaker is a
/// selector such as `en-us+f2`, or ends with `:en-us+f2`) or through the split's `speakers` attribute, which
/// `synth_corpus` writes as `ID=name+variant rate … pitch …` entries. Among the remaining voices, each item
/// has its own seeded order (`SplitMix64(itemSeed(seed, 0, id))`, Fisher–Yates) and realization r takes
/// entry r mod count, so an item's realizations use different voices while there are enough of them.
struct ResynthesisVoices: Sendable {
    /// The default pool: English voices and variants outside `synth_corpus`'s base pool (`en-us` m1–m3, m7,
    /// f1–f4), at varied rates and pitches.
    static let defaultVoices: [Value] = [
        .string("en-gb+m3"), .string("en-gb+f2"), .string("en-us+m5"), .string("en-us+f5"),
        .string("en-gb-x-rp+m2"), .string("en-029+f1"),
    ]

    let voices: [EspeakSynthesizer.Voice]
    /// Speaker id → `name+variant`, from the split's `speakers` attribute.
    let speakerVoices: [String: String]

    init(param: Value?, split attributes: [String: AttributeValue], node: String) throws {
        let entries = param?.arrayValue ?? Self.defaultVoices
        guard !entries.isEmpty else { throw NodeError("node '\(node)': 'voices' is empty; list eSpeak NG voices like en-gb+m3") }
        voices = try entries.enumerated().map { i, entry in try Self.voice(entry, node: node, index: i) }
        var map: [String: String] = [:]
        if case .strings(let speakers)? = attributes["speakers"] {
            for entry in speakers {
                guard let eq = entry.firstIndex(of: "=") else { continue }
                let selector = entry[entry.index(after: eq)...].split(separator: " ").first.map(String.init) ?? ""
                map[String(entry[..<eq])] = selector
            }
        }
        speakerVoices = map
    }

    static func voice(_ entry: Value, node: String, index: Int) throws -> EspeakSynthesizer.Voice {
        func parse(_ selector: String) -> EspeakSynthesizer.Voice {
            let parts = selector.split(separator: "+", maxSplits: 1).map(String.init)
            return EspeakSynthesizer.Voice(name: parts.first ?? selector, variant: parts.count > 1 ? parts[1] : nil)
        }
        switch entry {
        case .string(let s) where !s.isEmpty:
            return parse(s)
        case .object(let o):
            guard let selector = o["voice"]?.stringValue, !selector.isEmpty else {
                throw NodeError("node '\(node)': voices[\(index)] needs 'voice' (e.g. {voice: en-gb+m3, rate: 160, pitch: 40})")
            }
            for key in o.keys where !["voice", "rate", "pitch"].contains(key) {
                throw NodeError("node '\(node)': voices[\(index)] has an unknown key '\(key)'\(Suggestion.hint(for: key, in: ["voice", "rate", "pitch"]))")
            }
            var v = parse(selector)
            if let rate = o["rate"] {
                guard let r = rate.intValue, (80...450).contains(r) else { throw NodeError("node '\(node)': voices[\(index)].rate must be an int in 80…450, got \(rate)") }
                v.rate = r
            }
            if let pitch = o["pitch"] {
                guard let p = pitch.intValue, (0...100).contains(p) else { throw NodeError("node '\(node)': voices[\(index)].pitch must be an int in 0…100, got \(pitch)") }
                v.pitch = p
            }
            return v
        default:
            throw NodeError("node '\(node)': voices[\(index)] must be a voice name like 'en-gb+m3' or {voice, rate, pitch}; got \(entry)")
        }
    }

    /// The `name+variant` the speaker was recorded with, when the speaker names a synthetic voice.
    func ownSelector(speaker: String) -> String? {
        if let mapped = speakerVoices[speaker] { return mapped }
        let tail = speaker.split(separator: ":").last.map(String.init) ?? speaker
        return voices.contains { $0.selector == tail } ? tail : nil
    }

    /// The voice for `item` in `realization`.
    func voice(forItem id: String, speaker: String, realization: Int, seed: Int, node: String) throws -> EspeakSynthesizer.Voice {
        let own = ownSelector(speaker: speaker)
        var eligible = voices.filter { $0.selector != own }
        guard !eligible.isEmpty else {
            throw NodeError("node '\(node)': item '\(id)' was spoken by '\(own ?? speaker)', the only voice in 'voices'; add other voices")
        }
        var generator = SplitMix64(seed: ResynthesisSignal.itemSeed(seed: seed, realization: 0, id: id))
        generator.shuffle(&eligible)
        return eligible[realization % eligible.count]
    }
}
