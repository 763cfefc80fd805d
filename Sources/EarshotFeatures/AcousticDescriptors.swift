import EarshotAudio
import Foundation

/// Frame-wise acoustic descriptors with librosa 0.11's exact conventions, and their per-utterance pooling.
///
/// One STFT (`STFT`: centred, zero-padded, periodic Hann, window = `nFFT`) feeds every spectral row:
/// - **MFCC** = `librosa.feature.mfcc(y, sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax)`: power
///   spectrogram |X|² → Slaney mel bank (`MelFilterbank`) → `power_to_db(ref=1.0, amin=1e-10, top_db)`
///   (10·log10, floored at the *utterance* maximum − top_db) → orthonormal DCT-II, first `nMFCC` rows.
/// - **centroid** Σ f·S / Σ S, **bandwidth** (Σ (S/ΣS)·(f − centroid)²)^½ and **rolloff** (smallest bin
///   frequency whose cumulative magnitude reaches `rolloffPercent` of the total) on the *magnitude* |X|
///   (librosa's `power=1` for these). Silent frames (Σ S below the smallest normal double) give 0 for all
///   three, as librosa's `normalize` leaves them unscaled.
/// - **RMS** = `librosa.feature.rms(frame_length, hop_length, center=True)`: √(mean x²) over zero-padded
///   frames, computed in double (librosa's default squares in float32; the two agree to ~1e-7 relative).
/// - **ZCR** = `librosa.feature.zero_crossing_rate(frame_length, hop_length, center=True)`: edge-padded
///   frames, |x| ≤ 1e-10 counts as +0, a crossing is a sign-bit change between neighbours inside the frame
///   (the first position never counts, `pad=False`), divided by `frameLength`.
/// - **pitch** = `librosa.yin` (`YINPitchTracker`) with a voicing flag per frame.
///
/// Where librosa and this type part: librosa accepts an empty signal (one frame of padding) — here it is an
/// error; inputs shorter than `nFFT` or the YIN frame are zero-padded exactly as librosa does. librosa
/// itself raises for fmax above Nyquist, fmin ≥ fmax and sr/fmin ≥ frame_length − 1, and crashes when the
/// YIN lag range has fewer than two cells; `AcousticParameters.validate()` rejects all of these up front.
///
/// Thread-safety: a value; `frames` allocates its own buffers, so one instance may serve many tasks.
public struct AcousticDescriptors: Sendable {
    public let parameters: AcousticParameters
    let stft: STFT
    let melBank: MelFilterbank
    /// Orthonormal DCT-II rows: dct[c·nMels + m].
    let dct: [Double]
    let binFrequencies: [Double]
    let pitch: YINPitchTracker

    public init(parameters: AcousticParameters = AcousticParameters()) throws {
        try parameters.validate()
        self.parameters = parameters
        do {
            stft = try STFT(nFFT: parameters.nFFT, hopLength: parameters.hopLength)
        } catch {
            throw FeatureError.invalidParameter(name: "stft", value: "\(parameters.nFFT)/\(parameters.hopLength)",
                                                reason: "\(error)")
        }
        melBank = MelFilterbank(sampleRate: parameters.sampleRate, nFFT: parameters.nFFT,
                                bandCount: parameters.nMels, fMin: parameters.fMin, fMax: parameters.resolvedFMax)
        binFrequencies = stft.binFrequencies(sampleRate: parameters.sampleRate)
        dct = Self.orthonormalDCT(rows: parameters.nMFCC, size: parameters.nMels)
        pitch = YINPitchTracker(sampleRate: parameters.sampleRate, frameLength: parameters.pitchFrameLength,
                                hopLength: parameters.hopLength, fMin: parameters.pitchFMin,
                                fMax: parameters.pitchFMax, threshold: parameters.troughThreshold)
    }

    /// scipy's `dct(type=2, norm='ortho')`: X[c] = s_c · Σₘ x[m]·cos(π·c·(2m+1) / (2N)), s₀ = √(1/N),
    /// s_c = √(2/N).
    static func orthonormalDCT(rows: Int, size: Int) -> [Double] {
        var matrix = [Double](repeating: 0, count: rows * size)
        let n = Double(size)
        for c in 0..<rows {
            let scale = c == 0 ? (1 / n).squareRoot() : (2 / n).squareRoot()
            for m in 0..<size {
                matrix[c * size + m] = scale * cos(Double.pi * Double(c) * Double(2 * m + 1) / (2 * n))
            }
        }
        return matrix
    }

