import EarshotProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `earshot-bench stress`: DAGs of tiny shell steps run by the `earshot` executable under a low open-file limit,
/// to completion, with a watchdog; steps/s overall and per tenth of the run, beside Snakemake on the same DAG.
///
///     earshot-bench stress [--nodes 10000,50000] [--jobs 2,16] [--repeats 5] [--ulimit 1024]
///                          [--bound-base 120] [--bound-per-step 0.05] [--snakemake-repeats 1] [--snakemake-bound S]
///                          [--no-snakemake] [--keep]
///
/// The DAG: chains of 10 `command` nodes; a chain's first step writes its number, each next one copies its
/// predecessor's file and appends its own (`sh -c`, no other program). Snakemake runs the same steps from one
/// wildcard rule (`Snakefile` generated beside the experiment). Both run under `ulimit -n LIMIT` (soft and hard).
/// Watchdog: a run that has not ended after `bound-base + bound-per-step × nodes` seconds is killed and counted
/// as a failure (the benchmark exits 1). Snakemake gets the same bound, or `--snakemake-bound` seconds: a Snakemake
/// run stopped by it is reported with the steps it finished and their rate (it does not fail the benchmark). Per tenth: completion times are the mtimes of the results each tool
/// records (earshot's action records, Snakemake's output files), sorted; tenth k's rate is N/10 divided by the
/// time between the end of tenth k-1 (the run's start for k = 0) and the end of tenth k.
/// `--keep` leaves each run's folder in the temporary directory (removing a 50,000-node store takes minutes of disk
/// I/O between runs; the folders are named on the report's lines, to remove afterwards).
/// Earshot comes from the build folder beside this program (`swift build -c release --product earshot`);
/// Snakemake from `.bench-venv` (`scripts/bench-env.sh`) or $EARSHOT_SNAKEMAKE.
enum StressBench {
    struct Options {
        var nodes = [10_000, 50_000]
        var jobs = [2, 16]
        var repeats = 5
        var limit = 1024
        var boundBase = 120.0
        var boundPerStep = 0.05
        var snakemakeRepeats = 1
        var snakemakeBound: Double?
        var snakemake = true
        var keep = false
    }

