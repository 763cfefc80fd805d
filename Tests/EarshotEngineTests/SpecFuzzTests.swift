import EarshotLearn
import EarshotNodes
import EarshotSpec
import Foundation
import Testing

/// The hostile-user campaign of issue 13 as a seeded test: mutants of every experiment file and boundary values of
/// every numeric param (from `earshot kinds --json`) go through `earshot validate`, and what validates through
/// `earshot run` on tiny corpora. The binary runs as a subprocess, so a trap shows as a signal: none may occur,
/// exit codes are 0, 1 or 2 (130 only when the test itself interrupted a long run), and every error names a
/// location (file:line:col) or a node.
@Suite(.serialized) struct SpecFuzzTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FuzzCorpus.write(in: dir)
    }

    // MARK: mutants of the experiment files

    @Test func mutantsOfEveryExperimentFile() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = repositoryRoot.appendingPathComponent("experiments")
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 3)
        for (index, file) in files.enumerated() {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            // The mutants live in a folder of their own beside a copy of the tiny corpus (relative paths then miss,
            // which runs must report as a node's error).
            let folder = dir.appendingPathComponent("mutants-\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let source = root.appendingPathComponent(file).deletingLastPathComponent()
            for aux in try FileManager.default.contentsOfDirectory(atPath: source.path) where aux.hasSuffix(".py") {
                try? FileManager.default.copyItem(at: source.appendingPathComponent(aux), to: folder.appendingPathComponent(aux))
            }
            var rng = FuzzRandom(seed: 0xEA25_0013 &+ UInt64(index))
            var mutants: [URL] = []
            for m in 0..<FuzzCorpus.mutantsPerFile {
                let url = folder.appendingPathComponent("m\(m).yaml")
                try Mutator.mutate(text, rng: &rng).write(to: url, atomically: true, encoding: .utf8)
                mutants.append(url)
            }
            let outcomes = FuzzProcess.parallel(mutants.map { ["validate", $0.path] }, in: folder)
            var valid: [URL] = []
            for (url, outcome) in zip(mutants, outcomes) {
                outcome.check("validate \(file) mutant \(url.lastPathComponent)", allowed: [0, 2])
                if outcome.status == 0 { valid.append(url) }
            }
            #expect(valid.count < mutants.count, "mutations should break some files")
            #expect(!valid.isEmpty, "some mutants of \(file) should still validate")
            print("fuzz: \(file): \(mutants.count) mutants, \(valid.count) validate, \(min(valid.count, FuzzCorpus.runsPerFile)) run")
            // Run a sample of what validates, shrunk to tiny corpora, on one store (unchanged nodes are cache hits).
            for url in valid.prefix(FuzzCorpus.runsPerFile) {
                let args = ["run", url.path, "--store", folder.appendingPathComponent("store").path, "--keep-going", "--jobs", "2"]
                    + FuzzCorpus.tinyOverrides(for: url)
                FuzzProcess.run(args, in: folder).check("run \(file) mutant \(url.lastPathComponent)", allowed: [0, 1, 2])
            }
        }
    }

    // MARK: boundary values of every numeric param

    @Test func boundaryValuesOfEveryNumericParam() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let listed = FuzzProcess.run(["kinds", "--json"], in: dir)
        #expect(listed.status == 0)
        guard case .array(let kinds) = try JSONReader.parse(listed.stdout) else { Issue.record("kinds --json is not a list"); return }
        let store = dir.appendingPathComponent("store").path
        // The whole base experiment first: every later run recomputes only the node it changes.
        FuzzProcess.run(["run", FuzzCorpus.write(FuzzCorpus.nodes.map(\.id), in: dir, name: "all").path, "--store", store],
                        in: dir).check("run the base experiment", allowed: [0])
        var cases = 0, ran = 0
        for kind in kinds {
            let name = kind.objectValue?["name"]?.stringValue ?? ""
            guard let node = FuzzCorpus.nodes.first(where: { $0.kind == name }) else {
                Issue.record("the fuzz base experiment has no node of kind '\(name)'; add one to FuzzCorpus.nodes")
                continue
            }
            let file = FuzzCorpus.write(FuzzCorpus.ancestors(of: node.id), in: dir, name: node.id)
            for param in kind.objectValue?["params"]?.arrayValue ?? [] {
                let paramName = param.objectValue?["name"]?.stringValue ?? ""
                guard let bounds = Boundaries(type: param.objectValue?["type"]?.stringValue ?? "") else { continue }
                for (value, inRange) in bounds.values {
                    cases += 1
                    let override = ["-p", "\(node.id).\(paramName)=\(value)"]
                    let what = "\(name).\(paramName) = \(value)"
                    let validated = FuzzProcess.run(["validate", file.path] + override, in: dir)
                    validated.check("validate \(what)", allowed: inRange ? [0] : [2])
                    if !inRange {
                        #expect(validated.stderr.contains("param '\(paramName)' must be"), "validate \(what): \(validated.stderr)")
                    }
                    guard validated.status == 0 else { continue }
                    ran += 1
                    FuzzProcess.run(["run", file.path, "--store", store] + override, in: dir).check("run \(what)", allowed: [0, 1])
                }
            }
        }
        #expect(cases > 200)
        print("fuzz: \(cases) boundary values, \(ran) validated and ran")
    }
}

