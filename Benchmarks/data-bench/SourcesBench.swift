import EarshotData
import EarshotRun
import EarshotStore
import Foundation

/// `data-bench sources`: `inspect` and `load_split` (2 × 2,500 items drawn and decoded) on a 100,000-row Hub
/// parquet source and a 100,000-supervision lhotse source (Benchmarks/make_bench_sources.py), then a no-op re-run
/// of each in a fresh process. Targets (issue 12): inspect < 10 s, load_split < 60 s, no-op re-run < 1 s.
/// Python (numpy, pyarrow): $EARSHOT_PYTHON, else the project's .venv/bin/python.
enum SourcesBench {
    /// CPU seconds (user + system) of this process, or of its waited-for children.
    static func cpuSeconds(children: Bool = false) -> Double {
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Wall and CPU (this process and its children: the parquet adapter) of `body`.
    static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, wall: Double, cpu: Double) {
        let wall0 = Date(), cpu0 = cpuSeconds() + cpuSeconds(children: true)
        let value = try await body()
        return (value, Date().timeIntervalSince(wall0), cpuSeconds() + cpuSeconds(children: true) - cpu0)
    }

    static var python: String {
        ProcessInfo.processInfo.environment["EARSHOT_PYTHON"] ?? repository.appendingPathComponent(".venv/bin/python").path
    }

    static func sides(_ data: URL) -> [(name: String, member: String, nonmember: String, member_: DatasetSource, nonmember_: DatasetSource)] {
        let hf = data.appendingPathComponent("hf").path, lhotse = data.appendingPathComponent("lhotse").path
        let columns = try! ColumnMapping(["speaker": "speaker_id"])
        return [
            ("hf_parquet",
             "{format: hf_parquet, path: \(hf), split: train, python: \(python), columns: {speaker: speaker_id}}",
             "{format: hf_parquet, path: \(hf), split: test, python: \(python), columns: {speaker: speaker_id}}",
             DatasetSource(format: .hf_parquet, path: hf, split: "train", columns: columns, python: python),
             DatasetSource(format: .hf_parquet, path: hf, split: "test", columns: columns, python: python)),
            ("lhotse", "{format: lhotse, path: \(lhotse), split: train}", "{format: lhotse, path: \(lhotse), split: test}",
             DatasetSource(format: .lhotse, path: lhotse, split: "train"), DatasetSource(format: .lhotse, path: lhotse, split: "test")),
        ]
    }

    static func run() async throws {
        let dir = try temporaryFolder("sources")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let t0 = Date()
        let make = Process()
        make.executableURL = URL(fileURLWithPath: python)
        make.arguments = [repository.appendingPathComponent("Benchmarks/make_bench_sources.py").path, data.path]
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw DataError.unusable("make_bench_sources.py failed (python \(python))") }
        print(String(format: "sources written in %.1f s (100,000 parquet rows in 20 shards; 100,000 lhotse supervisions of 100 recordings)", Date().timeIntervalSince(t0)))
        // Let the files age past the fingerprint table's racy window (2 s) so that the first run's entries are trusted.
        try await Task.sleep(nanoseconds: 2_100_000_000)
        for side in sides(data) {
            let (report, inspectWall, inspectCPU) = try await measure {
                SourceInspection.inspect([("train", try side.member_.load()), ("test", try side.nonmember_.load())])
            }
            print(String(format: "%@: inspect %.2f s wall, %.2f s CPU (target < 10 s): %d + %d items, %d + %d files, %.1f h listed", side.name, inspectWall, inspectCPU,
                         report.sides[0].items, report.sides[1].items, report.sides[0].files, report.sides[1].files,
                         report.sides[0].hours + report.sides[1].hours))
            let run = dir.appendingPathComponent(side.name)
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try """
            experiment: sources-bench
            seed: 1
            nodes:
              split:
                kind: load_split
                params:
                  member: \(side.member)
                  nonmember: \(side.nonmember)
                  per_class: 2500
            """.write(to: run.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
            let (first, firstWall, firstCPU) = try await measure { try await runExperiment(run) }
            print(String(format: "  load_split 2 × 2,500 (listing, hashing, drawing, decoding, storing): %.2f s wall, %.2f s CPU (target < 60 s), %@ %@",
                         firstWall, firstCPU, first.nodes[0].status.rawValue, first.nodes[0].reason ?? ""))
            for attempt in 1...3 {
                let start = Date(), cpu0 = cpuSeconds(children: true)
                let child = Process()
                child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
                child.arguments = ["noop-rerun", run.path]
                let pipe = Pipe()
                child.standardOutput = pipe
                try child.run()
                let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                child.waitUntilExit()
                print(String(format: "  no-op re-run #%d in a fresh process: %.3f s wall, %.3f s CPU for the whole process (target < 1 s); %@", attempt,
                             Date().timeIntervalSince(start), cpuSeconds(children: true) - cpu0, output.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }
}
