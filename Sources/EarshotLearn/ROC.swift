/// A receiver operating characteristic curve over all distinct score thresholds.
///
/// Point `k` classifies `score ≥ thresholds[k]` as positive. Point 0 has threshold `+∞` (nothing positive,
/// FPR = TPR = 0), then one point per distinct score in decreasing order, ending at (1, 1): scikit-learn's
/// `roc_curve(y, s, drop_intermediate=False)` (which also uses `inf` as the first threshold since 1.3).
public struct ROCCurve: Sendable, Equatable {
    public let falsePositiveRates: [Double]
    public let truePositiveRates: [Double]
    public let thresholds: [Double]

    /// Largest TPR among the curve's points with FPR ≤ `targetFPR`, without interpolation (the convention of
    /// LiRA, Carlini et al. 2022, "Membership inference attacks from first principles"). Tied scores are one
    /// point, so a tie block straddling the target cannot be split. Always defined for `targetFPR ≥ 0`
    /// because (0, 0) is on the curve.
    public func tpr(atFPR targetFPR: Double) throws -> Double {
        guard targetFPR >= 0, targetFPR <= 1 else {
            throw LearnError.invalidParameter(name: "target fpr", value: "\(targetFPR)", expected: "a value in [0, 1]")
        }
        var best = 0.0
        for (fpr, tpr) in zip(falsePositiveRates, truePositiveRates) where fpr <= targetFPR { best = max(best, tpr) }
        return best
    }

    /// Area under the curve by the trapezoid rule (equal to `ROC.rocAUC`).
    public var area: Double {
        var sum = 0.0
        for k in 1..<falsePositiveRates.count {
            sum += (falsePositiveRates[k] - falsePositiveRates[k - 1])
                * (truePositiveRates[k] + truePositiveRates[k - 1]) / 2
        }
        return sum
    }
}

/// ROC analysis of scores where larger means "more likely positive" (member).
///
/// All functions need both classes and finite scores, and throw `LearnError.singleClass` /
/// `LearnError.nonFinite` otherwise (AUC is undefined with one class; scikit-learn raises too).
public enum ROC {
    /// Area under the ROC curve, scikit-learn's `roc_auc_score`: the trapezoid over distinct thresholds,
    /// which equals the Mann–Whitney statistic `P(s⁺ > s⁻) + ½·P(s⁺ = s⁻)` (ties count one half).
    /// Computed exactly in integer counts, then divided once by (positives × negatives).
    public static func rocAUC(scores: [Double], labels: [Bool]) throws -> Double {
        let groups = try tieGroups(scores: scores, labels: labels)
        var area2 = 0.0  // twice the area in count units
        var truePositives = 0.0
        for group in groups {
            area2 += Double(group.negatives) * (2 * truePositives + Double(group.positives))
            truePositives += Double(group.positives)
        }
        let positives = truePositives
        let negatives = Double(scores.count) - positives
        return area2 / (2 * positives * negatives)
    }

    /// The full ROC curve (no intermediate points dropped).
    public static func rocCurve(scores: [Double], labels: [Bool]) throws -> ROCCurve {
        let groups = try tieGroups(scores: scores, labels: labels)
        let positives = Double(labels.reduce(0) { $0 + ($1 ? 1 : 0) })
        let negatives = Double(labels.count) - positives
        var fpr = [0.0], tpr = [0.0], thresholds = [Double.infinity]
        var tp = 0, fp = 0
        for group in groups {
            tp += group.positives
            fp += group.negatives
            fpr.append(Double(fp) / negatives)
            tpr.append(Double(tp) / positives)
            thresholds.append(group.score)
        }
        return ROCCurve(falsePositiveRates: fpr, truePositiveRates: tpr, thresholds: thresholds)
    }

    /// Largest TPR at FPR ≤ `targetFPR` (see `ROCCurve.tpr(atFPR:)`).
    public static func tpr(atFPR targetFPR: Double, scores: [Double], labels: [Bool]) throws -> Double {
        try rocCurve(scores: scores, labels: labels).tpr(atFPR: targetFPR)
    }

    struct TieGroup {
        var score: Double
        var positives: Int
        var negatives: Int
    }

    /// Distinct scores in decreasing order with their class counts.
    static func tieGroups(scores: [Double], labels: [Bool]) throws -> [TieGroup] {
        try validate(scores: scores, labels: labels)
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var groups: [TieGroup] = []
        for i in order {
            if let last = groups.last, last.score == scores[i] {
                groups[groups.count - 1].positives += labels[i] ? 1 : 0
                groups[groups.count - 1].negatives += labels[i] ? 0 : 1
            } else {
                groups.append(TieGroup(score: scores[i], positives: labels[i] ? 1 : 0, negatives: labels[i] ? 0 : 1))
            }
        }
        return groups
    }

    static func validate(scores: [Double], labels: [Bool]) throws {
        guard scores.count == labels.count else {
            throw LearnError.lengthMismatch(what: "roc labels", expected: scores.count, actual: labels.count)
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw LearnError.nonFinite(what: "roc scores", index: bad)
        }
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0, positives < labels.count else {
            throw LearnError.singleClass(what: "roc labels", positives: positives, negatives: labels.count - positives)
        }
    }
}
