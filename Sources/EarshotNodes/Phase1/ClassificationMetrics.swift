import EarshotLearn
import EarshotRun
import EarshotStore

/// The ROC summary of out-of-fold scores (the `metrics` artifact).
///
/// TPR at a target FPR follows `ROCCurve.tpr(atFPR:)`: the largest TPR among the ROC points with
/// FPR ≤ target, without interpolation (tied scores form one point). The AUC interval (`auc_ci_method`) is
/// either `oof`, the stratified percentile bootstrap of `Bootstrap.aucConfidenceInterval` over the out-of-fold
/// scores, which treats the fitted models as fixed, so on exchangeable (null) data it covers 0.5 less often than
/// its nominal 95 %; or `refit`, the percentile interval of `BlindClassifier.refitBootstrapAUCs`, which re-runs the
/// whole cross-validated pipeline on each resample and so also covers the models' variability. The optional
/// permutation test re-runs the whole pipeline on permuted labels and is exact under exchangeability:
/// `permutation_p = (1 + #{null AUC ≥ AUC}) / (1 + permutations)` (one-sided, "better than chance").
struct ClassificationMetrics: Sendable {
    static let artifactType = "metrics"

    let auc: Double
    let interval: ConfidenceInterval
    let tprAt1PercentFPR: Double
    let tprAtTenthPercentFPR: Double
    let members: Int
    let nonMembers: Int
    let curve: ROCCurve
    /// Out-of-fold AUCs under label permutations (empty when not computed).
    var permutationAUCs: [Double] = []

    /// How `interval` was made: `oof` or `refit` (see the type's documentation).
    let intervalMethod: String

    /// With `refitAUCs` (the AUCs of `BlindClassifier.refitBootstrapAUCs`) the interval is their percentile
    /// interval (`refit`); without, the `oof` bootstrap with `resamples` resamples seeded by `seed`.
    init(scores: [Double], labels: [Bool], resamples: Int, seed: UInt64, refitAUCs: [Double]? = nil) throws {
        do {
            curve = try ROC.rocCurve(scores: scores, labels: labels)
            auc = try ROC.rocAUC(scores: scores, labels: labels)
            if let refitAUCs {
                interval = try Bootstrap.percentileInterval(estimate: auc, samples: refitAUCs, confidence: 0.95)
                intervalMethod = "refit"
            } else {
                interval = try Bootstrap.aucConfidenceInterval(scores: scores, labels: labels, resamples: resamples,
                                                               confidence: 0.95, seed: seed)
                intervalMethod = "oof"
            }
            tprAt1PercentFPR = try curve.tpr(atFPR: 0.01)
            tprAtTenthPercentFPR = try curve.tpr(atFPR: 0.001)
        } catch let error as LearnError { throw NodeError("\(error)") }
        members = labels.count { $0 }
        nonMembers = labels.count - members
    }

    /// Layout: `schemas/artifacts.md`, section `metrics`.
    func artifact() throws -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        a.attributes["auc"] = .double(auc)
        a.attributes["auc_ci_lower"] = .double(interval.lower)
        a.attributes["auc_ci_upper"] = .double(interval.upper)
        a.attributes["auc_ci_confidence"] = .double(interval.confidence)
        a.attributes["bootstrap_resamples"] = .int(Int64(interval.resamples))
        a.attributes["auc_ci_method"] = .string(intervalMethod)
        a.attributes["tpr_at_1pct_fpr"] = .double(tprAt1PercentFPR)
        a.attributes["tpr_at_0_1pct_fpr"] = .double(tprAtTenthPercentFPR)
        a.attributes["tpr_convention"] = .string("largest tpr among roc points with fpr <= target, no interpolation")
        a.attributes["members"] = .int(Int64(members))
        a.attributes["nonmembers"] = .int(Int64(nonMembers))
        if !permutationAUCs.isEmpty {
            let atLeast = permutationAUCs.count { $0 >= auc }
            let band = try Bootstrap.percentileInterval(estimate: auc, samples: permutationAUCs, confidence: 0.95)
            a.attributes["permutations"] = .int(Int64(permutationAUCs.count))
            a.attributes["permutation_p"] = .double(Double(1 + atLeast) / Double(1 + permutationAUCs.count))
            a.attributes["null_auc_lower"] = .double(band.lower)
            a.attributes["null_auc_upper"] = .double(band.upper)
            a.setColumn("null_auc", permutationAUCs)
        }
        a.setColumn("roc/fpr", curve.falsePositiveRates)
        a.setColumn("roc/tpr", curve.truePositiveRates)
        a.setColumn("roc/threshold", curve.thresholds)
        return a
    }
}
