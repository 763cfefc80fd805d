import EarshotAudio
import EarshotData
import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Testing

/// `workers/hf_lalm.py` on tiny random models of every architecture it supports (built by
/// `Fixtures/lalm_fixture.py` from the installed transformers classes, nothing downloaded), driven through
/// the `score` → `indicators` graph. Checks against an in-process greedy decode (a plain argmax loop,
/// no `generate`), with the converter's generation config and with a hostile one (repetition penalty,
/// temperature, top-k/p, no-repeat n-grams): pure greedy tokens, log p = top-1 log p for every token, the
/// end-of-sequence path, reference mode, 44.1 kHz stereo and inline PCM, the long-audio rule, batched =
/// unbatched, and a generation_config.json edit changing the key.
///
/// Needs torch and transformers in `<repo>/.venv` (`bash scripts/install.sh --deps-only --lalm`). CI sets
/// `EARSHOT_REQUIRE_LALM=1`, which makes a missing environment a failure; without the variable and without
/// the environment the suite is disabled.
@Suite(.serialized) struct LALMWorkerTests {
    static let archs = ["af3", "music-flamingo", "qwen2-audio", "glm-asr", "qwen3-asr"]
    static let prompt = "Transcribe the input speech."
    static let transcript = "the quick brown fox"
    static let maxNewTokens = 16
    /// Seconds of the noise clips that every Music Flamingo decode of used to fail on ("Audio features and audio
    /// tokens do not match, tokens: 126, features: 125" at 5 s): the model writes its own audio placeholder id,
    /// which a forward pass with the audio took for one more audio slot. Short, 5 s, just past one 30 s window
    /// (a second window of 0.5 s), and two windows.
    static let placeholderClips: [(id: String, seconds: Double)] = [("noise-0.5s", 0.5), ("noise-5s", 5), ("noise-30.5s", 30.5), ("noise-40s", 40)]
    static let worker = PythonWorkerTests.repository.appendingPathComponent("workers/hf_lalm.py").path
    static let install = "bash scripts/install.sh --deps-only --lalm (in \(PythonWorkerTests.repository.path))"
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["EARSHOT_REQUIRE_LALM"] == "1" || hasEnvironment
    }
    static var hasEnvironment: Bool {
        let site = PythonWorkerTests.repository.appendingPathComponent(".venv/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: site.path)) ?? []
        return versions.contains { FileManager.default.fileExists(atPath: site.appendingPathComponent("\($0)/site-packages/transformers").path) }
    }

    /// What `lalm_fixture.py` expects of one architecture (its expected.json).
    struct Expected: Decodable, Sendable {
        struct Outcome: Decodable, Sendable { var tokens: [Int]?; var hostile: [Int]?; var penalised: [Int]?; var error: String? }
        struct Placeholder: Decodable, Sendable { var token: String; var id: Int; var reference: [Int] }
        var eos: [Int]
        var vocabularySize: Int
        var reference: [Int]
        var placeholder: Placeholder
        var decoded: [String: Outcome]
        enum CodingKeys: String, CodingKey { case eos, vocabularySize = "vocab_size", reference, placeholder, decoded = "self" }
    }

    /// Tiny models of every architecture, their audio and expected outputs; built once per test process.
    struct Fixture: Sendable {
        let dir: URL
        let clip: [Float]
        let audio: [String: String]
        let expected: [String: Expected]

        func folder(_ arch: String, hostile: Bool = false) -> String { dir.appendingPathComponent(hostile ? arch + "-hostile" : arch).path }
        func selfTokens(_ arch: String, _ id: String, hostile: Bool = false) -> [Int]? {
            hostile ? expected[arch]?.decoded[id]?.hostile : expected[arch]?.decoded[id]?.tokens
        }
        func penalisedTokens(_ arch: String, _ id: String) -> [Int]? { expected[arch]?.decoded[id]?.penalised }
        func placeholder(_ arch: String) -> Expected.Placeholder? { expected[arch]?.placeholder }
        func eos(_ arch: String) -> [Int] { expected[arch]?.eos ?? [] }
        func referenceTokens(_ arch: String) -> [Int] { expected[arch]?.reference ?? [] }
        func vocabularySize(_ arch: String) -> Int { expected[arch]?.vocabularySize ?? 0 }
    }

    static let fixture: Result<Fixture, NodeError> = {
        guard hasEnvironment else { return .failure(NodeError("torch/transformers are missing from .venv; run: \(install)")) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-lalm-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var random = TestRandom(seed: 11)
            // 3 s of noise with a tone (16 kHz mono) and 35 s of quiet noise: beyond Qwen2-Audio's 30 s window.
            let clip = (0..<48_000).map { Float(0.1 * random.gaussian() + 0.2 * sin(Double($0) * 0.05)) }
            let long = (0..<(35 * 16_000)).map { _ in Float(0.01 * random.gaussian()) }
            var audio = ["clip": dir.appendingPathComponent("clip.wav").path, "stereo": dir.appendingPathComponent("stereo44k.wav").path,
                         "long": dir.appendingPathComponent("long.wav").path]
            try AudioEncoder.writeWAV(clip, sampleRate: 16_000, to: URL(fileURLWithPath: audio["clip"]!), format: .float32)
            try AudioEncoder.writeWAV(long, sampleRate: 16_000, to: URL(fileURLWithPath: audio["long"]!))
            for (id, seconds) in placeholderClips {  // noise as lalm_bench.py scores it (standard deviation 0.1)
                let noise = (0..<Int(seconds * 16_000)).map { _ in Float(0.1 * random.gaussian()) }
                audio[id] = dir.appendingPathComponent("\(id).wav").path
                try AudioEncoder.writeWAV(noise, sampleRate: 16_000, to: URL(fileURLWithPath: audio[id]!), format: .float32)
            }
            let script = Fixtures.directory.appendingPathComponent("lalm_fixture.py").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PythonWorkerTests.python)
            process.arguments = [script, dir.path, prompt, String(maxNewTokens), transcript] + archs + ["--"]
                + (["clip", "stereo", "long"] + placeholderClips.map(\.id)).map { "\($0)=\(audio[$0]!)" }
            let log = dir.appendingPathComponent("fixture.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return .failure(NodeError("lalm_fixture.py failed: \(text.suffix(3000))"))
            }
            let data = try Data(contentsOf: dir.appendingPathComponent("expected.json"))
            let expected = try JSONDecoder().decode([String: Expected].self, from: data)
            return .success(Fixture(dir: dir, clip: clip, audio: audio, expected: expected))
        } catch {
            return .failure(NodeError("cannot build the LALM fixture: \(error)"))
        }
    }()

    func loadFixture() throws -> Fixture {
        switch Self.fixture {
        case .success(let fixture): return fixture
        case .failure(let error):
            Issue.record(error)
            throw error
        }
    }

    /// A split of the clip, the stereo file, the long file and a missing file (or of `ids`), written in `box`.
    func split(_ fixture: Fixture, in box: Phase2Sandbox, ids: [String] = ["clip", "stereo", "long", "missing"],
               text: String = transcript) throws -> String {
        let items = ids.enumerated().map { i, id in
            Split.Item(id: id, label: i % 2, dataset: "lalm", audioPath: fixture.audio[id] ?? box.url("missing.wav").path, audioSHA256: "",
                       text: text, speaker: "", duration: 1, sampleRate: 16_000, channels: 1, bitDepth: 16, format: "wav", fileSize: 0)
        }
        return try box.writeSplit(Split(items: items))
    }

    func experiment(_ box: Phase2Sandbox, split: String, arch: String, folder: String, name: String = "exp.yaml") throws -> String {
        try box.write("""
        experiment: lalm
        nodes:
          split: {kind: fixture.split, params: {path: "\(split)"}}
          scores:
            kind: score
            inputs: {split: split}
            params: {scorer: {command: ["\(PythonWorkerTests.python)", "\(Self.worker)", --arch, \(arch), --model, "\(folder)"]}, max_new_tokens: \(Self.maxNewTokens), on_error: skip}
          references:
            kind: score
            inputs: {split: split}
            params: {scorer: {command: ["\(PythonWorkerTests.python)", "\(Self.worker)", --arch, \(arch), --model, "\(folder)"]}, mode: reference, max_new_tokens: \(Self.maxNewTokens), on_error: skip}
          mia: {kind: indicators, inputs: {scores: scores}, params: {on_error: skip}}
        """, name: name)
    }

    @Test(.enabled(if: enabled, "no torch/transformers in .venv and EARSHOT_REQUIRE_LALM is not 1"), .timeLimit(.minutes(20)),
          arguments: archs)
    func greedyTokensAndStatisticsThroughTheGraph(arch: String) async throws {
        let fixture = try loadFixture()
        var keys: [String] = []
        for hostile in [false, true] {
            let box = try Phase2Sandbox()
            let path = try experiment(box, split: try split(fixture, in: box), arch: arch, folder: fixture.folder(arch, hostile: hostile))
            let summary = try await box.run(path)
            #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
            let scores = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
            let long = fixture.selfTokens(arch, "long")
            #expect(scores.items.map(\.id) == ["clip", "stereo"] + (long == nil ? [] : ["long"]))
            for item in scores.items {
                #expect(item.tokens == fixture.selfTokens(arch, item.id, hostile: hostile), "\(arch) hostile=\(hostile) item \(item.id): not the greedy decode")
                #expect(item.stats.logProb == item.stats.top1LogProb, "\(arch) item \(item.id): a scored token is not the argmax")
            }
            if hostile {
                // Decodes long enough for the hostile config's repetition penalty and no-repeat n-grams to change
                // them: the fixture's `penalised` decode (those processors, deterministic) differs for some item.
                let longest = scores.items.map(\.tokens.count).max() ?? 0
                #expect(longest >= 12, "\(arch): the longest greedy decode has only \(longest) tokens")
                #expect(scores.items.contains { item in fixture.penalisedTokens(arch, item.id).map { $0 != item.tokens } ?? false },
                        "\(arch): repetition_penalty / no_repeat_ngram_size would change no decode here; the hostile case tests nothing")
            } else {
                // The end-of-sequence path: the clip stops on an end-of-sequence id, which is scored.
                let clip = try #require(scores.items.first { $0.id == "clip" })
                #expect(clip.tokens.count < Self.maxNewTokens && fixture.eos(arch).contains(clip.tokens.last ?? -1))
            }
            // Long audio: Qwen2-Audio refuses it naming duration and limit; AF3 / Music Flamingo window it.
            let skipped = Dictionary(uniqueKeysWithValues: scores.skipped.map { ($0.id, $0.reason) })
            #expect(skipped["missing"]?.contains("cannot read audio") == true)
            if long == nil {
                #expect(skipped["long"]?.contains("the audio lasts 35.00 s; this model takes at most 30 s") == true, "\(skipped)")
            }
            guard case .string(let model)? = scores.attributes["model_id"], case .string(let code)? = scores.attributes["code_sha256"] else {
                Issue.record("the scores carry no model or code identity: \(scores.attributes)")
                return
            }
            #expect(model.contains("transformers 5.") && model.contains("torch ") && model.contains("float32"))
            let key = try #require(box.report(summary, "scores")?.key)
            let digest = try #require(Digest(hex: key))
            let record = try #require(try box.store.action(for: digest))
            #expect(record.keyInputs.contains("\"code_sha256\":\"\(code)\""))
            keys.append(key)
            // Reference mode: the transcript's tokens and end-of-sequence.
            let references = try TokenScores(artifact: try box.output(summary, node: "references", "scores"))
            #expect(references.items.map(\.id) == scores.items.map(\.id))
            for item in references.items { #expect(item.tokens == fixture.referenceTokens(arch)) }
            let features = try box.output(summary, node: "mia", "features")
            #expect(try features.matrix("X").values.allSatisfy(\.isFinite))
        }
        // Only generation_config.json differs between the two folders: the key must differ.
        #expect(keys.count == 2 && keys[0] != keys[1])
    }

    @Test(.enabled(if: enabled, "no torch/transformers in .venv and EARSHOT_REQUIRE_LALM is not 1"), .timeLimit(.minutes(20)),
          arguments: archs)
    func batchedScoresEqualUnbatched(arch: String) async throws {
        let fixture = try loadFixture()
        var tables: [TokenScores] = []
        for batch in [1, 4] {
            let box = try Phase2Sandbox()
            let path = try experiment(box, split: try split(fixture, in: box), arch: arch, folder: fixture.folder(arch))
            let summary = try await box.run(path, batchSize: batch)
            #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
            tables.append(try TokenScores(artifact: try box.output(summary, node: "scores", "scores")))
            tables.append(try TokenScores(artifact: try box.output(summary, node: "references", "scores")))
        }
        for (one, many) in [(tables[0], tables[2]), (tables[1], tables[3])] {
            #expect(one.items.map(\.id) == many.items.map(\.id) && one.skipped.map(\.id) == many.skipped.map(\.id))
            for (a, b) in zip(one.items, many.items) {
                #expect(a.tokens == b.tokens && a.text == b.text, "\(arch) item \(a.id)")
                for (x, y) in zip(a.stats.fields, b.stats.fields) {
                    let gap = zip(x.values, y.values).map { abs($0 - $1) }.max() ?? 0
                    #expect(gap <= 1e-5, "\(arch) item \(a.id) \(x.name): batched differs by \(gap)")
                }
            }
        }
    }

    /// A scored token equal to the architecture's audio placeholder id is text, as `generate` feeds it, never
    /// one more audio slot: Music Flamingo on the noise clips it used to fail on (its tiny model writes the
    /// placeholder in each of those decodes, checked here so the case cannot silently vanish), and on every
    /// architecture a reference transcript holding the placeholder. The hostile folder: its only end-of-sequence
    /// id is the converter's, so decodes run to max_new_tokens (Music Flamingo writes the placeholder ninth).
    @Test(.enabled(if: enabled, "no torch/transformers in .venv and EARSHOT_REQUIRE_LALM is not 1"), .timeLimit(.minutes(20)),
          arguments: archs)
    func audioPlaceholderTokensAreScoredAsText(arch: String) async throws {
        let fixture = try loadFixture()
        let placeholder = try #require(fixture.placeholder(arch))
        let ids = Self.placeholderClips.map(\.id)
        let box = try Phase2Sandbox()
        let text = "\(Self.transcript) \(placeholder.token) \(Self.transcript)"
        let path = try experiment(box, split: try split(fixture, in: box, ids: ids, text: text), arch: arch,
                                  folder: fixture.folder(arch, hostile: true))
        let summary = try await box.run(path)
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let scores = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
        let scorable = ids.filter { fixture.selfTokens(arch, $0, hostile: true) != nil }
        #expect(scores.items.map(\.id) == scorable, "\(scores.skipped)")
        for item in scores.items {
            #expect(item.tokens == fixture.selfTokens(arch, item.id, hostile: true), "\(arch) item \(item.id): not the greedy decode")
            #expect(item.stats.logProb == item.stats.top1LogProb, "\(arch) item \(item.id): a scored token is not the argmax")
            if arch == "music-flamingo" {
                #expect(item.tokens.contains(placeholder.id), "\(arch) item \(item.id): the decode no longer writes \(placeholder.token)")
            }
        }
        for id in ids where fixture.selfTokens(arch, id, hostile: true) == nil {  // Qwen2-Audio: one 30 s window
            #expect(scores.skipped.first { $0.id == id }?.reason.contains("this model takes at most 30 s") == true, "\(arch) \(id)")
        }
        let references = try TokenScores(artifact: try box.output(summary, node: "references", "scores"))
        #expect(references.items.map(\.id) == scorable)
        #expect(placeholder.reference.contains(placeholder.id))
        for item in references.items { #expect(item.tokens == placeholder.reference, "\(arch) item \(item.id)") }
    }

    /// The hello's fields, and inline PCM scoring like the same samples read from a file.
    @Test(.enabled(if: enabled, "no torch/transformers in .venv and EARSHOT_REQUIRE_LALM is not 1"), .timeLimit(.minutes(10)),
          arguments: archs)
    func helloAndInlinePCM(arch: String) throws {
        let fixture = try loadFixture()
        let box = try Phase2Sandbox()
        let command = WorkerCommand(program: URL(fileURLWithPath: PythonWorkerTests.python),
                                    arguments: [Self.worker, "--arch", arch, "--model", fixture.folder(arch)], directory: box.dir)
        let worker = try WorkerProcess(command: command, stderrURL: box.url("worker.stderr"))
        defer { worker.shutdown() }
        let hello = try worker.readHello(timeout: 600)
        #expect(hello.protocolVersion == 1 && hello.acceptsPrompt && hello.maxBatch == 16)
        #expect(hello.modelID.hasPrefix("\(arch):\(arch) (transformers "))
        #expect(hello.vocabularySize == fixture.vocabularySize(arch))
        #expect(hello.weightsSHA256.count == 64 && hello.codeSHA256?.count == 64)
        let request = ScoreRequest(id: "pcm", audio: .pcm(samples: fixture.clip, sampleRate: 16_000), prompt: Self.prompt,
                                   mode: .selfConditioned, maxNewTokens: Self.maxNewTokens)
        guard case .line(let line) = worker.exchange(try WorkerRequest.score(request).jsonLine(), timeout: 600),
              case .result(let scores) = try WorkerMessage.decode(line: line, expectedID: "pcm", vocabularySize: hello.vocabularySize) else {
            Issue.record("no result for inline PCM (stderr: \(worker.stderrTail()))")
            return
        }
        #expect(scores.tokens == fixture.selfTokens(arch, "clip"))
    }

    /// Editing the model folder's generation_config.json between runs changes the node key (the worker's
    /// identity covers it, and the handshake cache notices the edit), and the node runs again.
    @Test(.enabled(if: enabled, "no torch/transformers in .venv and EARSHOT_REQUIRE_LALM is not 1"), .timeLimit(.minutes(10)))
    func editingGenerationConfigChangesTheKey() async throws {
        let fixture = try loadFixture()
        let box = try Phase2Sandbox()
        let folder = box.url("model")
        try FileManager.default.copyItem(atPath: fixture.folder("af3"), toPath: folder.path)
        let path = try experiment(box, split: try split(fixture, in: box), arch: "af3", folder: folder.path)
        let first = try await box.run(path)
        let config = folder.appendingPathComponent("generation_config.json")
        let edited = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"temperature\": 0.7", with: "\"temperature\": 0.9")
        #expect(edited.contains("0.9"))
        try edited.write(to: config, atomically: true, encoding: .utf8)
        let second = try await box.run(path)
        let before = try #require(box.report(first, "scores")), after = try #require(box.report(second, "scores"))
        #expect(before.status == .ran && after.status == .ran)
        #expect(before.key != nil && before.key != after.key)
    }
}
