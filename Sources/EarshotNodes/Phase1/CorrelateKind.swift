import EarshotLearn
import EarshotRun
import EarshotSpec
import EarshotStore

/// `correlate`: Pearson and Spearman correlation between two per-item score vectors joined by item id.
///
/// The join keeps `a`'s order and the items present in both (an item id repeated within one input is an
/// error; no shared id is an error). Pearson: `Correlation.pearson` (scipy's r and p, Fisher-z interval);
/// Spearman: `Correlation.spearman` (average ranks, t-approximation p, Bonett–Wright interval). When either
/// vector is constant the coefficients are undefined: they are written as NaN and the `undefined` attribute
/// says which input was constant (fewer than 3 joined items or non-finite scores still fail the node).
/// The paper's diagnostic: a high blind AUC together with a positive correlation between the blind scores
/// and the MIA scores indicates that the MIA signal is confounded by distribution shift.
public struct CorrelateKind: NodeKind {
    public static let name = "correlate"
    static let artifactType = "correlation"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "pearson and spearman correlation (with ci and p-value) of two score vectors joined by item id",
            inputs: [
                InputSignature("a", "a scores artifact (e.g. a blind classifier's)", types: [ScoreTable.artifactType]),
                InputSignature("b", "a scores artifact (e.g. an mia classifier's)", types: [ScoreTable.artifactType]),
            ],
            outputs: [OutputSignature("correlation", type: Self.artifactType, "r, rho, p-values, cis, and the joined scores")],
            params: Params.signatures)
    }

    struct Params: KindParams {
        @Param("confidence level of the intervals", in: 0.5...0.999) var confidence = 0.95
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let a = try ScoreTable(artifact: context.input("a").load(), what: "input 'a' of node '\(context.node.id)'")
        let b = try ScoreTable(artifact: context.input("b").load(), what: "input 'b' of node '\(context.node.id)'")
        let joined = try Self.join(a, b, node: context.node.id)
        let confidence = try context.decodeParams(Params.self).confidence
        var out = Artifact()
        out.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        do {
            let pearson = try Correlation.pearson(joined.a, joined.b, confidence: confidence)
            let spearman = try Correlation.spearman(joined.a, joined.b, confidence: confidence)
            for (prefix, r) in [("pearson", pearson), ("spearman", spearman)] {
                out.attributes["\(prefix)_r"] = .double(r.coefficient)
                out.attributes["\(prefix)_p"] = .double(r.pValue)
                out.attributes["\(prefix)_ci_lower"] = .double(r.lower)
                out.attributes["\(prefix)_ci_upper"] = .double(r.upper)
            }
        } catch LearnError.constantInput {
            // A constant score vector (a classifier that learned nothing, e.g. on silence) has no correlation: the
            // artifact says so, and the report shows "r undefined", instead of failing the audit downstream.
            let side = joined.a.allSatisfy({ $0 == joined.a[0] }) ? "a" : "b"
            out.attributes["undefined"] = .string("the scores of input '\(side)' are constant")
            for prefix in ["pearson", "spearman"] {
                for suffix in ["r", "p", "ci_lower", "ci_upper"] { out.attributes["\(prefix)_\(suffix)"] = .double(.nan) }
            }
        } catch let error as LearnError {
            throw NodeError("node '\(context.node.id)': \(error) (\(joined.ids.count) items joined)")
        }
        out.attributes["confidence"] = .double(confidence)
        out.attributes["joined"] = .int(Int64(joined.ids.count))
        out.attributes["a_items"] = .int(Int64(a.ids.count))
        out.attributes["b_items"] = .int(Int64(b.ids.count))
        out.setColumn("id", joined.ids)
        out.setColumn("a", joined.a)
        out.setColumn("b", joined.b)
        if let labels = joined.labels { out.setColumn("label", labels.map(Int64.init)) }
        return ["correlation": out]
    }

    /// The items of `a` (in `a`'s order) that `b` also scores, with both scores and `a`'s labels (when it has them).
    static func join(_ a: ScoreTable, _ b: ScoreTable, node: String) throws -> (ids: [String], a: [Double], b: [Double], labels: [Int]?) {
        var rowOfB: [String: Int] = [:]
        for (row, id) in b.ids.enumerated() {
            guard rowOfB.updateValue(row, forKey: id) == nil else {
                throw NodeError("node '\(node)': input 'b' scores item '\(id)' twice; ids must be unique")
            }
        }
        var seen = Set<String>()
        var ids: [String] = [], x: [Double] = [], y: [Double] = [], labels: [Int] = []
        let hasLabels = a.labels.count == a.ids.count
        for (row, id) in a.ids.enumerated() {
            guard seen.insert(id).inserted else {
                throw NodeError("node '\(node)': input 'a' scores item '\(id)' twice; ids must be unique")
            }
            guard let other = rowOfB[id] else { continue }
            ids.append(id)
            x.append(a.scores[row])
            y.append(b.scores[other])
            if hasLabels { labels.append(a.labels[row]) }
        }
        guard !ids.isEmpty else {
            throw NodeError("node '\(node)': inputs 'a' (\(a.ids.count) items, e.g. '\(a.ids.first ?? "")') and 'b' (\(b.ids.count) items, e.g. '\(b.ids.first ?? "")') share no item id; correlate scores of the same split")
        }
        return (ids, x, y, hasLabels ? labels : nil)
    }
}
