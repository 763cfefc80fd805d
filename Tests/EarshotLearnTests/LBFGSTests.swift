import Testing
@testable import EarshotLearn

/// The n-dimensional Rosenbrock function, minimum 0 at (1, …, 1): a hard, curved valley for L-BFGS.
private struct Rosenbrock: DifferentiableObjective {
    let dimension: Int

    mutating func evaluate(_ x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>) -> Double {
        var value = 0.0
        for i in 0..<dimension { gradient[i] = 0 }
        for i in 0..<(dimension - 1) {
            let a = x[i + 1] - x[i] * x[i], b = 1 - x[i]
            value += 100 * a * a + b * b
            gradient[i] += -400 * x[i] * a - 2 * b
            gradient[i + 1] += 200 * a
        }
        return value
    }
}

@Suite("LBFGS")
struct LBFGSTests {
    @Test("minimises Rosenbrock to the gradient tolerance", arguments: [2, 10, 50])
    func rosenbrock(dimension: Int) {
        var objective = Rosenbrock(dimension: dimension)
        let solver = LBFGS(gradientTolerance: 1e-10, functionTolerance: 0, maxIterations: 5_000)
        let start = (0..<dimension).map { $0 % 2 == 0 ? -1.2 : 1.0 }
        let result = solver.minimize(&objective, from: start)
        #expect(result.stop == .gradientTolerance)
        #expect(result.x.allSatisfy { abs($0 - 1) <= 1e-7 })
    }

    @Test("stops at max iterations and reports it")
    func maxIterations() {
        var objective = Rosenbrock(dimension: 10)
        let result = LBFGS(gradientTolerance: 0, maxIterations: 3).minimize(&objective, from: [Double](repeating: 0, count: 10))
        #expect(result.stop == .maxIterations)
        #expect(result.iterations == 3)
    }

    @Test("a start at the optimum returns immediately")
    func startAtOptimum() {
        var objective = Rosenbrock(dimension: 3)
        let result = LBFGS().minimize(&objective, from: [1, 1, 1])
        #expect(result.iterations == 0 && result.stop == .gradientTolerance && result.value == 0)
    }
}
