/// A smooth objective for `LBFGS`: value and gradient at a point.
protocol DifferentiableObjective {
    var dimension: Int { get }
    /// Returns f(x) and writes ∇f(x) into `gradient` (same length as `x`).
    mutating func evaluate(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double
}

/// Why `LBFGS.minimize` stopped.
public enum LBFGSStop: String, Sendable, Equatable {
    /// ‖∇f‖∞ ≤ gradient tolerance (scipy's `pgtol` test without bounds).
    case gradientTolerance = "gradient tolerance reached"
    /// (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ function tolerance (scipy's `ftol`/`factr` test).
    case functionTolerance = "relative reduction of the objective below tolerance"
    case maxIterations = "maximum number of iterations reached"
    /// No step along the search direction (nor along −∇f after a restart) met the Wolfe conditions.
    case lineSearchFailed = "line search failed to find a wolfe step"
}

/// Unconstrained limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Alg. 7.4–7.5).
///
/// - Direction: the two-loop recursion over the last `memory` pairs (s, y) with H₀ = (sᵀy / yᵀy)·I; pairs
///   with sᵀy ≤ ε·yᵀy are skipped (curvature not positive).
/// - Step: a strong Wolfe line search (Alg. 3.5/3.6, safeguarded cubic interpolation), c₁ = 1e-4, c₂ = 0.9,
///   first trial step 1 (1/‖∇f‖₂ on the first iteration, as scipy does). Near the optimum, where f differences
///   fall below rounding, the sufficient-decrease test allows f to rise by 2·ulp(|f₀|) (Hager–Zhang's
///   approximate Wolfe idea), so the gradient can still be driven below tight tolerances like 1e-10.
/// - Stops on ‖∇f‖∞ ≤ `gradientTolerance`, on a relative reduction ≤ `functionTolerance`, or after
///   `maxIterations`; a failed line search restarts once from steepest descent before giving up.
struct LBFGS {
    var memory = 10
    var gradientTolerance = 1e-4
    var functionTolerance = 64 * Double.ulpOfOne
    var maxIterations = 100
    var maxLineSearchSteps = 50

    struct Result {
        var x: [Double]
        var value: Double
        var gradientInfinityNorm: Double
        var iterations: Int
        var evaluations: Int
        var stop: LBFGSStop
    }

    func minimize<Objective: DifferentiableObjective>(_ objective: inout Objective, from start: [Double]) -> Result {
        let n = objective.dimension
        precondition(start.count == n, "start point has the wrong dimension")
        var x = start
        var g = [Double](repeating: 0, count: n)
        var evaluations = 1
        var f = x.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { objective.evaluate(xp, gradient: $0) }
        }
        let m = max(1, memory)
        var sHistory = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
        var yHistory = sHistory
        var rho = [Double](repeating: 0, count: m)
        var alphaScratch = [Double](repeating: 0, count: m)
        var stored = 0, newest = -1
        var direction = [Double](repeating: 0, count: n)
        var trialX = [Double](repeating: 0, count: n)
        var trialG = [Double](repeating: 0, count: n)
        var iteration = 0
        var restarted = false

