import EarshotProcess
import Foundation

/// `earshot-bench command-noop [N]` (default 10,000): the no-op re-run of an experiment of N independent `command`
/// nodes, once with steps that run `bash -c …` (a 1.2 MB interpreter) and once with steps that run a tiny `sh`
/// script of the experiment's folder. Program identity is hashed once per file per process, not once per node,
/// so both re-runs should take the same time (target: under 1 s, and bash no slower than the script).
///
/// Each experiment is run once to fill its store, then re-run three times; the figure is the fastest re-run. All
/// runs use the `earshot` executable beside this program (a fresh process each: nothing cached in memory).
enum CommandNoopBench {
    static func main(_ arguments: [String]) throws -> Int32 {
        let n = arguments.first.flatMap { Int($0) } ?? 10_000
        let earshot = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("earshot").path
        guard FileManager.default.isExecutableFile(atPath: earshot) else {
            FileHandle.standardError.write(Data("earshot-bench command-noop: no '\(earshot)'; build it: swift build -c release --product earshot\n".utf8))
            return 2
        }
        print("command no-op re-run, \(n) nodes (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        var figures: [String: Double] = [:]
        for variant in ["bash -c", "tiny script"] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-command-noop-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try "#!/bin/sh\necho \"$1\" > \"$2/x.txt\"\n".write(to: dir.appendingPathComponent("step.sh"), atomically: true, encoding: .utf8)
            chmod(dir.appendingPathComponent("step.sh").path, 0o755)
            var yaml = "experiment: command_noop\nnodes:\n"
            for i in 0..<n {
                let run = variant == "bash -c" ? #"[bash, -c, 'echo "$0" > "$1/x.txt"', '\#(i)', '{out}']"# : "[./step.sh, '\(i)', '{out}']"
                yaml += "  c\(i): {kind: command, params: {run: \(run), outputs: [x.txt]}}\n"
            }
            try yaml.write(to: dir.appendingPathComponent("exp.yaml"), atomically: true, encoding: .utf8)
            let (first, tFirst) = try run(earshot, ["run", "exp.yaml", "--store", "store", "--jobs", "4", "--quiet", "--json"], in: dir)
            guard first.ran == n else { throw BenchError("\(variant): first run did not run \(n) nodes: \(first.text.prefix(300))") }
            var best = Double.infinity
            for _ in 0..<3 {
                let (again, t) = try run(earshot, ["run", "exp.yaml", "--store", "store", "--quiet", "--json"], in: dir)
                guard again.ran == 0, again.cached == n else { throw BenchError("\(variant): re-run was not a no-op: \(again.text.prefix(300))") }
                best = min(best, t)
            }
            figures[variant] = best
            print(String(format: "  %-12@ first run %7.2f s; no-op re-run %.3f s (fastest of 3)", variant as NSString, tFirst, best))
            fflush(nil)
        }
        let bash = figures["bash -c"]!, script = figures["tiny script"]!
        print(String(format: "  bash -c / tiny script: %.2f×; target: ≤ 1 (within noise) and both < 1 s", bash / script))
        return 0
    }

    struct Summary { var ran: Int; var cached: Int; var text: String }
    struct BenchError: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    static func run(_ program: String, _ arguments: [String], in dir: URL) throws -> (Summary, Double) {
        let start = DispatchTime.now()
        let r = try ChildProcess.output(program: program, arguments: arguments, directory: dir.path)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let text = String(decoding: r.stdout, as: UTF8.self)
        let json = (try? JSONSerialization.jsonObject(with: r.stdout)) as? [String: Any]
        guard r.termination.succeeded, let json else {
            throw BenchError("earshot \(arguments.joined(separator: " ")) \(r.termination): \(String(decoding: r.stderr.suffix(600), as: UTF8.self))")
        }
        return (Summary(ran: json["ran"] as? Int ?? -1, cached: json["cached"] as? Int ?? -1, text: text), seconds)
    }
}
