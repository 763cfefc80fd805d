import Foundation

/// The special functions behind the correlation p-values and intervals.
public enum SpecialFunctions {
    /// Regularised incomplete beta `I_x(a, b)` for a, b > 0 and 0 ≤ x ≤ 1, with `complement` = 1 − x passed
    /// separately so that x near 1 keeps full precision.
    ///
    /// Numerical Recipes (3rd ed., §6.4) scheme: the prefactor `x^a (1−x)^b / (a·B(a, b))` from `lgamma`, times
    /// the continued fraction evaluated by the modified Lentz method (relative step tolerance 1e-16, at most
    /// 10,000 terms), using the symmetry `I_x(a, b) = 1 − I_{1−x}(b, a)` when `x > (a + 1)/(a + b + 2)`.
    /// Accuracy: about 1e-13 relative for a, b up to ~10⁴ (limited by `lgamma`'s absolute error on the exponent).
    public static func regularizedIncompleteBeta(a: Double, b: Double, x: Double, complement: Double? = nil) -> Double {
        let y = complement ?? (1 - x)
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        let logPrefactor = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y)
        let prefactor = exp(logPrefactor)
        if x < (a + 1) / (a + b + 2) {
            return prefactor * continuedFraction(a: a, b: b, x: x, y: y) / a
        }
        return 1 - prefactor * continuedFraction(a: b, b: a, x: y, y: x) / b
    }

    /// The continued fraction of `I_x(a, b)` (NR `betacf`), modified Lentz.
    static func continuedFraction(a: Double, b: Double, x: Double, y: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let mm = Double(m), m2 = 2 * mm
            var aa = mm * (b - mm) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + mm) * (qab + mm) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) <= 1e-16 { break }
        }
        return h
    }

    /// Two-sided p-value of a correlation coefficient `r` from `n` pairs under the t approximation with
    /// `n − 2` degrees of freedom: `t = r·sqrt((n − 2)/(1 − r²))`, `p = P(|T| ≥ |t|) = I_{1−r²}((n − 2)/2, 1/2)`
    /// (scipy's `pearsonr` and `spearmanr` p-values; 1 − r² is formed as (1 − |r|)(1 + |r|)). |r| = 1 gives 0.
    public static func correlationPValue(r: Double, n: Int) -> Double {
        let dof = Double(n - 2)
        let magnitude = min(abs(r), 1)
        let x = (1 - magnitude) * (1 + magnitude)
        return min(1, regularizedIncompleteBeta(a: dof / 2, b: 0.5, x: x, complement: magnitude * magnitude))
    }

    /// Standard normal quantile Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation (relative error
    /// 1.15e-9) refined by one Halley step on `Φ(x) = erfc(−x/√2)/2`, giving about 1e-15 relative accuracy.
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
