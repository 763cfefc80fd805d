import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A kind whose work is counted in items, so `plan --cost` can size a study before anything runs.
public protocol ItemCountingKind: NodeKind {
    /// The items each output carries and the items of work the node does (model calls: clips scored or
    /// synthesised), from its params and the item counts of its inputs (input name → counts of the bound outputs,
    /// nil where unknown).
    func itemCounts(_ node: ValidatedNode, inputs: [String: [Int?]]) -> ItemCounts
}

public struct ItemCounts: Sendable, Equatable {
    public enum Work: Sendable, Equatable {
        /// The node's work is not counted (loading or subsetting a split).
        case none
        case items(Int)
        /// Counted, but an input's size is unknown.
        case unknown
    }
    public var work: Work
    /// Output name → items it carries (nil: unknown).
    public var outputs: [String: Int?]
    public init(work: Work = .none, outputs: [String: Int?]) {
        self.work = work
        self.outputs = outputs
    }
}

/// What `earshot plan --cost` prints: per phase and node kind, the nodes that will run, the items they will process
/// and, from measured throughput (`ThroughputLog`), the GPU-hours.
///
/// Item counts propagate through the graph from the params of the kinds that make splits (`per_class` items on
/// each side) to the kinds that process them (`ItemCountingKind`). A node's phase is the paper's: 1 blind
/// baselines, 2 target-model scoring and its analysis, 3 disentanglement (resynthesis and what follows it); a node
/// belongs to the latest phase of itself and its ancestors, so `score` on resynthesised audio is phase 3. Cached
/// nodes cost nothing and are counted apart.
public struct CostPlan: Sendable, Codable {
    public struct Line: Sendable, Codable, Equatable {
        public var phase: Int
        public var kind: String
        /// Nodes of this kind and phase that will run.
        public var nodes: Int
        public var items: Int
        /// Nodes whose item count is unknown (not included in `items`).
        public var unknownNodes: Int
        public var cachedNodes: Int
        /// Items per second used for the estimate, and where it came from.
        public var itemsPerSecond: Double?
        public var rateSource: String?
        public var gpuHours: Double?
    }

    public var experiment: String
    public var lines: [Line]

    /// The phase of each kind on its own (data kinds 0); unknown kinds take their ancestors' phase.
    public static let kindPhase: [String: Int] = [
        "features.metadata": 1, "features.text": 1, "features.acoustic": 1, "classify": 1, "cross_dataset": 1,
        "match_cohort": 1, "score": 2, "indicators": 2, "correlate": 2, "resynthesize": 3, "aggregate": 3, "report": 3,
    ]

    /// Sizes the graph's nodes (those in `cached` cost nothing). `rates` gives measured items/s per kind
    /// (`ThroughputLog.rates`); `assumedRate`, when given, replaces the measured rate of target-model scoring.
    public static func make(graph: ExperimentGraph, cached: Set<String>, registry: KindRegistry,
                            rates: [String: ThroughputLog.Rate], assumedRate: Double? = nil) -> CostPlan {
        var outputItems: [String: [String: Int?]] = [:]
        var phase: [String: Int] = [:]
        var lines: [String: Line] = [:]
        for (i, node) in graph.nodes.enumerated() {
            let kindName = node.signature.name
            let ancestors = graph.dependencies[i].map { phase[graph.nodes[$0].id] ?? 0 }
            phase[node.id] = max(kindPhase[kindName] ?? 0, ancestors.max() ?? 0)
            let inputs = node.inputs.mapValues { refs in refs.map { ref -> Int? in outputItems[ref.node]?[ref.output] ?? nil } }
            guard let kind = registry[kindName] as? any ItemCountingKind else {
                // A kind that passes splits through unchanged (e.g. a cohort) carries no count we can trust.
                outputItems[node.id] = [:]
                continue
            }
            let counts = kind.itemCounts(node, inputs: inputs)
            outputItems[node.id] = counts.outputs
            if counts.work == .none { continue }
            let p = phase[node.id]!
            let id = "\(p)/\(kindName)"
            var line = lines[id] ?? Line(phase: p, kind: kindName, nodes: 0, items: 0, unknownNodes: 0, cachedNodes: 0)
            if cached.contains(node.id) {
                line.cachedNodes += 1
            } else if case .items(let work) = counts.work {
                line.nodes += 1
                line.items += work
            } else {
                line.nodes += 1
                line.unknownNodes += 1
            }
            lines[id] = line
        }
        var result = lines.values.filter { $0.nodes + $0.cachedNodes > 0 }
            .sorted { ($0.phase, $0.kind) < ($1.phase, $1.kind) }
        for i in result.indices {
            if let assumedRate, result[i].kind == "score" {
                result[i].itemsPerSecond = assumedRate
                result[i].rateSource = "assumed (--items-per-second)"
            } else if let rate = rates[result[i].kind] {
                result[i].itemsPerSecond = rate.itemsPerSecond
                result[i].rateSource = rate.description
            }
            if let r = result[i].itemsPerSecond, r > 0 { result[i].gpuHours = Double(result[i].items) / r / 3600 }
        }
        return CostPlan(experiment: graph.experiment, lines: result)
    }

