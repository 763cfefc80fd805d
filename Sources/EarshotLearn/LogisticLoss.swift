import Foundation

/// The scaled L2-penalised logistic loss that scikit-learn's lbfgs solver minimises:
///
///     L(w, b) = (1/n) Σ_i log(1 + exp(−y_i (x_i·w + b))) + ‖w‖² / (2 C n),   y_i ∈ {−1, +1}.
///
/// It is `C·n`-times smaller than `0.5‖w‖² + C Σ log(1 + exp(…))` and so has the same minimiser; the
/// 1/n scaling makes the gradient tolerance independent of n, as in scikit-learn. The intercept `b` (the
/// last coordinate) is not penalised. `log(1 + e^{−t})` and `σ(−t)` are evaluated in overflow-free forms.
struct LogisticLoss<Design: LinearDesign>: DifferentiableObjective {
    let design: Design
    /// +1 for positives, −1 for negatives.
    let signs: [Double]
    let penalty: Double
    private var z: [Double]
    private var residual: [Double]

    init(design: Design, labels: [Bool], c: Double) {
        self.design = design
        signs = labels.map { $0 ? 1 : -1 }
        penalty = 1 / (c * Double(design.rowCount))
        z = [Double](repeating: 0, count: design.rowCount)
        residual = z
    }

    var dimension: Int { design.columnCount + 1 }

    /// `log(1 + exp(−t))` without overflow.
    @inline(__always) static func softplusOfNegative(_ t: Double) -> Double {
        t >= 0 ? log1p(exp(-t)) : -t + log1p(exp(t))
    }

    /// `σ(−t) = 1 / (1 + exp(t))` without overflow.
    @inline(__always) static func sigmoidOfNegative(_ t: Double) -> Double {
        if t >= 0 {
            let e = exp(-t)
            return e / (1 + e)
        }
        return 1 / (1 + exp(t))
    }

    mutating func evaluate(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        let p = design.columnCount
        let n = design.rowCount
        let inverseN = 1 / Double(n)
        let weights = UnsafeBufferPointer(rebasing: x[0..<p])
        let intercept = x[p]
        var loss = 0.0
        var interceptGradient = 0.0
        var z: [Double] = [], residual: [Double] = []
        swap(&z, &self.z)  // borrow the scratch buffers without copying (exclusive access)
        swap(&residual, &self.residual)
        defer {
            swap(&z, &self.z)
            swap(&residual, &self.residual)
        }
        let design = self.design, signs = self.signs
        z.withUnsafeMutableBufferPointer { zp in
            design.multiply(weights, intercept: intercept, into: zp)
            residual.withUnsafeMutableBufferPointer { rp in
                signs.withUnsafeBufferPointer { yp in
                    for i in 0..<n {
                        let margin = yp[i] * zp[i]
                        loss += Self.softplusOfNegative(margin)
                        let r = -yp[i] * Self.sigmoidOfNegative(margin) * inverseN
                        rp[i] = r
                        interceptGradient += r
                    }
                }
                design.multiplyTransposed(UnsafeBufferPointer(rp), into: gradient)
            }
        }
        var squares = 0.0
        for j in 0..<p {
            squares += weights[j] * weights[j]
            gradient[j] += penalty * weights[j]
        }
        gradient[p] = interceptGradient
        return loss * inverseN + 0.5 * penalty * squares
    }
}
