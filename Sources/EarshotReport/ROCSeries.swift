/// One ROC curve to plot, exactly as `classify` stored it in a `metrics` artifact (`roc/fpr`, `roc/tpr`):
/// the report draws the points and never recomputes them.
public struct ROCSeries: Sendable, Equatable, Codable {
    public var source: String
    public var label: String
    public var auc: Double
    public var ciLower: Double?
    public var ciUpper: Double?
    public var fpr: [Double]
    public var tpr: [Double]

    enum CodingKeys: String, CodingKey {
        case source, label, auc, fpr, tpr
        case ciLower = "ci_lower", ciUpper = "ci_upper"
    }

    public init(source: String, label: String, auc: Double, ciLower: Double? = nil, ciUpper: Double? = nil,
                fpr: [Double], tpr: [Double]) {
        self.source = source
        self.label = label
        self.auc = auc
        self.ciLower = ciLower
        self.ciUpper = ciUpper
        self.fpr = fpr
        self.tpr = tpr
    }

    /// Reads a `metrics` artifact's curve; `label` defaults to the source name.
    public init(_ input: ReportSource, label: String?, use: String) throws {
        try input.expect(["metrics"], for: use)
        let estimate = try AUCEstimate(input, use: use)
        let fpr: [Double], tpr: [Double]
        do {
            fpr = try input.artifact.doubleColumn("roc/fpr")
            tpr = try input.artifact.doubleColumn("roc/tpr")
        } catch {
            throw ReportError.malformed(input.ref, type: "metrics", "\(error)")
        }
        guard fpr.count == tpr.count, !fpr.isEmpty else {
            throw ReportError.malformed(input.ref, type: "metrics", "'roc/fpr' has \(fpr.count) points but 'roc/tpr' has \(tpr.count)")
        }
        guard zip(fpr, tpr).allSatisfy({ $0.isFinite && $1.isFinite && (0...1).contains($0) && (0...1).contains($1) }) else {
            throw ReportError.malformed(input.ref, type: "metrics", "roc points must be finite and within [0, 1]")
        }
        self.init(source: input.ref, label: label ?? input.ref, auc: estimate.auc, ciLower: estimate.ciLower,
                  ciUpper: estimate.ciUpper, fpr: fpr, tpr: tpr)
    }
}

/// The cross-dataset AUC matrix (`auc_matrix`, the paper's Figure 2): cell (i, j) is the AUC of a blind
/// classifier whose positives are dataset i's members and negatives dataset j's members (i ≠ j) or
/// non-members (i = j). Rows are `auc[i]`, in `datasets` order; nil cells were not finite.
public struct AUCHeatmap: Sendable, Equatable, Codable {
    public var source: String
    public var label: String
    public var datasets: [String]
    public var auc: [[Double?]]
    public var ciLower: [[Double?]]?
    public var ciUpper: [[Double?]]?

    enum CodingKeys: String, CodingKey {
        case source, label, datasets, auc
        case ciLower = "ci_lower", ciUpper = "ci_upper"
    }

    public init(source: String, label: String, datasets: [String], auc: [[Double?]], ciLower: [[Double?]]? = nil,
                ciUpper: [[Double?]]? = nil) {
        self.source = source
        self.label = label
        self.datasets = datasets
        self.auc = auc
        self.ciLower = ciLower
        self.ciUpper = ciUpper
    }

    public init(_ input: ReportSource, label: String?, use: String) throws {
        try input.expect(["auc_matrix"], for: use)
        let names: [String]
        do { names = try input.artifact.stringColumn("dataset") } catch {
            throw ReportError.malformed(input.ref, type: "auc_matrix", "\(error)")
        }
        func square(_ name: String, required: Bool) throws -> [[Double?]]? {
            guard input.artifact.datasets[name] != nil || required else { return nil }
            let m: (rows: Int, cols: Int, values: [Double], columns: [String]?)
            do { m = try input.artifact.matrix(name) } catch {
                throw ReportError.malformed(input.ref, type: "auc_matrix", "\(error)")
            }
            guard m.rows == names.count, m.cols == names.count else {
                throw ReportError.malformed(input.ref, type: "auc_matrix", "'\(name)' is \(m.rows)×\(m.cols) but there are \(names.count) datasets")
            }
            return (0..<m.rows).map { i in (0..<m.cols).map { j in
                let v = m.values[i * m.cols + j]
                return v.isFinite ? v : nil
            } }
        }
        self.init(source: input.ref, label: label ?? input.ref, datasets: names, auc: try square("auc", required: true)!,
                  ciLower: try square("auc_ci_lower", required: false), ciUpper: try square("auc_ci_upper", required: false))
    }
}
