import Foundation

/// Locale-independent fixed-precision decimal text: `FixedDecimal.format(0.93751, digits: 3) == "0.938"`.
///
/// Rounds half away from zero on the decimal value `x · 10^digits` (as `Double.rounded()`), never prints
/// `-0.000` (a value that rounds to zero is unsigned) and writes non-finite values as `missing`. The same
/// double always gives the same text, whatever the process locale.
public enum FixedDecimal {
    public static func format(_ x: Double?, digits: Int, missing: String = "–") -> String {
        guard let x, x.isFinite else { return missing }
        let scale = (0..<digits).reduce(1.0) { r, _ in r * 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9.0e15 else { return x < 0 ? "-" + String(format: "%.0f", abs(x)) : String(format: "%.0f", x) }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = String(units / divisor)
        if digits > 0 {
            let fraction = String(units % divisor)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (x < 0 && units != 0 ? "-" : "") + text
    }
}