/// The numeric range of a param type as `earshot kinds` prints it (`int in [2, 1000]`, `double in [0.0, 1.0] or
/// null`), and the values tried: both bounds, just outside them, and absurd magnitudes.
struct Boundaries {
    var values: [(text: String, inRange: Bool)] = []

    init?(type: String) {
        guard let match = type.firstMatch(of: /^(int|double) in \[(-?[0-9.e+]+), (-?[0-9.e+]+)\]/) else { return nil }
        if match.1 == "int" {
            guard let lo = Int(match.2), let hi = Int(match.3) else { return nil }
            let inside = Set([lo, hi])
            var tried = [lo, hi, lo &- 1, hi &+ 1, 1 << 62, Int.max, Int.min, 1_000_000]
            tried = tried.filter { !(($0 == Int.max && lo == Int.min) || ($0 == Int.min && lo == Int.min)) }
            var seen = Set<Int>()
            for v in tried where seen.insert(v).inserted {
                values.append((String(v), inside.contains(v) || (lo...hi).contains(v)))
            }
        } else {
            guard let lo = Double(match.2), let hi = Double(match.3) else { return nil }
            var seen = Set<Double>()
            for v in [lo, hi, lo - 1, hi + 1, hi * 2 + 1, 1e308, -1e308] where seen.insert(v).inserted {
                values.append(("\(v)", (lo...hi).contains(v)))
            }
        }
    }
}

/// What one `earshot` process did.
struct FuzzOutcome {
    var status: Int32
    var signalled: Bool
    var interrupted: Bool
    var stdout: String
    var stderr: String

    /// No signal, an allowed exit code, and an error that names where.
    func check(_ what: String, allowed: Set<Int32>) {
        #expect(!signalled, "\(what): killed by signal \(status)\n\(stderr.suffix(2_000))")
        if signalled { return }
        if interrupted {
            print("fuzz: \(what) still ran after \(Int(FuzzProcess.softLimit)) s; interrupted")
            #expect(status == 130, "\(what): interrupted by the test's watchdog, exited \(status)")
            return
        }
        #expect(allowed.contains(status), "\(what): exit \(status), expected one of \(allowed.sorted())\n\(stderr.suffix(2_000))")
        if status != 0 {
            let located = stderr.contains(/:[0-9]+:[0-9]+: error:/) || stderr.contains("node '") || stderr.contains("<command line -p")
            #expect(located, "\(what): the error names no location and no node:\n\(stderr.suffix(2_000))")
        }
    }
}

enum FuzzProcess {
    /// A run still going after this long is interrupted (SIGINT) and must then exit 130 within `exitBound`.
    static let softLimit: TimeInterval = 15
    static let exitBound: TimeInterval = 120

    static func run(_ args: [String], in dir: URL) -> FuzzOutcome {
        let p = Process()
        p.executableURL = earshotBinary
        p.arguments = args
        p.currentDirectoryURL = dir
        let id = UUID().uuidString
        let out = dir.appendingPathComponent(".out-\(id)"), err = dir.appendingPathComponent(".err-\(id)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        do {
            let o = try FileHandle(forWritingTo: out), e = try FileHandle(forWritingTo: err)
            defer { try? o.close(); try? e.close() }
            p.standardOutput = o
            p.standardError = e
            p.standardInput = FileHandle.nullDevice
            let exited = DispatchSemaphore(value: 0)
            p.terminationHandler = { _ in exited.signal() }
            try p.run()
            var interrupted = false
            if exited.wait(timeout: .now() + softLimit) == .timedOut {
                interrupted = true
                kill(p.processIdentifier, SIGINT)
                if exited.wait(timeout: .now() + exitBound) == .timedOut {
                    kill(p.processIdentifier, SIGKILL)
                    exited.wait()
                    Issue.record("earshot \(args.joined(separator: " ")) did not end within \(Int(exitBound)) s of SIGINT")
                }
            }
            let signalled = p.terminationReason == .uncaughtSignal && !(interrupted && p.terminationStatus == SIGINT)
            return FuzzOutcome(status: p.terminationStatus, signalled: signalled, interrupted: interrupted,
                               stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        } catch {
            Issue.record("cannot start earshot: \(error)")
            return FuzzOutcome(status: -1, signalled: false, interrupted: false, stdout: "", stderr: "")
        }
    }

    /// Runs each argument list, a few at a time; results in order.
    static func parallel(_ commands: [[String]], in dir: URL) -> [FuzzOutcome] {
        let results = FuzzResults(count: commands.count)
        let width = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        let next = FuzzResults.Counter()
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            while true {
                let i = next.take()
                guard i < commands.count else { return }
                results.set(i, run(commands[i], in: dir))
            }
        }
        return results.all
    }
}

/// Outcomes written by index from concurrent workers.
/// Thread-safety: `@unchecked Sendable` because `items` is guarded by `lock`.
final class FuzzResults: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FuzzOutcome?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ o: FuzzOutcome) { lock.withLock { items[i] = o } }
    var all: [FuzzOutcome] { lock.withLock { items.map { $0! } } }

    /// Thread-safety: `@unchecked Sendable` because `value` is guarded by `lock`.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take() -> Int { lock.withLock { defer { value += 1 }; return value } }
    }
}

/// The mutants depend on the seed only: EarshotLearn's SplitMix64, with the modulo draws the fuzz corpus was
/// made with (kept so the seeded mutants stay the same).
typealias FuzzRandom = SplitMix64

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
