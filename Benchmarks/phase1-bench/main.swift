// Phase 1 benchmark: Earshot vs the reference tools on the same inputs and parameters, side by side.
//
//   taskset -c 0 swift run -c release phase1-bench acoustic [FILE.wav ...]
//   taskset -c 0 swift run -c release phase1-bench learn [--documents 5000] [--repeats 3]
//
// acoustic: the full acoustic feature set (MFCC 13/40 Slaney, centroid, bandwidth, rolloff, RMS, ZCR, YIN
//   50–500 Hz; n_fft 512, hop 160, 16 kHz) through `AcousticDescriptors.pooled`, timed in thread CPU time,
//   then `Benchmarks/acoustic_reference.py` (librosa, same parameters, thread CPU time) on the same files.
//   Loading is not timed on either side. Without files, sixty 10 s speech-like clips (utterance-sized) are
//   synthesised first.
// learn: `Benchmarks/learn_reference.py` writes 5,000 documents and scikit-learn's 10 stratified folds, and
//   times 10-fold TfidfVectorizer(1, 2) + LogisticRegression(C=1); Earshot runs `classify`'s pipeline
//   (`BlindClassifier` on a `text` feature table: per-fold TokenizedCorpus TF-IDF + L-BFGS) with those folds.
// Python: $EARSHOT_PYTHON, else the checkout's .bench-venv/bin/python (made by scripts/bench-env.sh). Run under `taskset -c 0` for one core (the
// Python child inherits the affinity).
import EarshotAudio
import EarshotFeatures
import EarshotLearn
import EarshotNodes
import Foundation

let benchmarks = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
let python = ProcessInfo.processInfo.environment["EARSHOT_PYTHON"]
    ?? benchmarks.deletingLastPathComponent().appendingPathComponent(".bench-venv/bin/python").path

/// CPU time of the calling thread, in seconds.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// CPU time of this process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Runs the reference script and returns its last stdout line parsed as JSON.
func reference(_ script: String, _ arguments: [String]) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [benchmarks.appendingPathComponent(script).path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw BenchError("\(script) failed (status \(process.terminationStatus))")
    }
    return json
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Sixty 10 s speech-like clips: a glottal pulse train (f0 drifting 90–240 Hz) through two moving formant
/// resonators, 4 Hz syllabic envelope with pauses, plus low-level noise. Seeded, so runs compare.
func synthesiseClips(in directory: URL) throws -> [URL] {
    var generator = SplitMix64(seed: 42)
    let rate = 16_000.0
    return try (0..<60).map { clip in
        var samples = [Float](repeating: 0, count: 10 * 16_000)
        var phase = 0.0, y1 = 0.0, y2 = 0.0, z1 = 0.0, z2 = 0.0
        for n in samples.indices {
            let t = Double(n) / rate
            let f0 = 165 + 75 * sin(2 * .pi * (0.13 + 0.002 * Double(clip)) * t)
            phase += f0 / rate
            var source = 0.0
            if phase >= 1 { phase -= 1; source = 1 }
            let f1 = 500 + 250 * sin(2 * .pi * 2.1 * t), f2 = 1500 + 600 * sin(2 * .pi * 1.3 * t + 1)
            func resonate(_ x: Double, _ f: Double, _ a: inout Double, _ b: inout Double) -> Double {
                let r = 0.97, c = 2 * r * cos(2 * .pi * f / rate)
                let y = x + c * a - r * r * b
                b = a; a = y
                return y
            }
            let voiced = resonate(source, f1, &y1, &y2) + 0.5 * resonate(source, f2, &z1, &z2)
            let syllable = max(0, sin(2 * .pi * 4 * t)) * (sin(2 * .pi * 0.3 * t) > -0.7 ? 1 : 0)
            let noise = (generator.nextUnitDouble() - 0.5) * 0.01
            samples[n] = Float(0.05 * voiced * syllable + noise)
        }
        let url = directory.appendingPathComponent("speechlike_\(clip).wav")
        try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: url)
        return url
    }
}

