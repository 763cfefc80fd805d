import EarshotSpec
import EarshotStore
import Foundation

/// What `earshot run` would do, node by node, and why: a value that prints, encodes to JSON and to DOT.
public struct Plan: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        /// A verified result exists for the node's key.
        case cached
        /// The node's inputs are known and no result exists: it runs.
        case run
        /// An upstream node runs first; whether this one runs depends on what that produces (early cutoff).
        case wait
    }

    public struct Entry: Sendable, Codable {
        public var id: String
        public var kind: String
        public var status: Status
        /// The reasons on one line.
        public var reason: String
        /// Why the node runs or waits, one fact per line (`why` prints these; a param value may hold "; ").
        public var reasons: [String]
        public var key: String?
        public var wave: Int
        public var dependencies: [String]
    }

    public var experiment: String
    public var entries: [Entry]

    public var counts: (cached: Int, run: Int, wait: Int) {
        (entries.count { $0.status == .cached }, entries.count { $0.status == .run }, entries.count { $0.status == .wait })
    }

    /// Computes the plan without running anything: no program starts and the store is not changed.
    public static func make(graph: ExperimentGraph, store: ArtifactStore, extras: any KeyExtrasProvider) async throws -> Plan {
        let resolver = KeyResolver(graph: graph, store: store, extras: extras, purpose: .plan)
        var outputs: [String: [String: OutputObject]] = [:]
        var willRun = Set<String>()
        var entries: [Entry] = []
        let waveOf = Dictionary(uniqueKeysWithValues: graph.waves.enumerated().flatMap { w, ns in ns.map { ($0, w) } })
        for (i, node) in graph.nodes.enumerated() {
            let deps = graph.dependencies[i].map { graph.nodes[$0].id }
            var entry = Entry(id: node.id, kind: node.signature.name, status: .run, reason: "", reasons: [], key: nil,
                              wave: waveOf[i] ?? 0, dependencies: deps)
            let pending = deps.filter { willRun.contains($0) }
            if !pending.isEmpty {
                entry.status = .wait
                entry.reasons = ["after \(pending.joined(separator: ", "))"]
                willRun.insert(node.id)
            } else {
                switch try await resolver.resolve(node, upstream: outputs) {
                case .hit(let resolved, let record):
                    entry.key = resolved.key.hex
                    entry.status = .cached
                    entry.reasons = ["cached (ran \(Self.ago(record.createdAt)) in \(Self.duration(record.seconds)))"]
                    outputs[node.id] = record.outputs
                case .miss(let resolved, let reason):
                    entry.key = resolved.key.hex
                    entry.reasons = reason.lines
                    willRun.insert(node.id)
                case .unknown(let identities):
                    entry.reasons = identities.map { "key not known until it runs: \($0)" }
                    willRun.insert(node.id)
                }
            }
            entry.reason = entry.reasons.joined(separator: "; ")
            entries.append(entry)
        }
        return Plan(experiment: graph.experiment, entries: entries)
    }

    /// The plan as a table for a terminal.
    public func render() -> String {
        let c = counts
        var lines = ["plan for '\(experiment)': \(entries.count) nodes — \(c.run) to run, \(c.wait) waiting on them, \(c.cached) cached"]
        let idWidth = min(32, entries.map(\.id.count).max() ?? 0)
        let kindWidth = min(24, entries.map(\.kind.count).max() ?? 0)
        for e in entries {
            let id = e.id.padding(toLength: max(idWidth, e.id.count), withPad: " ", startingAt: 0)
            let kind = e.kind.padding(toLength: max(kindWidth, e.kind.count), withPad: " ", startingAt: 0)
            lines.append("  \(e.status.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(id)  \(kind)  \(e.reason)")
        }
        return lines.joined(separator: "\n")
    }

    /// Graphviz DOT: cached nodes grey, nodes to run orange, waiting nodes yellow.
    public func dot() -> String {
        var lines = ["digraph \"\(experiment)\" {", "  rankdir=LR;", "  node [shape=box, style=filled, fontname=\"Helvetica\"];"]
        let colour: [Status: String] = [.cached: "#dddddd", .run: "#ffb366", .wait: "#fff2a8"]
        for e in entries {
            let label = "\(e.id)\\n\(e.kind)"
            lines.append("  \"\(e.id)\" [label=\"\(label)\", fillcolor=\"\(colour[e.status]!)\"];")
        }
        for e in entries { for d in e.dependencies { lines.append("  \"\(d)\" -> \"\(e.id)\";") } }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    static func duration(_ s: Double) -> String {
        s < 1 ? String(format: "%.0f ms", s * 1000) : s < 120 ? String(format: "%.1f s", s) : String(format: "%.1f min", s / 60)
    }

    static func ago(_ date: Date) -> String {
        let s = Date().timeIntervalSince(date)
        if s < 90 { return "\(Int(s)) s ago" }
        if s < 5400 { return "\(Int(s / 60)) min ago" }
        if s < 172_800 { return "\(Int(s / 3600)) h ago" }
        return "\(Int(s / 86400)) days ago"
    }
}

extension Plan {
    /// Why a node would run (or not), one reason per line; for a waiting node, the reasons of the upstream
    /// nodes that make it wait.
    public func explain(_ id: String) -> [String] {
        guard let entry = entries.first(where: { $0.id == id }) else { return [] }
        switch entry.status {
        case .cached:
            return ["'\(id)' is cached: nothing it depends on changed since it ran (key \(entry.key.map { String($0.prefix(12)) } ?? "?"))"]
        case .run:
            return ["'\(id)' will run:"] + entry.reasons.map { "  \($0)" }
        case .wait:
            var lines = ["'\(id)' waits for upstream nodes that will run; it re-runs only if their outputs change:"]
            var seen = Set<String>()
            var stack = entry.dependencies
            let byID = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
            var roots: [Entry] = []
            while let d = stack.popLast() {
                guard seen.insert(d).inserted, let e = byID[d] else { continue }
                if e.status == .run { roots.append(e) } else if e.status == .wait { stack.append(contentsOf: e.dependencies) }
            }
            for r in roots.sorted(by: { $0.id < $1.id }) {
                lines.append("  '\(r.id)' runs because:")
                lines += r.reasons.map { "    \($0)" }
            }
            return lines
        }
    }
}
