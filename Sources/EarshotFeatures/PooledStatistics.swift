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

    /// Pools `values` (expected finite) in O(n): percentiles come from three nested selections (`select`),
    /// not from a full sort. Mean and variance sum in order.
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
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 3 * a.count)
        defer { scratch.deallocate() }
        (p10, p50, p90) = a.withUnsafeMutableBufferPointer { buffer in
            var from = 0
            var result = (0.0, 0.0, 0.0)
            for (slot, q) in [10.0, 50.0, 90.0].enumerated() {
                let (value, lower) = Self.percentile(selecting: buffer, q, from: from, scratch: scratch)
                switch slot {
                case 0: result.0 = value
                case 1: result.1 = value
                default: result.2 = value
                }
                from = lower
            }
            return result
        }
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
    static func percentile(selecting a: UnsafeMutableBufferPointer<Double>, _ q: Double, from: Int,
                           scratch: UnsafeMutablePointer<Double>) -> (Double, Int) {
        let position = q / 100 * Double(a.count - 1)
        let lower = Int(position.rounded(.down))
        select(a, lower, in: from..<a.count, scratch: scratch)
        // At a whole position numpy's interpolation returns a[lower] + (b − a[lower])·0 = a[lower] for finite b.
        if position == Double(lower) { return (a[lower], lower) }
        var upper = a[lower]
        if lower + 1 < a.count {
            upper = a[lower + 1]
            for i in (lower + 2)..<a.count where a[i] < upper { upper = a[i] }
        }
        return (interpolate(a[lower], upper, position - Double(lower)), lower)
    }

    /// Rearranges `a[range]` so that `a[k]` holds the value a sort would put there, with nothing larger
    /// before it and nothing smaller after it (within `range`): quickselect around a median-of-three pivot with a
    /// branch-free three-way split (each value is written to the ends of three scratch runs — below, equal to and
    /// above the pivot — and only its own run's end advances), sorting a range that recurses too deep.
    /// `scratch` holds at least 3·`range.count` values.
    static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int, in range: Range<Int>,
                       scratch: UnsafeMutablePointer<Double>) {
        let a = a.baseAddress!
        var low = range.lowerBound, high = range.upperBound
        var budget = 2 * (Int.bitWidth - max(range.count, 1).leadingZeroBitCount) + 8
        while high - low > 1 {
            if budget == 0 {
                var slice = UnsafeMutableBufferPointer(start: a + low, count: high - low)
                slice.sort()
                return
            }
            budget -= 1
            let count = high - low, middle = low + count / 2
            let pivot = Swift.max(Swift.min(a[low], a[middle]), Swift.min(Swift.max(a[low], a[middle]), a[high - 1]))
            let below = scratch, equal = scratch + count, above = scratch + 2 * count
            var b = 0, e = 0, g = 0
            for i in low..<high {
                let value = a[i]
                below[b] = value
                equal[e] = value
                above[g] = value
                // −1 where the comparison holds, from the vector compare's all-ones lane (no branch to mispredict).
                let masks = unsafeBitCast(SIMD2(value, pivot) .< SIMD2(pivot, value), to: SIMD2<Int64>.self)
                b &-= Int(masks[0])
                g &-= Int(masks[1])
                e &+= 1 &+ Int(masks[0]) &+ Int(masks[1])
            }
            (a + low).update(from: below, count: b)
            (a + low + b).update(from: equal, count: e)
            (a + low + b + e).update(from: above, count: g)
            if k < low + b { high = low + b } else if k < low + b + e { return } else { low += b + e }
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
