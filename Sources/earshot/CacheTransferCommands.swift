import ArgumentParser
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

extension CacheCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload results to a remote cache: everything in the store, or one experiment's current results.",
            discussion: """
            Objects go to <remote>/cas/<sha256> (skipped when the remote already has them at the same size), then \
            action records to <remote>/ac/<key>.
              earshot cache push --remote http://cache:8080/earshot
              earshot cache push --remote http://cache:8080/earshot experiments/quickstart.yaml
            """)
        @Argument(help: "Push only this experiment's results (the nodes `earshot plan` shows cached).")
        var file: String?
        @Option(name: .customShort("p"), help: ArgumentHelp("Override a param (as for run).", valueName: "KEY=VALUE"))
        var overrides: [String] = []
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var remoteOptions: RemoteOptions

        func run() async throws {
            let store = withDiagnostics { try storeOptions.open() }
            guard let remote = withDiagnostics({ try remoteOptions.open() }) else {
                fail(ValidationError("give --remote URL (or set EARSHOT_REMOTE)"))
            }
            if remote.options.readOnly { fail(ValidationError("--remote-read-only: nothing would be pushed")) }
            let transfer = RemoteTransfer(store: store, remote: remote)
            let started = Date()
            let report: RemoteCache.TransferReport
            do {
                if let file {
                    let graph = withDiagnostics { try ExperimentOptions.loadFile(file, overrides, Registry.standard()) }
                    report = try await transfer.push(graph: graph, registry: Registry.standard())
                } else {
                    report = try await transfer.pushAll()
                }
            } catch { fail(error, code: 1) }
            print(Self.summary("pushed", report, seconds: Date().timeIntervalSince(started), to: remote.base.absoluteString))
        }

        static func summary(_ verb: String, _ r: RemoteCache.TransferReport, seconds: Double, to url: String) -> String {
            let mb = Double(r.bytes) / 1_000_000
            return String(format: "%@ %d actions, %d objects (%.1f MB) in %.2f s (%.1f MB/s); %d objects already there; %@",
                          verb, r.actions, r.objects, mb, seconds, seconds > 0 ? mb / seconds : 0, r.skipped, url)
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download an experiment's results from a remote cache into the store, verifying every object.",
            discussion: """
            A Bazel-style cache cannot list its contents, so pull walks the experiment: each node's key is computed \
            from its inputs as `run` would, and the nodes the store lacks are fetched. Objects whose bytes do not \
            hash to their name are rejected and reported (exit status 1).
              earshot cache pull --remote http://cache:8080/earshot experiments/quickstart.yaml
            """)
        @Argument(help: "The experiment whose results to pull.")
        var file: String
        @Option(name: .customShort("p"), help: ArgumentHelp("Override a param (as for run).", valueName: "KEY=VALUE"))
        var overrides: [String] = []
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var remoteOptions: RemoteOptions

        func run() async throws {
            let store = withDiagnostics { try storeOptions.open() }
            guard let remote = withDiagnostics({ try remoteOptions.open() }) else {
                fail(ValidationError("give --remote URL (or set EARSHOT_REMOTE)"))
            }
            let registry = Registry.standard()
            let graph = withDiagnostics { try ExperimentOptions.loadFile(file, overrides, registry) }
            let started = Date()
            let report: RemoteTransfer.PullReport
            do {
                report = try await RemoteTransfer(store: store, remote: remote).pull(graph: graph, registry: registry)
            } catch { fail(error, code: 1) }
            print(Push.summary("pulled", report.transfer, seconds: Date().timeIntervalSince(started), to: remote.base.absoluteString))
            print("\(report.pulled.count) nodes pulled, \(report.present.count) already in the store, \(report.absent.count) not on the remote\(report.absent.isEmpty ? "" : " (" + report.absent.joined(separator: ", ") + ")")")
            for p in report.problems { FileHandle.standardError.write(Data("error: \(p)\n".utf8)) }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }
}

extension ExperimentOptions {
    /// Loads an experiment file with `-p` overrides (for commands whose file argument is optional).
    static func loadFile(_ file: String, _ overrides: [String], _ registry: KindRegistry) throws -> ExperimentGraph {
        let parsed = try overrides.enumerated().map { try Override.parse($0.element, index: $0.offset + 1) }
        return try registry.load(path: file, overrides: parsed)
    }
}
