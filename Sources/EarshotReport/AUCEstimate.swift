/// A membership classifier's AUC as a report cell: one `metrics` artifact, or the `aggregate` of several
/// realizations (the mean AUC of three TTS resyntheses).
///
/// For a `metrics` input every field is the artifact's own attribute. For an `aggregate` input `auc`,
/// `ciLower`, `ciUpper` and the TPRs are the means over realizations (the interval is the mean of the
/// realizations' bootstrap bounds: an average interval, not an interval of the mean) and `realizations`,
/// `aucSD` (sample standard deviation, n − 1), `aucMin`, `aucMax` describe the spread. Absent or non-finite
/// values are nil (rendered as "–", JSON `null` is never written: the key is left out).
public struct AUCEstimate: Sendable, Equatable, Codable {
    /// The input it was read from (`node.output`).
    public var source: String
    public var auc: Double
    public var ciLower: Double?
    public var ciUpper: Double?
    public var confidence: Double?
    /// `oof` or `refit` (the metrics artifact's `auc_ci_method`): whether the interval re-fitted the classifier.
    public var ciMethod: String?
    public var tprAt1PercentFPR: Double?
    public var tprAtTenthPercentFPR: Double?
    public var members: Int?
    public var nonmembers: Int?
    public var realizations: Int?
    public var aucSD: Double?
    public var aucMin: Double?
    public var aucMax: Double?

    enum CodingKeys: String, CodingKey {
        case source, auc, confidence, members, nonmembers, realizations
        case ciLower = "ci_lower", ciUpper = "ci_upper", ciMethod = "ci_method"
        case tprAt1PercentFPR = "tpr_at_1pct_fpr", tprAtTenthPercentFPR = "tpr_at_0_1pct_fpr"
        case aucSD = "auc_sd", aucMin = "auc_min", aucMax = "auc_max"
    }

    public init(source: String, auc: Double, ciLower: Double? = nil, ciUpper: Double? = nil, confidence: Double? = nil,
                tprAt1PercentFPR: Double? = nil, tprAtTenthPercentFPR: Double? = nil, members: Int? = nil,
                nonmembers: Int? = nil, realizations: Int? = nil, aucSD: Double? = nil, aucMin: Double? = nil,
                aucMax: Double? = nil, ciMethod: String? = nil) {
        self.source = source
        self.auc = auc
        self.ciLower = ciLower
        self.ciUpper = ciUpper
        self.confidence = confidence
        self.tprAt1PercentFPR = tprAt1PercentFPR
        self.tprAtTenthPercentFPR = tprAtTenthPercentFPR
        self.members = members
        self.nonmembers = nonmembers
        self.realizations = realizations
        self.aucSD = aucSD
        self.aucMin = aucMin
        self.aucMax = aucMax
        self.ciMethod = ciMethod
    }

    /// The artifact types a cell accepts.
    public static let acceptedTypes = ["metrics", "aggregate"]

    /// Reads a `metrics` or `aggregate` artifact (layouts in `schemas/artifacts.md`).
    public init(_ input: ReportSource, use: String) throws {
        try input.expect(Self.acceptedTypes, for: use)
        if input.type == "aggregate" {
            self.init(source: input.ref, auc: try input.requiredNumber("auc_mean"),
                      ciLower: input.number("auc_ci_lower_mean"), ciUpper: input.number("auc_ci_upper_mean"),
                      confidence: input.number("auc_ci_confidence"),
                      tprAt1PercentFPR: input.number("tpr_at_1pct_fpr_mean"),
                      tprAtTenthPercentFPR: input.number("tpr_at_0_1pct_fpr_mean"),
                      members: input.integer("members"), nonmembers: input.integer("nonmembers"),
                      realizations: input.integer("realizations"), aucSD: input.number("auc_sd"),
                      aucMin: input.number("auc_min"), aucMax: input.number("auc_max"),
                      ciMethod: input.string("auc_ci_method"))
        } else {
            self.init(source: input.ref, auc: try input.requiredNumber("auc"),
                      ciLower: input.number("auc_ci_lower"), ciUpper: input.number("auc_ci_upper"),
                      confidence: input.number("auc_ci_confidence"),
                      tprAt1PercentFPR: input.number("tpr_at_1pct_fpr"),
                      tprAtTenthPercentFPR: input.number("tpr_at_0_1pct_fpr"),
                      members: input.integer("members"), nonmembers: input.integer("nonmembers"),
                      ciMethod: input.string("auc_ci_method"))
        }
    }

    /// Whether the interval contains chance (0.5); nil without an interval.
    public var intervalIncludesChance: Bool? {
        guard let lo = ciLower, let hi = ciUpper else { return nil }
        return lo <= 0.5 && 0.5 <= hi
    }
}

/// A Pearson (and Spearman) correlation between two per-item score vectors, read from a `correlation`
/// artifact (`correlate`): r, its interval and two-sided p-value, and the number of items joined.
public struct CorrelationEstimate: Sendable, Equatable, Codable {
    public var source: String
    /// nil when the correlation is undefined (`undefined` says why: a constant score vector).
    public var pearsonR: Double?
    public var pearsonCILower: Double?
    public var pearsonCIUpper: Double?
    public var pearsonP: Double?
    public var spearmanR: Double?
    public var spearmanP: Double?
    public var joined: Int?
    public var undefined: String?

    enum CodingKeys: String, CodingKey {
        case source, joined, undefined
        case pearsonR = "pearson_r", pearsonCILower = "pearson_ci_lower", pearsonCIUpper = "pearson_ci_upper"
        case pearsonP = "pearson_p", spearmanR = "spearman_r", spearmanP = "spearman_p"
    }

    public init(source: String, pearsonR: Double?, pearsonCILower: Double? = nil, pearsonCIUpper: Double? = nil,
                pearsonP: Double? = nil, spearmanR: Double? = nil, spearmanP: Double? = nil, joined: Int? = nil,
                undefined: String? = nil) {
        self.source = source
        self.pearsonR = pearsonR
        self.pearsonCILower = pearsonCILower
        self.pearsonCIUpper = pearsonCIUpper
        self.pearsonP = pearsonP
        self.spearmanR = spearmanR
        self.spearmanP = spearmanP
        self.joined = joined
        self.undefined = undefined
    }

    public init(_ input: ReportSource, use: String) throws {
        try input.expect(["correlation"], for: use)
        let undefined = input.string("undefined")
        self.init(source: input.ref, pearsonR: undefined == nil ? try input.requiredNumber("pearson_r") : nil,
                  pearsonCILower: input.number("pearson_ci_lower"), pearsonCIUpper: input.number("pearson_ci_upper"),
                  pearsonP: input.number("pearson_p"), spearmanR: input.number("spearman_r"),
                  spearmanP: input.number("spearman_p"), joined: input.integer("joined"), undefined: undefined)
    }
}
