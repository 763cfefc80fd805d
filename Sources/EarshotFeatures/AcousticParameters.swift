import Foundation

/// Parameters of `AcousticDescriptors`, each named after the librosa argument it feeds.
///
/// Defaults (16 kHz speech): `nFFT` 512 (32 ms; window = nFFT), `hopLength` 160 (10 ms), 40 Slaney mel
/// bands over 0–8000 Hz, 13 MFCCs, RMS/ZCR frames of 512, YIN over 50–500 Hz with 1024-sample frames
/// (64 ms: ≥ 2 periods of 50 Hz, as librosa recommends), trough threshold 0.1, rolloff at 85 %.
/// All frame-wise features share the hop, so every row has `1 + n / hopLength` frames.
public struct AcousticParameters: Sendable, Hashable, Codable {
    /// Rate of the input samples, in Hz (`sr`).
    public var sampleRate: Double = 16_000
    /// FFT size and window length of the STFT (`n_fft`, `win_length = n_fft`).
    public var nFFT: Int = 512
    /// Hop between frames of every feature (`hop_length`).
    public var hopLength: Int = 160
    /// Mel bands (`n_mels`).
    public var nMels: Int = 40
    /// Cepstral coefficients kept (`n_mfcc`).
    public var nMFCC: Int = 13
    /// Lowest mel filter edge in Hz (`fmin`).
    public var fMin: Double = 0
    /// Highest mel filter edge in Hz (`fmax`); `nil` means `sampleRate / 2`.
    public var fMax: Double? = nil
    /// Dynamic range kept by `power_to_db` below the utterance maximum (`top_db`); `nil` keeps all.
    public var topDB: Double? = 80
    /// Fraction of spectral magnitude below the rolloff frequency (`roll_percent`).
    public var rolloffPercent: Double = 0.85
    /// Frame length of RMS and zero-crossing rate (`frame_length`).
    public var frameLength: Int = 512
    /// YIN frame length (`frame_length` of `librosa.yin`).
    public var pitchFrameLength: Int = 1024
    /// YIN search range in Hz (`fmin`, `fmax` of `librosa.yin`).
    public var pitchFMin: Double = 50
    public var pitchFMax: Double = 500
    /// YIN absolute threshold on the cumulative mean normalised difference (`trough_threshold`).
    public var troughThreshold: Double = 0.1

    public init() {}

    /// Largest FFT size and frame length (2^16 samples: 4 s at 16 kHz); YIN's FFT is at most 3 · 2^16.
    public static let maxFrameLength = 65_536
    /// Most mel bands (each is a filter over the FFT bins).
    public static let maxMels = 512
    /// Most cepstral coefficients.
    public static let maxMFCC = 128
    /// Highest rate (hz).
    public static let maxSampleRate = 384_000

    /// Upper mel edge actually used.
    public var resolvedFMax: Double { fMax ?? sampleRate / 2 }

    /// Checks every bound librosa checks (and the ones it would crash on), throwing `invalidParameter`.
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ reason: String) -> FeatureError {
            .invalidParameter(name: name, value: "\(value)", reason: reason)
        }
        let maxFrame = Self.maxFrameLength
        guard sampleRate > 0, sampleRate <= Double(Self.maxSampleRate) else {
            throw fail("sample_rate", sampleRate, "must be a positive number of hz up to \(Self.maxSampleRate)")
        }
        guard (2...maxFrame).contains(nFFT) else { throw fail("n_fft", nFFT, "must be between 2 and \(maxFrame)") }
        guard (1...maxFrame).contains(hopLength) else { throw fail("hop_length", hopLength, "must be between 1 and \(maxFrame)") }
        guard (1...Self.maxMels).contains(nMels) else { throw fail("n_mels", nMels, "must be between 1 and \(Self.maxMels)") }
        guard nMFCC >= 1, nMFCC <= min(nMels, Self.maxMFCC) else {
            throw fail("n_mfcc", nMFCC, "must be between 1 and n_mels (\(nMels)), at most \(Self.maxMFCC)")
        }
        guard fMin >= 0, fMin < resolvedFMax else { throw fail("fmin", fMin, "must be non-negative and below fmax (\(resolvedFMax))") }
        guard resolvedFMax <= sampleRate / 2 else { throw fail("fmax", resolvedFMax, "cannot exceed the nyquist frequency \(sampleRate / 2)") }
        if let topDB { guard topDB >= 0 else { throw fail("top_db", topDB, "must be non-negative") } }
        guard rolloffPercent > 0, rolloffPercent < 1 else { throw fail("roll_percent", rolloffPercent, "must lie in (0, 1)") }
        guard (1...maxFrame).contains(frameLength) else { throw fail("frame_length", frameLength, "must be between 1 and \(maxFrame)") }
        guard (2...maxFrame).contains(pitchFrameLength) else {
            throw fail("pitch frame length", pitchFrameLength, "must be between 2 and \(maxFrame)")
        }
        guard pitchFMin > 0 else { throw fail("pitch fmin", pitchFMin, "must be strictly positive") }
        guard pitchFMin < pitchFMax else { throw fail("pitch fmin", pitchFMin, "must be less than pitch fmax (\(pitchFMax))") }
        guard pitchFMax <= sampleRate / 2 else { throw fail("pitch fmax", pitchFMax, "cannot exceed the nyquist frequency \(sampleRate / 2)") }
        guard sampleRate / pitchFMin < Double(pitchFrameLength - 1) else {
            throw fail("pitch fmin", pitchFMin, "is too small for pitch frame length \(pitchFrameLength); raise it above \(sampleRate / Double(pitchFrameLength - 1)) hz or lengthen the frame")
        }
        let minPeriod = Int((sampleRate / pitchFMax).rounded(.down))
        let maxPeriod = min(Int((sampleRate / pitchFMin).rounded(.up)), pitchFrameLength - 1)
        guard minPeriod >= 1, maxPeriod - minPeriod >= 1 else {
            throw fail("pitch range", "\(pitchFMin)-\(pitchFMax)", "spans fewer than two lags at \(sampleRate) hz; widen it")
        }
        guard troughThreshold > 0 else { throw fail("trough_threshold", troughThreshold, "must be positive") }
    }
}