    struct Outcome {
        var seconds: Double
        var tenths: [Double]
        var ok: Bool
        var note: String
        /// Steps per second of a run the watchdog stopped (steps finished over the bound).
        var partialRate: Double? = nil
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func main(_ arguments: [String]) throws -> Int32 {
        var options = Options()
        var args = arguments[...]
        func list(_ v: String?) -> [Int] { (v ?? "").split(separator: ",").compactMap { Int($0) } }
        while let a = args.popFirst() {
            switch a {
            case "--nodes": options.nodes = list(args.popFirst())
            case "--jobs": options.jobs = list(args.popFirst())
            case "--repeats": options.repeats = Int(args.popFirst() ?? "") ?? options.repeats
            case "--ulimit": options.limit = Int(args.popFirst() ?? "") ?? options.limit
            case "--bound-base": options.boundBase = Double(args.popFirst() ?? "") ?? options.boundBase
            case "--bound-per-step": options.boundPerStep = Double(args.popFirst() ?? "") ?? options.boundPerStep
            case "--snakemake-repeats": options.snakemakeRepeats = Int(args.popFirst() ?? "") ?? options.snakemakeRepeats
            case "--snakemake-bound": options.snakemakeBound = Double(args.popFirst() ?? "")
            case "--no-snakemake": options.snakemake = false
            case "--keep": options.keep = true
            default:
                FileHandle.standardError.write(Data("earshot-bench stress: unknown argument '\(a)'\n".utf8))
                return 2
            }
        }
        let earshot = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("earshot").path
        guard FileManager.default.isExecutableFile(atPath: earshot) else {
            FileHandle.standardError.write(Data("earshot-bench stress: no '\(earshot)'; build it: swift build -c release --product earshot\n".utf8))
            return 2
        }
        let snakemake = ProcessInfo.processInfo.environment["EARSHOT_SNAKEMAKE"] ?? repository.appendingPathComponent(".bench-venv/bin/snakemake").path
        if options.snakemake && !FileManager.default.isExecutableFile(atPath: snakemake) {
            FileHandle.standardError.write(Data("earshot-bench stress: no Snakemake at '\(snakemake)'; run scripts/bench-env.sh (or pass --no-snakemake)\n".utf8))
            return 2
        }
        print("earshot stress benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, ulimit -n \(options.limit), "
              + "watchdog \(options.boundBase) s + \(options.boundPerStep) s/step, \(options.repeats) runs each")
        var failures = 0
        for n in options.nodes {
            let bound = options.boundBase + options.boundPerStep * Double(n)
            for jobs in options.jobs {
                var earshotRates: [Double] = []
                for r in 1...max(1, options.repeats) {
                    let outcome = try runOnce(tool: "earshot", nodes: n, jobs: jobs, limit: options.limit, bound: bound, earshot: earshot,
                                              snakemake: snakemake, keep: options.keep)
                    report("earshot", n: n, jobs: jobs, run: r, outcome)
                    if outcome.ok { earshotRates.append(Double(n) / outcome.seconds) } else { failures += 1 }
                }
                var snakemakeRates: [Double] = []
                var snakemakePartial: [Double] = []
                if options.snakemake {
                    for r in 0..<options.snakemakeRepeats {
                        let outcome = try runOnce(tool: "snakemake", nodes: n, jobs: jobs, limit: options.limit,
                                                  bound: options.snakemakeBound ?? bound, earshot: earshot, snakemake: snakemake,
                                                  keep: options.keep)
                        report("snakemake", n: n, jobs: jobs, run: r + 1, outcome)
                        if outcome.ok { snakemakeRates.append(Double(n) / outcome.seconds) } else if let r = outcome.partialRate { snakemakePartial.append(r) }
                    }
                }
                let e = median(earshotRates)
                // A Snakemake run stopped by its watchdog counts with the rate it had reached (marked "stopped").
                let s = median(snakemakeRates) ?? median(snakemakePartial)
                let stopped = snakemakeRates.isEmpty && !snakemakePartial.isEmpty ? " (stopped by the watchdog)" : ""
                print(String(format: "== %d nodes, --jobs %d: earshot %@ steps/s (median of %d), snakemake %@ steps/s%@%@", n, jobs,
                             e.map { String(format: "%.1f", $0) } ?? "n/a", earshotRates.count,
                             s.map { String(format: "%.1f", $0) } ?? "n/a", stopped as NSString,
                             (e != nil && s != nil) ? String(format: ", ratio %.2f×", e! / s!) : ""))
                fflush(nil)
            }
        }
        print(failures == 0 ? "stress: every earshot run completed" : "stress: \(failures) earshot run(s) FAILED (error or watchdog)")
        return failures == 0 ? 0 : 1
    }

    static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func report(_ tool: String, n: Int, jobs: Int, run: Int, _ o: Outcome) {
        let tenths = o.tenths.map { String(format: "%.0f", $0) }.joined(separator: " ")
        let trend = o.tenths.count == 10 ? String(format: " (last/first tenth %.2f)", o.tenths[9] / max(o.tenths[0], 1e-9)) : ""
        // A run that did not finish has no overall rate (its note says how far it got).
        let rate = o.ok ? String(format: "%7.1f steps/s", Double(n) / o.seconds) : "      — steps/s"
        print(String(format: "%-9@ %6d nodes  --jobs %-2d run %d: %@ %8.2f s  %@  per tenth: [%@]%@%@", tool as NSString, n, jobs, run,
                     (o.ok ? "ok  " : "FAIL") as NSString, o.seconds, rate as NSString, tenths as NSString, trend as NSString,
                     (o.note.isEmpty ? "" : " — " + o.note) as NSString))
        fflush(nil)  // each figure as soon as it is measured, also into a file
    }

    /// The step: a chain's first node writes its number; the next ones copy the previous file and append theirs.
    static let step = #"if [ -n "$1" ]; then cat "$1" > "$2"; fi; echo "$0" >> "$2""#

