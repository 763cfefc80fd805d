import EarshotAudio
import Foundation

/// Frame-wise acoustic descriptors with librosa 0.11's exact conventions, and their per-utterance pooling.
///
/// One STFT (`STFT`: centred, zero-padded, periodic Hann, window = `nFFT`) feeds every spectral row:
/// - **MFCC** = `librosa.feature.mfcc(y, sr, n_mfcc, n_fft, hop_length, n_mels, fmin, fmax)`: power
///   spectrogram |X|² → Slaney mel bank (`MelFilterbank`) → `power_to_db(ref=1.0, amin=1e-10, top_db)`
///   (10·log10, evaluated as (10 / ln 10)·ln, floored at the *utterance* maximum − top_db) → orthonormal DCT-II,
///   first `nMFCC` rows.
/// - **centroid** Σ f·S / Σ S, **bandwidth** (Σ (S/ΣS)·(f − centroid)²)^½ and **rolloff** (smallest bin
///   frequency whose cumulative magnitude reaches `rolloffPercent` of the total) on the *magnitude* |X|
///   (librosa's `power=1` for these; `SpectralShape`). Silent frames (Σ S below the smallest normal double)
///   give 0 for all three, as librosa's `normalize` leaves them unscaled.
/// - **RMS** = `librosa.feature.rms(frame_length, hop_length, center=True)`: √(mean x²) over zero-padded
///   frames, computed in double (librosa's default squares in float32; the two agree to ~1e-7 relative).
/// - **ZCR** = `librosa.feature.zero_crossing_rate(frame_length, hop_length, center=True)`: edge-padded
///   frames, |x| ≤ 1e-10 counts as +0, a crossing is a sign-bit change between neighbours inside the frame
///   (the first position never counts, `pad=False`), divided by `frameLength` (`FrameEnergy`).
/// - **pitch** = `librosa.yin` (`YINPitchTracker`) with a voicing flag per frame.
///
/// Frames go through the spectral and pitch rows `FrameBatch.width` at a time, one SIMD lane per frame, so
/// every per-frame sum keeps numpy's order along the frame's axis.
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
    let shape: SpectralShape
    let energy: FrameEnergy
    let pitch: YINPitchTracker
    /// Column names of `pool`, in order: `mfcc_<c>_<stat>` for c = 0…nMFCC−1, then `centroid`, `bandwidth`,
    /// `rolloff`, `rms`, `zcr`, `pitch` (each × mean, std, p10, p50, p90), then `pitch_voiced_fraction`.
    public let columnNames: [String]

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
        shape = SpectralShape(binFrequencies: stft.binFrequencies(sampleRate: parameters.sampleRate),
                              rolloffPercent: parameters.rolloffPercent)
        energy = FrameEnergy(frameLength: parameters.frameLength, hopLength: parameters.hopLength)
        dct = Self.orthonormalDCT(rows: parameters.nMFCC, size: parameters.nMels)
        columnNames = Self.columnNames(mfccCount: parameters.nMFCC)
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
        if let bad = samples.withUnsafeBufferPointer(Self.firstNonFinite) { throw FeatureError.nonFiniteSample(index: bad) }
        let p = parameters
        let frameCount = stft.frameCount(sampleCount: samples.count)
        let bands = p.nMels, width = FrameBatch.width
        // Log-mel in batch layout (`mel`'s layout, batch after batch): logMel[(t / w · bands + m) · w + t mod w].
        let batches = (frameCount + width - 1) / width
        let logMel = UnsafeMutablePointer<Double>.allocate(capacity: batches * bands * width)
        var centroid = [Double](repeating: 0, count: frameCount)
        var bandwidth = [Double](repeating: 0, count: frameCount)
        var rolloff = [Double](repeating: 0, count: frameCount)
        let magnitude = UnsafeMutablePointer<Double>.allocate(capacity: stft.binCount * width)
        defer { logMel.deallocate(); magnitude.deallocate() }
        let amin = FrameBatch.Lanes(repeating: 1e-10)
        let referenceDB = 10 * log10(max(1e-10, 1.0))
        // 10·log10(x) as (10 / ln 10)·ln(x) (`FrameBatch.logarithm`); the two agree to an ulp or two.
        let decibelsPerNeper = 10 / M_LN10
        var maximumDB = FrameBatch.Lanes(repeating: -.infinity)
        stft.forEachPowerBatch(samples, width: width) { first, count, power in
            let power = power.baseAddress!
            let mel = logMel + first * bands
            melBank.apply(batch: power, into: mel)
            // Lanes past the last frame take no part in the maximum.
            var valid = SIMDMask<SIMD4<Int64>>(repeating: true)
            for lane in count..<width { valid[lane] = false }
            for m in 0..<bands {
                let power = pointwiseMax(FrameBatch.load(mel, row: m), amin)
                let db = decibelsPerNeper * FrameBatch.logarithm(power) - referenceDB
                FrameBatch.store(db, mel, row: m)
                maximumDB = pointwiseMax(maximumDB, db.replacing(with: -.infinity, where: .!valid))
            }
            let (c, b, r) = shape.describe(power: power, magnitude: magnitude)
            for lane in 0..<count {
                centroid[first + lane] = c[lane]
                bandwidth[first + lane] = b[lane]
                rolloff[first + lane] = r[lane]
            }
        }
        let mfcc = cepstrum(logMel: logMel, frameCount: frameCount, maximumDB: maximumDB.max())
        let (rms, zcr) = samples.withUnsafeBufferPointer { energy.rmsAndCrossings($0) }
        let (f0, voiced) = pitch.track(samples)
        return AcousticFrames(frameCount: frameCount, mfccCount: p.nMFCC, mfcc: mfcc, centroid: centroid,
                              bandwidth: bandwidth, rolloff: rolloff, rms: rms, zcr: zcr, f0: f0, voiced: voiced)
    }

    /// Applies the top_db floor to the whole utterance's log-mel (batch layout, see `frames`), then the DCT:
    /// out[c, t] = Σₘ dct[c, m] · max(logMel[m, t], floor), summed over bands in order, a batch of frames at a
    /// time in SIMD lanes.
    private func cepstrum(logMel: UnsafePointer<Double>, frameCount: Int, maximumDB: Double) -> [Double] {
        let bands = parameters.nMels, coefficients = parameters.nMFCC, width = FrameBatch.width
        let floor = FrameBatch.Lanes(repeating: parameters.topDB.map { maximumDB - $0 } ?? -.infinity)
        let floored = UnsafeMutablePointer<FrameBatch.Lanes>.allocate(capacity: bands)
        defer { floored.deallocate() }
        return [Double](unsafeUninitializedCapacity: coefficients * frameCount) { out, initialized in
            dct.withUnsafeBufferPointer { dct in
                for first in stride(from: 0, to: frameCount, by: width) {
                    let count = min(width, frameCount - first)
                    let batch = logMel + first * bands
                    for m in 0..<bands {
                        let values = FrameBatch.load(batch, row: m)
                        floored[m] = values.replacing(with: floor, where: values .< floor)
                    }
                    for c in 0..<coefficients {
                        var sum = FrameBatch.Lanes(repeating: 0)
                        let weights = dct.baseAddress! + c * bands
                        for m in 0..<bands { sum += weights[m] * floored[m] }
                        let target = out.baseAddress! + (c * frameCount + first)
                        for lane in 0..<count { target[lane] = sum[lane] }
                    }
                }
            }
            initialized = coefficients * frameCount
        }
    }

    /// Index of the first NaN or ±∞. Blocks of samples are screened with integer operations that vectorise:
    /// adding 2²³ to a float's exponent field carries into the sign bit exactly when the exponent is all ones.
    static func firstNonFinite(_ samples: UnsafeBufferPointer<Float>) -> Int? {
        let block = 1_024
        var start = 0
        while start < samples.count {
            let end = min(start + block, samples.count)
            var carry: UInt32 = 0
            for i in start..<end { carry |= (samples[i].bitPattern & 0x7f80_0000) &+ 0x0080_0000 }
            if carry & 0x8000_0000 != 0 {
                for i in start..<end where !samples[i].isFinite { return i }
            }
            start = end
        }
        return nil
    }

    /// Column names of `pool`, in order: `mfcc_<c>_<stat>` for c = 0…nMFCC−1, then `centroid`, `bandwidth`,
    /// `rolloff`, `rms`, `zcr`, `pitch` (each × mean, std, p10, p50, p90), then `pitch_voiced_fraction`.
    static func columnNames(mfccCount: Int) -> [String] {
        let rows = (0..<mfccCount).map { "mfcc_\($0)" } + ["centroid", "bandwidth", "rolloff", "rms", "zcr", "pitch"]
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
