import EarshotAudio
import EarshotData
import Foundation

/// A deterministic 64-bit generator (SplitMix64) for the synthetic corpora of these tests.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func uniform(_ range: ClosedRange<Double>) -> Double { range.lowerBound + uniform() * (range.upperBound - range.lowerBound) }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func gaussian() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// Synthetic "speech": a voice (f0 and two formants) saying words (each word shifts the formants), recorded
/// under a condition (one-pole low-pass, gain, white noise). Members and non-members may share the voice
/// pool and condition distribution (matched) or not (shifted conditions).
struct SyntheticVoices {
    struct Voice { var f0: Double, f1: Double, f2: Double }
    struct Condition { var lowpass: Double, gain: Double, noise: Double }

    static let words = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "tree", "red", "blue", "quick",
                        "slow", "bird", "sang", "at", "dawn", "river", "flowed", "past", "old", "mill", "children",
                        "played", "in", "park", "rain", "fell", "softly", "over", "hills", "lamp", "glowed", "warm",
                        "window", "green", "field", "stone", "bridge"]
    static let sampleRate = 16_000

    var random: TestRandom
    let voices: [Voice]

    init(seed: UInt64, voiceCount: Int = 16) {
        var r = TestRandom(seed: seed)
        voices = (0..<voiceCount).map { _ in Voice(f0: r.uniform(90...240), f1: r.uniform(350...850), f2: r.uniform(1000...2400)) }
        random = r
    }

    mutating func sentence() -> String {
        (0..<(4 + random.int(4))).map { _ in Self.words[random.int(Self.words.count)] }.joined(separator: " ")
    }

    /// Matched conditions: a narrow spread shared by everyone. Shifted: `other` records brighter and cleaner.
    mutating func condition(shifted: Bool) -> Condition {
        if shifted { return Condition(lowpass: random.uniform(0.0...0.2), gain: random.uniform(0.6...1.0), noise: random.uniform(0.001...0.004)) }
        return Condition(lowpass: random.uniform(0.5...0.8), gain: random.uniform(0.4...0.8), noise: random.uniform(0.006...0.02))
    }

    mutating func render(_ text: String, voice: Voice, condition: Condition) -> [Float] {
        var signal: [Double] = []
        for word in text.split(separator: " ") {
            let w = Double(Self.words.firstIndex(of: String(word)) ?? 0)
            let f1 = voice.f1 * (0.85 + 0.3 * (w * 0.618).truncatingRemainder(dividingBy: 1))
            let f2 = voice.f2 * (0.85 + 0.3 * (w * 0.382).truncatingRemainder(dividingBy: 1))
            let f0 = voice.f0 * random.uniform(0.95...1.05)
            let n = Int(Double(Self.sampleRate) * random.uniform(0.12...0.2))
            let harmonics = max(1, Int(3500 / f0))
            let amplitudes = (1...harmonics).map { h -> Double in
                let f = Double(h) * f0
                return Foundation.exp(-(f - f1) * (f - f1) / (2 * 150 * 150)) + 0.6 * Foundation.exp(-(f - f2) * (f - f2) / (2 * 250 * 250)) + 0.05
            }
            for i in 0..<n {
                let t = Double(i) / Double(Self.sampleRate)
                var s = 0.0
                for h in 0..<harmonics { s += amplitudes[h] * sin(2 * Double.pi * Double(h + 1) * f0 * t) }
                signal.append(s * sin(Double.pi * Double(i) / Double(n)))
            }
            signal.append(contentsOf: repeatElement(0, count: Self.sampleRate / 20))
        }
        let peak = signal.map(abs).max() ?? 1
        var previous = 0.0
        return signal.map { x in
            previous = condition.lowpass * previous + (1 - condition.lowpass) * x / peak * 0.5
            return Float(condition.gain * previous + condition.noise * random.gaussian())
        }
    }

    /// Writes `count` clips (each with a random voice and text) as WAV files under `dir` and returns split items.
    mutating func items(count: Int, prefix: String, label: (Int) -> Int, shifted: (Int) -> Bool, dir: URL) throws -> [Split.Item] {
        try (0..<count).map { i in
            let text = sentence()
            let voice = voices[random.int(voices.count)]
            let samples = render(text, voice: voice, condition: condition(shifted: shifted(i)))
            let url = dir.appendingPathComponent("\(prefix)-\(i).wav")
            try AudioEncoder.writeWAV(samples, sampleRate: Self.sampleRate, to: url)
            return Split.Item(id: "\(prefix)-\(i)", label: label(i), dataset: prefix, audioPath: url.path,
                              audioSHA256: String(repeating: "0", count: 64), text: text, speaker: "", duration: Double(samples.count) / 16000,
                              sampleRate: Self.sampleRate, channels: 1, bitDepth: 16, format: "wav", fileSize: 0)
        }
    }

    /// Texts only (the LM's background corpus); audio paths are never read.
    mutating func textItems(count: Int) -> [Split.Item] {
        (0..<count).map { i in
            Split.Item(id: "bg-\(i)", label: 0, dataset: "background", audioPath: "/nonexistent.wav",
                       audioSHA256: String(repeating: "0", count: 64), text: sentence(), speaker: "", duration: 0,
                       sampleRate: 0, channels: 0, bitDepth: 0, format: "", fileSize: 0)
        }
    }
}
