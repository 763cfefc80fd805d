// `swift run -c release data-bench [decode|noop|synth|all]`: EarshotData and EarshotAudio benchmarks.
//
// decode — decode + resample to 16 kHz of the same generated files (24 × 20 s, then 240 × 3 s) by Earshot (`AudioLoader.load`, one thread) and by
//          `librosa.load(sr=16000, res_type='soxr_hq')` (Benchmarks/decode_reference.py, one thread); prints both
//          CPU times and the ratio. Python: $EARSHOT_PYTHON, else the checkout's
//          .bench-venv/bin/python (made by scripts/bench-env.sh).
//          Also prints the libraries' floor: the same files through the same libsndfile and libsoxr calls with no
//          Earshot code around them (see `libraryFloor`) — time any tool built on these libraries spends at least,
//          so librosa / floor bounds the speedup it can show. Earshot and the floor: fastest of three passes.
// noop   — a `load_split` over 10,000 WAV files (5,000 per side): the first run, then a no-op re-run in a fresh
//          process (fingerprints on disk, nothing in memory), timed from outside and inside that process.
// synth  — a matched and a shifted `synth_corpus` of 200 + 200 utterances, wall time each.
// sources — inspect and load_split (2 × 2,500) on 100,000-row hf_parquet and lhotse sources, and no-op re-runs
//          (SourcesBench.swift).
import CSndFile
import CSoxr
import EarshotAudio
import EarshotData
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

let registry = KindRegistry([LoadSplitKind(), SynthCorpusKind()])
let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func temporaryFolder(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-bench-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A speech-like test signal: a gliding harmonic tone with syllable-rate amplitude modulation and a little noise.
func testSignal(seconds: Double, rate: Int, channels: Int, seed: UInt64) -> [Float] {
    var state = seed
    func noise() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
    }
    let n = Int(seconds * Double(rate))
    var out = [Float](repeating: 0, count: n * channels)
    for i in 0..<n {
        let t = Double(i) / Double(rate)
        let f0 = 110 + 40 * sin(2 * .pi * 0.3 * t)
        var v = 0.0
        for h in 1...8 { v += sin(2 * .pi * f0 * Double(h) * t) / Double(h) }
        let envelope = 0.5 + 0.5 * sin(2 * .pi * 4 * t)
        for c in 0..<channels { out[i * channels + c] = Float(0.2 * envelope * v) + 0.01 * noise() }
    }
    return out
}

func writeSoundFile(_ samples: [Float], rate: Int, channels: Int, format: Int32, to url: URL) throws {
    var info = SF_INFO()
    info.samplerate = Int32(rate)
    info.channels = Int32(channels)
    info.format = format
    guard let handle = sf_open(url.path, Int32(SFM_WRITE), &info) else {
        throw AudioError.unwritable(path: url.path, reason: String(cString: sf_strerror(nil)))
    }
    _ = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(samples.count / channels)) }
    sf_close(handle)
}

func decodeBenchmark() throws {
    // Long files: 24 × 20 s. Utterances: 240 × 3 s (the length of a typical speech-corpus item).
    try decodeBenchmark(count: 24, seconds: 20)
    try decodeBenchmark(count: 240, seconds: 3)
}

