import EarshotTestKinds
import EarshotReport
import EarshotSpec
import EarshotStore
import Foundation
import Testing

/// The report's documents and renderings from hand-made artifacts with known numbers.
@Suite struct ReportRenderingTests {
    static func layout(_ yaml: String = ReportFixtures.layoutYAML) throws -> ReportLayout {
        guard case .object(var params) = try SpecReader.document(yaml) else { throw ReportError("layout is not a mapping") }
        if params["title"] == nil { params["title"] = .string("Earshot report") }  // the report kind always passes its title
        return try ReportLayout(params: params)
    }

    static func document() throws -> ReportDocument {
        try ReportBuilder(inputs: ReportFixtures.sources()).build(layout(), experiment: "quickstart", node: "report",
                                                                 nodeKey: String(repeating: "ab", count: 32))
    }

    @Test func tablesHoldTheInputsNumbers() throws {
        let doc = try Self.document()
        #expect(doc.table1Features == ["metadata", "text", "acoustic"])
        #expect(doc.table1.count == 2)
        let shifted = doc.table1[0]
        #expect(shifted.mia?.auc == 0.741)
        #expect(shifted.mia?.source == "mia_shifted.metrics")
        #expect(shifted.blind.map(\.features) == ["metadata", "text", "acoustic"])
        #expect(shifted.blind[2].auc?.auc == 0.998)
        #expect(shifted.blind[2].r?.pearsonR == 0.78)
        #expect(shifted.blind[2].flagged)
        #expect(!shifted.blind[0].flagged)
        // The second row names no text baseline: an empty cell, in column order.
        #expect(doc.table1[1].blind[1].auc == nil && doc.table1[1].blind[1].features == "text")
        #expect(doc.table2Conditions == ["original", "silence", "noise", "synthesized"])
        let row = doc.table2[0]
        #expect(row.conditions.map { $0.auc?.auc } == [0.962, 0.503, 0.497, (0.512 + 0.489 + 0.531) / 3])
        #expect(row.conditions[3].auc?.realizations == 3)
        #expect(row.conditions[1].auc?.intervalIncludesChance == true)
        #expect(row.conditions[0].auc?.intervalIncludesChance == false)
        #expect(doc.table2[1].conditions[2].auc == nil)
        #expect(doc.heatmaps.first?.datasets.count == 3)
        #expect(doc.roc.map(\.label) == ["mia_orig.metrics", "acoustic blind baseline", "mia_sil.metrics"])
        #expect(doc.roc[0].fpr.count == 51)
        // A correlation scatter and a scores scatter (joined by id, labels from x).
        #expect(doc.scatter[0].points.count == 60 && doc.scatter[0].correlation?.pearsonR == 0.78)
        #expect(doc.scatter[1].xSource == "blind_ac.scores" && doc.scatter[1].ySource == "mia_orig.scores")
        #expect(doc.scatter[1].points.first?.label == 1)
        #expect(doc.inputs.count == 14)
    }

    @Test func markdownShowsTheTablesWithFixedPrecision() throws {
        let md = MarkdownRenderer.render(try Self.document())
        #expect(md.hasPrefix("# Quickstart audit\n"))
        #expect(md.contains("| Dataset | Model | MIA AUC [95% CI] | Metadata AUC [95% CI], r | Text AUC [95% CI], r | Acoustic AUC [95% CI], r |"))
        #expect(md.contains("| shifted | reference-b | 0.741 [0.675, 0.802] | 0.550 [0.470, 0.630], r = 0.12 | 0.490 [0.410, 0.570], r = -0.03 | 0.998 [0.990, 1.000] †, r = 0.78 |"))
        #expect(md.contains("| matched | reference-a | 0.962 [0.931, 0.986] | 0.503 [0.421, 0.587] | 0.497 [0.412, 0.578] | 0.511 [0.431, 0.591] (mean of 3, sd 0.021) |"))
        // A pipe in a cell is escaped, so the row keeps its columns.
        #expect(md.contains("| matched | whisper \\| tiny | 0.962 [0.931, 0.986] | 0.503 [0.421, 0.587] | – | – |"))
        #expect(md.contains(CellFormat.flagNote))
        #expect(md.contains("`abababababab`"))
    }

    @Test func csvQuotesFieldsThatNeedIt() throws {
        #expect(CSVRenderer.field("plain") == "plain")
        #expect(CSVRenderer.field("a,b") == "\"a,b\"")
        #expect(CSVRenderer.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVRenderer.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVRenderer.field(" padded") == "\" padded\"")
        #expect(CSVRenderer.field("") == "")
        let doc = try Self.document()
        let t1 = CSVRenderer.table1(doc).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(t1[0] == "dataset,model,mia_auc,mia_ci_lower,mia_ci_upper,mia_source," + ["metadata", "text", "acoustic"].map { f in
            ["auc", "ci_lower", "ci_upper", "flagged", "r", "r_ci_lower", "r_ci_upper", "r_p", "source", "r_source"].map { "\(f)_\($0)" }.joined(separator: ",")
        }.joined(separator: ","))
        #expect(t1[1].hasPrefix("shifted,reference-b,0.741000,0.675000,0.802000,mia_shifted.metrics,0.550000,0.470000,0.630000,0,0.120000,"))
        #expect(t1[2].hasPrefix("\"matched, clean\",reference-a,0.962000,"))
        #expect(t1.count == 4 && t1[3].isEmpty)
        let t2 = CSVRenderer.table2(doc)
        #expect(t2.contains("synthesized_auc,synthesized_ci_lower,synthesized_ci_upper,synthesized_realizations,synthesized_auc_sd,synthesized_source"))
        #expect(t2.contains(",3,0.021032,mia_tts.aggregate\n"))
        let heat = CSVRenderer.heatmaps(doc)
        #expect(heat.contains("cross_ds.matrix,shifted,\"other, \"\"quoted\"\"\",0.730000,0.680000,0.780000\n"))
    }

