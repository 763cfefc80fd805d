import EarshotSpec

/// Turns a layout and the report's inputs into a `ReportDocument`, checking that every id the layout names is
/// an input of the report and that each is an artifact of the type its place needs.
///
/// An id matches an input bound as `node.output` when it equals `node.output` or `node`. When a node has
/// several outputs bound (`mia.scores` and `mia.metrics`), `node` picks the one whose type fits (metrics for a
/// table cell or an ROC curve, scores for a scatter axis).
public struct ReportBuilder: Sendable {
    public var inputs: [ReportSource]

    public init(inputs: [ReportSource]) { self.inputs = inputs }

    /// Checks only that every id names an input (types are checked by `build`): what can be known before the
    /// inputs exist. `bound` lists the inputs as `node.output`.
    public static func checkNames(_ layout: ReportLayout, bound: [(node: String, output: String)]) throws {
        let names = Set(bound.map(\.node) + bound.map { "\($0.node).\($0.output)" })
        for ref in layout.refs where !names.contains(ref.name) {
            throw unknown(ref, candidates: names)
        }
    }

    static func unknown(_ ref: ReportLayout.Ref, candidates: Set<String>) -> ReportError {
        ReportError("report param '\(ref.param)' names '\(ref.name)', which is not an input of the report\(Suggestion.hint(for: ref.name, in: candidates.sorted())); add it under inputs: {tables: [...]} (inputs: \(candidates.isEmpty ? "none" : candidates.sorted().joined(separator: ", ")))")
    }

    /// The input `ref` names, preferring one of the `accepted` types.
    public func resolve(_ ref: ReportLayout.Ref, accepted: [String], use: String) throws -> ReportSource {
        let matches = inputs.filter { $0.ref == ref.name || $0.node == ref.name }
        guard !matches.isEmpty else {
            throw Self.unknown(ref, candidates: Set(inputs.map(\.node) + inputs.map(\.ref)))
        }
        let fitting = matches.filter { accepted.contains($0.type) }
        if fitting.count == 1 || (fitting.count > 1 && Set(fitting.map(\.ref)).count == 1) { return fitting[0] }
        if fitting.count > 1 {
            throw ReportError("report param '\(ref.param)' names '\(ref.name)', which matches several inputs (\(fitting.map(\.ref).joined(separator: ", "))); write one of them in full")
        }
        let bound = matches.map { "\($0.ref) (\($0.type.isEmpty ? "untyped" : $0.type))" }.joined(separator: ", ")
        throw ReportError("report param '\(ref.param)' names '\(ref.name)', bound as \(bound), but \(use) needs \(accepted.map { "'\($0)'" }.joined(separator: " or ")); bind the right output (e.g. '\(matches[0].node).metrics') in the report's inputs")
    }

    public func build(_ layout: ReportLayout, experiment: String, node: String, nodeKey: String) throws -> ReportDocument {
        var doc = ReportDocument(header: .init(title: layout.title, experiment: experiment, node: node, nodeKey: nodeKey),
                                 inputs: inputs.map(ReportDocument.Input.init))
        // Table 1.
        var features = ReportLayout.featureSets.filter { f in layout.table1.contains { $0.blind.contains { $0.features == f } } }
        for row in layout.table1 { for (f, _) in row.blind where !features.contains(f) { features.append(f) } }
        doc.table1Features = features
        doc.table1 = try layout.table1.map { row in
            let mia = try row.mia.map { try AUCEstimate(resolve($0, accepted: AUCEstimate.acceptedTypes, use: "a table 1 mia cell"), use: "a table 1 mia cell") }
            let cells = try features.map { f -> ReportDocument.BlindCell in
                let auc = try row.blind.first { $0.features == f }.map { entry in
                    try AUCEstimate(resolve(entry.ref, accepted: AUCEstimate.acceptedTypes, use: "a table 1 blind cell"), use: "a table 1 blind cell")
                }
                let r = try row.r.first { $0.features == f }.map { entry in
                    try CorrelationEstimate(resolve(entry.ref, accepted: ["correlation"], use: "a table 1 r cell"), use: "a table 1 r cell")
                }
                return ReportDocument.BlindCell(features: f, auc: auc, r: r)
            }
            return ReportDocument.Table1Row(dataset: row.dataset, model: row.model, mia: mia, blind: cells)
        }
        // Table 2.
        let conditions = ReportLayout.conditions.filter { c in layout.table2.contains { $0.conditions.contains { $0.condition == c } } }
        doc.table2Conditions = conditions
        doc.table2 = try layout.table2.map { row in
            let cells = try conditions.map { c in
                ReportDocument.ConditionCell(condition: c, auc: try row.conditions.first { $0.condition == c }.map { entry in
                    try AUCEstimate(resolve(entry.ref, accepted: AUCEstimate.acceptedTypes, use: "a table 2 cell"), use: "a table 2 cell")
                })
            }
            return ReportDocument.Table2Row(dataset: row.dataset, model: row.model, conditions: cells)
        }
        // Figures.
        doc.heatmaps = try layout.heatmaps.map {
            try AUCHeatmap(resolve($0.ref, accepted: ["auc_matrix"], use: "a heatmap"), label: $0.label, use: "a heatmap")
        }
        doc.roc = try layout.roc.map {
            try ROCSeries(resolve($0.ref, accepted: ["metrics"], use: "an roc curve"), label: $0.label, use: "an roc curve")
        }
        doc.scatter = try layout.scatter.map { entry in
            switch entry {
            case .correlation(let ref, let label, let xLabel, let yLabel):
                return try ScoreScatter(correlation: resolve(ref, accepted: ["correlation"], use: "a scatter plot"),
                                        label: label, xLabel: xLabel, yLabel: yLabel, use: "a scatter plot")
            case .scores(let x, let y, let r, let label, let xLabel, let yLabel):
                return try ScoreScatter(x: resolve(x, accepted: ["scores"], use: "a scatter x axis"),
                                        y: resolve(y, accepted: ["scores"], use: "a scatter y axis"),
                                        correlation: r.map { try resolve($0, accepted: ["correlation"], use: "a scatter r") },
                                        label: label, xLabel: xLabel, yLabel: yLabel, use: "a scatter plot")
            }
        }
        return doc
    }
}