    static func experiment(nodes n: Int) -> String {
        var yaml = "experiment: stress\nnodes:\n"
        yaml.reserveCapacity(n * 120)
        for i in 0..<n {
            if i % 10 == 0 {
                yaml += "  s\(i): {kind: command, params: {run: [sh, -c, '\(step)', '\(i)', '', '{out}/x.txt'], outputs: {x: x.txt}}}\n"
            } else {
                yaml += "  s\(i): {kind: command, inputs: {prev: s\(i - 1).x}, params: {run: [sh, -c, '\(step)', '\(i)', '{in.prev}', '{out}/x.txt'], outputs: {x: x.txt}}}\n"
            }
        }
        return yaml
    }

    static func snakefile(nodes n: Int) -> String {
        """
        N = \(n)

        rule all:
            input: expand("out/{i}.txt", i=range(N))

        def previous(wildcards):
            i = int(wildcards.i)
            return [] if i % 10 == 0 else [f"out/{i - 1}.txt"]

        rule step:
            input: previous
            output: "out/{i}.txt"
            shell: "if [ -n '{input}' ]; then cat '{input}' > '{output}'; fi; echo '{wildcards.i}' >> '{output}'"

        """
    }

    static func runOnce(tool: String, nodes n: Int, jobs: Int, limit: Int, bound: Double, earshot: String, snakemake: String,
                        keep: Bool) throws -> Outcome {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-stress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if keep { print("  kept \(dir.path)") } else { try? FileManager.default.removeItem(at: dir) } }
        let command: [String]
        if tool == "earshot" {
            try experiment(nodes: n).write(to: dir.appendingPathComponent("stress.yaml"), atomically: true, encoding: .utf8)
            command = [earshot, "run", "stress.yaml", "--store", "store", "--jobs", String(jobs), "--quiet", "--json"]
        } else {
            try snakefile(nodes: n).write(to: dir.appendingPathComponent("Snakefile"), atomically: true, encoding: .utf8)
            command = [snakemake, "--snakefile", "Snakefile", "--cores", String(jobs), "--quiet"]
        }
        let start = Date()
        let started = try ChildProcess.spawn(program: "/bin/sh", arguments: ["-c", "ulimit -n \(limit) && exec \"$@\"", "sh"] + command,
                                             directory: dir.path, stdout: .file(dir.appendingPathComponent("stdout").path),
                                             stderr: .file(dir.appendingPathComponent("stderr").path))
        let results = tool == "earshot" ? dir.appendingPathComponent("store/actions") : dir.appendingPathComponent("out")
        guard let termination = started.process.wait(seconds: bound) else {
            started.process.terminate(grace: 10)
            started.process.wait(seconds: nil)
            let done = completionTimes(under: results).count
            return Outcome(seconds: Date().timeIntervalSince(start), tenths: [], ok: false,
                           note: String(format: "watchdog: still running after %.1f s, killed; %d of %d steps done (%.1f steps/s)",
                                        bound, done, n, Double(done) / bound),
                           partialRate: Double(done) / bound)
        }
        let seconds = Date().timeIntervalSince(start)
        let stderr = (try? String(contentsOf: dir.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        guard termination.succeeded else {
            return Outcome(seconds: seconds, tenths: [], ok: false, note: "\(termination); stderr ends: \(stderr.suffix(600))")
        }
        let times = completionTimes(under: results)
        guard times.count == n else {
            return Outcome(seconds: seconds, tenths: [], ok: false, note: "\(times.count) results recorded, expected \(n)")
        }
        if tool == "earshot" {
            let summary = (try? String(contentsOf: dir.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
            guard let json = try? JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any],
                  json["ran"] as? Int == n, json["failed"] as? Int == 0 else {
                return Outcome(seconds: seconds, tenths: [], ok: false, note: "summary does not say \(n) ran: \(summary.prefix(200))")
            }
        }
        var tenths: [Double] = []
        var previous = start.timeIntervalSince1970
        for k in 0..<10 {
            let end = times[min(n - 1, (k + 1) * n / 10 - 1)]
            tenths.append(Double(n / 10) / max(end - previous, 1e-6))
            previous = end
        }
        return Outcome(seconds: seconds, tenths: tenths, ok: true, note: "")
    }

    /// Modification times (seconds since 1970) of the regular files under `root`, sorted.
    static func completionTimes(under root: URL) -> [Double] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var times: [Double] = []
        for case let url as URL in walker {
            var st = stat()
            guard stat(url.path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, url.pathExtension != "tmp" else { continue }
            times.append(Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        }
        return times.sorted()
    }
}
