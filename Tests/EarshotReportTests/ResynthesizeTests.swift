import EarshotAudio
import EarshotData
import EarshotNodes
import EarshotStore
import Foundation
import Testing

/// `resynthesize` on a small split of real WAV files.
@Suite struct ResynthesizeTests {
    static let fakeSynthesizer = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake_synthesizer.py").path

    /// Four items (two members), tones of 0.5–1.25 s at 22.05 kHz with RMS 0.2·√½, speakers named by
    /// `synth_corpus`'s convention (`A1`, `A2`) with the `speakers` attribute mapping them to voices.
    static func sandbox() throws -> Phase3Sandbox {
        let sandbox = try Phase3Sandbox()
        var items: [Split.Item] = []
        for i in 0..<4 {
            let url = sandbox.dir.appendingPathComponent("clip\(i).wav")
            let duration = 0.5 + 0.25 * Double(i), rate = 22_050
            let samples = (0..<Int(duration * Double(rate))).map { Float(0.2 * sin(2 * Double.pi * 220 * Double($0) / Double(rate))) }
            try AudioEncoder.writeWAV(samples, sampleRate: rate, to: url)
            items.append(Split.Item(id: "item\(i)", label: i % 2 == 0 ? 1 : 0, dataset: "toy", audioPath: url.path,
                                    audioSHA256: try SHA256.hash(fileAt: url).hex, text: "the quick brown fox number \(i)",
                                    speaker: i < 2 ? "A1" : "A2", duration: duration, sampleRate: rate, channels: 1, bitDepth: 16,
                                    format: "WAV/PCM_16", fileSize: 44 + samples.count * 2))
        }
        let split = Split(items: items, attributes: ["speakers": .strings(["A1=en-us+m1 rate 160 pitch 40 gap 0", "A2=en-gb+m3 rate 170 pitch 55 gap 1"])])
        sandbox.fixtures["split.value"] = split.artifact()
        return sandbox
    }

    static func experiment(_ params: String, seed: Int = 13) -> String {
        """
        experiment: resynth
        seed: \(seed)
        nodes:
          split: {kind: fixture}
          resynth: {kind: resynthesize, inputs: {split: split}, params: {\(params)}}
        """
    }

    static func audio(_ sandbox: Phase3Sandbox, _ output: String) throws -> (split: Split, clips: [[Float]]) {
        let split = try Split(artifact: sandbox.artifact("resynth", output))
        let clips = try split.items.map { try AudioLoader.decode(Split.audioURL($0.audioPath, store: sandbox.store)).samples }
        return (split, clips)
    }

