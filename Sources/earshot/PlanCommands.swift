import ArgumentParser
import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would do, node by node, and why — without running anything.",
        discussion: """
        cached: a verified result exists for the node's key. run: no result exists; the reason says what \
        changed since the node's last run (e.g. "param 'n_mfcc' changed: 20 → 13"). wait: an upstream node \
        runs first; this one re-runs only if that changes its output (early cutoff).
        """)

    @OptionGroup var experiment: ExperimentOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Flag(help: "Print the plan as a Graphviz DOT graph.")
    var dot = false

    @Flag(help: "Print the cost instead: per phase and node kind, the nodes to run, their items and the GPU-hours at the items/s measured by earlier runs in the store.")
    var cost = false

    @Option(help: ArgumentHelp("With --cost: estimate target-model scoring at this rate (items per second per worker) instead of the measured one.", valueName: "R"))
    var itemsPerSecond: Double?

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        let store = withDiagnostics { try storeOptions.open() }
        let plan: Plan?
        do {
            plan = try await Plan.make(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store))
        } catch {
            guard cost else { fail(error, code: 1) }
            // A study sized on paper: its data need not exist yet, so nothing can be cached.
            FileHandle.standardError.write(Data("note: no node can be looked up in the store (\(error)); every node is counted as to run\n".utf8))
            plan = nil
        }
        guard let plan, !cost else {
            let cached = Set(plan?.entries.filter { $0.status == .cached }.map(\.id) ?? [])
            let estimate = CostPlan.make(graph: graph, cached: cached, registry: registry, rates: ThroughputLog.rates(in: store),
                                         assumedRate: itemsPerSecond)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(estimate), as: UTF8.self))
            } else {
                print(estimate.render())
            }
            return
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else if dot {
            print(plan.dot())
        } else {
            print(plan.render())
        }
    }
}

struct WhyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Explain why a node would re-run: the field-by-field difference from its last run.",
        discussion: "Example: earshot why experiments/quickstart.yaml acoustic")

    @OptionGroup var experiment: ExperimentOptions
    @Argument(help: "The node id.")
    var node: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let registry = Registry.standard()
        let graph = withDiagnostics { try experiment.load(registry) }
        guard graph.node(node) != nil else {
            fail(GraphError.unknownNode(node, suggestion: Suggestion.hint(for: node, in: graph.nodes.map(\.id))))
        }
        let store = withDiagnostics { try storeOptions.open() }
        do {
            let plan = try await Plan.make(graph: graph, store: store, extras: RegistryKeyExtras(registry: registry, store: store))
            print(plan.explain(node).joined(separator: "\n"))
        } catch { fail(error, code: 1) }
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an experiment file: YAML, node kinds, params, inputs, cycles. Prints every problem with file:line:col.")

    @OptionGroup var experiment: ExperimentOptions

    func run() throws {
        let graph = withDiagnostics { try experiment.load(Registry.standard()) }
        print("\(experiment.file): ok — experiment '\(graph.experiment)', \(graph.nodes.count) nodes in \(graph.waves.count) waves")
    }
}
