import EarshotNodes
import EarshotReport
import EarshotStore
import Foundation
import Testing

/// `aggregate` and `report` run by the engine on hand-made upstream artifacts.
@Suite struct ReportKindTests {
    static func sandbox() throws -> Phase3Sandbox {
        var fixtures: [String: Artifact] = [:]
        for input in try ReportFixtures.quickstartInputs() where input.node != "mia_tts" {
            fixtures["\(input.node).\(input.output)"] = input.artifact
        }
        for (i, auc) in [0.512, 0.489, 0.531].enumerated() {
            fixtures["mia_tts_\(i).metrics"] = ReportFixtures.metrics(auc: auc, lower: auc - 0.08, upper: auc + 0.08)
        }
        return try Phase3Sandbox(fixtures: fixtures)
    }

    /// Fixture nodes for every input, the aggregate over three TTS realizations, and the report.
    static func experiment(report: String = ReportFixtures.layoutYAML) -> String {
        var yaml = "experiment: report-test\nseed: 7\nnodes:\n"
        var outputs: [String: [String]] = [:]
        for input in (try? ReportFixtures.quickstartInputs()) ?? [] where input.node != "mia_tts" {
            outputs[input.node, default: []].append(input.output)
        }
        for i in 0..<3 { outputs["mia_tts_\(i)"] = ["metrics"] }
        for node in outputs.keys.sorted() {
            yaml += "  \(node): {kind: fixture, params: {outputs: [\(outputs[node]!.joined(separator: ", "))]}}\n"
        }
        yaml += "  mia_tts: {kind: aggregate, inputs: {metrics: [mia_tts_0.metrics, mia_tts_1.metrics, mia_tts_2.metrics]}}\n"
        yaml += "  report:\n    kind: report\n    inputs:\n      tables: [mia_orig.metrics, mia_orig.scores, mia_sil.metrics, mia_noise.metrics, mia_tts, mia_shifted.metrics, blind_meta.metrics, blind_text.metrics, blind_ac.metrics, blind_ac.scores, corr_meta.correlation, corr_text.correlation, corr_ac.correlation, cross_ds.matrix]\n"
        yaml += "    params:\n" + report.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n") + "\n"
        return yaml
    }

    @Test func theReportNodeWritesEveryFormatAndIsCachedOnTheSecondRun() async throws {
        let sandbox = try Self.sandbox()
        let first = try await sandbox.run(Self.experiment())
        #expect(sandbox.failure("report") == nil, "\(sandbox.failure("report") ?? "")")
        #expect(first.nodes.first { $0.id == "report" }?.outputs.keys.sorted() == ["heatmap_csv", "html", "json", "markdown", "table1_csv", "table2_csv"])
        let md = try FileArtifact(artifact: sandbox.artifact("report", "markdown"))
        #expect(md.filename == "report.md")
        let text = String(decoding: md.content, as: UTF8.self)
        #expect(text.contains("| matched | reference-a | 0.962 [0.931, 0.986] | 0.503 [0.421, 0.587] | 0.497 [0.412, 0.578] | 0.511 [0.431, 0.591] (mean of 3, sd 0.021) |"))
        #expect(text.contains("Experiment `report-test`, report node `report`"))
        let html = try FileArtifact(artifact: sandbox.artifact("report", "html"))
        #expect(html.filename == "report.html" && String(decoding: html.content, as: UTF8.self).contains("data-figure=\"roc-log\""))
        let json = try FileArtifact(artifact: sandbox.artifact("report", "json"))
        let doc = try JSONDecoder().decode(ReportDocument.self, from: Data(json.content))
        #expect(doc.header.experiment == "report-test" && doc.header.nodeKey.count == 64)
        #expect(doc.table2[0].conditions[3].auc?.source == "mia_tts.aggregate")
        #expect(doc.inputs.first { $0.ref == "mia_orig.metrics" }?.kind == "fixture")
        #expect(try FileArtifact(artifact: sandbox.artifact("report", "table2_csv")).filename == "table2.csv")
        // A file artifact written back to disk is the bytes it holds.
        let out = sandbox.dir.appendingPathComponent("export")
        let url = try html.write(into: out)
        #expect(try Data(contentsOf: url) == Data(html.content))

        // Nothing changed: nothing runs, and the report's objects are the same.
        let second = try await sandbox.run(Self.experiment())
        #expect(second.nodes.allSatisfy { $0.status == .cached })
        #expect(second.nodes.first { $0.id == "report" }?.outputs == first.nodes.first { $0.id == "report" }?.outputs)
    }

    @Test func identicalInputsGiveByteIdenticalFilesInAnotherStore() async throws {
        let a = try Self.sandbox(), b = try Self.sandbox()
        let first = try await a.run(Self.experiment()), second = try await b.run(Self.experiment())
        let outputs = try #require(first.nodes.first { $0.id == "report" }?.outputs)
        #expect(outputs.count == 6)
        #expect(second.nodes.first { $0.id == "report" }?.outputs == outputs)
        for name in outputs.keys {
            #expect(try FileArtifact(artifact: a.artifact("report", name)) == FileArtifact(artifact: b.artifact("report", name)))
        }
    }

