/// The report's tables as CSV (RFC 4180 quoting, `\n` line ends, UTF-8, a header row), one file per table,
/// in the shape of the paper's tables with one numeric column per quantity so they load straight into pandas.
/// Numbers have 6 decimals; a missing value is an empty field.
public enum CSVRenderer {
    /// Table 1: `dataset, model, mia_auc, mia_ci_lower, mia_ci_upper, mia_source`, then per blind feature set
    /// `F_auc, F_ci_lower, F_ci_upper, F_flagged (0/1), F_r, F_r_ci_lower, F_r_ci_upper, F_r_p, F_source, F_r_source`.
    public static func table1(_ doc: ReportDocument) -> String {
        var header = ["dataset", "model", "mia_auc", "mia_ci_lower", "mia_ci_upper", "mia_source"]
        for f in doc.table1Features {
            header += ["auc", "ci_lower", "ci_upper", "flagged", "r", "r_ci_lower", "r_ci_upper", "r_p", "source", "r_source"].map { "\(f)_\($0)" }
        }
        var out = line(header)
        for row in doc.table1 {
            var fields = [row.dataset, row.model] + estimate(row.mia) + [row.mia?.source ?? ""]
            for cell in row.blind {
                fields += estimate(cell.auc) + [cell.auc == nil ? "" : (cell.flagged ? "1" : "0")]
                fields += [number(cell.r?.pearsonR), number(cell.r?.pearsonCILower), number(cell.r?.pearsonCIUpper), number(cell.r?.pearsonP)]
                fields += [cell.auc?.source ?? "", cell.r?.source ?? ""]
            }
            out += line(fields)
        }
        return out
    }

    /// Table 2: `dataset, model`, then per condition `C_auc, C_ci_lower, C_ci_upper, C_realizations, C_auc_sd, C_source`.
    public static func table2(_ doc: ReportDocument) -> String {
        var header = ["dataset", "model"]
        for c in doc.table2Conditions { header += ["auc", "ci_lower", "ci_upper", "realizations", "auc_sd", "source"].map { "\(c)_\($0)" } }
        var out = line(header)
        for row in doc.table2 {
            var fields = [row.dataset, row.model]
            for cell in row.conditions {
                fields += estimate(cell.auc) + [cell.auc?.realizations.map(String.init) ?? "", number(cell.auc?.aucSD), cell.auc?.source ?? ""]
            }
            out += line(fields)
        }
        return out
    }

    /// Every cross-dataset matrix, one row per cell: `matrix, positives, negatives, auc, ci_lower, ci_upper`.
    public static func heatmaps(_ doc: ReportDocument) -> String {
        var out = line(["matrix", "positives", "negatives", "auc", "ci_lower", "ci_upper"])
        for h in doc.heatmaps {
            for (i, rowName) in h.datasets.enumerated() {
                for (j, colName) in h.datasets.enumerated() {
                    out += line([h.label, rowName, colName, number(h.auc[i][j]), number(h.ciLower?[i][j] ?? nil), number(h.ciUpper?[i][j] ?? nil)])
                }
            }
        }
        return out
    }

    static func estimate(_ e: AUCEstimate?) -> [String] { [number(e?.auc), number(e?.ciLower), number(e?.ciUpper)] }

    static func number(_ x: Double?) -> String { FixedDecimal.format(x, digits: 6, missing: "") }

    /// One record: fields containing a comma, quote, CR or LF, or starting or ending with a space, are quoted,
    /// with quotes doubled.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    public static func field(_ s: String) -> String {
        let needsQuotes = s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            || s.hasPrefix(" ") || s.hasSuffix(" ")
        guard needsQuotes else { return s }
        return "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
