import ArgumentParser
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a node's cached outputs out of the store into a folder.",
        discussion: """
        `file` outputs (reports, command outputs) are written as the files they hold (report.html, table1.csv, …); \
        every other output is copied as its HDF5 artifact, NODE.OUTPUT.h5 (see schemas/artifacts.md).
        The node must be cached for the experiment as it is now: run it first.

        Example:  earshot export experiments/quickstart.yaml report --to out/ && open out/report.html
        """)

    @OptionGroup var experiment: ExperimentOptions
    @Argument(help: "The node id.")
    var node: String
    @Option(help: "The folder to write into (created if needed).")
    var to: String = "."
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        guard graph.node(node) != nil else {
            fail(GraphError.unknownNode(node, suggestion: Suggestion.hint(for: node, in: graph.nodes.map(\.id))))
        }
        let store = withDiagnostics { try storeOptions.open() }
        let plan: Plan
        do {
            plan = try await Plan.make(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store))
        } catch { fail(error, code: 1) }
        guard let entry = plan.entries.first(where: { $0.id == node }), entry.status == .cached,
              let key = entry.key.flatMap(Digest.init(hex:)), let record = try? store.action(for: key) else {
            fail(GraphError.notCached(node), code: 1)
        }
        let folder = URL(fileURLWithPath: to)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in record.outputs.keys.sorted() {
            let out = record.outputs[name]!
            let source = store.objectURL(out.object, ext: out.ext)
            let destination: URL
            if out.type == "file" {
                let artifact = try ArtifactFile.read(from: source)
                var filename = name
                if case .string(let f)? = artifact.attributes["filename"] { filename = (f as NSString).lastPathComponent }
                destination = folder.appendingPathComponent(filename)
                try Data(try artifact.bytes("content")).write(to: destination)
            } else {
                destination = folder.appendingPathComponent("\(node).\(name).\(out.ext)")
                try? FileManager.default.removeItem(at: destination)
                try FileManager.default.copyItem(at: source, to: destination)
                chmod(destination.path, 0o644)
            }
            print(destination.path)
        }
    }
}