func acoustic(_ paths: [String]) throws {
    var files = paths.map { URL(fileURLWithPath: $0) }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("phase1-bench-\(getpid())")
    defer { try? FileManager.default.removeItem(at: scratch) }
    if files.isEmpty {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        files = try synthesiseClips(in: scratch)
    }
    let descriptors = try AcousticDescriptors()
    _ = try descriptors.pooled((0..<16_000).map { Float(sin(Double($0) * 0.05)) * 0.1 })  // warm-up (plans, pages)
    var compute = 0.0, audioSeconds = 0.0
    for url in files {
        let audio = try AudioLoader.load(url, targetRate: 16_000)
        audioSeconds += Double(audio.samples.count) / 16_000
        let start = threadCPUSeconds()
        let pooled = try descriptors.pooled(audio.samples)
        compute += threadCPUSeconds() - start
        guard pooled.values.allSatisfy(\.isFinite) else { throw BenchError("non-finite features for \(url.path)") }
    }
    let librosa = try reference("acoustic_reference.py", files.map(\.path))
    let theirs = librosa["compute_seconds"] as? Double ?? .nan
    print(String(format: "acoustic, one core, thread cpu, %.0f s of 16 kHz audio in %d files:", audioSeconds, files.count))
    print(String(format: "  earshot  %8.3f s  (%7.2f s per audio hour)", compute, compute / audioSeconds * 3600))
    print(String(format: "  librosa  %8.3f s  (%7.2f s per audio hour, librosa %@)", theirs, theirs / audioSeconds * 3600,
                 librosa["version"] as? String ?? "?"))
    print(String(format: "  librosa / earshot = %.1f×", theirs / compute))
}

func learn(documents: Int, repeats: Int) throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("phase1-bench-learn-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let tsv = scratch.appendingPathComponent("documents.tsv"), foldsURL = scratch.appendingPathComponent("folds.txt")
    let sklearn = try reference("learn_reference.py", ["--tsv", tsv.path, "--documents", "\(documents)",
                                                        "--folds-out", foldsURL.path, "--repeats", "\(repeats)"])
    var texts: [String] = [], labels: [Bool] = []
    for line in try String(contentsOf: tsv, encoding: .utf8).split(separator: "\n") {
        guard let tab = line.firstIndex(of: "\t") else { continue }
        labels.append(line[..<tab] == "1")
        texts.append(String(line[line.index(after: tab)...]))
    }
    let folds = try String(contentsOf: foldsURL, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
    let table = FeatureTable(name: "text", ids: texts.indices.map { "d\($0)" },
                             content: .text(documents: texts, settings: .init()))
    let classifier = BlindClassifier(folds: 10, seed: 0, c: 1)
    var bestWall = Double.infinity, bestCPU = Double.infinity, scores: [Double] = []
    for _ in 0..<repeats {
        let wall = wallSeconds(), cpu = processCPUSeconds()
        scores = try classifier.outOfFold(tables: [table], labels: labels, foldAssignments: folds)
        bestWall = min(bestWall, wallSeconds() - wall)
        bestCPU = min(bestCPU, processCPUSeconds() - cpu)
    }
    let auc = try ROC.rocAUC(scores: scores, labels: labels)
    let theirs = sklearn["seconds"] as? Double ?? .nan, theirAUC = sklearn["auc"] as? Double ?? .nan
    print("10-fold tf-idf (1-2 grams) + logistic regression, \(texts.count) documents, scikit-learn's folds, best of \(repeats):")
    print(String(format: "  earshot       %7.3f s wall (%7.3f s cpu, all threads)  auc %.6f", bestWall, bestCPU, auc))
    print(String(format: "  scikit-learn  %7.3f s wall                              auc %.6f (scikit-learn %@)", theirs, theirAUC,
                 sklearn["version"] as? String ?? "?"))
    print(String(format: "  scikit-learn / earshot = %.1f× (wall);  |Δauc| = %.2g", theirs / bestWall, abs(auc - theirAUC)))
}

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}
do {
    switch arguments.first {
    case "acoustic": try acoustic(Array(arguments.dropFirst()))
    case "learn": try learn(documents: option("--documents", 5000), repeats: option("--repeats", 3))
    default:
        print("usage: phase1-bench acoustic [FILE.wav ...] | learn [--documents N] [--repeats R]")
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("phase1-bench: \(error)\n".utf8))
    exit(1)
}
