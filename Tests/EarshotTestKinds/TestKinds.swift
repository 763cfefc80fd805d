import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// Tiny node kinds for engine tests and the engine benchmark. Each writes a `vector` artifact: a float64
/// column `values`.
public enum TestKinds {
    public static func all() -> [any NodeKind] {
        [ConstKind(), ScaleKind(), SumKind(), SlowKind(), RendezvousKind(), FailKind()]
    }

    /// The standard registry plus these kinds.
    public static func registry(_ extra: [any NodeKind] = []) -> KindRegistry {
        KindRegistry(all() + extra)
    }

    static func vector(_ values: [Double]) -> Artifact {
        var a = Artifact()
        a.setColumn("values", values)
        return a
    }

    static func values(_ input: InputArtifact) throws -> [Double] {
        try input.load().doubleColumn("values")
    }
}

let vectorOutput = [OutputSignature("value", type: "vector", "a float64 column 'values'")]

/// `const`: the vector given by `value` (a number or a list).
public struct ConstKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "const", version: 1, summary: "a constant vector", outputs: vectorOutput,
                      params: [ParamSignature("value", .any, default: .double(1), "a number or a list of numbers")])
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let v = context.params["value"]!
        let values = v.arrayValue?.compactMap(\.doubleValue) ?? [v.doubleValue ?? .nan]
        return ["value": TestKinds.vector(values)]
    }
}

/// `scale`: input `x` times `factor`.
public struct ScaleKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "scale", version: 1, summary: "multiply a vector", inputs: [InputSignature("x", "a vector")],
                      outputs: vectorOutput, params: [ParamSignature("factor", .double(), default: .double(2), "the factor")])
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let f = context.double("factor")!
        return ["value": TestKinds.vector(try TestKinds.values(context.input("x")).map { $0 * f })]
    }
}

/// `sum`: elementwise sum of the `terms` vectors (all the same length).
public struct SumKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "sum", version: 1, summary: "sum vectors", inputs: [InputSignature("terms", "vectors", multiple: true)],
                      outputs: vectorOutput)
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        var total: [Double]?
        for input in context.inputs["terms"] ?? [] {
            let v = try TestKinds.values(input)
            total = total.map { zip($0, v).map { $0 + $1 } } ?? v
        }
        return ["value": TestKinds.vector(total ?? [])]
    }
}

/// `slow`: sleeps `ms` milliseconds (cancellable), recording start and end in `ExecutionLog`, then emits `value`.
public struct SlowKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "slow", version: 1, summary: "sleep, then a constant", inputs: [InputSignature("after", "ignored", required: false, multiple: true)],
                      outputs: vectorOutput,
                      params: [ParamSignature("ms", .int(min: 0), default: .int(100), "milliseconds"),
                               ParamSignature("value", .double(), default: .double(1), "the value")])
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        ExecutionLog.shared.started(context.node.id)
        defer { ExecutionLog.shared.ended(context.node.id) }
        try await Task.sleep(nanoseconds: UInt64(context.int("ms")!) * 1_000_000)
        return ["value": TestKinds.vector([context.double("value")!])]
    }
}

/// `rendezvous`: waits until `parties` nodes of the same `group` are running at once (fails after `timeout_ms`),
/// which proves that they overlap in time.
public struct RendezvousKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "rendezvous", version: 1, summary: "wait for peers", outputs: vectorOutput,
                      params: [ParamSignature("group", .string, "group name"),
                               ParamSignature("parties", .int(min: 1), default: .int(2), "how many must meet"),
                               ParamSignature("timeout_ms", .int(min: 1), default: .int(10_000), "give up after")])
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let group = context.string("group")!
        ExecutionLog.shared.arrive(group)
        let deadline = Date().addingTimeInterval(Double(context.int("timeout_ms")!) / 1000)
        while ExecutionLog.shared.arrivals(group) < context.int("parties")! {
            if Date() > deadline { throw NodeError("rendezvous '\(group)': peers never arrived (nodes did not overlap)") }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        return ["value": TestKinds.vector([1])]
    }
}

/// `fail`: always fails with `message`.
public struct FailKind: NodeKind {
    public init() {}
    public var signature: KindSignature {
        KindSignature(name: "fail", version: 1, summary: "always fails", inputs: [InputSignature("after", "ignored", required: false, multiple: true)],
                      outputs: vectorOutput, params: [ParamSignature("message", .string, default: .string("boom"), "the error")])
    }
    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        throw NodeError(context.string("message")!)
    }
}

/// Start/end events of `slow` nodes and rendezvous arrivals, shared across one test process.
/// Thread-safety: `@unchecked Sendable` because all state is guarded by `lock`.
public final class ExecutionLog: @unchecked Sendable {
    public static let shared = ExecutionLog()
    private let lock = NSLock()
    private var events: [(node: String, start: Bool, time: Date)] = []
    private var groups: [String: Int] = [:]

    func started(_ node: String) { lock.withLock { events.append((node, true, Date())) } }
    func ended(_ node: String) { lock.withLock { events.append((node, false, Date())) } }
    func arrive(_ group: String) { lock.withLock { groups[group, default: 0] += 1 } }
    func arrivals(_ group: String) -> Int { lock.withLock { groups[group, default: 0] } }

    /// The largest number of the given nodes that were running at the same moment.
    public func maxConcurrency(of nodes: Set<String>) -> Int {
        lock.withLock {
            var running = 0, best = 0
            for e in events where nodes.contains(e.node) {
                running += e.start ? 1 : -1
                best = max(best, running)
            }
            return best
        }
    }

    /// How many times each node started.
    public func starts(of node: String) -> Int {
        lock.withLock { events.count { $0.node == node && $0.start } }
    }
}