        while true {
            let gInf = Vector.infinityNorm(g)
            if gInf <= gradientTolerance {
                return Result(x: x, value: f, gradientInfinityNorm: gInf, iterations: iteration,
                              evaluations: evaluations, stop: .gradientTolerance)
            }
            if iteration >= maxIterations {
                return Result(x: x, value: f, gradientInfinityNorm: gInf, iterations: iteration,
                              evaluations: evaluations, stop: .maxIterations)
            }
            // Two-loop recursion: direction = −H ∇f.
            for i in 0..<n { direction[i] = -g[i] }
            var k = newest
            for _ in 0..<stored {
                alphaScratch[k] = rho[k] * Vector.dot(sHistory[k], direction)
                Vector.axpy(-alphaScratch[k], yHistory[k], &direction)
                k = (k - 1 + m) % m
            }
            if stored > 0 {
                let yy = Vector.dot(yHistory[newest], yHistory[newest])
                Vector.scale(&direction, by: 1 / (rho[newest] * yy))
            }
            k = (newest - stored + 1 + m) % m
            for _ in 0..<stored {
                let beta = rho[k] * Vector.dot(yHistory[k], direction)
                Vector.axpy(alphaScratch[k] - beta, sHistory[k], &direction)
                k = (k + 1) % m
            }
            var slope = Vector.dot(g, direction)
            if !(slope < 0) {  // not a descent direction (lost positive definiteness): steepest descent
                for i in 0..<n { direction[i] = -g[i] }
                stored = 0
                slope = Vector.dot(g, direction)
            }
            let firstStep = (stored == 0) ? min(1, 1 / Vector.dot(g, g).squareRoot()) : 1
            let search = lineSearch(&objective, x: x, f: f, slope: slope, direction: direction,
                                    initialStep: firstStep, trialX: &trialX, trialG: &trialG)
            evaluations += search.evaluations
            guard search.step != nil else {
                if stored > 0 && !restarted {
                    restarted = true
                    stored = 0
                    continue
                }
                return Result(x: x, value: f, gradientInfinityNorm: gInf, iterations: iteration,
                              evaluations: evaluations, stop: .lineSearchFailed)
            }
            restarted = false
            iteration += 1
            // trialX/trialG hold the accepted point; record the (s, y) pair.
            let slot = (newest + 1) % m
            var sy = 0.0, yy = 0.0
            for i in 0..<n {
                let s = trialX[i] - x[i], y = trialG[i] - g[i]
                sHistory[slot][i] = s
                yHistory[slot][i] = y
                sy += s * y
                yy += y * y
            }
            if sy > Double.ulpOfOne * yy && yy > 0 {
                rho[slot] = 1 / sy
                newest = slot
                stored = min(stored + 1, m)
            }
            let previous = f
            f = search.value
            swap(&x, &trialX)
            swap(&g, &trialG)
            let reduction = (previous - f) / max(abs(previous), abs(f), 1)
            if functionTolerance > 0 && reduction >= 0 && reduction <= functionTolerance
                && Vector.infinityNorm(g) > gradientTolerance {
                return Result(x: x, value: f, gradientInfinityNorm: Vector.infinityNorm(g), iterations: iteration,
                              evaluations: evaluations, stop: .functionTolerance)
            }
        }
    }

    private struct LineSearchResult {
        var step: Double?
        var value: Double
        var evaluations: Int
    }

