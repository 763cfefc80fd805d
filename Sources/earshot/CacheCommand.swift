import ArgumentParser
import EarshotStore
import Foundation

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and maintain the store.",
        subcommands: [Verify.self, GC.self, List.self, Push.self, Pull.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every object and check every record, shard, fingerprint row and entry type. Exit 1 if anything is wrong.",
            discussion: "Problems are named; the next run recomputes what cannot be trusted. --repair quarantines corrupt objects and misplaced entries and drops the records, shards and fingerprint rows that fail, so a second verify passes.")
        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Quarantine corrupt objects and misplaced entries; drop the records, shards and fingerprint rows that fail.")
        var repair = false

        func run() throws {
            let store = withDiagnostics { try storeOptions.open() }
            let report = StoreMaintenance(store: store).verify(repair: repair)
            for line in report.problems { print(line) }
            print("verified \(report.objects) objects and \(report.actions) actions: \(report.problems.isEmpty ? "ok" : "\(report.problems.count) problem(s)")")
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Delete objects no action refers to, broken actions, temp files and work folders of dead runs, quarantine and old partial shards.",
            discussion: "--keep-latest also drops every action that is not the latest result of some experiment node. Do not run it while other runs use the store.")
        @OptionGroup var storeOptions: StoreOptions
        @Flag(help: "Keep only the latest result of each experiment node.")
        var keepLatest = false
        @Option(help: "Remove shards of unfinished long nodes older than this many days (finished nodes' shards always go).")
        var partialDays: Double = 7

        func run() throws {
            let store = withDiagnostics { try storeOptions.open() }
            let maintenance = StoreMaintenance(store: store)
            let r = maintenance.collectGarbage(keepLatestOnly: keepLatest)
            let p = maintenance.collectPartialResults(maxAge: partialDays * 86_400)
            print("removed \(r.objects) objects, \(r.actions) actions, \(r.temporary) temp files, \(p.folders) partial-shard folders; freed \(ByteCountFormatter.string(fromByteCount: Int64(r.bytes + p.bytes), countStyle: .file))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cached node results, newest first.")
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            let store = withDiagnostics { try storeOptions.open() }
            let actions = store.allActions().sorted { $0.createdAt > $1.createdAt }
            let formatter = ISO8601DateFormatter()
            for a in actions {
                let bytes = a.outputs.values.reduce(0) { $0 + $1.bytes }
                let outs = a.outputs.keys.sorted().joined(separator: ",")
                print("\(formatter.string(from: a.createdAt))  \(a.key.hex.prefix(12))  \(a.experiment)/\(a.node)  \(a.kind)  [\(outs)]  \(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file))  \(String(format: "%.2fs", a.seconds))")
            }
            print("\(actions.count) results in \(store.root.path)")
        }
    }
}
