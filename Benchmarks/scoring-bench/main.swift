// scoring-bench: items per second of the `score` node for the built-in reference target and for
// Whisper tiny.en (workers/whisper_ct2.py), and the engine's overhead per item against calling the same
// worker directly (Benchmarks/worker_direct.py, same requests, one worker).
//
// Run from the repository root: swift run -c release scoring-bench [reference|whisper|fake|all] [--items N]
// The whisper and fake parts need the project's virtual environment at .venv (see workers/README.md).
import EarshotAudio
import EarshotData
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let python = repository.appendingPathComponent(".venv/bin/python").path
let arguments = CommandLine.arguments.dropFirst()
let part = arguments.first { !$0.hasPrefix("-") && Int($0) == nil } ?? "all"
let itemsArgument = arguments.firstIndex(of: "--items").flatMap { Int(arguments[arguments.index(after: $0)]) }
let work = FileManager.default.temporaryDirectory.appendingPathComponent("scoring-bench-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
let registry = KindRegistry([ScoreKind(), ArtifactFileKind(name: "bench.split", output: "split", type: "split")])

func item(_ id: String, label: Int, path: String, text: String, rate: Int) -> Split.Item {
    Split.Item(id: id, label: label, dataset: "bench", audioPath: path, audioSHA256: "", text: text, speaker: "", duration: 0,
               sampleRate: rate, channels: 1, bitDepth: 16, format: "wav", fileSize: 0)
}

/// Runs split → score once in a fresh store; returns the score node's seconds (its `run` plus publishing).
func engineSeconds(split: Split, scorer: String, extraInputs: String = "", extraNodes: String = "", workers: Int = 1) async throws -> Double {
    let dir = work.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try ArtifactFile.write(split.artifact(), to: dir.appendingPathComponent("split.h5"))
    let yaml = """
    experiment: bench
    nodes:
      split: {kind: bench.split, params: {path: split.h5}}
    \(extraNodes)  scores:
        kind: score
        inputs: {split: split\(extraInputs)}
        params: {scorer: \(scorer), shard_size: 64}
    """
    try yaml.write(to: dir.appendingPathComponent("bench.yaml"), atomically: true, encoding: .utf8)
    let graph = try registry.load(path: dir.appendingPathComponent("bench.yaml").path)
    let store = try ArtifactStore(root: dir.appendingPathComponent("store"))
    let summary = await LocalExecutor(graph: graph, registry: registry, store: store,
                                      options: .init(jobs: 1, settings: RunSettings(workers: workers))).run()
    guard summary.succeeded, let seconds = summary.nodes.first(where: { $0.id == "scores" })?.seconds else {
        throw NodeError("benchmark run failed: \(summary.nodes.compactMap(\.reason))")
    }
    return seconds
}

/// Sends the same requests straight to the worker; returns (wall seconds start→exit, errors).
func directSeconds(split: Split, argv: [String]) throws -> Double {
    let requests = try split.items.map { item in
        try WorkerRequest.score(ScoreRequest(id: item.id, audio: .path(item.audioPath), prompt: "Transcribe the input speech.",
                                             mode: .selfConditioned, maxNewTokens: 32)).jsonLine()
    }
    let file = work.appendingPathComponent("requests-\(UUID().uuidString).jsonl")
    try (requests.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [repository.appendingPathComponent("Benchmarks/worker_direct.py").path, file.path, "--"] + argv
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any], let seconds = object["seconds"] as? Double,
          (object["errors"] as? Int) == 0 else {
        throw NodeError("worker_direct.py failed: \(String(decoding: data, as: UTF8.self))")
    }
    return seconds
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Alternates direct and engine runs (one warm-up direct run first) and prints the comparison.
func compare(name: String, split: Split, argv: [String], repeats: Int) async throws {
    let scorer = "{command: [" + argv.map { "\"\($0)\"" }.joined(separator: ", ") + "]}"
    _ = try directSeconds(split: split, argv: argv)
    var direct: [Double] = [], engine: [Double] = []
    for _ in 0..<repeats {
        direct.append(try directSeconds(split: split, argv: argv))
        engine.append(try await engineSeconds(split: split, scorer: scorer))
    }
    let n = Double(split.items.count)
    for (label, e, d) in [("median", median(engine), median(direct)), ("fastest", engine.min()!, direct.min()!)] {
        print(String(format: "%@ (%@ of %d): %d items, engine %.3f s (%.2f items/s), direct %.3f s (%.2f items/s); overhead %.2f ms/item = %+.1f%%",
                     name, label, repeats, split.items.count, e, n / e, d, n / d, (e - d) / n * 1000, (e / d - 1) * 100))
    }
    print("  engine runs (s): " + engine.map { String(format: "%.3f", $0) }.joined(separator: " ")
          + "; direct runs (s): " + direct.map { String(format: "%.3f", $0) }.joined(separator: " "))
}

if part == "reference" || part == "all" {
    let count = itemsArgument ?? 200
    var state: UInt64 = 1
    func random() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    let words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "under", "tree", "red", "blue", "bird", "sang", "at", "dawn"]
    var items: [Split.Item] = []
    for i in 0..<count {
        let text = (0..<(4 + Int(random() * 4))).map { _ in words[Int(random() * Double(words.count))] }.joined(separator: " ")
        let f0 = 90 + 150 * random(), noise = 0.002 + 0.02 * random()
        let samples = (0..<16_000).map { n -> Float in
            let t = Double(n) / 16_000
            return Float(0.3 * sin(2 * .pi * f0 * t) + 0.1 * sin(4 * .pi * f0 * t) + noise * (random() - 0.5))
        }
        let url = work.appendingPathComponent("ref-\(i).wav")
        try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: url)
        items.append(item("ref-\(i)", label: i % 2, path: url.path, text: text, rate: 16_000))
    }
    let background = Split(items: (0..<300).map { i in
        item("bg-\(i)", label: 0, path: "/nonexistent", text: (0..<6).map { _ in words[Int(random() * Double(words.count))] }.joined(separator: " "), rate: 0)
    })
    try ArtifactFile.write(background.artifact(), to: work.appendingPathComponent("background.h5"))
    let seconds = try await engineSeconds(
        split: Split(items: items), scorer: "{reference: {memorize: members}}", extraInputs: ", background: background",
        extraNodes: "  background: {kind: bench.split, params: {path: \(work.appendingPathComponent("background.h5").path)}}\n")
    print(String(format: "reference target (memorize: members, self mode, 1 s clips): %d items in %.3f s = %.1f items/s (%d cores)",
                 count, seconds, Double(count) / seconds, ProcessInfo.processInfo.activeProcessorCount))
}

