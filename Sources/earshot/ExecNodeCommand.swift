import ArgumentParser
import EarshotNodes
import EarshotRun
import EarshotStore
import Foundation

/// What a batch job runs: computes exactly one node whose inputs are already in the (shared) store.
struct ExecNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-node",
        abstract: "Compute one node whose inputs are in the store (what `--executor slurm` jobs run).",
        discussion: "Prints the node's report as JSON on stdout. Exit status: 0 computed or already cached, 1 failed, 130 interrupted.",
        shouldDisplay: false)

    @OptionGroup var experiment: ExperimentOptions
    @Argument(help: "The node id.")
    var node: String
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var remoteOptions: RemoteOptions

    @Option(help: ArgumentHelp("The key the submitting run computed; the job refuses to run a node whose key differs.", valueName: "HEX"))
    var key: String?

    @Option(help: "Worker processes a scoring node may start.")
    var workers: Int = 1

    @Option(help: "Items a scoring node sends to a worker at once.")
    var batchSize: Int = 1

    @Option(help: ArgumentHelp("Compute only these shards of a shardable node (e.g. 0-3,7) and assemble nothing (what one task of an array job runs).", valueName: "LIST"))
    var shards: String?

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        let store = withDiagnostics { try storeOptions.open(recordingFirstUse: true) }
        let remote = withDiagnostics { try remoteOptions.open() }
        let expected = try key.map { hex -> Digest in
            guard let d = Digest(hex: hex) else { throw ValidationError("--key must be 64 hex digits, got '\(hex)'") }
            return d
        }
        let executor = LocalExecutor(graph: graph, registry: registry, store: store,
                                     options: .init(jobs: 1, producer: "earshot \(Earshot.version)",
                                                    settings: RunSettings(workers: workers, batchSize: batchSize), remote: remote))
        let id = node
        let shardList = try shards.map { text -> [Int] in
            do { return try ShardList.parse(text) } catch { throw ValidationError("--shards: \(error)") }
        }
        let task = Task {
            if let shardList { return await executor.runShards(id, shards: shardList, expectedKey: expected) }
            return await executor.runNode(id, expectedKey: expected)
        }
        let interrupts = InterruptHandler { task.cancel() }
        let report = await task.value
        interrupts.remove()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self))
        for warning in report.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: node '\(report.id)': \(warning)\n".utf8))
        }
        switch report.status {
        case .ran, .cached: return
        case .failed:
            FileHandle.standardError.write(Data("error: node '\(report.id)' (\(report.kind)) failed: \(report.reason ?? "")\n".utf8))
            throw ExitCode(1)
        case .cancelled:
            throw ExitCode(130)
        }
    }
}