    @Test func jsonFollowsTheSchema() throws {
        let schemaURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schemas/report.schema.json")
        let schema = try JSONReader.parse(String(contentsOf: schemaURL, encoding: .utf8))
        let json = String(decoding: try Self.document().json(), as: UTF8.self)
        let errors = JSONSchemaValidator(root: schema).validate(try JSONReader.parse(json))
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        // The validator is not vacuous: a broken document fails it.
        var broken = try Self.document()
        broken.format = "other"
        broken.table2[0].conditions[0].auc?.auc = 1.5
        let brokenErrors = JSONSchemaValidator(root: schema).validate(try JSONReader.parse(String(decoding: try broken.json(), as: UTF8.self)))
        #expect(brokenErrors.count >= 2)
        // Round trip.
        #expect(try JSONDecoder().decode(ReportDocument.self, from: Data(try Self.document().json())) == (try Self.document()))
    }

    @Test func renderingIsByteIdenticalForEqualInputs() throws {
        let a = try Self.document(), b = try Self.document()
        #expect(HTMLRenderer.render(a) == HTMLRenderer.render(b))
        #expect(try a.json() == b.json())
        #expect(MarkdownRenderer.render(a) == MarkdownRenderer.render(b))
    }

    @Test func htmlHasEveryFigureAndNoExternalResources() throws {
        let html = HTMLRenderer.render(try Self.document())
        for figure in ["roc-linear", "roc-log", "heatmap", "scatter"] {
            #expect(html.contains("data-figure=\"\(figure)\""), "missing \(figure)")
        }
        #expect(html.components(separatedBy: "<svg ").count - 1 == 5)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == 5)  // only the SVG namespace
        #expect(!html.contains("https://"))
        #expect(html.contains("<title>Quickstart audit</title>"))
        #expect(html.contains("whisper | tiny"))
    }

    @Test func fixedDecimalIsLocaleFreeAndNeverNegativeZero() {
        #expect(FixedDecimal.format(0.93751, digits: 3) == "0.938")
        #expect(FixedDecimal.format(-0.0001, digits: 3) == "0.000")
        #expect(FixedDecimal.format(-0.25, digits: 2) == "-0.25")
        #expect(FixedDecimal.format(1, digits: 0) == "1")
        #expect(FixedDecimal.format(.nan, digits: 3) == "–")
        #expect(FixedDecimal.format(nil, digits: 3, missing: "") == "")
        #expect(FixedDecimal.format(12.5, digits: 1) == "12.5")
    }

    @Test func unknownIdsAreNamedWithTheParamAndASuggestion() throws {
        let layout = try Self.layout("""
        table2: [{dataset: matched, original: mia_orig, silence: mia_sill}]
        """)
        let bound = try ReportFixtures.quickstartInputs().map { ($0.node, $0.output) }
        #expect {
            try ReportBuilder.checkNames(layout, bound: bound)
        } throws: { error in
            let message = (error as? ReportError)?.message ?? ""
            return message.contains("report param 'table2[0].silence' names 'mia_sill'") && message.contains("did you mean 'mia_sil'?")
        }
    }

    @Test func wrongTypesAndUnknownKeysAreExplained() throws {
        let builder = ReportBuilder(inputs: try ReportFixtures.sources())
        #expect {
            _ = try builder.build(try Self.layout("roc: [corr_ac]"), experiment: "e", node: "r", nodeKey: "")
        } throws: { error in
            let message = (error as? ReportError)?.message ?? ""
            return message.contains("'roc[0]'") && message.contains("corr_ac.correlation (correlation)") && message.contains("'metrics'")
        }
        #expect {
            _ = try Self.layout("table2: [{dataset: m, silense: mia_sil}]")
        } throws: { error in
            ((error as? ReportError)?.message ?? "").contains("unknown key 'silense' (did you mean 'silence'?)")
        }
        #expect {
            _ = try Self.layout("table1: [{dataset: m, blind: {acoustic: blind_ac}, r: {text: corr_text}}]")
        } throws: { error in
            ((error as? ReportError)?.message ?? "").contains("gives r for 'text'")
        }
    }

    @Test func anUndefinedCorrelationIsShownAsSuch() throws {
        let c = CorrelationEstimate(source: "r.correlation", pearsonR: nil, joined: 12,
                                    undefined: "the scores of input 'b' are constant")
        #expect(CellFormat.r(c) == "r undefined")
        #expect(CellFormat.correlationLines(c, points: 12) == ["correlation undefined: the scores of input 'b' are constant", "n = 12"])
        let json = String(decoding: try JSONEncoder().encode(c), as: UTF8.self)
        #expect(!json.contains("pearson_r") && json.contains("\"undefined\""))
    }
}
