import ArgumentParser
import EarshotGraph
import EarshotNodes
import EarshotRun
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
        """)

    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Nodes to run at once (defaults to the number of cores).")
    var jobs: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Worker processes each scoring node may start.")
    var workers: Int = 1

    @Flag(help: "After a node fails, keep running everything that does not depend on it.")
    var keepGoing = false

    @Flag(help: "Print one JSON object summarising the run on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors (and --json output).")
    var quiet = false

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        let store = withDiagnostics { try storeOptions.open() }
        let board = ProgressBoard(total: graph.nodes.count, quiet: quiet)
        let executor = LocalExecutor(graph: graph, registry: registry, store: store,
                                     options: .init(jobs: jobs, keepGoing: keepGoing, producer: "earshot \(Earshot.version)",
                                                   settings: RunSettings(workers: workers)),
                                     board: board)
        let task = Task { await executor.run() }
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
