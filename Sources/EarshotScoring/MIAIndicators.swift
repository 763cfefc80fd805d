import Foundation

/// One column of the MIA indicator vector: its stable name and what it measures.
public struct IndicatorColumn: Sendable, Equatable, Codable {
    public var name: String
    public var definition: String
}

/// The membership-inference indicator vector of one scored item (52 columns), computed from its
/// per-token statistics alone.
///
/// **Sign convention: for every column, lower means more member-like.** This is the orientation of
/// VL-MIA's `get_text_metric` (it negates Min-K% Prob and the probability gap to obtain it) and of
/// MIMIR's attacks (which return the negated Min-K%/Min-K%++ means); a classifier or an AUC that wants
/// "higher = member" negates every column alike.
///
/// **Selection size.** Every "k% of N tokens" keeps `max(1, Int(Double(N) * k))` tokens: Python's
/// `int(len * ratio)` (truncation, in the same IEEE arithmetic, so 20 × 0.15 keeps 2 tokens) raised to at
/// least one token, as VL-MIA does (`if k_length == 0: k_length = 1`). The Min-K% Prob and Min-K%++
/// authors' code has no such floor and yields NaN (mean of nothing) when k·N < 1.
///
/// **Columns, in order** (`columnNames`):
/// 1. `ppl` = exp(mean_t −log p_t) — VL-MIA `get_meta_metrics` (`np.exp(np.nanmean(losses))`).
/// 2. `entropy_mean` = mean_t H_1(p_t), Shannon entropy in nats (equal to `max_renyi_a1_k100`).
/// 3. `zlib_ratio` = (mean_t −log p_t) / len(zlib.compress(UTF-8 text, level 6)) — MIMIR
///    `mimir/attacks/zlib.py` (`loss / zlib_entropy` with `loss = get_ll = -np.mean(all_prob)`), equal to
///    VL-MIA's `np.log(ppl)/zlib_entropy` (Carlini et al. 2021).
/// 4. `max_prob_gap` = −mean_t (top1 log p − top2 log p), in log space — VL-MIA `Max_Prob_Gap`
///    (`-np.mean(gap_p)` with `gap_p = max_p - second_p` over log-probabilities).
/// 5–16. `min_k_prob_kKK` for k ∈ {0.05, 0.10, …, 0.60} = −mean of log p over the selected tokens with the
///    lowest log p — VL-MIA `Min_K% Prob` (`-np.mean(np.sort(all_prob)[:k_length])`), Shi et al. 2024.
/// 17–28. `max_k_prob_kKK` = −mean of log p over the selected tokens with the highest log p (the same
///    recipe from the other end, `np.sort(all_prob)[-k_length:]`; the paper's "Max-k%").
/// 29–40. `min_k_plus_plus_kKK` = −mean over the selected lowest z_t = (log p_t − μ_t)/σ_t with
///    μ_t = −H_1(p_t) and σ_t = sqrt(E[(log p)²] − μ_t²) — zjysteven/mink-plus-plus `run.py`
///    (`mink_plus = (token_log_probs - mu) / sigma.sqrt()`), negated as MIMIR's `min_k_plus_plus.py` does.
///    Where σ_t² ≤ 0 (log p constant on the support, up to rounding) z_t is 0 instead of the reference's NaN.
/// 41–52. `max_renyi_aA_kK` for α ∈ {0.5, 1, 2, ∞} and K ∈ {0, 10, 100}% = mean of the selected largest
///    per-token Rényi entropies H_α(p_t) — VL-MIA `Max_{K}% renyi_{α}` (`np.mean(np.sort(renyi)[-k_length:])`);
///    K = 0 is the maximum, K = 100 the mean; α = 1 is Shannon, α = ∞ is −log max p.
///
/// No rounding is applied to any value. Inputs must be validated statistics (finite, one per token);
/// an item without tokens throws `ScoringError.emptyOutput` rather than producing a filler row.
public enum MIAIndicators {
    /// Bumped whenever any column's definition or order changes (enters node keys).
    public static let version = 1

