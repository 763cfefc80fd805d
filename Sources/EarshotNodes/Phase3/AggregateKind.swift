import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore

/// Mean and spread of n values (one per realization).
///
/// `sd` is the sample standard deviation (denominator n − 1, numpy's `std(ddof=1)`), NaN when n = 1;
/// the mean is the plain sum divided by n, summed in input order.
public struct RealizationSpread: Sendable, Equatable {
    public var mean: Double
    public var sd: Double
    public var min: Double
    public var max: Double

    /// nil for an empty list.
    public init?(_ values: [Double]) {
        guard let lo = values.min(), let hi = values.max() else { return nil }
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        let m = mean
        sd = values.count > 1 ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() : .nan
        min = lo
        max = hi
    }
}

/// `aggregate`: the mean and spread over realizations of a classifier's metrics — e.g. the MIA AUC on three
/// seeded TTS resyntheses, which the paper reports as their mean.
///
/// For each of `auc`, `auc_ci_lower`, `auc_ci_upper`, `tpr_at_1pct_fpr`, `tpr_at_0_1pct_fpr` it writes
/// `<name>_mean`, `<name>_sd`, `<name>_min`, `<name>_max` (see `RealizationSpread`) and the per-realization
/// values as a column, in input order; `auc_ci_confidence` and `auc_ci_method` when all inputs agree. Layout: `schemas/artifacts.md`, section `aggregate`.
public struct AggregateKind: NodeKind {
    public static let name = "aggregate"
    public static let artifactType = "aggregate"
    /// The metrics attributes aggregated, in output order.
    public static let metricNames = ["auc", "auc_ci_lower", "auc_ci_upper", "tpr_at_1pct_fpr", "tpr_at_0_1pct_fpr"]

    public init() {}

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "mean, sd, min and max of auc (with ci bounds) and tpr at low fpr over realizations",
            inputs: [InputSignature("metrics", "metrics artifacts of the realizations (classify.metrics)", multiple: true, types: ["metrics"])],
            outputs: [OutputSignature("aggregate", type: Self.artifactType, "per-metric mean/sd/min/max and the per-realization values")])
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let inputs = context.inputs["metrics"] ?? []
        guard !inputs.isEmpty else { throw NodeError("node '\(context.node.id)': 'metrics' is empty; bind one metrics artifact per realization") }
        var columns: [String: [Double]] = [:]
        var members: [Int64] = [], nonMembers: [Int64] = [], confidence: [Double] = [], methods: [String] = []
        for input in inputs {
            let a = try input.load()
            let what = "input '\(input.source)' of node '\(context.node.id)'"
            guard case .string("metrics")? = a.attributes[Artifact.Provenance.type] else {
                throw NodeError("\(what) is not a metrics artifact; bind the classifier's 'metrics' output (e.g. '\(input.source.node).metrics')")
            }
            for name in Self.metricNames {
                guard case .double(let v)? = a.attributes[name], v.isFinite else {
                    throw NodeError("\(what) has no finite '\(name)' attribute; re-run its classify node with this earshot version")
                }
                columns[name, default: []].append(v)
            }
            if case .int(let m)? = a.attributes["members"] { members.append(m) }
            if case .int(let m)? = a.attributes["nonmembers"] { nonMembers.append(m) }
            if case .double(let c)? = a.attributes["auc_ci_confidence"] { confidence.append(c) }
            if case .string(let m)? = a.attributes["auc_ci_method"] { methods.append(m) }
        }
        var out = Artifact()
        out.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        out.attributes["realizations"] = .int(Int64(inputs.count))
        out.setColumn("source", inputs.map(\.source.description))
        for name in Self.metricNames {
            let values = columns[name]!
            let spread = RealizationSpread(values)!
            out.setColumn(name, values)
            out.attributes["\(name)_mean"] = .double(spread.mean)
            out.attributes["\(name)_sd"] = .double(spread.sd)
            out.attributes["\(name)_min"] = .double(spread.min)
            out.attributes["\(name)_max"] = .double(spread.max)
        }
        if members.count == inputs.count, nonMembers.count == inputs.count {
            out.setColumn("members", members)
            out.setColumn("nonmembers", nonMembers)
            if Set(members).count == 1, Set(nonMembers).count == 1 {
                out.attributes["members"] = .int(members[0])
                out.attributes["nonmembers"] = .int(nonMembers[0])
            }
        }
        if confidence.count == inputs.count, Set(confidence).count == 1 { out.attributes["auc_ci_confidence"] = .double(confidence[0]) }
        if methods.count == inputs.count, Set(methods).count == 1 { out.attributes["auc_ci_method"] = .string(methods[0]) }
        return ["aggregate": out]
    }
}
