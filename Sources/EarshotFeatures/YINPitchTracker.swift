import EarshotAudio
import Foundation

/// `librosa.yin(y, fmin, fmax, sr, frame_length, hop_length, trough_threshold, center=True,
/// pad_mode='constant')` reproduced step for step, plus a voicing flag per frame.
///
/// Per zero-padded frame x of length W:
/// 1. r[k] = Σⱼ x[j]·x[j+k] for k ≤ τmax: P = |FFT_M(x)|² for M ≥ W + τmax (2^a or 3·2^a, a multiple of 4), so
///    there is no circular wrap (librosa pads to 2W − 1 instead; same values up to rounding), then r = IDFT_M(P).
///    P is real and even, so the inverse is a DCT-I of its N + 1 = M/2 + 1 distinct values, computed with one real
///    FFT of size N (FFTPACK's `cost`: y[j] = ½(P[j] + P[N−j]) − sin(πj/N)·(P[j] − P[N−j]); even outputs are
///    Re FFT(y), odd ones a running sum of −Im FFT(y) from Y₁ = ½(P[0] − P[N]) + Σ cos(πj/N)·(P[j] − P[N−j])).
///    Measured against an extended-precision direct sum on speech-like frames, its error stays below 2e-15·r[0]
///    (a size-M inverse: 5e-16·r[0]), with a transform half the size of that inverse.
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
    /// Size M, the zero-padded frame → its spectrum.
    let fft: RealFFT
    /// Size N = M/2, the DCT-I of the power spectrum.
    let cosineFFT: RealFFT
    /// sin(πj/N) and cos(πj/N) for j = 0…N/2.
    let sines: [Double]
    let cosines: [Double]
    /// 1/k for k = 0…τmax (index 0 unused).
    let reciprocalLags: [Double]

    /// Expects parameters already checked by `AcousticParameters.validate()`.
    public init(sampleRate: Double, frameLength: Int, hopLength: Int, fMin: Double, fMax: Double, threshold: Double) {
        self.sampleRate = sampleRate
        self.frameLength = frameLength
        self.hopLength = hopLength
        self.threshold = threshold
        minPeriod = Int((sampleRate / fMax).rounded(.down))
        maxPeriod = min(Int((sampleRate / fMin).rounded(.up)), frameLength - 1)
        fft = RealFFT(size: Self.smoothSize(atLeast: frameLength + maxPeriod))
        let half = fft.size / 2
        cosineFFT = RealFFT(size: half)
        sines = (0...(half / 2)).map { sin(Double.pi * Double($0) / Double(half)) }
        cosines = (0...(half / 2)).map { cos(Double.pi * Double($0) / Double(half)) }
        reciprocalLags = (0...maxPeriod).map { $0 == 0 ? 0 : 1 / Double($0) }
    }

    /// Smallest 2^a or 3·2^a ≥ n that is a multiple of 4 (sizes FFTW transforms fastest; 1536 for the default
    /// 1024 + 320).
    static func smoothSize(atLeast n: Int) -> Int {
        var power = 4
        while power < n {
            if power >= 8, power / 2 * 3 >= n { return power / 2 * 3 }
            guard power <= Int.max / 2 else { return n }  // beyond any size `AcousticParameters.validate()` admits
            power *= 2
        }
        return power
    }

    /// Per-frame f0 in Hz and voicing flags, `1 + (n + 2·⌊W/2⌋ − W) / hop` frames.
    ///
    /// Frames are processed `FrameBatch.width` at a time: step 1's transforms per frame (each lane owns its
    /// buffers), then steps 2–4 for the whole batch with one SIMD lane per frame, so each lane's running sums stay
    /// sequential, as numpy's `cumsum`.
    public func track(_ samples: [Float]) -> (f0: [Double], voiced: [Bool]) {
        let framing = CenteredFraming(frameLength: frameLength, hopLength: hopLength, padding: .zeros)
        let frames = framing.frameCount(sampleCount: samples.count)
        var f0 = [Double](repeating: 0, count: frames)
        var voiced = [Bool](repeating: false, count: frames)
        let width = FrameBatch.width
        let cellCount = maxPeriod - minPeriod + 1
        // Each lane's `input.real[frameLength...]` is zeroed once and never written: `forward` preserves its input.
        let inputs = (0..<width).map { _ in fft.makeWorkspace() }
        let cosineInputs = (0..<width).map { _ in cosineFFT.makeWorkspace() }
        let x = FrameBatch.Gather(inputs.map { UnsafePointer($0.real.baseAddress!) })
        let transformed = FrameBatch.Gather(cosineInputs.map { UnsafePointer($0.spectrum.baseAddress!) })
        let cmnd = UnsafeMutablePointer<Double>.allocate(capacity: cellCount * width)
        defer { cmnd.deallocate() }
        withExtendedLifetime((inputs, cosineInputs)) {
            samples.withUnsafeBufferPointer { source in
                var firstOdd = FrameBatch.Lanes(repeating: 0)
                for first in stride(from: 0, to: frames, by: width) {
                    let count = min(width, frames - first)
                    for lane in 0..<width {
                        if lane < count {
                            firstOdd[lane] = autocorrelate(frame: first + lane, of: source, framing: framing,
                                                           input: inputs[lane], cosine: cosineInputs[lane])
                        } else {
                            inputs[lane].real.initialize(repeating: 0)
                            cosineInputs[lane].spectrum.initialize(repeating: 0)
                            firstOdd[lane] = 0
                        }
                    }
                    let (minimum, firstBelow) = normalizedDifference(x: x, transformed: transformed,
                                                                     firstOdd: firstOdd, into: cmnd)
                    for lane in 0..<count {
                        let cells = UnsafePointer(cmnd + lane)
                        let (index, isVoiced) = Self.chooseTrough(cells, stride: width, count: cellCount,
                                                                  threshold: threshold, minimum: minimum[lane],
                                                                  firstBelow: Int(firstBelow[lane]))
                        let shift = Self.parabolicShift(cells, stride: width, count: cellCount, at: index)
                        f0[first + lane] = sampleRate / (Double(minPeriod + index) + shift)
                        voiced[first + lane] = isVoiced
                    }
                }
            }
        }
        return (f0, voiced)
    }

    /// Step 1 for one frame, up to the DCT-I's FFT: `input.real[0..<W]` = the frame, `cosine.spectrum` =
    /// FFT_N(y); returns Y₁ (the first odd output of the DCT-I).
    @inline(__always)
    private func autocorrelate(frame: Int, of source: UnsafeBufferPointer<Float>, framing: CenteredFraming,
                               input: FFTWorkspace, cosine: FFTWorkspace) -> Double {
        let real = input.real.baseAddress!
        if let start = framing.interiorStart(frame, sampleCount: source.count) {
            let x = source.baseAddress! + start
            for i in 0..<frameLength { real[i] = Double(x[i]) }
        } else {
            framing.copyFrame(frame, of: source, into: real)
        }
        fft.forward(input)
        let spectrum = input.spectrum.baseAddress!
        let y = cosine.real.baseAddress!
        let n = cosineFFT.size
        @inline(__always) func power(_ k: Int) -> Double {
            let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
            return re * re + im * im
        }
        let p0 = power(0), pN = power(n)
        y[0] = 0.5 * (p0 + pN)
        y[n / 2] = power(n / 2)
        // Y₁'s terms for odd and even j accumulate in separate lanes, so its additions do not form one long chain.
        var terms = SIMD2<Double>(0.5 * (p0 - pN), 0)
        sines.withUnsafeBufferPointer { sines in
            cosines.withUnsafeBufferPointer { cosines in
                var j = 1
                // j and j + 1 with their mirrors N − j and N − j − 1, two lanes at a time; the mirrors are read
                // as one pair (N − j − 1, N − j) and reversed while splitting real and imaginary parts.
                while j &+ 2 <= n / 2 {
                    let low = UnsafeRawPointer(spectrum + 2 &* j).loadUnaligned(as: SIMD2<Double>.self)
                    let high = UnsafeRawPointer(spectrum + 2 &* (j &+ 1)).loadUnaligned(as: SIMD2<Double>.self)
                    let mirrorLow = UnsafeRawPointer(spectrum + 2 &* (n &- j &- 1)).loadUnaligned(as: SIMD2<Double>.self)
                    let mirrorHigh = UnsafeRawPointer(spectrum + 2 &* (n &- j)).loadUnaligned(as: SIMD2<Double>.self)
                    let re = SIMD2(low[0], high[0]), im = SIMD2(low[1], high[1])
                    let mirrorRe = SIMD2(mirrorHigh[0], mirrorLow[0]), mirrorIm = SIMD2(mirrorHigh[1], mirrorLow[1])
                    let a = re * re + im * im
                    let b = mirrorRe * mirrorRe + mirrorIm * mirrorIm
                    let half = 0.5 * (a + b), difference = a - b
                    let sine = UnsafeRawPointer(sines.baseAddress! + j).loadUnaligned(as: SIMD2<Double>.self)
                    let cosine = UnsafeRawPointer(cosines.baseAddress! + j).loadUnaligned(as: SIMD2<Double>.self)
                    let s = sine * difference
                    UnsafeMutableRawPointer(y + j).storeBytes(of: half - s, as: SIMD2<Double>.self)
                    let upper = half + s
                    UnsafeMutableRawPointer(y + (n &- j &- 1)).storeBytes(of: SIMD2(upper[1], upper[0]), as: SIMD2<Double>.self)
                    terms += cosine * difference
                    j &+= 2
                }
                while j < n / 2 {
                    let a = power(j), b = power(n &- j)
                    let half = 0.5 * (a + b), difference = a - b
                    let s = sines[j] * difference
                    y[j] = half - s
                    y[n &- j] = half + s
                    terms[0] += cosines[j] * difference
                    j &+= 1
                }
            }
        }
        cosineFFT.forward(cosine)
        return terms[0] + terms[1]
    }

    /// Steps 2–3 for a batch, one lane per frame. r[k] = (2/M)·Y_k with Y_{2m} = Re F[m] and
    /// Y_{2m+1} = Y_{2m−1} − Im F[m] (F = FFT_N(y), stored re, im interleaved, so F's k-th double is the term for
    /// lag k). d[k] = 2·(r[0] − r[k]) − E[k−1] with E[0] = 0 and E[j] = Σ_{i≤j} x[i]²; d′ = d[k] / (D[k]·(1/k) + tiny)
    /// for k = τmin…τmax, D the running sum of d from k = 1 (numpy divides by k; the reciprocal differs by at most
    /// an ulp). Writes d′ to `cmnd` (cell-major, lanes interleaved) and returns, per lane, the smallest d′ (cells
    /// that are NaN never replace it) and the index of the first cell below the threshold (`cellCount` if none).
    @inline(__always)
    private func normalizedDifference(x: FrameBatch.Gather, transformed: FrameBatch.Gather, firstOdd: FrameBatch.Lanes,
                                      into cmnd: UnsafeMutablePointer<Double>)
        -> (minimum: FrameBatch.Lanes, firstBelow: SIMD4<Int64>) {
        typealias Lanes = FrameBatch.Lanes
        let scale = 2.0 / Double(fft.size)
        let r0 = transformed[0] * scale
        let tiny = Lanes(repeating: Double.leastNormalMagnitude)
        var running = x[0] * x[0]                 // Σ_{i≤k−1} x[i]² at the top of iteration k
        var previousEnergy = Lanes(repeating: 0)  // E[k−1]; E[0] = 0
        var cumulative = Lanes(repeating: 0)
        var odd = firstOdd
        return reciprocalLags.withUnsafeBufferPointer { reciprocal in
            @inline(__always) func cell(_ k: Int) -> Lanes {
                let rk: Lanes
                if k & 1 == 0 {
                    rk = transformed[k] * scale
                } else {
                    if k > 1 { odd -= transformed[k] }
                    rk = odd * scale
                }
                let d = 2 * (r0 - rk) - previousEnergy
                cumulative += d
                if k < maxPeriod {
                    let xk = x[k]
                    running += xk * xk
                }
                previousEnergy = running
                return d / (cumulative * reciprocal[k] + tiny)
            }
            for k in 1..<minPeriod { _ = cell(k) }
            let threshold = Lanes(repeating: self.threshold)
            var minimum = Lanes(repeating: .infinity)
            // Comparison lanes are all ones (−1) when true: `seen` latches the first cell below the threshold and
            // `firstBelow` counts the cells before it, with integer arithmetic instead of selects.
            var seen = SIMD4<Int64>(repeating: 0), firstBelow = SIMD4<Int64>(repeating: 0)
            for k in minPeriod...maxPeriod {
                let current = cell(k)
                FrameBatch.store(current, cmnd, row: k &- minPeriod)
                minimum.replace(with: current, where: current .< minimum)
                seen |= unsafeBitCast(current .< threshold, to: SIMD4<Int64>.self)
                firstBelow &+= seen &+ 1
            }
            return (minimum, firstBelow)
        }
    }

    /// librosa's threshold rule over `count ≥ 2` CMND cells `x[i · stride]`: the first trough below the
    /// threshold (voiced), else the first cell equal to `minimum`, the cells' smallest value (unvoiced; the
    /// first cell when no cell equals it, as when all are NaN). `firstBelow` is the first cell below the
    /// threshold (`count` if none): no trough below the threshold can come earlier.
    @inline(__always)
    static func chooseTrough(_ x: UnsafePointer<Double>, stride: Int, count: Int, threshold: Double,
                             minimum: Double, firstBelow: Int) -> (Int, Bool) {
        @inline(__always) func at(_ i: Int) -> Double { x[i &* stride] }
        if firstBelow < count {
            if at(0) < at(1) && at(0) < threshold { return (0, true) }
            for i in max(firstBelow, 1)..<(count - 1) where at(i) < threshold {
                if at(i) < at(i &- 1) && at(i) <= at(i &+ 1) { return (i, true) }
            }
            if at(count - 1) < at(count - 2) && at(count - 1) < threshold { return (count - 1, true) }
        }
        for i in 0..<count where at(i) == minimum { return (i, false) }
        return (0, false)
    }

    /// The parabola-vertex offset librosa's `_parabolic_interpolation` stores at `index`.
    @inline(__always)
    static func parabolicShift(_ x: UnsafePointer<Double>, stride: Int, count: Int, at index: Int) -> Double {
        guard index > 0, index < count - 1 else { return 0 }
        let left = x[(index - 1) * stride], middle = x[index * stride], right = x[(index + 1) * stride]
        let a = right + left - 2 * middle
        let b = (right - left) / 2
        if abs(b) >= abs(a) { return 0 }
        return -b / a
    }
}