    @Test func aTitleChangeRerunsOnlyTheReport() async throws {
        let sandbox = try Self.sandbox()
        try await sandbox.run(Self.experiment())
        let edited = ReportFixtures.layoutYAML.replacingOccurrences(of: "Quickstart audit", with: "Edited title")
        try await sandbox.run(Self.experiment(report: edited))
        #expect(sandbox.ids(.ran) == ["report"])
    }

    @Test func anUnknownIdIsReportedWithTheParamAndASuggestion() async throws {
        let sandbox = try Self.sandbox()
        let bad = ReportFixtures.layoutYAML.replacingOccurrences(of: "silence: mia_sil,", with: "silence: mia_sill,")
        // A fresh run: the report node fails (its key cannot be made) and names the param and the likely id.
        try await sandbox.run(Self.experiment(report: bad))
        let failure = sandbox.failure("report") ?? ""
        #expect(failure.contains("table2[0].silence") && failure.contains("'mia_sill'") && failure.contains("did you mean 'mia_sil'?"), "\(failure)")
        #expect(sandbox.ids(.failed) == ["report"])
        // Once the upstream results are cached, `earshot plan` already refuses it.
        await #expect {
            _ = try await sandbox.plan(Self.experiment(report: bad))
        } throws: { error in
            let text = "\(error)"
            return text.contains("table2[0].silence") && text.contains("did you mean 'mia_sil'?")
        }
    }

    @Test func aMisplacedTypeFailsTheNodeWithAnExplanation() async throws {
        let sandbox = try Self.sandbox()
        let bad = ReportFixtures.layoutYAML.replacingOccurrences(of: "heatmap: cross_ds", with: "heatmap: corr_ac")
        try await sandbox.run(Self.experiment(report: bad))
        let failure = sandbox.failure("report") ?? ""
        #expect(failure.contains("'heatmap[0]'") && failure.contains("corr_ac.correlation") && failure.contains("'auc_matrix'"), "\(failure)")
    }

    @Test func csvOutputsFollowTheLayout() async throws {
        let sandbox = try Self.sandbox()
        let yaml = Self.experiment(report: "title: only table 2\ntable2: [{dataset: matched, original: mia_orig, silence: mia_sil}]")
        let summary = try await sandbox.run(yaml)
        #expect(summary.nodes.first { $0.id == "report" }?.outputs.keys.sorted() == ["html", "json", "markdown", "table2_csv"])
    }
}

/// `aggregate`: the spread arithmetic and the artifact it writes.
@Suite struct AggregateTests {
    @Test func spreadMatchesNumpy() throws {
        // numpy: mean 0.5106666666666667, std(ddof=1) 0.02103172207246316.
        let s = try #require(RealizationSpread([0.512, 0.489, 0.531]))
        #expect(abs(s.mean - 0.5106666666666667) < 1e-15)
        #expect(abs(s.sd - 0.02103172207246316) < 1e-15)
        #expect(s.min == 0.489 && s.max == 0.531)
        let one = try #require(RealizationSpread([0.7]))
        #expect(one.mean == 0.7 && one.sd.isNaN && one.min == 0.7)
        #expect(RealizationSpread([]) == nil)
        let constant = try #require(RealizationSpread([0.5, 0.5, 0.5, 0.5]))
        #expect(constant.sd == 0)
    }

    @Test func theAggregateArtifactHoldsMeansSpreadsAndValues() async throws {
        let sandbox = try ReportKindTests.sandbox()
        try await sandbox.run(ReportKindTests.experiment())
        let a = try sandbox.artifact("mia_tts", "aggregate")
        #expect(a.attributes["earshot.type"] == .string("aggregate"))
        #expect(a.attributes["realizations"] == .int(3))
        #expect(try a.doubleColumn("auc") == [0.512, 0.489, 0.531])
        #expect(try a.stringColumn("source") == ["mia_tts_0.metrics", "mia_tts_1.metrics", "mia_tts_2.metrics"])
        guard case .double(let mean)? = a.attributes["auc_mean"], case .double(let sd)? = a.attributes["auc_sd"],
              case .double(let lower)? = a.attributes["auc_ci_lower_mean"], case .double(let tpr)? = a.attributes["tpr_at_1pct_fpr_mean"] else {
            Issue.record("missing aggregate attributes: \(a.attributes.keys.sorted())")
            return
        }
        #expect(abs(mean - 0.5106666666666667) < 1e-12 && abs(sd - 0.02103172207246316) < 1e-12)
        #expect(abs(lower - (0.5106666666666667 - 0.08)) < 1e-12)
        #expect(abs(tpr - 0.01) < 1e-12)
        #expect(a.attributes["auc_min"] == .double(0.489) && a.attributes["auc_max"] == .double(0.531))
        #expect(a.attributes["members"] == .int(100) && a.attributes["auc_ci_confidence"] == .double(0.95))
    }

    @Test func aScoresInputIsRefusedWithTheFix() async throws {
        let sandbox = try ReportKindTests.sandbox()
        try await sandbox.run("""
        experiment: agg
        nodes:
          mia_orig: {kind: fixture, params: {outputs: [metrics, scores]}}
          agg: {kind: aggregate, inputs: {metrics: [mia_orig.scores]}}
        """)
        let failure = sandbox.failure("agg") ?? ""
        #expect(failure.contains("not a metrics artifact") && failure.contains("mia_orig.metrics"), "\(failure)")
    }
}