    /// Every frame-wise row for `samples` (at `parameters.sampleRate`). Throws `emptyInput` for no samples
    /// and `nonFiniteSample` at the first NaN/∞. Inputs shorter than `nFFT` are zero-padded as librosa does.
    public func frames(_ samples: [Float]) throws -> AcousticFrames {
        guard !samples.isEmpty else { throw FeatureError.emptyInput(feature: "acoustic descriptors") }
        if let bad = samples.firstIndex(where: { !$0.isFinite }) { throw FeatureError.nonFiniteSample(index: bad) }
        let p = parameters
        let frameCount = stft.frameCount(sampleCount: samples.count)
        let bins = stft.binCount, bands = p.nMels
        var logMel = [Double](repeating: 0, count: frameCount * bands)
        var centroid = [Double](repeating: 0, count: frameCount)
        var bandwidth = [Double](repeating: 0, count: frameCount)
        var rolloff = [Double](repeating: 0, count: frameCount)
        let magnitude = UnsafeMutablePointer<Double>.allocate(capacity: bins)
        let mel = UnsafeMutablePointer<Double>.allocate(capacity: bands)
        defer { magnitude.deallocate(); mel.deallocate() }
        let amin = 1e-10
        let referenceDB = 10 * log10(max(amin, 1.0))
        let tiny = Double.leastNormalMagnitude
        var maximumDB = -Double.infinity
        binFrequencies.withUnsafeBufferPointer { freq in
            logMel.withUnsafeMutableBufferPointer { logMel in
                stft.forEachPowerFrame(samples) { t, power in
                    melBank.apply(power, into: mel)
                    for m in 0..<bands {
                        let db = 10 * log10(max(amin, mel[m])) - referenceDB
                        logMel[t * bands + m] = db
                        maximumDB = max(maximumDB, db)
                    }
                    for k in 0..<bins { magnitude[k] = power[k].squareRoot() }
                    let (total, weighted) = Self.sums(magnitude, freq.baseAddress!, count: bins)
                    let norm = total < tiny ? 1.0 : total
                    let c = weighted / norm
                    let spread = Self.weightedSquaredDeviation(magnitude, freq.baseAddress!, center: c, count: bins) / norm
                    let threshold = p.rolloffPercent * total
                    var cumulative = 0.0
                    var rollIndex = bins - 1
                    for k in 0..<bins {
                        cumulative += magnitude[k]
                        if cumulative >= threshold { rollIndex = k; break }
                    }
                    centroid[t] = c
                    bandwidth[t] = spread.squareRoot()
                    rolloff[t] = freq[rollIndex]
                }
            }
        }
        let mfcc = cepstrum(logMel: &logMel, frameCount: frameCount, maximumDB: maximumDB)
        let (rms, zcr) = energyAndCrossings(samples)
        let (f0, voiced) = pitch.track(samples)
        return AcousticFrames(frameCount: frameCount, mfccCount: p.nMFCC, mfcc: mfcc, centroid: centroid,
                              bandwidth: bandwidth, rolloff: rolloff, rms: rms, zcr: zcr, f0: f0, voiced: voiced)
    }

    /// Applies the top_db floor to the whole utterance's log-mel, then the DCT (coefficient-major output).
    private func cepstrum(logMel: inout [Double], frameCount: Int, maximumDB: Double) -> [Double] {
        let bands = parameters.nMels, coefficients = parameters.nMFCC
        if let topDB = parameters.topDB {
            let floor = maximumDB - topDB
            for i in logMel.indices where logMel[i] < floor { logMel[i] = floor }
        }
        var mfcc = [Double](repeating: 0, count: coefficients * frameCount)
        logMel.withUnsafeBufferPointer { logMel in
            dct.withUnsafeBufferPointer { dct in
                mfcc.withUnsafeMutableBufferPointer { out in
                    for t in 0..<frameCount {
                        let row = logMel.baseAddress! + t * bands
                        for c in 0..<coefficients {
                            var sum = 0.0
                            for m in 0..<bands { sum += dct[c * bands + m] * row[m] }
                            out[c * frameCount + t] = sum
                        }
                    }
                }
            }
        }
        return mfcc
    }

