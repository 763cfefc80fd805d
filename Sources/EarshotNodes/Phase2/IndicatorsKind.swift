import EarshotGraph
import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import Foundation

/// `indicators`: the MIA indicator vector of every scored item (`MIAIndicators`, 52 named columns, lower =
/// more member-like), as a dense `features` artifact that `classify` consumes.
///
/// An item whose vector is undefined — no scored token, statistics that are non-finite or do not have one
/// value per token, or an indicator that overflows to ±inf/NaN — is never dropped silently: with
/// `on_error: fail` the node fails naming the item; with `skip` the row is left out of `X` and listed in
/// `skipped/id` / `skipped/reason`. Items the `score` node already skipped are listed there too.
public struct IndicatorsKind: NodeKind {
    public static let name = "indicators"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        // The version is the indicator definitions' version: any change of output bumps MIAIndicators.version.
        KindSignature(
            name: Self.name, version: MIAIndicators.version,
            summary: "MIA indicators (perplexity, entropy, Min-k%, Max-k%, Min-k%++, Max-Renyi-K%, zlib ratio, top-1/top-2 gap) per scored item",
            inputs: [InputSignature("scores", "per-token statistics from a score node", types: [TokenScores.artifactType])],
            outputs: [OutputSignature("features", type: "features", "one row per item, 52 indicator columns (lower = more member-like)")],
            params: Params.signatures)
    }

    struct Params: KindParams {
        @Param("an item without a defined indicator vector: fail the node, or skip it (listed under 'skipped')")
        var onError: OnError = .fail
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let table: TokenScores
        do {
            table = try TokenScores(artifact: try context.input("scores").load(), validating: false)
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError("node '\(context.node.id)': the 'scores' input is not a token_scores artifact: \(error)")
        }
        let skipItems = try context.decodeParams(Params.self).onError == .skip
        let result = try Self.compute(table, skipItems: skipItems)
        var a = Artifact()
        a.setColumn("id", result.ids)
        a.setColumn("label", result.labels.map(Int64.init))
        try a.setMatrix("X", rows: result.ids.count, cols: MIAIndicators.columnNames.count, values: result.values,
                        columns: MIAIndicators.columnNames)
        a.setColumn("skipped/id", result.skipped.map(\.id))
        a.setColumn("skipped/reason", result.skipped.map(\.reason))
        a.attributes[Artifact.Provenance.type] = .string("features")
        a.attributes["feature_set"] = .string("indicators")
        a.attributes["layout"] = .string("dense")
        a.attributes["indicators_version"] = .int(Int64(MIAIndicators.version))
        a.attributes["orientation"] = .string("lower is more member-like")
        for key in ["model_id", "weights_sha256", "mode", "scorer"] {
            if let v = table.attributes[key] { a.attributes[key] = v }
        }
        return ["features": a]
    }

    /// Rows of the indicator matrix (row-major), their ids and labels, and the items left out.
    struct Rows: Equatable {
        var ids: [String] = []
        var labels: [Int] = []
        var values: [Double] = []
        var skipped: [TokenScores.Skipped] = []
    }

    /// The indicator rows of a table. Throws `NodeError` naming the first undefined item unless `skipItems`.
    static func compute(_ table: TokenScores, skipItems: Bool) throws -> Rows {
        var rows = Rows()
        rows.skipped = table.skipped.map { TokenScores.Skipped(id: $0.id, reason: "not scored: \($0.reason)") }
        for (i, item) in table.items.enumerated() {
            let reason: String
            do {
                let vector = try MIAIndicators.compute(item)
                if let bad = vector.firstIndex(where: { !$0.isFinite }) {
                    reason = "indicator '\(MIAIndicators.columnNames[bad])' is \(vector[bad])"
                } else {
                    rows.ids.append(item.id)
                    rows.labels.append(table.labels[i])
                    rows.values.append(contentsOf: vector)
                    continue
                }
            } catch {
                reason = "\(error)"
            }
            guard skipItems else {
                throw NodeError("item '\(item.id)' has no defined indicator vector: \(reason); set on_error: skip to leave it out (it is then listed under 'skipped')")
            }
            rows.skipped.append(TokenScores.Skipped(id: item.id, reason: reason))
        }
        return rows
    }
}
