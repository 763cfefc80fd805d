/// The text of report cells, shared by the Markdown and HTML tables: AUCs with 3 decimals, correlations and
/// standard deviations with 2 or 3, p-values with 3 decimals or `< 0.001`. Missing values are "–".
public enum CellFormat {
    /// `0.938 [0.912, 0.961]`; an aggregate adds ` (mean of 3, sd 0.011)`.
    public static func auc(_ e: AUCEstimate?) -> String {
        guard let e else { return "–" }
        var text = FixedDecimal.format(e.auc, digits: 3)
        if e.ciLower != nil || e.ciUpper != nil {
            text += " [\(FixedDecimal.format(e.ciLower, digits: 3)), \(FixedDecimal.format(e.ciUpper, digits: 3))]"
        }
        if let n = e.realizations {
            text += " (mean of \(n), sd \(FixedDecimal.format(e.aucSD, digits: 3)))"
        }
        return text
    }

    /// `r = 0.78`, or `r undefined` (a constant score vector).
    public static func r(_ c: CorrelationEstimate?) -> String {
        guard let c else { return "–" }
        guard let r = c.pearsonR else { return "r undefined" }
        return "r = \(FixedDecimal.format(r, digits: 2))"
    }

    /// A Table 1 blind cell: `0.998 [0.990, 1.000] †, r = 0.78`.
    public static func blind(_ cell: ReportDocument.BlindCell) -> String {
        var text = auc(cell.auc)
        if cell.flagged { text += " †" }
        if cell.r != nil { text += ", " + r(cell.r) }
        return text
    }

    /// `0.012`, or `< 0.001`.
    public static func p(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "–" }
        return p < 0.001 ? "< 0.001" : FixedDecimal.format(p, digits: 3)
    }

    /// The scatter plot subtitle, two lines: `Pearson r = 0.78 [0.70, 0.84], p < 0.001` and
    /// `Spearman ρ = 0.75; n = 400`.
    public static func correlationLines(_ c: CorrelationEstimate?, points: Int) -> [String] {
        guard let c else { return ["n = \(points) (no correlation input given)"] }
        guard c.pearsonR != nil else { return ["correlation undefined: \(c.undefined ?? "no coefficient")", "n = \(c.joined ?? points)"] }
        var first = "Pearson r = \(FixedDecimal.format(c.pearsonR, digits: 2))"
        if c.pearsonCILower != nil {
            first += " [\(FixedDecimal.format(c.pearsonCILower, digits: 2)), \(FixedDecimal.format(c.pearsonCIUpper, digits: 2))]"
        }
        first += ", p \(c.pearsonP.map { $0 < 0.001 ? "< 0.001" : "= " + FixedDecimal.format($0, digits: 3) } ?? "–")"
        let second = (c.spearmanR.map { "Spearman ρ = \(FixedDecimal.format($0, digits: 2)); " } ?? "") + "n = \(c.joined ?? points)"
        return [first, second]
    }

    /// The two subtitle lines joined by "; ".
    public static func correlation(_ c: CorrelationEstimate?, points: Int) -> String {
        correlationLines(c, points: points).joined(separator: "; ")
    }

    /// How to read the intervals: which classifiers re-fitted per bootstrap resample (`ClassificationMetrics`).
    public static let intervalNote = "Intervals re-fit the classifier on every bootstrap resample where its classify node has ci: refit (ci_method in report.json); otherwise they hold the fitted models fixed and come out too narrow on null data."

    /// The footnote of Table 1's flag.
    public static let flagNote = "† the blind baseline tells members from non-members without the model (its 95% CI lies above 0.5): MIA AUCs on this dataset are confounded by distribution shift."
}