if part == "fake" || part == "all" {
    guard FileManager.default.isExecutableFile(atPath: python) else { fatalError("no .venv/bin/python; see workers/README.md") }
    let split = Split(items: (0..<(itemsArgument ?? 400)).map { item("fake-\($0)", label: $0 % 2, path: "/nonexistent.wav", text: "", rate: 0) })
    let fake = repository.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
    try await compare(name: "fake worker (instant replies)", split: split, argv: [python, fake], repeats: 3)
    // A model that takes 50 ms per item without using the CPU: the engine's overhead free of CPU contention.
    let paced = Split(items: Array(split.items.prefix(100)))
    try await compare(name: "fake worker (50 ms per item)", split: paced, argv: [python, fake, "--delay", "0.05"], repeats: 3)
}

if part == "whisper" || part == "all" {
    guard FileManager.default.isExecutableFile(atPath: python) else { fatalError("no .venv/bin/python; see workers/README.md") }
    let sentences = ["the quick brown fox jumps over the lazy dog", "please call stella and ask her to bring these things",
                     "she had your dark suit in greasy wash water all year", "we must all learn to work together",
                     "a large number of people came to the meeting", "the weather today is cold and windy"]
    let count = itemsArgument ?? 24
    let split = Split(items: try (0..<count).map { i in
        let audio = try EspeakSynthesizer.synthesize(sentences[i % sentences.count], voice: .init(name: "en-us", rate: 150 + 10 * (i % 5)), scratch: work)
        let url = work.appendingPathComponent("tts-\(i).wav")
        try AudioEncoder.writeWAV(audio.samples, sampleRate: audio.sampleRate, to: url)
        return item("tts-\(i)", label: i % 2, path: url.path, text: sentences[i % sentences.count], rate: audio.sampleRate)
    })
    try await compare(name: "whisper-tiny.en (whisper_ct2.py, 2 threads)", split: split,
                      argv: [python, repository.appendingPathComponent("workers/whisper_ct2.py").path, "--threads", "2"], repeats: 3)
}
