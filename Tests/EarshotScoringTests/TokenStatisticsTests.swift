import Foundation
import Testing
@testable import EarshotScoring

@Suite("Per-token statistics from full distributions")
struct TokenStatisticsTests {
    @Test("from(logits:) reproduces the reference per-token statistics within 1e-9 relative")
    func goldenFromLogits() throws {
        let fixture = try GoldenFixtures.load("distributions.json", as: DistributionFixture.self)
        #expect(fixture.items.count >= 5)
        for item in fixture.items {
            let logits = item.logits.map { $0.map { $0 ?? -Double.infinity } }
            let stats = try TokenStatistics.from(logits: logits, chosen: item.tokens)
            let expected = MIAIndicatorsTests.statistics(item.stats)
            for ((name, mine), (_, theirs)) in zip(stats.fields, expected.fields) {
                #expect(mine.count == theirs.count)
                for (t, (a, b)) in zip(mine, theirs).enumerated() {
                    #expect(GoldenFixtures.agree(a, b), "\(item.id) \(name)[\(t)]: swift \(a) vs reference \(b)")
                }
            }
        }
    }

    @Test("from(logProbabilities:) agrees with from(logits:) on the normalised rows")
    func logProbabilitiesPath() throws {
        let logits: [Double] = [2.0, -1.0, 0.5, 0.5, -3.0]
        let fromLogits = try TokenStatistics.Token.from(logits: logits, chosen: 3)
        let maximum = logits.max()!
        let lse = maximum + log(logits.map { exp($0 - maximum) }.reduce(0, +))
        let fromLogProbabilities = try TokenStatistics.Token.from(logProbabilities: logits.map { $0 - lse }, chosen: 3)
        #expect(fromLogits == fromLogProbabilities)
    }

    @Test("textbook values on a two-token distribution")
    func twoTokens() throws {
        let p = 0.8
        let token = try TokenStatistics.Token.from(logProbabilities: [log(p), log(1 - p)], chosen: 1)
        #expect(abs(token.logProb - log(0.2)) < 1e-15)
        #expect(abs(token.entropy - (-(p * log(p) + (1 - p) * log(1 - p)))) < 1e-15)
        #expect(abs(token.expectedLogProbSquared - (p * log(p) * log(p) + (1 - p) * log(1 - p) * log(1 - p))) < 1e-15)
        #expect(abs(token.renyi05 - 2 * log(p.squareRoot() + (1 - p).squareRoot())) < 1e-15)
        #expect(abs(token.renyi2 + log(p * p + (1 - p) * (1 - p))) < 1e-15)
        #expect(abs(token.renyiInf + log(p)) < 1e-15)
        #expect(token.top1LogProb == log(p) && token.top2LogProb == log(1 - p))
    }

    @Test("huge logits do not overflow the log-softmax")
    func stability() throws {
        let token = try TokenStatistics.Token.from(logits: [1000, 999, 998], chosen: 0)
        let reference = try TokenStatistics.Token.from(logits: [2, 1, 0], chosen: 0)
        #expect(abs(token.logProb - reference.logProb) < 1e-12)
        #expect(abs(token.entropy - reference.entropy) < 1e-12)
    }

    @Test("masked tokens get probability zero and no entropy contribution")
    func masked() throws {
        let token = try TokenStatistics.Token.from(logits: [0, -.infinity, 0], chosen: 0)
        #expect(abs(token.entropy - log(2)) < 1e-15)
        #expect(abs(token.logProb + log(2)) < 1e-15)
        #expect(token.top2LogProb == token.top1LogProb)  // the two finite entries are equal, the rest is −∞
    }

    @Test("invalid rows are rejected with the row named")
    func invalidRows() {
        #expect(throws: ScoringError.self) { try TokenStatistics.Token.from(logits: [], chosen: 0) }
        #expect(throws: ScoringError.self) { try TokenStatistics.Token.from(logits: [0, .nan], chosen: 0) }
        #expect(throws: ScoringError.self) { try TokenStatistics.Token.from(logits: [-.infinity, -.infinity], chosen: 0) }
        #expect(throws: ScoringError.chosenTokenOutOfRange(row: 0, token: 3, vocabularySize: 2)) {
            try TokenStatistics.Token.from(logits: [0, 1], chosen: 3)
        }
        #expect(throws: ScoringError.self) { try TokenStatistics.Token.from(logProbabilities: [log(0.5), log(0.4)], chosen: 0) }
        #expect(throws: ScoringError.self) { try TokenStatistics.from(logits: [[0, 1]], chosen: [0, 1]) }
    }

    @Test("Codable uses the protocol's key names")
    func codableKeys() throws {
        let stats = TokenStatistics(tokens: [try TokenStatistics.Token.from(logits: [1, 2, 3], chosen: 2)])
        let json = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        for key in ["log_prob", "entropy", "expected_log_prob_sq", "renyi_0_5", "renyi_2", "renyi_inf", "top1_log_prob", "top2_log_prob"] {
            #expect(json.contains("\"\(key)\""))
        }
        #expect(try JSONDecoder().decode(TokenStatistics.self, from: Data(json.utf8)) == stats)
    }
}