    /// RMS over zero-padded frames and ZCR over edge-padded frames, both `frameLength` long.
    private func energyAndCrossings(_ samples: [Float]) -> (rms: [Double], zcr: [Double]) {
        let length = parameters.frameLength
        let zeroFraming = CenteredFraming(frameLength: length, hopLength: parameters.hopLength, padding: .zeros)
        let edgeFraming = CenteredFraming(frameLength: length, hopLength: parameters.hopLength, padding: .edge)
        let frames = zeroFraming.frameCount(sampleCount: samples.count)
        var rms = [Double](repeating: 0, count: frames)
        var zcr = [Double](repeating: 0, count: frames)
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: length)
        let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
        defer { buffer.deallocate(); flags.deallocate() }
        let threshold = 1e-10
        samples.withUnsafeBufferPointer { source in
            for t in 0..<frames {
                let frame: UnsafePointer<Double>
                if let start = zeroFraming.interiorStart(t, sampleCount: source.count) {
                    let x = source.baseAddress! + start
                    for i in 0..<length { buffer[i] = Double(x[i]) }
                    frame = UnsafePointer(buffer)
                } else {
                    zeroFraming.copyFrame(t, of: source, into: buffer)
                    frame = UnsafePointer(buffer)
                }
                rms[t] = (Self.sumOfSquares(frame, count: length) / Double(length)).squareRoot()
                if zeroFraming.interiorStart(t, sampleCount: source.count) == nil {
                    edgeFraming.copyFrame(t, of: source, into: buffer)
                }
                zcr[t] = Double(Self.signChanges(frame, count: length, threshold: threshold, flags: flags)) / Double(length)
            }
        }
        return (rms, zcr)
    }

    /// (Σ s, Σ f·s) with four interleaved partial sums each (rounding-level differences from numpy only).
    @inline(__always)
    static func sums(_ s: UnsafePointer<Double>, _ f: UnsafePointer<Double>, count: Int) -> (Double, Double) {
        var t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0, w0 = 0.0, w1 = 0.0, w2 = 0.0, w3 = 0.0
        var i = 0
        while i &+ 4 <= count {
            t0 += s[i]; t1 += s[i &+ 1]; t2 += s[i &+ 2]; t3 += s[i &+ 3]
            w0 += f[i] * s[i]; w1 += f[i &+ 1] * s[i &+ 1]; w2 += f[i &+ 2] * s[i &+ 2]; w3 += f[i &+ 3] * s[i &+ 3]
            i &+= 4
        }
        while i < count { t0 += s[i]; w0 += f[i] * s[i]; i &+= 1 }
        return ((t0 + t1) + (t2 + t3), (w0 + w1) + (w2 + w3))
    }

    /// Σ s·(f − center)², four interleaved partial sums.
    @inline(__always)
    static func weightedSquaredDeviation(_ s: UnsafePointer<Double>, _ f: UnsafePointer<Double>,
                                         center: Double, count: Int) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
        var i = 0
        while i &+ 4 <= count {
            let d0 = f[i] - center, d1 = f[i &+ 1] - center, d2 = f[i &+ 2] - center, d3 = f[i &+ 3] - center
            a0 += s[i] * d0 * d0; a1 += s[i &+ 1] * d1 * d1; a2 += s[i &+ 2] * d2 * d2; a3 += s[i &+ 3] * d3 * d3
            i &+= 4
        }
        while i < count { let d = f[i] - center; a0 += s[i] * d * d; i &+= 1 }
        return (a0 + a1) + (a2 + a3)
    }

    /// Σ x², four interleaved partial sums (numpy also sums in blocks; the difference is rounding only).
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Double>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i &+ 4 <= count {
            s0 += x[i] * x[i]; s1 += x[i &+ 1] * x[i &+ 1]
            s2 += x[i &+ 2] * x[i &+ 2]; s3 += x[i &+ 3] * x[i &+ 3]
            i &+= 4
        }
        while i < count { s0 += x[i] * x[i]; i &+= 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Positions i ≥ 1 where the sign bit of x[i] differs from x[i−1], values with |x| ≤ threshold
    /// counting as +0 (librosa's `zero_crossings(threshold=1e-10, zero_pos=True, pad=False)`).
    @inline(__always)
    static func signChanges(_ x: UnsafePointer<Double>, count: Int, threshold: Double,
                            flags: UnsafeMutablePointer<UInt8>) -> Int {
        for i in 0..<count { flags[i] = x[i] < -threshold ? 1 : 0 }
        var changes = 0
        for i in 1..<max(count, 1) { changes &+= Int(flags[i] ^ flags[i &- 1]) }
        return changes
    }

    /// Column names of `pool`, in order: `mfcc_<c>_<stat>` for c = 0…nMFCC−1, then `centroid`, `bandwidth`,
    /// `rolloff`, `rms`, `zcr`, `pitch` (each × mean, std, p10, p50, p90), then `pitch_voiced_fraction`.
    public var columnNames: [String] {
        let rows = (0..<parameters.nMFCC).map { "mfcc_\($0)" } + ["centroid", "bandwidth", "rolloff", "rms", "zcr", "pitch"]
        return rows.flatMap { row in PooledStatistics.suffixes.map { "\(row)_\($0)" } } + ["pitch_voiced_fraction"]
    }

    /// Pools frame-wise rows into one vector named by `columnNames`. Every row pools over all its frames
    /// except `pitch`, which pools f0 over voiced frames only; with no voiced frame its five statistics
    /// are 0 and `pitch_voiced_fraction` is 0. No value is ever NaN.
    public func pool(_ frames: AcousticFrames) -> FeatureVector {
        var values = [Double]()
        values.reserveCapacity(columnNames.count)
        for c in 0..<frames.mfccCount { values += PooledStatistics(frames.mfcc(coefficient: c)).values }
        for row in [frames.centroid, frames.bandwidth, frames.rolloff, frames.rms, frames.zcr, frames.voicedF0] {
            values += PooledStatistics(row).values
        }
        values.append(frames.voicedFraction)
        return FeatureVector(names: columnNames, values: values)
    }

    /// `pool(frames(samples))`.
    public func pooled(_ samples: [Float]) throws -> FeatureVector { pool(try frames(samples)) }
}
