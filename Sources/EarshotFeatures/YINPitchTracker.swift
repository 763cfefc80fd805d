import EarshotAudio
import Foundation

/// `librosa.yin(y, fmin, fmax, sr, frame_length, hop_length, trough_threshold, center=True,
/// pad_mode='constant')` reproduced step for step, plus a voicing flag per frame.
///
/// Per zero-padded frame x of length W:
/// 1. r[k] = Σⱼ x[j]·x[j+k] for k ≤ τmax (via a real FFT of size M ≥ W + τmax, 2^a or 3·2^a, so no circular wrap;
///    librosa pads to 2W − 1 instead — same values up to rounding).
/// 2. d[k] = 2·(r[0] − r[k]) − E[k−1], with E[j] = Σ_{i≤j} x[i]² for j ≥ 1 and E[0] = 0 (librosa zeroes
///    that cell before using it), d[0] = 0.
/// 3. d′[τ] = d[τ] / ((Σ_{k=1}^{τ} d[k]) / τ + tiny) for τ = τmin…τmax, τmin = ⌊sr/fmax⌋,
///    τmax = min(⌈sr/fmin⌉, W − 1), tiny = 2.2250738585072014e−308.
/// 4. Troughs: i is a trough when d′[i] < d′[i−1] and d′[i] ≤ d′[i+1]; the first cell when d′[0] < d′[1];
///    the last when d′[L−1] < d′[L−2]. The chosen index is the first trough with d′ < threshold, else the
///    global minimum (first occurrence).
/// 5. Parabolic shift at the chosen index (0 at either end, and 0 when |b| ≥ |a| for a = d′₊ + d′₋ − 2d′₀,
///    b = (d′₊ − d′₋)/2, else −b/a); f0 = sr / (τmin + i + shift).
///
/// A frame is *voiced* when step 4 found a trough below the threshold (YIN's own absolute-threshold branch);
/// otherwise its f0 comes from the global-minimum fallback and is reported but not trusted.
public struct YINPitchTracker: Sendable {
    public let sampleRate: Double
    public let frameLength: Int
    public let hopLength: Int
    public let threshold: Double
    public let minPeriod: Int
    public let maxPeriod: Int
    let fft: RealFFT

    /// Expects parameters already checked by `AcousticParameters.validate()`.
    public init(sampleRate: Double, frameLength: Int, hopLength: Int, fMin: Double, fMax: Double, threshold: Double) {
        self.sampleRate = sampleRate
        self.frameLength = frameLength
        self.hopLength = hopLength
        self.threshold = threshold
        minPeriod = Int((sampleRate / fMax).rounded(.down))
        maxPeriod = min(Int((sampleRate / fMin).rounded(.up)), frameLength - 1)
        fft = RealFFT(size: Self.smoothSize(atLeast: frameLength + maxPeriod))
    }

    /// Smallest 2^a or 3·2^a ≥ n (sizes FFTW transforms fastest; 1536 for the default 1024 + 320).
    static func smoothSize(atLeast n: Int) -> Int {
        var power = 2
        while power < n {
            if power / 2 * 3 >= n, power % 4 == 0 { return power / 2 * 3 }
            power *= 2
        }
        return power
    }

