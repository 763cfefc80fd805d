/// A percentile bootstrap confidence interval.
public struct ConfidenceInterval: Sendable, Equatable {
    /// The statistic on the original sample.
    public let estimate: Double
    public let lower: Double
    public let upper: Double
    /// Nominal coverage, e.g. 0.95.
    public let confidence: Double
    public let resamples: Int
}

/// Bootstrap confidence intervals for ROC AUC.
public enum Bootstrap {
    /// Most resamples: each keeps one double, and each costs a pass over the items.
    public static let maxResamples = 10_000_000

    /// Stratified percentile bootstrap of `ROC.rocAUC`.
    ///
    /// Each resample draws, with replacement, as many positives from the positives and as many negatives
    /// from the negatives as the sample has (so every resample has both classes), using one
    /// `SplitMix64(seed:)` stream: for each resample, positives first, then negatives. The bounds are the
    /// `(1 − confidence)/2` and `(1 + confidence)/2` quantiles of the resampled AUCs with linear interpolation
    /// between order statistics (NumPy's default `percentile` method). Deterministic for a given seed.
    /// Scores are sorted once; each resample's AUC is then an O(n) weighted Mann–Whitney count.
    public static func aucConfidenceInterval(scores: [Double], labels: [Bool], resamples: Int = 1000,
                                             confidence: Double = 0.95, seed: UInt64) throws -> ConfidenceInterval {
        guard resamples >= 1, resamples <= maxResamples else {
            throw LearnError.invalidParameter(name: "resamples", value: "\(resamples)", expected: "between 1 and \(maxResamples)")
        }
        guard confidence > 0, confidence < 1 else {
            throw LearnError.invalidParameter(name: "confidence", value: "\(confidence)", expected: "a value in (0, 1)")
        }
        let estimate = try ROC.rocAUC(scores: scores, labels: labels)
        // Positions sorted by decreasing score, and the tie group of each position.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var groupOf = [Int](repeating: 0, count: scores.count)
        var groupCount = 0
        for (position, item) in order.enumerated() {
            if position > 0 && scores[order[position - 1]] != scores[item] { groupCount += 1 }
            groupOf[item] = groupCount
        }
        groupCount += 1
        let positives = scores.indices.filter { labels[$0] }
        let negatives = scores.indices.filter { !labels[$0] }
        var generator = SplitMix64(seed: seed)
        var positiveWeight = [Int](repeating: 0, count: groupCount)
        var negativeWeight = [Int](repeating: 0, count: groupCount)
        var aucs = [Double](repeating: 0, count: resamples)
        let pairs = 2 * Double(positives.count) * Double(negatives.count)
        for r in 0..<resamples {
            for i in 0..<groupCount { positiveWeight[i] = 0; negativeWeight[i] = 0 }
            for _ in 0..<positives.count { positiveWeight[groupOf[positives[generator.next(below: positives.count)]]] += 1 }
            for _ in 0..<negatives.count { negativeWeight[groupOf[negatives[generator.next(below: negatives.count)]]] += 1 }
            var area2 = 0.0, truePositives = 0.0
            for g in 0..<groupCount {
                area2 += Double(negativeWeight[g]) * (2 * truePositives + Double(positiveWeight[g]))
                truePositives += Double(positiveWeight[g])
            }
            aucs[r] = area2 / pairs
        }
        aucs.sort()
        return ConfidenceInterval(estimate: estimate,
                                  lower: quantile(sorted: aucs, (1 - confidence) / 2),
                                  upper: quantile(sorted: aucs, (1 + confidence) / 2),
                                  confidence: confidence, resamples: resamples)
    }

    /// The percentile interval of bootstrap replicates `samples` of a statistic whose value on the original sample
    /// is `estimate`: the `(1 − confidence)/2` and `(1 + confidence)/2` quantiles, NumPy's default method.
    public static func percentileInterval(estimate: Double, samples: [Double], confidence: Double = 0.95) throws -> ConfidenceInterval {
        guard !samples.isEmpty else { throw LearnError.tooFewItems(what: "bootstrap replicates", minimum: 1, actual: 0) }
        guard confidence > 0, confidence < 1 else {
            throw LearnError.invalidParameter(name: "confidence", value: "\(confidence)", expected: "a value in (0, 1)")
        }
        let sorted = samples.sorted()
        return ConfidenceInterval(estimate: estimate, lower: quantile(sorted: sorted, (1 - confidence) / 2),
                                  upper: quantile(sorted: sorted, (1 + confidence) / 2), confidence: confidence,
                                  resamples: samples.count)
    }

    /// NumPy's default ("linear") quantile of sorted values: position `q·(n − 1)`, interpolated.
    static func quantile(sorted values: [Double], _ q: Double) -> Double {
        let position = q * Double(values.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, values.count - 1)
        let fraction = position - Double(below)
        return values[below] + fraction * (values[above] - values[below])
    }
}
