import EarshotReport
import EarshotStore
import Foundation

/// Hand-made artifacts in the documented layouts (`schemas/artifacts.md`): what `classify`, `correlate`,
/// `cross_dataset` and `aggregate` write, built directly so the report is tested on known numbers.
enum ReportFixtures {
    /// A `metrics` artifact whose ROC curve is tpr = fpr^a on `points` FPR steps (AUC = 1/(1+a)).
    static func metrics(auc: Double, lower: Double, upper: Double, exponent: Double = 1, points: Int = 50,
                        members: Int = 100, nonmembers: Int = 100) -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string("metrics")
        a.attributes[Artifact.Provenance.kind] = .string("classify")
        a.attributes["auc"] = .double(auc)
        a.attributes["auc_ci_lower"] = .double(lower)
        a.attributes["auc_ci_upper"] = .double(upper)
        a.attributes["auc_ci_confidence"] = .double(0.95)
        a.attributes["bootstrap_resamples"] = .int(1000)
        a.attributes["tpr_at_1pct_fpr"] = .double(pow(0.01, exponent))
        a.attributes["tpr_at_0_1pct_fpr"] = .double(pow(0.001, exponent))
        a.attributes["members"] = .int(Int64(members))
        a.attributes["nonmembers"] = .int(Int64(nonmembers))
        let fpr = (0...points).map { Double($0) / Double(points) }
        a.setColumn("roc/fpr", fpr)
        a.setColumn("roc/tpr", fpr.map { pow($0, exponent) })
        a.setColumn("roc/threshold", fpr.map { 1 - $0 })
        return a
    }

    /// An `aggregate` artifact as `aggregate` writes it, for the given per-realization AUCs.
    static func aggregate(aucs: [Double], halfWidth: Double = 0.08) -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string("aggregate")
        a.attributes["realizations"] = .int(Int64(aucs.count))
        let mean = aucs.reduce(0, +) / Double(aucs.count)
        let sd = (aucs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(aucs.count - 1)).squareRoot()
        a.attributes["auc_mean"] = .double(mean)
        a.attributes["auc_sd"] = .double(sd)
        a.attributes["auc_min"] = .double(aucs.min()!)
        a.attributes["auc_max"] = .double(aucs.max()!)
        a.attributes["auc_ci_lower_mean"] = .double(mean - halfWidth)
        a.attributes["auc_ci_upper_mean"] = .double(mean + halfWidth)
        a.attributes["tpr_at_1pct_fpr_mean"] = .double(0.01)
        a.attributes["tpr_at_0_1pct_fpr_mean"] = .double(0.001)
        a.attributes["members"] = .int(100)
        a.attributes["nonmembers"] = .int(100)
        a.setColumn("source", aucs.indices.map { "mia_tts_\($0).metrics" })
        a.setColumn("auc", aucs)
        return a
    }

    /// `n` items `u0…`, members at even indices, with scores that separate them by `shift`.
    static func scores(n: Int, shift: Double, phase: Double = 0) -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string("scores")
        let labels = (0..<n).map { Int64($0 % 2 == 0 ? 1 : 0) }
        a.setColumn("id", (0..<n).map { "u\($0)" })
        a.setColumn("label", labels)
        a.setColumn("fold", (0..<n).map { Int64($0 % 10) })
        a.setColumn("score", (0..<n).map { i in
            let jitter = 0.5 + 0.4 * sin(Double(i) * 1.7 + phase)
            return min(1, max(0, jitter * (1 - shift) + (labels[i] == 1 ? shift : 0)))
        })
        return a
    }

    /// A `correlation` artifact joining two score columns.
    static func correlation(r: Double, n: Int = 60) -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string("correlation")
        a.attributes["pearson_r"] = .double(r)
        a.attributes["pearson_p"] = .double(r > 0.5 ? 1e-9 : 0.2)
        a.attributes["pearson_ci_lower"] = .double(r - 0.1)
        a.attributes["pearson_ci_upper"] = .double(min(1, r + 0.1))
        a.attributes["spearman_r"] = .double(r - 0.02)
        a.attributes["spearman_p"] = .double(r > 0.5 ? 1e-8 : 0.25)
        a.attributes["confidence"] = .double(0.95)
        a.attributes["joined"] = .int(Int64(n))
        a.setColumn("id", (0..<n).map { "u\($0)" })
        let xs = (0..<n).map { 0.5 + 0.45 * sin(Double($0) * 0.37) }
        a.setColumn("a", xs)
        a.setColumn("b", xs.enumerated().map { i, x in r * x + (1 - r) * (0.5 + 0.45 * cos(Double(i) * 1.3)) })
        a.setColumn("label", (0..<n).map { Int64($0 % 2 == 0 ? 1 : 0) })
        return a
    }

    /// A 3 × 3 `auc_matrix` artifact.
    static func aucMatrix() throws -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string("auc_matrix")
        let names = ["matched", "shifted", "other, \"quoted\""]
        a.setColumn("dataset", names)
        let auc = [0.51, 0.97, 0.88, 0.96, 0.99, 0.73, 0.86, 0.71, 0.5]
        try a.setMatrix("auc", rows: 3, cols: 3, values: auc, columns: names)
        try a.setMatrix("auc_ci_lower", rows: 3, cols: 3, values: auc.map { $0 - 0.05 }, columns: names)
        try a.setMatrix("auc_ci_upper", rows: 3, cols: 3, values: auc.map { min(1, $0 + 0.05) }, columns: names)
        return a
    }

    /// The inputs of a quickstart-shaped report, as `node.output` → artifact.
    static func quickstartInputs() throws -> [(node: String, output: String, artifact: Artifact)] {
        [
            ("mia_orig", "metrics", metrics(auc: 0.962, lower: 0.931, upper: 0.986, exponent: 0.12)),
            ("mia_orig", "scores", scores(n: 60, shift: 0.6)),
            ("mia_sil", "metrics", metrics(auc: 0.503, lower: 0.421, upper: 0.587, exponent: 0.99)),
            ("mia_noise", "metrics", metrics(auc: 0.497, lower: 0.412, upper: 0.578, exponent: 1.01)),
            ("mia_tts", "aggregate", aggregate(aucs: [0.512, 0.489, 0.531])),
            ("mia_shifted", "metrics", metrics(auc: 0.741, lower: 0.675, upper: 0.802, exponent: 0.35)),
            ("blind_meta", "metrics", metrics(auc: 0.55, lower: 0.47, upper: 0.63)),
            ("blind_text", "metrics", metrics(auc: 0.49, lower: 0.41, upper: 0.57)),
            ("blind_ac", "metrics", metrics(auc: 0.998, lower: 0.99, upper: 1.0, exponent: 0.01)),
            ("blind_ac", "scores", scores(n: 60, shift: 0.8, phase: 0.3)),
            ("corr_meta", "correlation", correlation(r: 0.12)),
            ("corr_text", "correlation", correlation(r: -0.03)),
            ("corr_ac", "correlation", correlation(r: 0.78)),
            ("cross_ds", "matrix", try aucMatrix()),
        ]
    }

    static func sources() throws -> [ReportSource] {
        try quickstartInputs().map { ReportSource(node: $0.node, output: $0.output, artifact: $0.artifact) }
    }

    /// The layout params of the quickstart-shaped report, as the YAML would give them.
    static let layoutYAML = """
    title: "Quickstart audit"
    table1:
      - {dataset: shifted, model: reference-b, mia: mia_shifted, blind: {metadata: blind_meta, text: blind_text, acoustic: blind_ac}, r: {metadata: corr_meta, text: corr_text, acoustic: corr_ac}}
      - {dataset: "matched, clean", model: reference-a, mia: mia_orig, blind: {metadata: blind_meta, acoustic: blind_ac}}
    table2:
      - {dataset: matched, model: reference-a, original: mia_orig, silence: mia_sil, noise: mia_noise, synthesized: mia_tts}
      - {dataset: matched, model: "whisper | tiny", original: mia_orig.metrics, silence: mia_sil}
    heatmap: cross_ds
    roc: [mia_orig, {metrics: blind_ac, label: "acoustic blind baseline"}, mia_sil]
    scatter:
      - corr_ac
      - {x: blind_ac, y: mia_orig, r: corr_ac, label: "acoustic blind vs MIA", x_label: "blind P(member)", y_label: "MIA P(member)"}
    """
}