func decodeBenchmark(count: Int, seconds: Double) throws {
    let dir = try temporaryFolder("decode")
    defer { try? FileManager.default.removeItem(at: dir) }
    // Formats in turn: FLAC 44.1 kHz stereo, WAV 48 kHz mono, FLAC 22.05 kHz mono, WAV 8 kHz mono (all 16-bit).
    let kinds: [(rate: Int, channels: Int, format: Int32, ext: String)] = [
        (44_100, 2, Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), "flac"), (48_000, 1, Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), "wav"),
        (22_050, 1, Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), "flac"), (8_000, 1, Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), "wav"),
    ]
    var files: [URL] = []
    for i in 0..<count {
        let k = kinds[i % kinds.count]
        let url = dir.appendingPathComponent("f\(i)_\(k.rate).\(k.ext)")
        try writeSoundFile(testSignal(seconds: seconds, rate: k.rate, channels: k.channels, seed: UInt64(i + 1)),
                           rate: k.rate, channels: k.channels, format: k.format, to: url)
        files.append(url)
    }
    _ = try AudioLoader.load(files[0], targetRate: 16_000)
    // Earshot and the floor alternate three times; the fastest pass of each counts (less noise from other load).
    var earshotCPU = Double.infinity, earshotWall = Double.infinity, floorCPU = Double.infinity
    var audioSeconds = 0.0
    for _ in 0..<3 {
        let cpu0 = threadCPUSeconds(), wall0 = Date()
        audioSeconds = 0
        for url in files {
            let loaded = try AudioLoader.load(url, targetRate: 16_000)
            audioSeconds += loaded.info.duration
        }
        earshotCPU = min(earshotCPU, threadCPUSeconds() - cpu0)
        earshotWall = min(earshotWall, Date().timeIntervalSince(wall0))
        floorCPU = min(floorCPU, try libraryFloor(files))
    }
    let python = ProcessInfo.processInfo.environment["EARSHOT_PYTHON"] ?? repository.appendingPathComponent(".bench-venv/bin/python").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [repository.appendingPathComponent("Benchmarks/decode_reference.py").path] + files.map(\.path)
    var environment = ProcessInfo.processInfo.environment
    for v in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"] { environment[v] = "1" }
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
          let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let librosaCPU = json["compute_seconds"] as? Double, let librosaWall = json["wall_seconds"] as? Double else {
        throw NodeError("decode_reference.py printed no result (exit \(process.terminationStatus)): \(String(decoding: output, as: UTF8.self))")
    }
    print("decode+resample to 16 kHz, \(files.count) files of \(String(format: "%.0f", seconds)) s (\(String(format: "%.0f", audioSeconds)) s of audio; FLAC 44.1k stereo, WAV 48k, FLAC 22.05k, WAV 8k), one thread")
    print(String(format: "  %-34@ cpu %7.3f s  wall %7.3f s  (%.2f s per audio hour)", "earshot AudioLoader.load" as NSString, earshotCPU, earshotWall, earshotCPU / audioSeconds * 3600))
    print(String(format: "  %-34@ cpu %7.3f s  wall %7.3f s  (%.2f s per audio hour)", "librosa.load(soxr_hq) \(json["version"] ?? "")" as NSString, librosaCPU, librosaWall, librosaCPU / audioSeconds * 3600))
    print(String(format: "  %-34@ cpu %7.3f s                  (%.2f s per audio hour)", "floor: bare libsndfile + libsoxr" as NSString, floorCPU, floorCPU / audioSeconds * 3600))
    print(String(format: "  ratio librosa / earshot (cpu, per core): %.2f×; the floor allows at most %.2f×; earshot is %+.0f%% from the floor",
                 librosaCPU / earshotCPU, librosaCPU / floorCPU, (earshotCPU / floorCPU - 1) * 100))
}

/// CPU seconds of this thread to decode every file with bare libsndfile (`sf_readf_float` in blocks of 65,536 frames
/// into one reused buffer) and stream its first channel through one `soxr_t` (HQ, float32, into one reused buffer):
/// the library calls `AudioLoader.load` makes, without its downmix, its output array or anything else of Earshot's.
func libraryFloor(_ files: [URL]) throws -> Double {
    let block = 65_536
    var interleaved = [Float](), first = [Float](repeating: 0, count: block), output = [Float](repeating: 0, count: 2 * block)
    var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var quality = soxr_quality_spec(earshot_soxr_hq(), 0)
    let start = threadCPUSeconds()
    for url in files {
        var info = SF_INFO()
        guard let handle = sf_open(url.path, Int32(SFM_READ), &info) else { throw AudioError.unreadable(path: url.path, reason: "sf_open failed") }
        defer { sf_close(handle) }
        let channels = Int(info.channels)
        if interleaved.count < block * channels { interleaved = [Float](repeating: 0, count: block * channels) }
        var soxr: soxr_t?
        if info.samplerate != 16_000 {
            var error: soxr_error_t?
            soxr = soxr_create(Double(info.samplerate), 16_000, 1, &error, &io, &quality, nil)
            if let error { throw AudioError.resampling(reason: String(cString: error)) }
        }
        defer { if let soxr { soxr_delete(soxr) } }
        while true {
            let frames = Int(interleaved.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(block)) })
            guard let soxr else { if frames < block { break } else { continue } }
            for i in 0..<frames { first[i] = interleaved[i * channels] }
            var done = 0
            _ = first.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    soxr_process(soxr, frames > 0 ? input.baseAddress : nil, frames, nil, out.baseAddress, out.count, &done)
                }
            }
            if frames == 0 {
                while done > 0 {
                    _ = output.withUnsafeMutableBufferPointer { out in soxr_process(soxr, nil, 0, nil, out.baseAddress, out.count, &done) }
                }
                break
            }
        }
    }
    return threadCPUSeconds() - start
}

