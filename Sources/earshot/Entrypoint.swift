import ArgumentParser
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

@main
struct Earshot: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "earshot",
        abstract: "Audit membership inference in audio language models with declarative, cached experiment graphs.",
        discussion: """
        An experiment is a YAML file of nodes (load a split, extract features, score a model, classify, \
        correlate, report). Earshot hashes each node's inputs into a key, reuses every result it already \
        has in the store, and runs the rest concurrently. Edit one param and only what depends on it re-runs.

        Start with:   earshot run experiments/quickstart.yaml
        See why:      earshot plan experiments/quickstart.yaml
                      earshot why experiments/quickstart.yaml NODE
        Node kinds:   earshot kinds
        """,
        version: version,
        subcommands: [RunCommand.self, PlanCommand.self, WhyCommand.self, ValidateCommand.self, KindsCommand.self, CacheCommand.self, ExportCommand.self, SchemaCommand.self, InspectCommand.self,
                      ExecNodeCommand.self]
    )
}

/// Options shared by the commands that read an experiment file.
struct ExperimentOptions: ParsableArguments {
    @Argument(help: "The experiment file (YAML).")
    var file: String

    @Option(name: .customShort("p"), help: ArgumentHelp("Override a param: NODE.PARAM=VALUE or PARAM=VALUE (experiment-wide). Repeatable.", valueName: "KEY=VALUE"))
    var overrides: [String] = []

    func load(_ registry: KindRegistry) throws -> ExperimentGraph {
        let parsed = try overrides.enumerated().map { try Override.parse($0.element, index: $0.offset + 1) }
        return try registry.load(path: file, overrides: parsed)
    }
}

struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The store folder (default: $EARSHOT_STORE, else ./cache).", valueName: "DIR"))
    var store: String?

    @Flag(help: "Make the store group-writable (folders 2775, records 0664); recorded in its earshot-store.json.")
    var groupWritable = false

    @Option(help: ArgumentHelp("How concurrent runs lock node keys: flock, or lease where flock does not work across hosts (NFS mounted nolock); recorded in a new store's earshot-store.json.", valueName: "MODE"))
    var lockMode: String?

    var root: URL { URL(fileURLWithPath: store ?? ProcessInfo.processInfo.environment["EARSHOT_STORE"] ?? "cache") }

    /// Opens the store, first recording --group-writable / --lock-mode in its earshot-store.json. A lock mode that
    /// contradicts an existing configuration is refused: every process using a store must lock the same way.
    /// `recordingFirstUse` (runs): a store without the file gets one with the mode in use, so a later run asking
    /// for another mode is refused; read-only commands (plan, why, ls) leave it alone.
    func open(recordingFirstUse: Bool = false) throws -> ArtifactStore {
        let root = self.root.standardizedFileURL
        let file = root.appendingPathComponent(StoreConfiguration.fileName)
        let configured = FileManager.default.fileExists(atPath: file.path)
        var config = try StoreConfiguration.load(root: root)
        var changed = false
        if let lockMode {
            guard let mode = LockMode(rawValue: lockMode) else {
                throw ValidationError("--lock-mode must be 'flock' or 'lease', got '\(lockMode)'")
            }
            if mode != config.lockMode {
                if configured {
                    throw StoreError.io(path: file.path, message: "the store locks with '\(config.lockMode.rawValue)', not '\(mode.rawValue)'; every process using a store must lock the same way: change \"lock_mode\" in this file while no run uses the store")
                }
                config.lockMode = mode
                changed = true
            }
        }
        if groupWritable && !config.groupWritable {
            config.groupWritable = true
            changed = true
        }
        if !configured && (recordingFirstUse || changed) {
            // Record the mode on first use, so a later run with another --lock-mode is refused; if another process
            // created the file meanwhile, start over with what it recorded.
            guard try config.createIfAbsent(root: root) else { return try open(recordingFirstUse: recordingFirstUse) }
        } else if changed {
            try config.save(root: root)
        }
        return try ArtifactStore(root: root, configuration: config)
    }
}

import EarshotGraph

/// Prints a spec or store error the way compilers do and exits with the given code.
func fail(_ error: Error, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(code)
}

/// Runs `body`, turning spec errors into diagnostics with exit code 2.
func withDiagnostics<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { fail(error) }
}
