import EarshotGraph
import EarshotReport
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `report`: renders the paper's tables and figures from upstream artifacts — Markdown, HTML with inline SVG,
/// JSON (`schemas/report.schema.json`) and one CSV per table — computing nothing itself.
///
/// The params describe the layout (see `ReportLayout`), naming inputs by node id (`mia_orig`) or by
/// `node.output` (`mia_orig.metrics`); every name must be bound under `tables`. Names are checked when the key
/// is computed (so `earshot plan` fails early, with a did-you-mean), types when the node runs. Outputs are
/// `file` artifacts (`content` bytes + `filename`) whose bytes depend only on the inputs and params: no
/// timestamps, fixed-precision numbers.
public struct ReportKind: NodeKind {
    public static let name = "report"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    /// The CSV outputs and the layout param each needs.
    static var csvOutputs: [(output: String, param: KeyPath<Params, Value>)] { [("table1_csv", \.table1), ("table2_csv", \.table2), ("heatmap_csv", \.heatmap)] }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "paper-style tables (markdown, csv, json) and an html report with svg figures, rendered from upstream artifacts",
            inputs: [InputSignature("tables", "every artifact the layout names: metrics, aggregate, correlation, auc_matrix, scores", multiple: true)],
            outputs: [
                OutputSignature("markdown", type: FileArtifact.artifactType, "report.md: the tables in markdown"),
                OutputSignature("html", type: FileArtifact.artifactType, "report.html: self-contained page with tables and svg figures"),
                OutputSignature("json", type: FileArtifact.artifactType, "report.json: everything shown, as described by schemas/report.schema.json"),
                OutputSignature("table1_csv", type: FileArtifact.artifactType, "table1.csv (when table1 is given)"),
                OutputSignature("table2_csv", type: FileArtifact.artifactType, "table2.csv (when table2 is given)"),
                OutputSignature("heatmap_csv", type: FileArtifact.artifactType, "heatmap.csv, one row per matrix cell (when heatmap is given)"),
            ],
            params: Params.signatures,
            dynamicOutputs: { params in
                let p = (try? Params(decoding: params, lenient: true)) ?? Params()
                return ["markdown", "html", "json"] + Self.csvOutputs.filter { !Self.isEmpty(p[keyPath: $0.param]) }.map(\.output)
            })
    }

    struct Params: KindParams {
        @Param("the report's title") var title = "Earshot report"
        @Param("rows {dataset, model, mia: id, blind: {metadata|text|acoustic: id}, r: {same keys: correlation id}}")
        var table1: Value = .array([])
        @Param("rows {dataset, model, original|silence|noise|synthesized: metrics or aggregate id}") var table2: Value = .array([])
        @Param("auc_matrix id(s), or {matrix: id, label: text}") var heatmap: Value = .array([])
        @Param("metrics ids (or {metrics: id, label: text}) whose roc curves to plot") var roc: Value = .array([])
        @Param("correlation ids, or {x: scores id, y: scores id, r: correlation id, label, x_label, y_label}")
        var scatter: Value = .array([])
    }

    static func isEmpty(_ value: Value?) -> Bool {
        switch value {
        case nil, .null?: true
        case .array(let a)?: a.isEmpty
        default: false
        }
    }

    static func layout(_ node: ValidatedNode) throws -> ReportLayout {
        do {
            let layout = try ReportLayout(params: node.decodeParams(Params.self).values)
            try ReportBuilder.checkNames(layout, bound: (node.inputs["tables"] ?? []).map { ($0.node, $0.output) })
            return layout
        } catch let error as ReportError {
            throw NodeError("node '\(node.id)': \(error.message)")
        }
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        _ = try Self.layout(node)
        return KeyExtras()
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let layout = try Self.layout(context.node)
        let sources = try (context.inputs["tables"] ?? []).map { input in
            ReportSource(node: input.source.node, output: input.source.output, artifact: try input.load())
        }
        let document: ReportDocument
        let json: [UInt8]
        do {
            document = try ReportBuilder(inputs: sources).build(layout, experiment: context.experiment, node: context.node.id,
                                                                nodeKey: context.key.hex)
            json = try document.json()
        } catch let error as ReportError {
            throw NodeError("node '\(context.node.id)': \(error.message)")
        }
        var files: [String: FileArtifact] = [
            "markdown": FileArtifact(filename: "report.md", text: MarkdownRenderer.render(document)),
            "html": FileArtifact(filename: "report.html", text: HTMLRenderer.render(document)),
            "json": FileArtifact(filename: "report.json", content: json),
        ]
        if !layout.table1.isEmpty { files["table1_csv"] = FileArtifact(filename: "table1.csv", text: CSVRenderer.table1(document)) }
        if !layout.table2.isEmpty { files["table2_csv"] = FileArtifact(filename: "table2.csv", text: CSVRenderer.table2(document)) }
        if !layout.heatmaps.isEmpty { files["heatmap_csv"] = FileArtifact(filename: "heatmap.csv", text: CSVRenderer.heatmaps(document)) }
        return files.mapValues { $0.artifact() }
    }
}