    /// Items per phase (nodes that will run).
    public var itemsPerPhase: [Int: Int] {
        lines.reduce(into: [:]) { $0[$1.phase, default: 0] += $1.items }
    }

    /// The table for a terminal.
    public func render() -> String {
        var rows = [["phase", "kind", "nodes", "items", "items/s", "GPU-hours", "rate from"]]
        func hours(_ h: Double?) -> String { h.map { String(format: "%.1f", $0) } ?? "—" }
        func rate(_ r: Double?) -> String { r.map { String(format: $0 < 10 ? "%.2f" : "%.0f", $0) } ?? "—" }
        for l in lines {
            var nodes = "\(l.nodes)"
            if l.cachedNodes > 0 { nodes += " (+\(l.cachedNodes) cached)" }
            if l.unknownNodes > 0 { nodes += " (\(l.unknownNodes) of unknown size)" }
            rows.append(["\(l.phase)", l.kind, nodes, "\(l.items)", rate(l.itemsPerSecond), hours(l.gpuHours), l.rateSource ?? (l.kind == "score" ? "no measurement: pass --items-per-second" : "no measurement")])
        }
        for (p, items) in itemsPerPhase.sorted(by: { $0.key < $1.key }) {
            let h = lines.filter { $0.phase == p }.compactMap(\.gpuHours)
            rows.append(["\(p)", "(phase total)", "", "\(items)", "", h.isEmpty ? "—" : hours(h.reduce(0, +)), ""])
        }
        let total = lines.compactMap(\.gpuHours)
        rows.append(["all", "(total)", "", "\(lines.reduce(0) { $0 + $1.items })", "", total.isEmpty ? "—" : hours(total.reduce(0, +)), ""])
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        let table = rows.map { row in
            row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return (["cost of '\(experiment)' (nodes to run; cached nodes cost nothing):"] + table.map { "  " + $0 }).joined(separator: "\n")
    }
}

/// Measured throughput of item-processing nodes, appended to `measurements/throughput.jsonl` in the store after each
/// run or shard task that processed items: kind, model, device, items, seconds. `plan --cost` turns them into items/s.
public enum ThroughputLog {
    public struct Entry: Sendable, Codable, Equatable {
        public var kind: String
        public var model: String
        public var device: String
        public var items: Int
        public var seconds: Double
        public var workers: Int
        public var node: String
        public var at: Date

        public init(kind: String, model: String, device: String, items: Int, seconds: Double, workers: Int, node: String, at: Date = Date()) {
            self.kind = kind
            self.model = model
            self.device = device
            self.items = items
            self.seconds = seconds
            self.workers = workers
            self.node = node
            self.at = at
        }
    }

    /// Items/s of one kind, pooled over its measurements (total items over total worker-seconds).
    public struct Rate: Sendable, Equatable, CustomStringConvertible {
        public var itemsPerSecond: Double
        public var items: Int
        public var models: [String]
        public var devices: [String]
        public var description: String {
            "measured: \(items) items of \(models.joined(separator: ", ")) on \(devices.joined(separator: ", "))"
        }
    }

    static func url(_ store: ArtifactStore) -> URL { store.root.appendingPathComponent("measurements/throughput.jsonl") }

    /// Appends one entry (one `write` of a short line with O_APPEND, so concurrent tasks never interleave).
    public static func append(_ entry: Entry, to store: ArtifactStore) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        guard entry.items > 0, var line = try? encoder.encode(entry) else { return }
        line.append(0x0A)
        let file = url(store)
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(file.path, O_WRONLY | O_APPEND | O_CREAT, store.configuration.groupWritable ? 0o664 : 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Every entry recorded in the store (unreadable lines are skipped).
    public static func entries(in store: ArtifactStore) -> [Entry] {
        guard let text = try? String(contentsOf: url(store), encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return text.split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Items per second per kind: items over seconds × workers (one worker's rate), over every measurement.
    public static func rates(in store: ArtifactStore) -> [String: Rate] {
        Dictionary(grouping: entries(in: store), by: \.kind).compactMapValues { list in
            let items = list.reduce(0) { $0 + $1.items }
            let seconds = list.reduce(0.0) { $0 + $1.seconds * Double(max(1, $1.workers)) }
            guard seconds > 0 else { return nil }
            return Rate(itemsPerSecond: Double(items) / seconds, items: items,
                        models: Array(Set(list.map(\.model))).sorted(), devices: Array(Set(list.map(\.device))).sorted())
        }
    }

    /// What this process scores on: `EARSHOT_DEVICE` when set, else the first NVIDIA GPU's model name (from
    /// `/proc/driver/nvidia/gpus`), else "cpu".
    public static var deviceLabel: String {
        if let d = ProcessInfo.processInfo.environment["EARSHOT_DEVICE"], !d.isEmpty { return d }
        let gpus = "/proc/driver/nvidia/gpus"
        if let first = (try? FileManager.default.contentsOfDirectory(atPath: gpus))?.sorted().first,
           let info = try? String(contentsOfFile: "\(gpus)/\(first)/information", encoding: .utf8),
           let model = info.split(separator: "\n").first(where: { $0.hasPrefix("Model:") }) {
            return model.dropFirst("Model:".count).trimmingCharacters(in: .whitespaces)
        }
        return "cpu"
    }
}
