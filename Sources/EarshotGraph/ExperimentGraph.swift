import EarshotSpec

/// The validated experiment as a DAG: nodes in a stable topological order, their edges and waves.
///
/// Order is deterministic: Kahn's algorithm taking ready nodes in file order, so plans print the same way on
/// every machine. A cycle is a spec error that spells out the path (`a → b → c → a`).
public struct ExperimentGraph: Sendable {
    public let experiment: String
    public let seed: Int
    public let specFile: String
    public let specDirectory: String
    /// Nodes in topological order.
    public let nodes: [ValidatedNode]
    /// Node id → position in `nodes`.
    public let index: [String: Int]
    /// For each node, the positions of the nodes it reads (deduplicated).
    public let dependencies: [[Int]]
    /// For each node, the positions of the nodes that read it.
    public let dependents: [[Int]]
    /// Sets of nodes that can run together once the previous waves are done.
    public let waves: [[Int]]

    public init(spec: ExperimentSpec, nodes validated: [ValidatedNode]) throws {
        experiment = spec.name
        seed = spec.seed
        specFile = spec.file
        specDirectory = spec.directory
        let position = Dictionary(uniqueKeysWithValues: validated.enumerated().map { ($0.element.id, $0.offset) })
        let deps: [[Int]] = validated.map { node in
            var seen = Set<Int>()
            return node.inputs.keys.sorted().flatMap { node.inputs[$0]! }.compactMap { ref in
                guard let p = position[ref.node], seen.insert(p).inserted else { return nil }
                return p
            }
        }
        var indegree = deps.map(\.count)
        var users = [[Int]](repeating: [], count: validated.count)
        for (i, ds) in deps.enumerated() { for d in ds { users[d].append(i) } }

        var order: [Int] = []
        var level = [Int](repeating: 0, count: validated.count)
        var ready = (0..<validated.count).filter { indegree[$0] == 0 }
        var head = 0
        order.reserveCapacity(validated.count)
        // A queue in file order keeps the order stable; levels give the waves.
        while head < ready.count {
            let n = ready[head]
            head += 1
            order.append(n)
            for u in users[n] {
                level[u] = max(level[u], level[n] + 1)
                indegree[u] -= 1
                if indegree[u] == 0 { ready.append(u) }
            }
        }
        if order.count < validated.count {
            throw Self.cycleError(validated, deps: deps, stuck: Set((0..<validated.count).filter { indegree[$0] > 0 }))
        }
        let remap = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($0.element, $0.offset) })
        nodes = order.map { validated[$0] }
        index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($0.element.id, $0.offset) })
        dependencies = order.map { deps[$0].map { remap[$0]! } }
        var dependents = [[Int]](repeating: [], count: nodes.count)
        for (i, ds) in dependencies.enumerated() { for d in ds { dependents[d].append(i) } }
        self.dependents = dependents
        let depth = order.map { level[$0] }
        var waves = [[Int]](repeating: [], count: (depth.max() ?? -1) + 1)
        for (i, d) in depth.enumerated() { waves[d].append(i) }
        self.waves = waves
    }

    static func cycleError(_ nodes: [ValidatedNode], deps: [[Int]], stuck: Set<Int>) -> SpecError {
        // Walk backwards along dependencies inside the stuck set until a node repeats.
        var path: [Int] = []
        var seenAt: [Int: Int] = [:]
        var current = stuck.min()!
        while seenAt[current] == nil {
            seenAt[current] = path.count
            path.append(current)
            current = deps[current].first { stuck.contains($0) }!
        }
        // Reverse into data-flow order and start at the earliest node in the file.
        var cycle = Array(path[seenAt[current]!...].reversed())
        let start = cycle.firstIndex(of: cycle.min()!)!
        cycle = Array(cycle[start...] + cycle[..<start])
        let names = (cycle + [cycle[0]]).map { nodes[$0].id }
        let first = nodes[cycle[0]]
        return SpecError("dependency cycle: \(names.joined(separator: " → ")); a node cannot depend on its own output",
                         at: first.spec.location)
    }

    /// The node with this id.
    public func node(_ id: String) -> ValidatedNode? { index[id].map { nodes[$0] } }

    /// All nodes that (transitively) read node `i`, in topological order.
    public func downstream(of i: Int) -> [Int] {
        var mark = Set<Int>()
        var stack = dependents[i]
        while let n = stack.popLast() {
            if mark.insert(n).inserted { stack.append(contentsOf: dependents[n]) }
        }
        return mark.sorted()
    }
}