    /// Per-frame f0 in Hz and voicing flags, `1 + (n + 2·⌊W/2⌋ − W) / hop` frames.
    public func track(_ samples: [Float]) -> (f0: [Double], voiced: [Bool]) {
        let framing = CenteredFraming(frameLength: frameLength, hopLength: hopLength, padding: .zeros)
        let frames = framing.frameCount(sampleCount: samples.count)
        var f0 = [Double](repeating: 0, count: frames)
        var voiced = [Bool](repeating: false, count: frames)
        let workspace = fft.makeWorkspace()
        let size = fft.size, bins = fft.binCount
        let lagCount = maxPeriod + 1
        let cellCount = maxPeriod - minPeriod + 1
        let energy = UnsafeMutablePointer<Double>.allocate(capacity: lagCount)
        let difference = UnsafeMutablePointer<Double>.allocate(capacity: lagCount)
        let runningSum = UnsafeMutablePointer<Double>.allocate(capacity: lagCount)
        let lags = UnsafeMutablePointer<Double>.allocate(capacity: lagCount)
        let cmnd = UnsafeMutablePointer<Double>.allocate(capacity: cellCount)
        defer {
            for buffer in [energy, difference, runningSum, lags, cmnd] { buffer.deallocate() }
        }
        for k in 0..<lagCount { lags[k] = Double(k) }
        let scale = 1.0 / Double(size)
        let tiny = Double.leastNormalMagnitude
        samples.withUnsafeBufferPointer { source in
            let real = workspace.real.baseAddress!
            let spectrum = workspace.spectrum.baseAddress!
            for frame in 0..<frames {
                if let start = framing.interiorStart(frame, sampleCount: source.count) {
                    let x = source.baseAddress! + start
                    for i in 0..<frameLength { real[i] = Double(x[i]) }
                } else {
                    framing.copyFrame(frame, of: source, into: real)
                }
                for i in frameLength..<size { real[i] = 0 }
                // E[j] for j < τmax; FFTW's out-of-place r2c preserves its input, so order is free.
                var running = 0.0
                for j in 0..<maxPeriod {
                    running += real[j] * real[j]
                    energy[j] = running
                }
                energy[0] = 0
                fft.forward(workspace)
                for k in 0..<bins {
                    let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
                    spectrum[2 &* k] = re * re + im * im
                    spectrum[2 &* k &+ 1] = 0
                }
                fft.inverse(workspace)
                let r0 = real[0] * scale
                difference[0] = 0
                for k in 1...maxPeriod {
                    difference[k] = 2 * (r0 - real[k] * scale) - energy[k &- 1]
                }
                // Running sums first (a serial chain), then the independent divisions, which pipeline.
                var cumulative = 0.0
                for k in 1...maxPeriod {
                    cumulative += difference[k]
                    runningSum[k] = cumulative
                }
                for i in 0..<cellCount {
                    let k = minPeriod &+ i
                    cmnd[i] = difference[k] / (runningSum[k] / lags[k] + tiny)
                }
                let (index, isVoiced) = Self.chooseTrough(cmnd, count: cellCount, threshold: threshold)
                let shift = Self.parabolicShift(cmnd, count: cellCount, at: index)
                f0[frame] = sampleRate / (Double(minPeriod + index) + shift)
                voiced[frame] = isVoiced
            }
        }
        return (f0, voiced)
    }

    /// librosa's threshold rule over `count ≥ 2` CMND cells; returns the index and whether it is a trough
    /// below the threshold.
    @inline(__always)
    static func chooseTrough(_ x: UnsafeMutablePointer<Double>, count: Int, threshold: Double) -> (Int, Bool) {
        if x[0] < x[1] && x[0] < threshold { return (0, true) }
        for i in 1..<(count - 1) where x[i] < threshold && x[i] < x[i - 1] && x[i] <= x[i + 1] {
            return (i, true)
        }
        if x[count - 1] < x[count - 2] && x[count - 1] < threshold { return (count - 1, true) }
        var best = 0
        for i in 1..<count where x[i] < x[best] { best = i }
        return (best, false)
    }

    /// The parabola-vertex offset librosa's `_parabolic_interpolation` stores at `index`.
    @inline(__always)
    static func parabolicShift(_ x: UnsafeMutablePointer<Double>, count: Int, at index: Int) -> Double {
        guard index > 0, index < count - 1 else { return 0 }
        let a = x[index + 1] + x[index - 1] - 2 * x[index]
        let b = (x[index + 1] - x[index - 1]) / 2
        if abs(b) >= abs(a) { return 0 }
        return -b / a
    }
}
