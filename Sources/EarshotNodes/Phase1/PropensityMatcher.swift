import Foundation

/// Greedy 1:1 nearest-neighbour propensity-score matching without replacement, within a caliper.
///
/// The propensity of an item is a blind classifier's out-of-fold P(member). Matching is on its logit,
/// `logit(p) = ln(p / (1 − p))` with `p` clamped to [1e-12, 1 − 1e-12] so that 0 and 1 stay finite.
/// - The smaller class is "treated" (members when the classes are equal); the other class supplies controls.
/// - Treated items are visited in decreasing logit (ties: item order), and each takes the unused control
///   nearest in logit (ties: the smaller logit, then item order) when the distance is ≤ the caliper width;
///   otherwise the treated item stays unmatched.
/// - Caliper width = `caliper × pooled sd`, pooled sd = √((s²_members + s²_non-members) / 2) of the logits
///   (sample variances, n − 1), the 0.2 default following Austin (2011), "Optimal caliper widths for
///   propensity-score matching …", Pharmaceutical Statistics 10(2). `caliper = 0` disables the caliper.
/// Deterministic: no random numbers are drawn.
struct PropensityMatcher: Sendable {
    /// Caliper in units of the pooled standard deviation of the logits; 0 for none.
    var caliper: Double

    struct Result: Sendable, Equatable {
        /// (treated item, control item) index pairs, in the order they were formed.
        var pairs: [(Int, Int)]
        /// Caliper width in logit units (infinity when disabled).
        var width: Double

        static func == (a: Result, b: Result) -> Bool {
            a.width == b.width && a.pairs.map(\.0) == b.pairs.map(\.0) && a.pairs.map(\.1) == b.pairs.map(\.1)
        }

        /// Every matched item index, ascending.
        var matchedItems: [Int] { (pairs.map(\.0) + pairs.map(\.1)).sorted() }
    }

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-12), 1 - 1e-12)
        return log(q / (1 - q))
    }

    /// Matches members (`labels[i] == true`) with non-members on `scores` (P(member)).
    func match(scores: [Double], labels: [Bool]) -> Result {
        precondition(scores.count == labels.count, "scores and labels differ in length")
        let logits = scores.map(Self.logit)
        let members = labels.indices.filter { labels[$0] }
        let nonMembers = labels.indices.filter { !labels[$0] }
        let width = caliper > 0 ? caliper * Self.pooledStandardDeviation(members.map { logits[$0] }, nonMembers.map { logits[$0] })
                                : Double.infinity
        let (treated, controls) = members.count <= nonMembers.count ? (members, nonMembers) : (nonMembers, members)
        // Controls sorted by (logit, index); used ones are removed.
        var available = controls.sorted { (logits[$0], $0) < (logits[$1], $1) }
        let order = treated.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        var pairs: [(Int, Int)] = []
        for t in order where !available.isEmpty {
            let x = logits[t]
            // First position whose logit is ≥ x.
            var lo = 0, hi = available.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if logits[available[mid]] < x { lo = mid + 1 } else { hi = mid }
            }
            var best: Int?
            if lo > 0 { best = lo - 1 }
            if lo < available.count {
                // The nearest among equal-logit candidates above is the first; prefer the smaller logit on ties.
                if let b = best {
                    if logits[available[lo]] - x < x - logits[available[b]] { best = lo }
                } else {
                    best = lo
                }
            }
            // Among controls tied at the chosen logit, the earliest item is the first in sorted order.
            guard var position = best else { continue }
            let chosenLogit = logits[available[position]]
            while position > 0 && logits[available[position - 1]] == chosenLogit { position -= 1 }
            guard abs(logits[available[position]] - x) <= width else { continue }
            pairs.append((t, available.remove(at: position)))
        }
        return Result(pairs: pairs, width: width)
    }

    /// √((s²_a + s²_b) / 2) with sample variances; a group of fewer than two values contributes 0.
    static func pooledStandardDeviation(_ a: [Double], _ b: [Double]) -> Double {
        func variance(_ v: [Double]) -> Double {
            guard v.count >= 2 else { return 0 }
            let mean = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
        }
        return ((variance(a) + variance(b)) / 2).squareRoot()
    }
}
