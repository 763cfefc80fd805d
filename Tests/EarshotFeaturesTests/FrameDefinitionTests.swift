import EarshotAudio
@testable import EarshotFeatures
import Foundation
import Testing

/// The batched, FFT-based rows against their definitions summed directly, for framings the librosa fixtures
/// (defaults only) do not reach: odd and short frames, hops that share no factor with the frame, FFT sizes whose
/// half is odd, and signals shorter than the padding.
@Suite struct FrameDefinitionTests {
    /// Deterministic speech-like test signal: two drifting partials and a noise floor, silent from 3,400 of every
    /// 4,000 samples.
    static func signal(count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { n in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(Int64(bitPattern: state) % 1_000) / 50_000
            let t = Double(n) / 16_000
            let tone = 0.4 * sin(2 * .pi * (140 + 30 * t) * t) + 0.2 * sin(2 * .pi * 290 * t)
            return n % 4_000 >= 3_400 ? 0 : Float(tone + noise)
        }
    }

    /// librosa.yin's steps with r[k] summed directly (no FFT), one frame at a time.
    static func directYIN(_ samples: [Float], tracker: YINPitchTracker) -> (f0: [Double], voiced: [Bool]) {
        let w = tracker.frameLength, minPeriod = tracker.minPeriod, maxPeriod = tracker.maxPeriod
        let framing = CenteredFraming(frameLength: w, hopLength: tracker.hopLength, padding: .zeros)
        var f0 = [Double](), voiced = [Bool]()
        for t in 0..<framing.frameCount(sampleCount: samples.count) {
            var x = [Double](repeating: 0, count: w)
            samples.withUnsafeBufferPointer { framing.copyFrame(t, of: $0, into: &x) }
            let r = (0...maxPeriod).map { k in (0..<(w - k)).reduce(0.0) { $0 + x[$1] * x[$1 + k] } }
            var energy = 0.0, previousEnergy = 0.0, cumulative = 0.0
            var cells = [Double]()
            energy = x[0] * x[0]
            for k in 1...maxPeriod {
                let d = 2 * (r[0] - r[k]) - previousEnergy
                cumulative += d
                if k >= minPeriod { cells.append(d / (cumulative / Double(k) + Double.leastNormalMagnitude)) }
                if k < maxPeriod { energy += x[k] * x[k] }
                previousEnergy = energy
            }
            var index = cells.indices.min { cells[$0] < cells[$1] }!
            var isVoiced = false
            let n = cells.count
            for i in 0..<n {
                let trough = i == 0 ? cells[0] < cells[1]
                    : i == n - 1 ? cells[i] < cells[i - 1]
                    : cells[i] < cells[i - 1] && cells[i] <= cells[i + 1]
                if trough && cells[i] < tracker.threshold { index = i; isVoiced = true; break }
            }
            let shift = YINPitchTracker.parabolicShift(cells, stride: 1, count: n, at: index)
            f0.append(tracker.sampleRate / (Double(minPeriod + index) + shift))
            voiced.append(isVoiced)
        }
        return (f0, voiced)
    }

    @Test("YIN equals its direct-sum definition for several frame and FFT sizes",
          arguments: [(64, 16, 800.0, 2_000.0), (100, 30, 600.0, 4_000.0), (256, 64, 200.0, 1_000.0),
                      (301, 97, 120.0, 900.0), (1_024, 160, 50.0, 500.0)])
    func yin(frameLength: Int, hop: Int, fMin: Double, fMax: Double) {
        let tracker = YINPitchTracker(sampleRate: 16_000, frameLength: frameLength, hopLength: hop, fMin: fMin,
                                      fMax: fMax, threshold: 0.1)
        #expect(tracker.fft.size % 4 == 0 && tracker.fft.size >= frameLength + tracker.maxPeriod)
        for count in [frameLength / 3, 3 * frameLength + 7] {
            let samples = Self.signal(count: count, seed: UInt64(frameLength))
            let (f0, voiced) = tracker.track(samples)
            let reference = Self.directYIN(samples, tracker: tracker)
            #expect(voiced == reference.voiced, "frame \(frameLength), \(count) samples")
            #expect(f0.count == reference.f0.count)
            for (mine, theirs) in zip(f0, reference.f0) {
                #expect(abs(mine - theirs) <= 1e-9 * abs(theirs), "frame \(frameLength): \(mine) vs \(theirs)")
            }
        }
    }

    @Test("the lane-wise logarithm is within an ulp or two of glibc's log from 1e-12 to 1e12")
    func logarithm() {
        var values: [Double] = [1, 2, 0.5, 1e-10, 1e10, 2.0.squareRoot(), 0.5.squareRoot(), 1 + 1e-15, 1 - 1e-16]
        values += (-40...40).map { Double(sign: .plus, exponent: $0, significand: 1) }
        var state: UInt64 = 3
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(pow(10, -12 + 24 * Double(state >> 11) * 0x1p-53))
        }
        var worst = 0.0
        for start in stride(from: 0, to: values.count - 3, by: 4) {
            let x = FrameBatch.Lanes(values[start], values[start + 1], values[start + 2], values[start + 3])
            let mine = FrameBatch.logarithm(x)
            for lane in 0..<4 {
                let expected = log(x[lane])
                let ulps = expected == 0 ? (mine[lane] == 0 ? 0 : .infinity) : abs(mine[lane] - expected) / expected.ulp
                worst = max(worst, ulps)
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test("RMS and ZCR equal their definitions for odd frames and hops sharing no factor with them",
          arguments: [(512, 160), (511, 100), (400, 160), (7, 3), (6, 4), (64, 64), (1, 1)])
    func energy(frameLength: Int, hop: Int) {
        let energy = FrameEnergy(frameLength: frameLength, hopLength: hop)
        let zeros = CenteredFraming(frameLength: frameLength, hopLength: hop, padding: .zeros)
        let edges = CenteredFraming(frameLength: frameLength, hopLength: hop, padding: .edge)
        for count in [1, frameLength / 2 + 1, 5 * frameLength + 3] {
            // White noise (a sign change every other sample on average) with values inside ±1e-10 and a silent run.
            var state: UInt64 = 9
            var samples = (0..<count).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state) % 1_000) / 1_000
            }
            for i in stride(from: 0, to: count, by: 5) { samples[i] = i % 10 == 0 ? 5e-11 : -5e-11 }
            for i in (count / 2)..<min(count, count / 2 + 20) { samples[i] = 0 }
            let (rms, zcr) = samples.withUnsafeBufferPointer { energy.rmsAndCrossings($0) }
            let frames = zeros.frameCount(sampleCount: count)
            #expect(rms.count == frames && zcr.count == frames)
            var frame = [Double](repeating: 0, count: frameLength)
            for t in 0..<frames {
                samples.withUnsafeBufferPointer { zeros.copyFrame(t, of: $0, into: &frame) }
                let expectedRMS = (frame.reduce(0) { $0 + $1 * $1 } / Double(frameLength)).squareRoot()
                #expect(abs(rms[t] - expectedRMS) <= 1e-13 * expectedRMS + 1e-300, "rms frame \(t)")
                samples.withUnsafeBufferPointer { edges.copyFrame(t, of: $0, into: &frame) }
                let negative = frame.map { $0 < -1e-10 }
                let changes = (1..<max(frameLength, 1)).filter { negative[$0] != negative[$0 - 1] }.count
                #expect(zcr[t] == Double(changes) / Double(frameLength), "zcr frame \(t)")
            }
        }
    }
}
