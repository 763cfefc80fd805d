import Foundation

/// The report as Markdown (GitHub-flavoured tables): title, provenance line, Table 1, Table 2, the
/// cross-dataset matrices, a list of the ROC curves' AUCs and the correlations behind the scatter plots.
/// Figures themselves are in the HTML report.
public enum MarkdownRenderer {
    public static func render(_ doc: ReportDocument) -> String {
        var out = "# \(inline(doc.header.title))\n\n"
        out += "Experiment `\(doc.header.experiment)`, report node `\(doc.header.node)` (key `\(short(doc.header.nodeKey))`). "
        out += "Every number below is read from the input artifacts listed under Provenance.\n"
        if !doc.table1.isEmpty {
            out += "\n## Table 1: source diagnosis\n\n"
            out += "MIA AUC and blind-baseline AUCs (95% bootstrap CI) with the Pearson r between each blind classifier's scores and the MIA scores. \(CellFormat.intervalNote)\n\n"
            out += row(["Dataset", "Model", "MIA AUC [95% CI]"] + doc.table1Features.map { "\(title($0)) AUC [95% CI], r" })
            out += row(Array(repeating: "---", count: 3 + doc.table1Features.count))
            for r in doc.table1 {
                out += row([r.dataset, r.model, CellFormat.auc(r.mia)] + r.blind.map { $0.auc == nil && $0.r == nil ? "–" : CellFormat.blind($0) })
            }
            if doc.table1.contains(where: { $0.blind.contains(where: \.flagged) }) { out += "\n" + CellFormat.flagNote + "\n" }
        }
        if !doc.table2.isEmpty {
            out += "\n## Table 2: modality disentanglement\n\n"
            out += "MIA AUC (95% bootstrap CI) with the original audio and with it replaced by silence, noise or resynthesized speech. "
            out += "A mean over realizations shows the mean of their intervals and the sd of their AUCs. \(CellFormat.intervalNote)\n\n"
            out += row(["Dataset", "Model"] + doc.table2Conditions.map(title))
            out += row(Array(repeating: "---", count: 2 + doc.table2Conditions.count))
            for r in doc.table2 { out += row([r.dataset, r.model] + r.conditions.map { CellFormat.auc($0.auc) }) }
        }
        for h in doc.heatmaps {
            out += "\n## Cross-dataset AUC: \(inline(h.label))\n\n"
            out += "Row: positives (members of that dataset). Column: negatives (members of that dataset; non-members on the diagonal). 0.5 means indistinguishable.\n\n"
            out += row(["positives \\ negatives"] + h.datasets)
            out += row(Array(repeating: "---", count: 1 + h.datasets.count))
            for (i, name) in h.datasets.enumerated() {
                out += row([name] + h.auc[i].map { FixedDecimal.format($0, digits: 3) })
            }
        }
        if !doc.roc.isEmpty {
            out += "\n## ROC curves\n\n"
            out += row(["Classifier", "AUC [95% CI]", "points"]) + row(["---", "---", "---"])
            for s in doc.roc {
                let ci = s.ciLower == nil ? "" : " [\(FixedDecimal.format(s.ciLower, digits: 3)), \(FixedDecimal.format(s.ciUpper, digits: 3))]"
                out += row([s.label, FixedDecimal.format(s.auc, digits: 3) + ci, String(s.fpr.count)])
            }
        }
        if !doc.scatter.isEmpty {
            out += "\n## Blind vs MIA scores\n\n"
            for s in doc.scatter { out += "- \(inline(s.label)): \(CellFormat.correlation(s.correlation, points: s.points.count))\n" }
        }
        out += "\n## Provenance\n\n"
        out += row(["Input", "Type", "Kind", "Node key", "Content"]) + row(["---", "---", "---", "---", "---"])
        for i in doc.inputs { out += row([i.ref, i.type, i.kind, "`\(short(i.nodeKey))`", "`\(short(i.content))`"]) }
        return out
    }

    /// The first 12 hex digits of a digest.
    static func short(_ hex: String) -> String { hex.isEmpty ? "–" : String(hex.prefix(12)) }

    static func title(_ name: String) -> String { name.prefix(1).uppercased() + name.dropFirst() }

    /// Text safe inside a table cell or heading: `|` escaped, line breaks as spaces.
    static func inline(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    static func row(_ cells: [String]) -> String { "| " + cells.map(inline).joined(separator: " | ") + " |\n" }
}