    /// Strong Wolfe search along `direction`; on success `trialX`/`trialG` hold the accepted point.
    private func lineSearch<Objective: DifferentiableObjective>(
        _ objective: inout Objective, x: [Double], f: Double, slope: Double, direction: [Double],
        initialStep: Double, trialX: inout [Double], trialG: inout [Double]
    ) -> LineSearchResult {
        let c1 = 1e-4, c2 = 0.9
        let slack = 2 * max(abs(f), Double.leastNormalMagnitude).ulp
        var evaluations = 0
        func phi(_ alpha: Double) -> (value: Double, slope: Double) {
            evaluations += 1
            for i in 0..<x.count { trialX[i] = x[i] + alpha * direction[i] }
            let value = trialX.withUnsafeBufferPointer { xp in
                trialG.withUnsafeMutableBufferPointer { objective.evaluate(xp, gradient: $0) }
            }
            return (value, Vector.dot(trialG, direction))
        }
        func sufficient(_ alpha: Double, _ value: Double) -> Bool {
            value <= f + c1 * alpha * slope || (value <= f + slack && alpha * abs(slope) <= 1e3 * slack)
        }
        func curvature(_ s: Double) -> Bool { abs(s) <= -c2 * slope }

        func clearlyAbove(_ value: Double, _ reference: Double) -> Bool { value > reference + slack }

        // Bracketing phase (Alg. 3.5).
        var lowAlpha = 0.0, lowValue = f, lowSlope = slope
        var highAlpha = 0.0, highValue = f, highSlope = slope
        var alpha = initialStep
        var bracketed = false
        while !bracketed && evaluations < maxLineSearchSteps {
            let (value, s) = phi(alpha)
            if !value.isFinite || !sufficient(alpha, value) || (lowAlpha > 0 && clearlyAbove(value, lowValue)) {
                highAlpha = alpha; highValue = value; highSlope = s
                bracketed = true
            } else if curvature(s) {
                return LineSearchResult(step: alpha, value: value, evaluations: evaluations)
            } else if s >= 0 {
                highAlpha = lowAlpha; highValue = lowValue; highSlope = lowSlope
                lowAlpha = alpha; lowValue = value; lowSlope = s
                bracketed = true
            } else {
                lowAlpha = alpha; lowValue = value; lowSlope = s
                alpha = min(alpha * 4, 1e10)
            }
        }
        // Zoom phase (Alg. 3.6): lowAlpha satisfies sufficient decrease; [low, high] contains a Wolfe step.
        while bracketed && evaluations < maxLineSearchSteps {
            if abs(highAlpha - lowAlpha) <= 1e-15 * max(lowAlpha, highAlpha) { break }
            alpha = Self.interpolate(lowAlpha, lowValue, lowSlope, highAlpha, highValue, highSlope)
            let (value, s) = phi(alpha)
            if !value.isFinite || !sufficient(alpha, value) || clearlyAbove(value, lowValue) {
                highAlpha = alpha; highValue = value; highSlope = s
            } else {
                if curvature(s) {
                    return LineSearchResult(step: alpha, value: value, evaluations: evaluations)
                }
                if s * (highAlpha - lowAlpha) >= 0 {
                    highAlpha = lowAlpha; highValue = lowValue; highSlope = lowSlope
                }
                lowAlpha = alpha; lowValue = value; lowSlope = s
            }
        }
        // Accept the best sufficient-decrease point seen, if it moved at all.
        if lowAlpha > 0 {
            let (value, _) = phi(lowAlpha)
            return LineSearchResult(step: lowAlpha, value: value, evaluations: evaluations)
        }
        return LineSearchResult(step: nil, value: f, evaluations: evaluations)
    }

    /// Minimiser of the cubic through (a, fa, ga), (b, fb, gb), kept inside the middle 80% of [a, b];
    /// bisection when the cubic is not usable.
    static func interpolate(_ a: Double, _ fa: Double, _ ga: Double,
                            _ b: Double, _ fb: Double, _ gb: Double) -> Double {
        let lo = min(a, b), hi = max(a, b), width = hi - lo
        var candidate = Double.nan
        if fb.isFinite && gb.isFinite {
            let d1 = ga + gb - 3 * (fa - fb) / (a - b)
            let radicand = d1 * d1 - ga * gb
            if radicand >= 0 {
                let d2 = (b > a ? 1.0 : -1.0) * radicand.squareRoot()
                candidate = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2)
            }
        }
        if !candidate.isFinite || candidate < lo + 0.1 * width || candidate > hi - 0.1 * width {
            return lo + 0.5 * width
        }
        return candidate
    }
}

/// Small BLAS-1 kernels over contiguous buffers.
enum Vector {
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                let n = pa.count
                var i = 0
                while i + 4 <= n {
                    s0 += pa[i] * pb[i]; s1 += pa[i + 1] * pb[i + 1]
                    s2 += pa[i + 2] * pb[i + 2]; s3 += pa[i + 3] * pb[i + 3]
                    i += 4
                }
                while i < n { s0 += pa[i] * pb[i]; i += 1 }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }

    static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for i in 0..<px.count { py[i] += alpha * px[i] }
            }
        }
    }

    static func scale(_ x: inout [Double], by factor: Double) {
        x.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= factor } }
    }

    static func infinityNorm(_ x: [Double]) -> Double {
        x.reduce(0) { max($0, abs($1)) }
    }
}