    /// The k fractions of Min-K% Prob, Max-K% Prob and Min-K%++, written as the decimal literals the
    /// reference scripts use (never accumulated as 0.05·i, which would change `Int(N·k)`).
    public static let kFractions: [Double] = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]

    /// VL-MIA's Max-Rényi K fractions used here: 0% (maximum), 10%, 100% (mean).
    public static let renyiFractions: [Double] = [0, 0.1, 1]

    /// Rényi orders, as they appear in column names.
    public static let renyiOrderNames = ["05", "1", "2", "inf"]

    /// All columns in their stable order.
    public static let columns: [IndicatorColumn] = {
        var columns = [
            IndicatorColumn(name: "ppl", definition: "exp(mean NLL)"),
            IndicatorColumn(name: "entropy_mean", definition: "mean Shannon entropy (nats)"),
            IndicatorColumn(name: "zlib_ratio", definition: "mean NLL / zlib-compressed UTF-8 length of the text"),
            IndicatorColumn(name: "max_prob_gap", definition: "-mean(top1 log p - top2 log p)"),
        ]
        for k in kFractions {
            columns.append(IndicatorColumn(name: "min_k_prob_k\(percentLabel(k))", definition: "-mean log p of the lowest \(percentLabel(k))% tokens"))
        }
        for k in kFractions {
            columns.append(IndicatorColumn(name: "max_k_prob_k\(percentLabel(k))", definition: "-mean log p of the highest \(percentLabel(k))% tokens"))
        }
        for k in kFractions {
            columns.append(IndicatorColumn(name: "min_k_plus_plus_k\(percentLabel(k))", definition: "-mean z of the lowest \(percentLabel(k))% Min-K%++ scores"))
        }
        for order in renyiOrderNames {
            for k in renyiFractions {
                let label = Int((k * 100).rounded())
                columns.append(IndicatorColumn(name: "max_renyi_a\(order)_k\(label)", definition: "mean of the largest \(label)% Renyi entropies of order \(order)"))
            }
        }
        return columns
    }()

    /// The column names, in order (see the type's documentation for each definition).
    public static let columnNames: [String] = columns.map(\.name)

    /// Number of tokens a k-fraction selection keeps out of `n`: `max(1, Int(Double(n) * k))`.
    public static func selectionCount(tokens n: Int, fraction k: Double) -> Int {
        max(1, Int(Double(n) * k))
    }

    /// The indicator vector of one item, in `columnNames` order.
    /// Throws `ScoringError.emptyOutput` for an item with no token and the validation errors of
    /// `ItemScores.validate()` for mismatched or non-finite statistics.
    public static func compute(_ item: ItemScores) throws -> [Double] {
        try item.validate()
        let stats = item.stats
        let n = stats.count
        guard n > 0 else { throw ScoringError.emptyOutput(id: item.id) }

        let meanNLL = -mean(stats.logProb)
        var row: [Double] = []
        row.reserveCapacity(columns.count)
        row.append(Foundation.exp(meanNLL))
        row.append(mean(stats.entropy))
        row.append(meanNLL / Double(try ZlibCompression.compressedByteCount(of: item.text)))
        row.append(-mean(zip(stats.top1LogProb, stats.top2LogProb).map { $0 - $1 }))

        let ascendingLogProb = stats.logProb.sorted()
        for k in kFractions {
            row.append(-mean(ascendingLogProb.prefix(selectionCount(tokens: n, fraction: k))))
        }
        for k in kFractions {
            row.append(-mean(ascendingLogProb.suffix(selectionCount(tokens: n, fraction: k))))
        }
        let ascendingZ = minKPlusPlusScores(stats).sorted()
        for k in kFractions {
            row.append(-mean(ascendingZ.prefix(selectionCount(tokens: n, fraction: k))))
        }
        for entropies in [stats.renyi05, stats.entropy, stats.renyi2, stats.renyiInf] {
            let ascending = entropies.sorted()
            for k in renyiFractions {
                row.append(mean(ascending.suffix(selectionCount(tokens: n, fraction: k))))
            }
        }
        return row
    }

    /// Min-K%++ per-token scores z_t = (log p_t − μ_t)/σ_t with μ_t = −entropy_t and
    /// σ_t² = E[(log p)²]_t − μ_t²; z_t = 0 where σ_t² ≤ 0.
    public static func minKPlusPlusScores(_ stats: TokenStatistics) -> [Double] {
        (0..<stats.count).map { t in
            let mu = -stats.entropy[t]
            let variance = stats.expectedLogProbSquared[t] - mu * mu
            guard variance > 0 else { return 0 }
            return (stats.logProb[t] - mu) / variance.squareRoot()
        }
    }

    /// Two-digit percent label of a fraction: 0.05 → "05", 0.6 → "60".
    private static func percentLabel(_ k: Double) -> String {
        let percent = Int((k * 100).rounded())
        return percent < 10 ? "0\(percent)" : "\(percent)"
    }

    /// Arithmetic mean, summed left to right.
    private static func mean<C: Collection>(_ values: C) -> Double where C.Element == Double {
        var sum = 0.0
        for value in values { sum += value }
        return sum / Double(values.count)
    }
}
