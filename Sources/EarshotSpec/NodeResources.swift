import Foundation

/// What a node asks of a batch scheduler (`resources:` on a node). Only the Slurm executor reads it; it never enters
/// the node key (it changes where and how a node runs, not what it computes).
///
/// ```yaml
/// scores:
///   kind: score
///   resources: {cpus: 8, memory: 32G, gpus: 1, time: "02:00:00", partition: gpu, account: mia-audit}
/// ```
/// `memory` uses Slurm's `--mem` syntax (an integer with an optional K/M/G/T suffix; megabytes without one);
/// `time` uses `--time` syntax (minutes, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`).
public struct NodeResources: Sendable, Equatable {
    public static let keys = ["cpus", "memory", "gpus", "time", "partition", "account", "shards_per_task", "max_parallel"]

    public var cpus: Int?
    public var memory: String?
    public var gpus: Int?
    public var time: String?
    public var partition: String?
    public var account: String?
    /// Shards of a shardable node (`score`) per task of its array job (default 1); `resources:` apply per task.
    public var shardsPerTask: Int?
    /// Array tasks of the node running at once (`sbatch --array=…%N`); unlimited by default.
    public var maxParallel: Int?

    public init(cpus: Int? = nil, memory: String? = nil, gpus: Int? = nil, time: String? = nil,
                partition: String? = nil, account: String? = nil, shardsPerTask: Int? = nil, maxParallel: Int? = nil) {
        self.cpus = cpus
        self.memory = memory
        self.gpus = gpus
        self.time = time
        self.partition = partition
        self.account = account
        self.shardsPerTask = shardsPerTask
        self.maxParallel = maxParallel
    }

    /// Reads the `resources:` mapping (already interpolated); `location` anchors diagnostics.
    public init(_ value: Value, at location: SourceLocation, node: String) throws {
        guard case .object(let o) = value else {
            throw SpecError("'resources' of node '\(node)' must be a mapping with any of: \(Self.keys.joined(separator: ", "))", at: location)
        }
        for k in o.keys.sorted() where !Self.keys.contains(k) {
            throw SpecError("unknown resource '\(k)' for node '\(node)'\(Suggestion.hint(for: k, in: Self.keys)); known: \(Self.keys.joined(separator: ", "))", at: location)
        }
        func count(_ name: String, min: Int) throws -> Int? {
            guard let v = o[name] else { return nil }
            guard let n = v.intValue, n >= min else {
                throw SpecError("resource '\(name)' of node '\(node)' must be an integer ≥ \(min), got '\(v)'", at: location)
            }
            return n
        }
        func text(_ name: String, pattern: String?, example: String) throws -> String? {
            guard let v = o[name] else { return nil }
            let s: String
            switch v {
            case .string(let t): s = t
            case .int(let n): s = String(n)
            default: throw SpecError("resource '\(name)' of node '\(node)' must be a string like '\(example)', got '\(v)'", at: location)
            }
            if let pattern, s.range(of: pattern, options: .regularExpression) == nil {
                throw SpecError("resource '\(name)' of node '\(node)' is '\(s)'; write it like '\(example)'", at: location)
            }
            return s
        }
        cpus = try count("cpus", min: 1)
        gpus = try count("gpus", min: 0)
        shardsPerTask = try count("shards_per_task", min: 1)
        maxParallel = try count("max_parallel", min: 1)
        memory = try text("memory", pattern: "^[0-9]+[KMGTkmgt]?$", example: "16G")
        time = try text("time", pattern: "^([0-9]+-)?[0-9]+(:[0-9]{1,2}){0,2}$", example: "02:00:00")
        partition = try text("partition", pattern: "^[A-Za-z0-9_.,-]+$", example: "gpu")
        account = try text("account", pattern: "^[A-Za-z0-9_.-]+$", example: "mia-audit")
    }

    /// The JSON Schema of `resources:` (for `ExperimentSchema`); counts also accept a `${…}` placeholder.
    public static var schema: Value {
        let placeholder = ExperimentSchema.placeholder
        func count(_ min: Int, _ flag: String) -> Value {
            .object(["anyOf": .array([.object(["type": .string("integer"), "minimum": .int(min)]), placeholder]), "description": .string(flag)])
        }
        func text(_ flag: String) -> Value {
            .object(["anyOf": .array([.object(["type": .string("string")]), .object(["type": .string("integer")])]), "description": .string(flag)])
        }
        return .object([
            "type": .string("object"),
            "additionalProperties": .bool(false),
            "description": .string("what the Slurm executor asks for (never part of the node key)"),
            "properties": .object([
                "cpus": count(1, "--cpus-per-task"),
                "memory": text("--mem, e.g. 16G (megabytes without a suffix)"),
                "gpus": count(0, "--gres=gpu:N"),
                "time": text("--time: minutes, HH:MM:SS or D-HH:MM:SS"),
                "partition": .object(["type": .string("string"), "description": .string("--partition (overrides --slurm-partition)")]),
                "account": .object(["type": .string("string"), "description": .string("--account (overrides --slurm-account)")]),
                "shards_per_task": count(1, "shards of a shardable node (score) per task of its job array (default 1)"),
                "max_parallel": count(1, "array tasks of the node running at once (--array=…%N)"),
            ]),
        ])
    }
}
