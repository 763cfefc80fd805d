import Foundation

/// Loads the JSON fixtures written by `Fixtures/make_fixtures.py`, relative to this file.
enum GoldenFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Agreement used against the Python reference: |a − b| ≤ 1e-9 · max(|a|, |b|) + 1e-12.
    /// The relative part covers different summation orders (pairwise in numpy, left to right here) over at
    /// most 5,000 terms; the absolute floor covers means of mixed-sign values that cancel to nearly 0.
    static func agree(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12
    }
}

struct IndicatorFixture: Decodable {
    struct Item: Decodable {
        var id: String
        var vocab: Int
        var tokens: [Int]
        var text: String
        var stats: StatsFixture
        var indicators: [Double]
        var zlib_length: Int
    }
    var columns: [String]
    var items: [Item]
}

/// The protocol's `stats` object with the fixture's own key names, decoded independently of
/// `TokenStatistics`'s Codable conformance.
struct StatsFixture: Decodable {
    var log_prob: [Double]
    var entropy: [Double]
    var expected_log_prob_sq: [Double]
    var renyi_0_5: [Double]
    var renyi_2: [Double]
    var renyi_inf: [Double]
    var top1_log_prob: [Double]
    var top2_log_prob: [Double]
}

struct DistributionFixture: Decodable {
    struct Item: Decodable {
        var id: String
        /// Raw logits; `null` stands for −∞ (a masked token).
        var logits: [[Double?]]
        var tokens: [Int]
        var stats: StatsFixture
    }
    var items: [Item]
}

struct ProtocolFixture: Decodable {
    struct WorkerLine: Decodable {
        var name: String
        var line: String
        var schema_valid: Bool
        var swift: String
    }
    var worker_lines: [WorkerLine]
}
