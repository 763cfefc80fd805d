@testable import EarshotFeatures
import Foundation
import Testing

/// Edge cases and contracts of `AcousticDescriptors` beyond the golden comparison.
@Suite struct AcousticDescriptorsTests {
    static let descriptors = try! AcousticDescriptors()

    @Test("an empty signal is an error, not a row of zeros")
    func empty() {
        #expect(throws: FeatureError.emptyInput(feature: "acoustic descriptors")) { try Self.descriptors.frames([]) }
    }

    @Test("a NaN sample is reported with its index")
    func nonFinite() {
        var samples = [Float](repeating: 0.1, count: 1_000)
        samples[321] = .nan
        #expect(throws: FeatureError.nonFiniteSample(index: 321)) { try Self.descriptors.pooled(samples) }
        samples[321] = 0.1
        samples[999] = -.infinity
        #expect(throws: FeatureError.nonFiniteSample(index: 999)) { try Self.descriptors.pooled(samples) }
    }

    @Test("a single sample gives one frame of finite values")
    func lengthOne() throws {
        let frames = try Self.descriptors.frames([0.5])
        #expect(frames.frameCount == 1 && frames.rms.count == 1 && frames.f0.count == 1)
        #expect(try Self.descriptors.pooled([0.5]).values.allSatisfy { $0.isFinite })
    }

    @Test("silence: floor-level MFCCs, zero spectral shape, no voiced frames, no NaN")
    func silence() throws {
        let frames = try Self.descriptors.frames([Float](repeating: 0, count: 4_000))
        #expect(frames.centroid.allSatisfy { $0 == 0 })
        #expect(frames.bandwidth.allSatisfy { $0 == 0 })
        #expect(frames.rolloff.allSatisfy { $0 == 0 })
        #expect(frames.rms.allSatisfy { $0 == 0 } && frames.zcr.allSatisfy { $0 == 0 })
        #expect(frames.voicedFraction == 0)
        let vector = Self.descriptors.pool(frames)
        #expect(vector.values.allSatisfy { $0.isFinite })
        #expect(vector["pitch_mean"] == 0 && vector["pitch_p90"] == 0 && vector["pitch_voiced_fraction"] == 0)
        // 10·log10(1e-10) = −100 dB in all 40 bands: c0 = −100·√40, higher coefficients 0.
        #expect(abs(vector["mfcc_0_mean"]! - (-100 * 40.0.squareRoot())) < 1e-9)
        #expect(abs(vector["mfcc_1_mean"]!) < 1e-9)
    }

    @Test("column names: 19 rows × 5 statistics + voiced fraction, unique and stable")
    func columnNames() {
        let names = Self.descriptors.columnNames
        #expect(names.count == 96)
        #expect(Set(names).count == names.count)
        #expect(names.first == "mfcc_0_mean")
        #expect(names.contains("mfcc_3_mean") && names.contains("centroid_p90") && names.contains("zcr_std"))
        #expect(names.last == "pitch_voiced_fraction")
    }

    @Test("parameters are validated with the offending value in the message")
    func validation() {
        var p = AcousticParameters()
        p.fMax = 9_000
        #expect(throws: FeatureError.self) { try AcousticDescriptors(parameters: p) }
        p = AcousticParameters()
        p.pitchFMin = 15
        do {
            _ = try AcousticDescriptors(parameters: p)
            Issue.record("pitch fmin 15 Hz accepted with a 1024-sample frame")
        } catch {
            #expect("\(error)".contains("'15.0'"))
        }
        p = AcousticParameters()
        p.nMFCC = 41
        #expect(throws: FeatureError.self) { try AcousticDescriptors(parameters: p) }
        p = AcousticParameters()
        p.hopLength = 0
        #expect(throws: FeatureError.self) { try AcousticDescriptors(parameters: p) }
        p = AcousticParameters()
        p.rolloffPercent = 1
        #expect(throws: FeatureError.self) { try AcousticDescriptors(parameters: p) }
    }

    @Test("a long signal is processed in one pass with every row aligned")
    func long() throws {
        let n = 16_000 * 120
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let samples = (0..<n).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000) / 20_000
        }
        let frames = try Self.descriptors.frames(samples)
        let expected = 1 + n / 160
        #expect(frames.frameCount == expected && frames.rms.count == expected && frames.zcr.count == expected)
        #expect(frames.f0.count == expected && frames.mfcc.count == 13 * expected)
        #expect(frames.mfcc.allSatisfy { $0.isFinite })
    }

    @Test("concurrent extraction equals sequential extraction")
    func concurrent() async throws {
        let signals = (0..<6).map { k in (0..<8_000).map { Float(sin(Double($0) * (0.02 + 0.01 * Double(k)))) * 0.4 } }
        let sequential = try signals.map { try Self.descriptors.pooled($0) }
        let parallel = try await withThrowingTaskGroup(of: (Int, FeatureVector).self) { group in
            for (index, signal) in signals.enumerated() {
                group.addTask { (index, try Self.descriptors.pooled(signal)) }
            }
            var results = [FeatureVector?](repeating: nil, count: signals.count)
            for try await (index, vector) in group { results[index] = vector }
            return results
        }
        for index in signals.indices { #expect(parallel[index] == sequential[index]) }
    }
}

@Suite struct PooledStatisticsTests {
    @Test("mean, population std and numpy's linear percentiles")
    func values() {
        let stats = PooledStatistics([4, 1, 3, 2])
        #expect(stats.mean == 2.5)
        #expect(abs(stats.std - 1.25.squareRoot()) < 1e-15)
        #expect(abs(stats.p10 - 1.3) < 1e-12)
        #expect(stats.p50 == 2.5)
        #expect(abs(stats.p90 - 3.7) < 1e-12)
    }

    @Test("selection-based percentiles equal sorted percentiles, with and without ties")
    func selectionMatchesSort() {
        var state: UInt64 = 42
        for (count, levels) in [(1, 5), (2, 1), (10, 3), (1_001, 7), (5_000, 1_000_000), (4_096, 1)] {
            let values = (0..<count).map { _ -> Double in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double((state >> 33) % UInt64(levels))
            }
            let sorted = values.sorted()
            let stats = PooledStatistics(values)
            #expect(stats.p10 == PooledStatistics.percentile(sorted, 10), "n=\(count)")
            #expect(stats.p50 == PooledStatistics.percentile(sorted, 50), "n=\(count)")
            #expect(stats.p90 == PooledStatistics.percentile(sorted, 90), "n=\(count)")
        }
        let ascending = (0..<10_000).map(Double.init)
        #expect(PooledStatistics(ascending).p90 == PooledStatistics.percentile(ascending, 90))
        #expect(PooledStatistics(Array(ascending.reversed())).p10 == PooledStatistics.percentile(ascending, 10))
    }

    @Test("an empty row pools to zeros; a single value is its own percentile")
    func degenerate() {
        #expect(PooledStatistics([Double]()).values == [0, 0, 0, 0, 0])
        #expect(PooledStatistics([7]).values == [7, 0, 7, 7, 7])
    }
}

@Suite struct MelScaleTests {
    @Test("Slaney mel scale: linear below 1 kHz, logarithmic above, invertible")
    func scale() {
        #expect(abs(MelFilterbank.hzToMel(1_000) - 15) < 1e-12)
        #expect(abs(MelFilterbank.hzToMel(200) - 3) < 1e-12)
        for hz in [0.0, 100, 999, 1_000, 4_000, 8_000] {
            #expect(abs(MelFilterbank.melToHz(MelFilterbank.hzToMel(hz)) - hz) < 1e-9)
        }
    }
}
