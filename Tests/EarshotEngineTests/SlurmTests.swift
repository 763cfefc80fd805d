import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import EarshotTestKinds
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Set by the CI test script after `scripts/slurm-up.sh` has brought up a single-node cluster.
let slurmAvailable = ProcessInfo.processInfo.environment["EARSHOT_SLURM"] == "1"

@Suite(.serialized, .enabled(if: slurmAvailable, "needs a Slurm cluster: run scripts/slurm-up.sh (as root) and set EARSHOT_SLURM=1"))
struct SlurmTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-slurm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    @Test func slurmRunsProduceTheSameArtifactsAsLocalRuns() throws {
        try writeLoggedDiamond(in: dir, seconds: 0.1)
        let local = try earshot(["run", "shared.yaml", "--store", "local", "--json"], in: dir)
        #expect(local.status == 0, "\(local.stderr)")
        let slurm = try earshot(["run", "shared.yaml", "--store", "slurm", "--executor", "slurm", "--json"], in: dir)
        #expect(slurm.status == 0, "\(slurm.stderr)")
        #expect(runCounts(slurm.stdout)?.ran == 4, "\(slurm.stdout)")
        #expect(objectNames(dir.appendingPathComponent("slurm")) == objectNames(dir.appendingPathComponent("local")),
                "byte-identical artifacts from sbatch jobs and from the local executor")
        #expect(executions(in: dir) == ["a", "a", "b", "b", "c", "c", "d", "d"], "each executor computed each node once")
        let logs = FileSystem.files(under: dir.appendingPathComponent("slurm/slurm/shared")).filter { $0.lastPathComponent.hasPrefix("slurm-") }
        #expect(logs.count == 4, "one job (and one log) per node")
        #expect(try earshot(["cache", "verify", "--store", "slurm"], in: dir).status == 0)
        let again = try earshot(["run", "shared.yaml", "--store", "slurm", "--executor", "slurm", "--json"], in: dir)
        #expect(runCounts(again.stdout)?.ran == 0, "cached nodes submit no jobs")
    }

    @Test func aFailedJobIsReportedWithItsLog() throws {
        try """
        experiment: broken
        nodes:
          ok: {kind: command, params: {run: [python3, -c, "open('{out}/x.txt', 'w').write('fine')"], outputs: [x.txt]}}
          crash:
            kind: command
            inputs: {after: ok}
            resources: {cpus: 1, time: "00:05:00"}
            params: {run: [python3, -c, "import sys; sys.stderr.write('model weights not found\\\\n'); sys.exit(3)"], outputs: [x.txt]}
        """.write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let r = try earshot(["run", "bad.yaml", "--store", "s", "--executor", "slurm"], in: dir)
        #expect(r.status == 1)
        let pattern = #/slurm job (\d+) ended FAILED \(exit code 1:0\); (\S+/slurm-\1\.out) ends with:/#
        let match = try #require(r.stderr.firstMatch(of: pattern), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: String(match.2)))
        #expect(r.stderr.contains("command 'python3' of node 'crash' exited with status 3; stderr ends with:\nmodel weights not found"), "\(r.stderr)")
        #expect(FileSystem.files(under: dir.appendingPathComponent("s/actions")).count == 1, "only 'ok' was recorded")
    }

    @Test func interruptingTheRunCancelsItsJobs() throws {
        try """
        experiment: long
        nodes:
          sleeper: {kind: command, params: {run: [python3, -c, "import time; time.sleep(120)"], outputs: [never.txt]}}
        """.write(to: dir.appendingPathComponent("long.yaml"), atomically: true, encoding: .utf8)
        let run = try BackgroundEarshot(["run", "long.yaml", "--store", "s", "--executor", "slurm"], in: dir)
        let deadline = Date().addingTimeInterval(300)
        var jobID: String?
        while jobID == nil, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            let q = try shell("squeue", "-h", "-t", "RUNNING", "-n", "earshot:long:sleeper", "-o", "%i")
            jobID = q.split(separator: "\n").first.map(String.init)
        }
        let id = try #require(jobID, "the job never started running")
        kill(run.process.processIdentifier, SIGINT)
        let r = run.finish()
        #expect(r.status == 130, "\(r.stderr)")
        var state = ""
        for _ in 0..<40 {
            state = try shell("squeue", "-h", "-t", "all", "-j", id, "-o", "%T").trimmingCharacters(in: .whitespacesAndNewlines)
            if state != "RUNNING" && state != "PENDING" { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(["CANCELLED", "COMPLETING", ""].contains(state), "scancel'd on Ctrl-C, not left running: '\(state)'")
    }

    func shell(_ args: String...) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite struct NodeResourcesTests {
    func graph(_ yaml: String) throws -> ExperimentGraph {
        let spec = try SpecReader().parse(yaml, file: "res.yaml", directory: "/tmp")
        return try TestKinds.registry().graph(spec)
    }

    @Test func resourcesBecomeSbatchOptions() throws {
        let g = try graph("""
        experiment: res
        nodes:
          big:
            kind: const
            resources: {cpus: 8, memory: 32G, gpus: 1, time: "02:00:00", partition: gpu, account: mia}
          small: {kind: const, resources: {cpus: 1}}
        """)
        let store = try ArtifactStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("earshot-res-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: store.root) }
        let slurm = SlurmExecutor(graph: g, registry: TestKinds.registry(), store: store, runOptions: .init(),
                                  options: .init(specFile: "/tmp/res.yaml", partition: "cpu", account: "lab"))
        let big = slurm.sbatchArguments(for: g.node("big")!)
        for flag in ["--cpus-per-task=8", "--mem=32G", "--gres=gpu:1", "--time=02:00:00", "--partition=gpu", "--account=mia"] {
            #expect(big.contains(flag), "\(big)")
        }
        let small = slurm.sbatchArguments(for: g.node("small")!)
        #expect(small.contains("--partition=cpu") && small.contains("--account=lab"), "run-wide defaults fill in: \(small)")
        #expect(!small.contains { $0.hasPrefix("--mem") || $0.hasPrefix("--gres") || $0.hasPrefix("--time") })
        #expect(small.contains("--output=\(store.root.path)/slurm/res/slurm-%j.out"))
    }

    @Test func resourcesDoNotEnterTheKey() async throws {
        let a = try graph("experiment: res\nnodes:\n  n: {kind: const, params: {value: 3}}\n")
        let b = try graph("experiment: res\nnodes:\n  n: {kind: const, params: {value: 3}, resources: {cpus: 4}}\n")
        let store = try ArtifactStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("earshot-res-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: store.root) }
        let extras = RegistryKeyExtras(registry: TestKinds.registry(), store: store)
        let pa = try await Plan.make(graph: a, store: store, extras: extras)
        let pb = try await Plan.make(graph: b, store: store, extras: extras)
        #expect(pa.entries[0].key == pb.entries[0].key)
    }

    @Test func badResourcesAreSpecErrors() throws {
        let cases = [
            ("resources: {cpu: 2}", "unknown resource 'cpu' for node 'n' (did you mean 'cpus'?)"),
            ("resources: {cpus: 0}", "resource 'cpus' of node 'n' must be an integer ≥ 1, got '0'"),
            ("resources: {memory: lots}", "resource 'memory' of node 'n' is 'lots'; write it like '16G'"),
            ("resources: {time: 2h}", "resource 'time' of node 'n' is '2h'; write it like '02:00:00'"),
            ("resources: 4", "'resources' of node 'n' must be a mapping"),
        ]
        for (text, message) in cases {
            #expect(throws: SpecError.self) { try graph("experiment: res\nnodes:\n  n:\n    kind: const\n    \(text)\n") }
            do {
                _ = try graph("experiment: res\nnodes:\n  n:\n    kind: const\n    \(text)\n")
            } catch {
                #expect("\(error)".contains("res.yaml:5:") && "\(error)".contains(message), "\(error)")
            }
        }
    }
}
