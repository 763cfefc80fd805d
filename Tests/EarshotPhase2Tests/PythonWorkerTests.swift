import EarshotAudio
import EarshotData
import EarshotNodes
import EarshotScoring
import EarshotStore
import Foundation
import Testing

/// The Python workers end to end: `workers/whisper_ct2.py` (Whisper tiny.en, CTranslate2, CPU) scoring
/// espeak-ng utterances through the `score` node (`workers/hf_lalm.py` is tested by `LALMWorkerTests`).
///
/// Needs the project's virtual environment at `<repo>/.venv` (README: `python3 -m venv .venv &&
/// .venv/bin/pip install -r workers/requirements-whisper.txt`). CI sets `EARSHOT_REQUIRE_WHISPER=1`, which
/// makes a missing environment a failure; without the variable and without the environment the test is
/// disabled (so the suite runs on a bare checkout).
@Suite struct PythonWorkerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python").path
    static let worker = repository.appendingPathComponent("workers/whisper_ct2.py").path
    static let install = "python3 -m venv .venv && .venv/bin/pip install -r workers/requirements-whisper.txt (in \(repository.path))"
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["EARSHOT_REQUIRE_WHISPER"] == "1" || FileManager.default.fileExists(atPath: python)
    }

    @Test(.enabled(if: enabled, "no whisper environment at .venv and EARSHOT_REQUIRE_WHISPER is not 1"), .timeLimit(.minutes(20)))
    func whisperTinyScoresSyntheticUtterancesEndToEnd() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("the whisper worker's environment is missing: \(Self.python) does not exist; run: \(Self.install)")
            return
        }
        let box = try Phase2Sandbox()
        let sentences = ["the quick brown fox jumps over the lazy dog", "please call stella and ask her to bring these things",
                         "it is a sunny day in the park"]
        let items = try sentences.enumerated().map { i, text -> Split.Item in
            let audio = try EspeakSynthesizer.synthesize(text, voice: .init(name: "en-us"), scratch: box.dir)
            let url = box.url("tts-\(i).wav")
            try AudioEncoder.writeWAV(audio.samples, sampleRate: audio.sampleRate, to: url)
            return Split.Item(id: "tts-\(i)", label: i % 2, dataset: "tts", audioPath: url.path,
                              audioSHA256: try SHA256.hash(fileAt: url).hex, text: text, speaker: "en-us",
                              duration: Double(audio.samples.count) / Double(audio.sampleRate), sampleRate: audio.sampleRate,
                              channels: 1, bitDepth: 16, format: "wav", fileSize: 0)
        }
        let splitPath = try box.writeSplit(Split(items: items))
        let path = try box.write("""
        experiment: whisper
        nodes:
          split: {kind: fixture.split, params: {path: "\(splitPath)"}}
          scores:
            kind: score
            inputs: {split: split}
            params: {scorer: {command: ["\(Self.python)", "\(Self.worker)", "--threads", "2"]}, max_new_tokens: 32}
          mia: {kind: indicators, inputs: {scores: scores}}
        """)
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let table = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        #expect(table.items.map(\.id) == items.map(\.id))
        for item in table.items {
            #expect(!item.text.trimmingCharacters(in: .whitespaces).isEmpty, "item \(item.id) decoded to empty text")
            #expect(!item.tokens.isEmpty)
            #expect(item.stats.fields.allSatisfy { $0.values.allSatisfy(\.isFinite) })
        }
        print("whisper-tiny decoded: \(table.items.map(\.text))")
        guard case .string(let weights)? = table.attributes["weights_sha256"], case .string(let model)? = table.attributes["model_id"] else {
            Issue.record("the scores carry no model identity")
            return
        }
        #expect(model.contains("whisper-tiny.en"))
        let key = try #require(box.report(summary, "scores")?.key.flatMap { Digest(hex: $0) })
        let record = try #require(try box.store.action(for: key))
        #expect(record.keyInputs.contains("\"weights_sha256\":\"\(weights)\""))
        let features = try box.output(summary, node: "mia", "features")
        #expect(try features.matrix("X").values.allSatisfy(\.isFinite))
    }
}