func noopExperiment(manifest: String) -> String {
    """
    experiment: noop-bench
    seed: 1
    nodes:
      split:
        kind: load_split
        params: {source: {format: jsonl, path: \(manifest)}, label_column: member, per_class: 5000}
    """
}

func runExperiment(_ dir: URL) async throws -> RunSummary {
    let graph = try registry.load(path: dir.appendingPathComponent("exp.yaml").path)
    let store = try ArtifactStore(root: dir.appendingPathComponent("store"))
    return await LocalExecutor(graph: graph, registry: registry, store: store, board: nil).run()
}

func noopBenchmark() async throws {
    let dir = try temporaryFolder("noop")
    defer { try? FileManager.default.removeItem(at: dir) }
    let audio = dir.appendingPathComponent("audio")
    try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
    var manifest = ""
    let t0 = Date()
    for i in 0..<10_000 {
        let name = "u\(i).wav"
        try AudioEncoder.writeWAV(testSignal(seconds: 0.1, rate: 16_000, channels: 1, seed: UInt64(i)), sampleRate: 16_000,
                                  to: audio.appendingPathComponent(name))
        manifest += "{\"audio_filepath\": \"audio/\(name)\", \"text\": \"utterance \(i)\", \"speaker\": \"s\(i % 50)\", \"member\": \(i % 2)}\n"
    }
    try manifest.write(to: dir.appendingPathComponent("manifest.jsonl"), atomically: true, encoding: .utf8)
    try noopExperiment(manifest: dir.appendingPathComponent("manifest.jsonl").path)
        .write(to: dir.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
    print("load_split over 10,000 WAV files (0.1 s each; 5,000 per side); files written in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
    // Let the files age past the fingerprint table's racy window (2 s) so that the first run's entries are trusted.
    try await Task.sleep(nanoseconds: 2_100_000_000)
    let first0 = Date()
    let first = try await runExperiment(dir)
    print(String(format: "  first run (hash + decode every file): %.2f s, status %@", Date().timeIntervalSince(first0), first.nodes[0].status.rawValue))
    for attempt in 1...3 {
        let start = Date()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        child.arguments = ["noop-rerun", dir.path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        print(String(format: "  no-op re-run #%d in a fresh process: %.3f s wall for the whole process; %@", attempt,
                     Date().timeIntervalSince(start), output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

func noopRerun(_ dir: URL) async throws {
    let start = Date()
    let summary = try await runExperiment(dir)
    let fingerprints = try ArtifactStore(root: dir.appendingPathComponent("store")).fingerprints.counts
    print(String(format: "executor %.3f s, node %@, files hashed %d, from fingerprints %d", Date().timeIntervalSince(start),
                 summary.nodes[0].status.rawValue, fingerprints.hashed, fingerprints.trusted))
}

func synthBenchmark() async throws {
    for shift in ["[]", "[telephone, noise, voice_set, normalise_text]"] {
        let dir = try temporaryFolder("synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        experiment: synth-bench
        seed: 3
        nodes:
          split:
            kind: synth_corpus
            params: {per_class: 200, shift: \(shift)}
        """.write(to: dir.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
        let start = Date()
        let summary = try await runExperiment(dir)
        let store = try ArtifactStore(root: dir.appendingPathComponent("store"))
        let split = try Split(artifact: ArtifactFile.read(from: store.objectURL(Digest(hex: summary.nodes[0].outputs["split"] ?? "")!)))
        let audio = split.items.reduce(0) { $0 + $1.duration }
        print(String(format: "synth_corpus 200 + 200, shift %@: %.1f s wall (%d items, %.0f s of audio, %@)", shift, Date().timeIntervalSince(start),
                     split.items.count, audio, summary.nodes[0].status.rawValue))
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first ?? "all" {
    case "decode": try decodeBenchmark()
    case "noop": try await noopBenchmark()
    case "noop-rerun": try await noopRerun(URL(fileURLWithPath: arguments[1]))
    case "synth": try await synthBenchmark()
    case "sources": try await SourcesBench.run()
    case "all":
        try decodeBenchmark()
        try await noopBenchmark()
        try await synthBenchmark()
    default:
        FileHandle.standardError.write(Data("usage: data-bench [decode|noop|synth|sources|all]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("data-bench: \(error)\n".utf8))
    exit(1)
}
