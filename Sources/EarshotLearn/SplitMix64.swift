/// SplitMix64 (Steele, Lea & Flood 2014; Vigna's reference constants): a small seeded generator whose
/// output depends only on the seed, identical on every platform and Swift version.
///
/// `next()` adds the golden-gamma `0x9E3779B97F4A7C15` to the state and mixes it with
/// `z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB; z ^ (z >> 31)`.
/// Bounded integers and doubles use this type's own methods (`next(below:)`, `nextUnitDouble()`), never the
/// standard library's `random(in:using:)`, whose algorithm is not a cross-version guarantee.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in `0..<bound` (bound > 0) by Lemire's multiply-shift with rejection (unbiased).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Fisher–Yates shuffle (from the last position down, `j = next(below: i + 1)`).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = next(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }
}