    static func rms(_ x: [Float]) -> Double { (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot() }

    @Test func originalPassesTheSplitThrough() async throws {
        let sandbox = try Self.sandbox()
        let summary = try await sandbox.run(Self.experiment("condition: original, realizations: 2"))
        let outputs = try #require(summary.nodes.first { $0.id == "resynth" }?.outputs)
        #expect(outputs.keys.sorted() == ["r0", "r1"])
        #expect(try sandbox.artifact("resynth", "r0").contentDigest() == sandbox.fixtures["split.value"]!.contentDigest())
    }

    @Test func silenceIsZerosOfTheOriginalLength() async throws {
        let sandbox = try Self.sandbox()
        let summary = try await sandbox.run(Self.experiment("condition: silence"))
        #expect(sandbox.failure("resynth") == nil, "\(sandbox.failure("resynth") ?? "")")
        let outputs = try #require(summary.nodes.first { $0.id == "resynth" }?.outputs)
        #expect(outputs.keys.sorted() == ["r0", "r1", "r2"])
        // Silence draws nothing: every realization is the same split.
        #expect(try sandbox.artifact("resynth", "r0").contentDigest() == sandbox.artifact("resynth", "r1").contentDigest())
        let (split, clips) = try Self.audio(sandbox, "r0")
        let original = try Split(artifact: sandbox.fixtures["split.value"]!)
        for (i, clip) in clips.enumerated() {
            #expect(clip.count == Int((original.items[i].duration * 16_000).rounded()))
            #expect(clip.allSatisfy { $0 == 0 })
            #expect(split.items[i].id == original.items[i].id && split.items[i].label == original.items[i].label)
            #expect(split.items[i].text == original.items[i].text && split.items[i].speaker == original.items[i].speaker)
            #expect(split.items[i].audioPath.hasPrefix("cas:") && split.items[i].sampleRate == 16_000 && split.items[i].format == "WAV/PCM_16")
            #expect(split.items[i].audioSHA256 == (try SHA256.hash(fileAt: Split.audioURL(split.items[i].audioPath, store: sandbox.store)).hex))
        }
        #expect(split.attributes["resynthesis_condition"] == .string("silence"))
    }

    @Test func noiseIsSeededReproducibleAndAtTheRequestedLevel() async throws {
        let a = try Self.sandbox(), b = try Self.sandbox(), c = try Self.sandbox()
        try await a.run(Self.experiment("condition: noise, noise_level: 0.05"))
        try await b.run(Self.experiment("condition: noise, noise_level: 0.05"))
        try await c.run(Self.experiment("condition: noise, noise_level: 0.05", seed: 14))
        let (split, r0) = try Self.audio(a, "r0")
        let (_, r1) = try Self.audio(a, "r1")
        for clip in r0 { #expect(abs(Self.rms(clip) - 0.05) < 0.05 * 0.06, "rms \(Self.rms(clip))") }
        #expect(r0[3].count == 20_000)
        #expect(r0[0] != r1[0])
        // Same seed in another store: the same bytes; another seed: other noise.
        #expect(try a.artifact("resynth", "r2").contentDigest() == b.artifact("resynth", "r2").contentDigest())
        #expect(try Self.audio(b, "r0").clips == r0)
        #expect(try Self.audio(c, "r0").clips[0] != r0[0])
        #expect(split.attributes["resynthesis_noise_level"] == .double(0.05))
    }

    @Test func noiseAtAnSNRFollowsTheOriginalLoudness() async throws {
        let sandbox = try Self.sandbox()
        try await sandbox.run(Self.experiment("condition: noise, snr_db: 10, realizations: 1"))
        #expect(sandbox.failure("resynth") == nil, "\(sandbox.failure("resynth") ?? "")")
        let (_, clips) = try Self.audio(sandbox, "r0")
        let expected = 0.2 / 2.0.squareRoot() * pow(10, -10.0 / 20)
        for clip in clips { #expect(abs(Self.rms(clip) - expected) < expected * 0.06, "rms \(Self.rms(clip)) vs \(expected)") }
    }

    @Test func ttsSpeaksTheTextWithAnotherVoice() async throws {
        guard (try? EspeakSynthesizer.program()) != nil else { return }
        let sandbox = try Self.sandbox()
        try await sandbox.run(Self.experiment("condition: tts, realizations: 2, voices: [en-us+m1, en-gb+m3, {voice: en-us+f2, rate: 150, pitch: 60}]"))
        #expect(sandbox.failure("resynth") == nil, "\(sandbox.failure("resynth") ?? "")")
        let a = try sandbox.artifact("resynth", "r0"), b = try sandbox.artifact("resynth", "r1")
        let (split, clips) = try Self.audio(sandbox, "r0")
        for (i, clip) in clips.enumerated() {
            // Six words of speech: between 1 and 5 seconds, and not silent.
            #expect((16_000...80_000).contains(clip.count), "item \(i): \(clip.count) samples")
            #expect(Self.rms(clip) > 0.01)
            #expect(split.items[i].duration == Double(clip.count) / 16_000)
        }
        let voices0 = try a.stringColumn("resynthesis/voice"), voices1 = try b.stringColumn("resynthesis/voice")
        // A1 spoke with en-us+m1 and A2 with en-gb+m3: never their own voice, and two realizations, two voices.
        for i in 0..<4 {
            let own = i < 2 ? "en-us+m1 " : "en-gb+m3 "
            #expect(!voices0[i].contains(own) && !voices1[i].contains(own), "\(voices0[i]) / \(voices1[i])")
            #expect(voices0[i] != voices1[i])
        }
        #expect(voices0.allSatisfy { $0.hasPrefix("espeak-ng:") })
    }

    @Test func commandTalksToAnExternalSynthesizer() async throws {
        let sandbox = try Self.sandbox()
        let log = sandbox.dir.appendingPathComponent("requests.jsonl").path
        let yaml = Self.experiment("condition: command, realizations: 2, voices: [alice, bob], command: [python3, '\(Self.fakeSynthesizer)', --log, '\(log)']")
        try await sandbox.run(yaml)
        #expect(sandbox.failure("resynth") == nil, "\(sandbox.failure("resynth") ?? "")")
        let (split, clips) = try Self.audio(sandbox, "r1")
        for (i, clip) in clips.enumerated() {
            #expect(clip.count == 1_600 * 6, "item \(i)")
            #expect(split.items[i].text == "the quick brown fox number \(i)")
        }
        #expect(split.attributes["resynthesis_model_id"] == .string("fake-tts-1"))
        #expect(try sandbox.artifact("resynth", "r1").stringColumn("resynthesis/voice").allSatisfy { $0.hasPrefix("command:fake-tts-1:") })
        let requests = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(requests.count == 8)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].utf8)) as? [String: Any])
        #expect(first["type"] as? String == "synthesize" && first["id"] as? String == "item0" && first["sample_rate"] as? Int == 16_000)
        #expect(["alice", "bob"].contains(first["voice"] as? String ?? ""))
        // The model identity is part of the key: the plan shows it, and a new model id re-runs the node.
        try await sandbox.run(yaml)
        #expect(sandbox.ids(.ran).isEmpty)
        try await sandbox.run(yaml.replacingOccurrences(of: "--log", with: "--model-id, fake-tts-2, --log"))
        #expect(sandbox.ids(.ran) == ["resynth"])
    }

    @Test func commandFailuresNameTheItemAndTheReason() async throws {
        let sandbox = try Self.sandbox()
        try await sandbox.run(Self.experiment("condition: command, realizations: 1, command: [python3, '\(Self.fakeSynthesizer)', --fail-on, item2]"))
        #expect((sandbox.failure("resynth") ?? "").contains("failed on item 'item2': cannot speak this on purpose"), "\(sandbox.failure("resynth") ?? "")")
        try await sandbox.run(Self.experiment("condition: command, realizations: 1, command: [python3, '\(Self.fakeSynthesizer)', --crash-on, item1]"))
        let crash = sandbox.failure("resynth") ?? ""
        #expect(crash.contains("item 'item1'") && crash.contains("crashing on purpose"), "\(crash)")
        try await sandbox.run(Self.experiment("condition: command, realizations: 1, command: [python3, '\(Self.fakeSynthesizer)', --bad-hello]"))
        #expect((sandbox.failure("resynth") ?? "").contains("expected 'earshot-synthesis/1'"), "\(sandbox.failure("resynth") ?? "")")
    }
}
