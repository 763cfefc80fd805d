import ArgumentParser
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an experiment: reuse cached results, compute the rest.",
        discussion: """
        Nodes start as soon as their inputs exist, up to --jobs at once. The first failure cancels the rest \
        unless --keep-going. Ctrl-C cancels cleanly: nothing partial is cached, and the next run resumes.
        Exit status: 0 all nodes succeeded, 1 a node failed or was cancelled, 2 the experiment file is invalid, \
        130 interrupted.

        Examples:
          earshot run experiments/quickstart.yaml
          earshot run experiments/quickstart.yaml -p acoustic.n_mfcc=13 --jobs 2
          earshot run exp.yaml --json | jq .ran
          earshot run exp.yaml --store /shared/earshot --remote https://cache.lab.example/earshot
          earshot run exp.yaml --store /shared/earshot --executor slurm --slurm-partition cpu
        """)

    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Option(help: "Nodes to run at once (defaults to the number of cores; with --executor slurm, jobs queued at once, default 64).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Where nodes run: local (this process) or slurm (one sbatch job per node; the store must be shared).", valueName: "EXECUTOR"))
    var executor: String = "local"

    @Option(help: ArgumentHelp("Slurm partition for nodes without resources.partition.", valueName: "P"))
    var slurmPartition: String?

    @Option(help: ArgumentHelp("Slurm account for nodes without resources.account.", valueName: "A"))
    var slurmAccount: String?

    @Option(help: "Worker processes each scoring node may start (default 1, or one per GPU of --gpus).")
    var workers: Int?

    @Option(help: ArgumentHelp("GPUs to spread a scoring node's workers over, one CUDA_VISIBLE_DEVICES value per worker: a list like 0,1,2,3, or auto (CUDA_VISIBLE_DEVICES, else every GPU the NVIDIA driver lists). Local runs only; Slurm tasks get theirs from --gres.", valueName: "LIST|auto"))
    var gpus: String?

    @Option(help: "Items a scoring node sends to a worker at once (workers whose hello has max_batch > 1, e.g. hf_lalm.py); not part of any key.")
    var batchSize: Int = 1

    @Flag(help: "After a node fails, keep running everything that does not depend on it.")
    var keepGoing = false

    @Flag(help: "Print one JSON object summarising the run on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors (and --json output).")
    var quiet = false

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        let store = withDiagnostics { try storeOptions.open(recordingFirstUse: true) }
        let remote = withDiagnostics { try remoteOptions.open() }
        guard ["local", "slurm"].contains(executor) else {
            fail(ValidationError("--executor must be 'local' or 'slurm', got '\(executor)'"))
        }
        let devices = executor == "local" ? gpus.map { RunSettings.devices($0) } ?? [] : []
        let settings = RunSettings(workers: workers ?? max(1, devices.count), devices: devices, batchSize: batchSize)
        let board = ProgressBoard(total: graph.nodes.count, quiet: quiet)
        let runOptions = LocalExecutor.Options(jobs: jobs ?? (executor == "slurm" ? 64 : max(1, ProcessInfo.processInfo.activeProcessorCount)),
                                               keepGoing: keepGoing, producer: "earshot \(Earshot.version)",
                                               settings: settings, remote: remote)
        let task: Task<RunSummary, Never>
        if executor == "slurm" {
            let slurm = SlurmExecutor(graph: graph, registry: registry, store: store, runOptions: runOptions,
                                      options: .init(specFile: experiment.file, overrides: experiment.overrides,
                                                     partition: slurmPartition, account: slurmAccount,
                                                     extraArguments: remoteOptions.arguments + ["--workers", String(workers ?? 1), "--batch-size", String(batchSize)]),
                                      board: board)
            task = Task { await slurm.run() }
        } else {
            let local = LocalExecutor(graph: graph, registry: registry, store: store, options: runOptions, board: board)
            task = Task { await local.run() }
        }
        let interrupts = InterruptHandler { task.cancel() }
        let summary = await task.value
        interrupts.remove()
        if json {
            print(summary.json())
        } else if !quiet {
            var line = "\(summary.experiment): \(summary.ran) ran, \(summary.cached) cached"
            if summary.failed > 0 { line += ", \(summary.failed) failed" }
            if summary.cancelled > 0 { line += ", \(summary.cancelled) cancelled" }
            line += String(format: " in %.2f s (store: %@)", summary.seconds, store.root.path)
            print(line)
        }
        for node in summary.nodes {
            for warning in node.warnings ?? [] {
                FileHandle.standardError.write(Data("warning: node '\(node.id)': \(warning)\n".utf8))
            }
        }
        for node in summary.nodes where node.status == .failed {
            FileHandle.standardError.write(Data("error: node '\(node.id)' (\(node.kind)) failed: \(node.reason ?? "")\n".utf8))
        }
        if task.isCancelled { throw ExitCode(130) }
        if !summary.succeeded { throw ExitCode(1) }
    }
}

/// Turns the first SIGINT/SIGTERM into a cancellation of the run; a second one exits at once.
final class InterruptHandler: @unchecked Sendable {
    // Thread-safety: sources are created and cancelled on the caller's thread and fire on a serial queue.
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "earshot.signals")

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        var count = 0
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                count += 1
                if count > 1 { exit(130) }
                FileHandle.standardError.write(Data("\ninterrupted: cancelling running nodes (press Ctrl-C again to exit now)\n".utf8))
                onInterrupt()
            }
            source.resume()
            sources.append(source)
        }
    }

    func remove() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
