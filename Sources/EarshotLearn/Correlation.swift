import Foundation

/// A correlation coefficient with its two-sided p-value and confidence interval.
public struct CorrelationResult: Sendable, Equatable {
    public let coefficient: Double
    /// Two-sided p-value for the null hypothesis of zero correlation.
    public let pValue: Double
    public let lower: Double
    public let upper: Double
    public let confidence: Double
    public let count: Int
}

/// Pearson and Spearman correlation with scipy's p-values and Fisher-z confidence intervals.
///
/// Inputs must have equal length n ≥ 3, finite values and neither vector constant; otherwise a
/// `LearnError` is thrown (`tooFewItems`, `nonFinite`, `constantInput`) — never NaN, never a crash.
public enum Correlation {
    /// Pearson r (scipy.stats.pearsonr): `r = Σ(x−x̄)(y−ȳ) / (‖x−x̄‖·‖y−ȳ‖)`, clipped to [−1, 1].
    /// p: `SpecialFunctions.correlationPValue` (Student t, n − 2 dof; identical to scipy's beta form).
    /// Interval: Fisher z, `tanh(atanh r ± z_{(1+c)/2} / sqrt(n − 3))` (scipy's
    /// `confidence_interval()`); n = 3 gives [−1, 1].
    public static func pearson(_ x: [Double], _ y: [Double], confidence: Double = 0.95) throws -> CorrelationResult {
        try validate(x, y, confidence: confidence)
        let r = try coefficient(x, y)
        let (lower, upper) = fisherInterval(r: r, n: x.count, standardError: 1 / Double(x.count - 3).squareRoot(),
                                            confidence: confidence)
        return CorrelationResult(coefficient: r, pValue: SpecialFunctions.correlationPValue(r: r, n: x.count),
                                 lower: lower, upper: upper, confidence: confidence, count: x.count)
    }

    /// Spearman ρ (scipy.stats.spearmanr): Pearson r of the average ranks (ties share the mean of their ranks).
    /// p: the same t approximation with n − 2 dof as scipy. Interval: Fisher z with the Bonett–Wright (2000)
    /// standard error `sqrt((1 + ρ²/2) / (n − 3))`, which covers better than 1/sqrt(n − 3) for rank correlations.
    public static func spearman(_ x: [Double], _ y: [Double], confidence: Double = 0.95) throws -> CorrelationResult {
        try validate(x, y, confidence: confidence)
        let rho = try coefficient(averageRanks(x), averageRanks(y))
        let standardError = ((1 + rho * rho / 2) / Double(x.count - 3)).squareRoot()
        let (lower, upper) = fisherInterval(r: rho, n: x.count, standardError: standardError, confidence: confidence)
        return CorrelationResult(coefficient: rho, pValue: SpecialFunctions.correlationPValue(r: rho, n: x.count),
                                 lower: lower, upper: upper, confidence: confidence, count: x.count)
    }

    /// 1-based ranks, ties replaced by the mean of the ranks they span (scipy's `rankdata(method='average')`).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2  // mean of start+1 ... end
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }

    private static func validate(_ x: [Double], _ y: [Double], confidence: Double) throws {
        guard x.count == y.count else {
            throw LearnError.lengthMismatch(what: "correlation inputs", expected: x.count, actual: y.count)
        }
        guard x.count >= 3 else { throw LearnError.tooFewItems(what: "correlation inputs", minimum: 3, actual: x.count) }
        if let bad = x.firstIndex(where: { !$0.isFinite }) { throw LearnError.nonFinite(what: "correlation x", index: bad) }
        if let bad = y.firstIndex(where: { !$0.isFinite }) { throw LearnError.nonFinite(what: "correlation y", index: bad) }
        guard confidence > 0, confidence < 1 else {
            throw LearnError.invalidParameter(name: "confidence", value: "\(confidence)", expected: "a value in (0, 1)")
        }
    }

    private static func coefficient(_ x: [Double], _ y: [Double]) throws -> Double {
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxx = 0.0, syy = 0.0
        for i in x.indices {
            sxx += (x[i] - meanX) * (x[i] - meanX)
            syy += (y[i] - meanY) * (y[i] - meanY)
        }
        guard sxx > 0, x.contains(where: { $0 != x[0] }) else { throw LearnError.constantInput(what: "correlation x") }
        guard syy > 0, y.contains(where: { $0 != y[0] }) else { throw LearnError.constantInput(what: "correlation y") }
        let normX = sxx.squareRoot(), normY = syy.squareRoot()
        var r = 0.0
        for i in x.indices { r += ((x[i] - meanX) / normX) * ((y[i] - meanY) / normY) }
        return max(-1, min(1, r))
    }

    private static func fisherInterval(r: Double, n: Int, standardError: Double,
                                       confidence: Double) -> (Double, Double) {
        guard n > 3 else { return (-1, 1) }
        let z = atanh(r)
        let half = SpecialFunctions.normalQuantile((1 + confidence) / 2) * standardError
        return (tanh(z - half), tanh(z + half))
    }
}
