import Foundation

/// Summary of one frame-wise row: mean, population standard deviation (ddof = 0) and the 10th, 50th and
/// 90th percentiles with numpy's default `method='linear'` (index q/100·(n−1) between sorted neighbours,
/// interpolated as numpy's `_lerp` does). An empty row summarises to all zeros, never NaN.
public struct PooledStatistics: Sendable, Hashable, Codable {
    public static let suffixes = ["mean", "std", "p10", "p50", "p90"]

    public var mean: Double
    public var std: Double
    public var p10: Double
    public var p50: Double
    public var p90: Double

    /// Pools `values` (expected finite) in O(n): percentiles come from three nested selections
    /// (introselect: median-of-three quickselect with a three-way partition, falling back to sorting a
    /// range that recurses too deep), not from a full sort.
    public init<C: Collection>(_ values: C) where C.Element == Double {
        var a = Array(values)
        guard !a.isEmpty else {
            (mean, std, p10, p50, p90) = (0, 0, 0, 0, 0)
            return
        }
        let n = Double(a.count)
        let mean = a.reduce(0, +) / n
        let variance = a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        self.mean = mean
        self.std = variance.squareRoot()
        var from = 0
        var result = [Double]()
        for q in [10.0, 50.0, 90.0] {
            let (value, lower) = Self.percentile(selecting: &a, q, from: from)
            result.append(value)
            from = lower
        }
        (p10, p50, p90) = (result[0], result[1], result[2])
    }

    /// The values in `suffixes` order.
    public var values: [Double] { [mean, std, p10, p50, p90] }

    /// `np.percentile(x, q)` (linear) of an ascending, non-empty array.
    public static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return interpolate(sorted[lower], sorted[upper], position - Double(lower))
    }

    /// numpy's `_lerp`: a + (b − a)·t, evaluated from b's side when t ≥ 0.5.
    static func interpolate(_ a: Double, _ b: Double, _ t: Double) -> Double {
        let difference = b - a
        return t >= 0.5 ? b - difference * (1 - t) : a + difference * t
    }

    /// Linear percentile of `a` after placing its order statistics ≥ `from` (earlier calls already fixed
    /// everything below); returns the value and the lower order-statistic index it used.
    static func percentile(selecting a: inout [Double], _ q: Double, from: Int) -> (Double, Int) {
        let position = q / 100 * Double(a.count - 1)
        let lower = Int(position.rounded(.down))
        select(&a, lower, in: from..<a.count)
        let upper = lower + 1 < a.count ? a[(lower + 1)...].min()! : a[lower]
        return (interpolate(a[lower], upper, position - Double(lower)), lower)
    }

    /// Rearranges `a[range]` so that `a[k]` holds the value a sort would put there, with nothing larger
    /// before it and nothing smaller after it (within `range`).
    static func select(_ a: inout [Double], _ k: Int, in range: Range<Int>) {
        var low = range.lowerBound, high = range.upperBound
        var budget = 2 * (Int.bitWidth - max(range.count, 1).leadingZeroBitCount) + 8
        while high - low > 1 {
            if budget == 0 {
                a[low..<high].sort()
                return
            }
            budget -= 1
            let middle = low + (high - low) / 2
            let pivot = Swift.max(Swift.min(a[low], a[middle]), Swift.min(Swift.max(a[low], a[middle]), a[high - 1]))
            // Three-way partition: [low, less) < pivot, [less, greater) == pivot, [greater, high) > pivot.
            var less = low, i = low, greater = high
            while i < greater {
                if a[i] < pivot {
                    a.swapAt(i, less); less += 1; i += 1
                } else if a[i] > pivot {
                    greater -= 1; a.swapAt(i, greater)
                } else {
                    i += 1
                }
            }
            if k < less { high = less } else if k >= greater { low = greater } else { return }
        }
    }
}

/// A fixed-length named feature vector (column names in a stable order).
public struct FeatureVector: Sendable, Hashable, Codable {
    public let names: [String]
    public let values: [Double]

    public init(names: [String], values: [Double]) {
        precondition(names.count == values.count, "feature names and values differ in length")
        self.names = names
        self.values = values
    }

    /// The value of column `name`, or `nil` if there is none.
    public subscript(name: String) -> Double? {
        names.firstIndex(of: name).map { values[$0] }
    }
}
