import Testing
@testable import EarshotLearn

@Suite("Bootstrap")
struct BootstrapTests {
    static let scores: [Double] = (0..<80).map { (i: Int) -> Double in
        let base = Double((i * 37) % 80) / 80
        return i < 40 ? base : base + 0.3
    }
    static let labels: [Bool] = (0..<80).map { $0 >= 40 }

    @Test("interval contains the estimate, is seeded and deterministic")
    func seededInterval() throws {
        let a = try Bootstrap.aucConfidenceInterval(scores: Self.scores, labels: Self.labels, resamples: 500, seed: 1)
        let b = try Bootstrap.aucConfidenceInterval(scores: Self.scores, labels: Self.labels, resamples: 500, seed: 1)
        let c = try Bootstrap.aucConfidenceInterval(scores: Self.scores, labels: Self.labels, resamples: 500, seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.lower <= a.estimate && a.estimate <= a.upper)
        #expect(a.estimate == (try ROC.rocAUC(scores: Self.scores, labels: Self.labels)))
        #expect(a.upper - a.lower > 0.02 && a.upper - a.lower < 0.4)
    }

    @Test("the weighted resample AUC equals a direct AUC on the resampled items")
    func resampleAUCMatchesDirect() throws {
        // With one resample, replay the generator to rebuild the resampled items and compare.
        let positives = Self.scores.indices.filter { Self.labels[$0] }
        let negatives = Self.scores.indices.filter { !Self.labels[$0] }
        var generator = SplitMix64(seed: 9)
        var items: [Int] = []
        for _ in positives { items.append(positives[generator.next(below: positives.count)]) }
        for _ in negatives { items.append(negatives[generator.next(below: negatives.count)]) }
        let direct = try ROC.rocAUC(scores: items.map { Self.scores[$0] }, labels: items.map { Self.labels[$0] })
        let interval = try Bootstrap.aucConfidenceInterval(scores: Self.scores, labels: Self.labels, resamples: 1, seed: 9)
        #expect(abs(interval.lower - direct) <= 1e-15)
        #expect(abs(interval.upper - direct) <= 1e-15)
    }

    @Test("perfect separation gives the interval [1, 1]; bad parameters throw")
    func edges() throws {
        let interval = try Bootstrap.aucConfidenceInterval(scores: [1, 2, 3, 4], labels: [false, false, true, true],
                                                           seed: 0)
        #expect(interval.lower == 1 && interval.upper == 1)
        #expect(throws: LearnError.self) {
            try Bootstrap.aucConfidenceInterval(scores: [1, 2], labels: [false, true], resamples: 0, seed: 0)
        }
        #expect(throws: LearnError.self) {
            try Bootstrap.aucConfidenceInterval(scores: [1, 2], labels: [false, true], confidence: 1, seed: 0)
        }
        #expect(throws: LearnError.self) {
            try Bootstrap.aucConfidenceInterval(scores: [1, 2], labels: [true, true], seed: 0)
        }
    }
}
