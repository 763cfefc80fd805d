import Foundation
import Testing
@testable import EarshotScoring

@Suite("MIA indicators against the reference implementations")
struct MIAIndicatorsTests {
    static func statistics(_ s: StatsFixture) -> TokenStatistics {
        TokenStatistics(
            logProb: s.log_prob, entropy: s.entropy, expectedLogProbSquared: s.expected_log_prob_sq,
            renyi05: s.renyi_0_5, renyi2: s.renyi_2, renyiInf: s.renyi_inf,
            top1LogProb: s.top1_log_prob, top2LogProb: s.top2_log_prob)
    }

    @Test("column names and order match the fixture script's")
    func columnOrder() throws {
        let fixture = try GoldenFixtures.load("indicators.json", as: IndicatorFixture.self)
        #expect(MIAIndicators.columnNames == fixture.columns)
        #expect(MIAIndicators.columnNames.count == 52)
        #expect(Set(MIAIndicators.columnNames).count == 52)
    }

    @Test("every indicator of every fixture item agrees with the reference within 1e-9 relative")
    func goldenIndicators() throws {
        let fixture = try GoldenFixtures.load("indicators.json", as: IndicatorFixture.self)
        #expect(fixture.items.count >= 30)
        for item in fixture.items {
            let scores = ItemScores(id: item.id, tokens: item.tokens, text: item.text, stats: Self.statistics(item.stats))
            let row = try MIAIndicators.compute(scores)
            #expect(row.count == fixture.columns.count)
            for (index, name) in fixture.columns.enumerated() {
                #expect(GoldenFixtures.agree(row[index], item.indicators[index]),
                        "\(item.id) \(name): swift \(row[index]) vs reference \(item.indicators[index])")
            }
        }
    }

    @Test("zlib compressed length equals Python's zlib.compress length")
    func zlibLengths() throws {
        let fixture = try GoldenFixtures.load("indicators.json", as: IndicatorFixture.self)
        for item in fixture.items {
            #expect(try ZlibCompression.compressedByteCount(of: item.text) == item.zlib_length, "\(item.id): '\(item.text)'")
        }
        #expect(try ZlibCompression.compressedByteCount(of: "") == 8)
    }

    @Test("selection keeps max(1, Int(N·k)) tokens with Python's truncation")
    func selectionCounts() {
        #expect(MIAIndicators.selectionCount(tokens: 1, fraction: 0.05) == 1)
        #expect(MIAIndicators.selectionCount(tokens: 19, fraction: 0.05) == 1)
        #expect(MIAIndicators.selectionCount(tokens: 20, fraction: 0.15) == 3)
        #expect(MIAIndicators.selectionCount(tokens: 50, fraction: 0.55) == 27)
        // 180 × 0.35 is 62.99999999999999 in IEEE arithmetic, so int() keeps 62, as Python does.
        #expect(MIAIndicators.selectionCount(tokens: 180, fraction: 0.35) == 62)
        #expect(MIAIndicators.selectionCount(tokens: 7, fraction: 0) == 1)
        #expect(MIAIndicators.selectionCount(tokens: 7, fraction: 1) == 7)
    }

    @Test("a single token gives every k-selection the same value")
    func lengthOne() throws {
        let stats = TokenStatistics(
            logProb: [-1.5], entropy: [2.0], expectedLogProbSquared: [5.0], renyi05: [3.0], renyi2: [1.0],
            renyiInf: [0.5], top1LogProb: [-0.5], top2LogProb: [-1.5])
        let row = try MIAIndicators.compute(ItemScores(id: "one", tokens: [3], text: "a", stats: stats))
        let names = MIAIndicators.columnNames
        func value(_ name: String) -> Double { row[names.firstIndex(of: name)!] }
        #expect(value("ppl") == exp(1.5))
        #expect(value("max_prob_gap") == -1.0)
        #expect(value("min_k_prob_k05") == 1.5 && value("max_k_prob_k60") == 1.5)
        // z = (log p − μ)/σ with μ = −2, σ² = 5 − 4 = 1.
        #expect(value("min_k_plus_plus_k05") == -0.5)
        #expect(value("max_renyi_a05_k0") == 3.0 && value("max_renyi_ainf_k100") == 0.5)
    }

    @Test("an item without tokens is an error, not a filler row")
    func emptyOutput() {
        let empty = TokenStatistics(tokens: [])
        #expect(throws: ScoringError.emptyOutput(id: "silent")) {
            try MIAIndicators.compute(ItemScores(id: "silent", tokens: [], text: "", stats: empty))
        }
    }

    @Test("non-finite or mismatched statistics are rejected with the field named")
    func invalidStatistics() {
        var stats = TokenStatistics(
            logProb: [-1, -2], entropy: [1, 1], expectedLogProbSquared: [2, 2], renyi05: [1, 1], renyi2: [1, 1],
            renyiInf: [1, 1], top1LogProb: [-1, -1], top2LogProb: [-2, -2])
        stats.entropy[1] = .nan
        #expect(throws: ScoringError.self) {
            try MIAIndicators.compute(ItemScores(id: "x", tokens: [1, 2], text: "", stats: stats))
        }
        do {
            _ = try MIAIndicators.compute(ItemScores(id: "x", tokens: [1, 2], text: "", stats: stats))
        } catch let error as ScoringError {
            #expect(error.description.contains("'entropy'[1]"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        stats.entropy = [1]
        #expect(throws: ScoringError.lengthMismatch(id: "x", field: "entropy", expected: 2, actual: 1)) {
            try MIAIndicators.compute(ItemScores(id: "x", tokens: [1, 2], text: "", stats: stats))
        }
    }

    @Test("Min-K%++ z is 0 where the distribution has no spread in log p")
    func degenerateVariance() {
        let uniform = try! TokenStatistics.Token.from(logits: [0, 0, 0, 0], chosen: 2)
        let stats = TokenStatistics(tokens: [uniform])
        let z = MIAIndicators.minKPlusPlusScores(stats)
        #expect(z.count == 1 && abs(z[0]) < 1e-6)
        let flat = TokenStatistics(
            logProb: [-1], entropy: [1], expectedLogProbSquared: [1], renyi05: [1], renyi2: [1],
            renyiInf: [1], top1LogProb: [-1], top2LogProb: [-1])
        #expect(MIAIndicators.minKPlusPlusScores(flat) == [0])
    }
}
