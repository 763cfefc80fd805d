import Foundation

/// Binary L2-penalised logistic regression with an unpenalised intercept, solved by L-BFGS.
///
/// Objective (scikit-learn's `LogisticRegression(C=C, solver='lbfgs')`, default L2 penalty):
/// minimise `0.5‖w‖² + C Σ_i log(1 + exp(−y_i (w·x_i + b)))`, with `y_i = +1` for `true` labels and −1 for
/// `false`. Internally the equivalent 1/(C n)-scaled loss is minimised (see `LogisticLoss`), and the stopping
/// test is scipy's: `‖∇‖∞ ≤ tolerance` on that scaled loss, or a relative reduction ≤ `functionTolerance`
/// (64·ε), or `maxIterations`. Defaults (`c` = 1, `tolerance` = 1e-4, `maxIterations` = 100) are scikit-learn's.
/// Accuracy (golden tests): with tolerance 1e-12 and `functionTolerance` 0, coefficients match the exact
/// optimum (Newton-polished scikit-learn solution) to 1e-8 relative to the largest coefficient and
/// probabilities to 1e-9 absolute. scikit-learn's own tol = 1e-10 fit stops early on its ftol test (gradient
/// up to 2e-7 left), so against it, with tolerance 1e-10, the agreement is 1e-6 relative / 1e-7 absolute.
/// The optimum is unique (the objective is strictly convex).
/// Start point: all zeros. Dense (`Matrix`) and sparse (`CSRMatrix`) inputs are never converted.
public struct LogisticRegression: Sendable {
    /// Inverse regularisation strength (> 0).
    public var c: Double
    /// Gradient tolerance (infinity norm of the scaled loss's gradient).
    public var tolerance: Double
    public var maxIterations: Int
    /// L-BFGS memory (number of correction pairs), scipy's `maxcor`.
    public var memory: Int
    /// Stop when the relative reduction of the objective in one iteration is at most this (scipy's `ftol`;
    /// scikit-learn passes 64·ε). Set 0 to stop on the gradient test only, e.g. to reach the exact optimum.
    public var functionTolerance: Double

    public init(c: Double = 1, tolerance: Double = 1e-4, maxIterations: Int = 100, memory: Int = 10,
                functionTolerance: Double = 64 * Double.ulpOfOne) {
        self.c = c
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.memory = memory
        self.functionTolerance = functionTolerance
    }

    /// Fits on dense rows `x` with binary `labels` (`true` = positive class).
    public func fit(_ x: Matrix, labels: [Bool]) throws -> LogisticRegressionModel {
        try check(rows: x.rows, values: x.values, labels: labels)
        return solve(x, labels: labels)
    }

    /// Fits on sparse rows `x` with binary `labels` (`true` = positive class).
    public func fit(_ x: CSRMatrix, labels: [Bool]) throws -> LogisticRegressionModel {
        try check(rows: x.rows, values: x.data, labels: labels)
        return solve(x, labels: labels)
    }

    private func check(rows: Int, values: [Double], labels: [Bool]) throws {
        guard c > 0, c.isFinite else {
            throw LearnError.invalidParameter(name: "c", value: "\(c)", expected: "a finite value > 0")
        }
        guard tolerance >= 0, maxIterations >= 0, memory >= 1 else {
            throw LearnError.invalidParameter(name: "solver settings",
                                              value: "tolerance \(tolerance), max iterations \(maxIterations), memory \(memory)",
                                              expected: "tolerance ≥ 0, max iterations ≥ 0, memory ≥ 1")
        }
        guard labels.count == rows else {
            throw LearnError.lengthMismatch(what: "logistic regression labels", expected: rows, actual: labels.count)
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LearnError.nonFinite(what: "logistic regression features", index: bad)
        }
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard positives > 0, positives < rows else {
            throw LearnError.singleClass(what: "logistic regression labels", positives: positives,
                                         negatives: rows - positives)
        }
    }

    private func solve<Design: LinearDesign>(_ x: Design, labels: [Bool]) -> LogisticRegressionModel {
        var loss = LogisticLoss(design: x, labels: labels, c: c)
        let solver = LBFGS(memory: memory, gradientTolerance: tolerance, functionTolerance: functionTolerance,
                           maxIterations: maxIterations)
        let result = solver.minimize(&loss, from: [Double](repeating: 0, count: x.columnCount + 1))
        return LogisticRegressionModel(coefficients: Array(result.x[0..<x.columnCount]),
                                       intercept: result.x[x.columnCount], iterations: result.iterations,
                                       gradientNorm: result.gradientInfinityNorm, stop: result.stop)
    }
}

/// A fitted binary logistic regression: `P(positive | x) = σ(w·x + b)`.
public struct LogisticRegressionModel: Sendable {
    /// `w`, one per feature column.
    public let coefficients: [Double]
    /// `b`.
    public let intercept: Double
    /// L-BFGS iterations used.
    public let iterations: Int
    /// ‖∇‖∞ of the scaled loss at the returned point.
    public let gradientNorm: Double
    /// Why the solver stopped.
    public let stop: LBFGSStop

    /// True when the gradient tolerance was reached (scikit-learn would not warn).
    public var converged: Bool { stop == .gradientTolerance }

    /// `w·x + b` per row (scikit-learn's `decision_function`).
    public func decisionFunction(_ x: Matrix) throws -> [Double] { try margins(x) }

    /// `w·x + b` per row.
    public func decisionFunction(_ x: CSRMatrix) throws -> [Double] { try margins(x) }

    /// `σ(w·x + b)` per row: the probability of the positive class (`predict_proba(X)[:, 1]`).
    public func predictProbability(_ x: Matrix) throws -> [Double] { try margins(x).map(Self.sigmoid) }

    /// `σ(w·x + b)` per row for sparse rows.
    public func predictProbability(_ x: CSRMatrix) throws -> [Double] { try margins(x).map(Self.sigmoid) }

    /// The logistic function, evaluated without overflow.
    public static func sigmoid(_ t: Double) -> Double {
        if t >= 0 { return 1 / (1 + exp(-t)) }
        let e = exp(t)
        return e / (1 + e)
    }

    private func margins<Design: LinearDesign>(_ x: Design) throws -> [Double] {
        guard x.columnCount == coefficients.count else {
            throw LearnError.lengthMismatch(what: "feature columns", expected: coefficients.count,
                                            actual: x.columnCount)
        }
        var z = [Double](repeating: 0, count: x.rowCount)
        coefficients.withUnsafeBufferPointer { w in
            z.withUnsafeMutableBufferPointer { x.multiply(w, intercept: intercept, into: $0) }
        }
        return z
    }
}
