import Foundation
import Testing
@testable import EarshotLearn

/// Loads the golden JSON files written by `Fixtures/make_fixtures.py` (scikit-learn / scipy).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }
}

/// A CSR matrix as stored by the fixture script (scipy's arrays, indices sorted).
struct CSRFixture: Decodable {
    let rows: Int
    let columns: Int
    let indptr: [Int]
    let indices: [Int]
    let data: [Double]
}

/// Largest |a − b|.
func maxAbsoluteDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Largest |a − b| divided by the largest |b| (a relative error that ignores tiny entries).
func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    let scale = b.reduce(0) { max($0, abs($1)) }
    return maxAbsoluteDifference(a, b) / max(scale, .leastNormalMagnitude)
}

/// |a − b| / |b| (relative), or |a − b| when b = 0.
func relativeDifference(_ a: Double, _ b: Double) -> Double {
    b == 0 ? abs(a - b) : abs(a - b) / abs(b)
}
