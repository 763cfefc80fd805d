/// Frame-wise acoustic descriptors of one utterance, one value per frame per row, aligned on the shared
/// hop (frame t is centred on sample t · hopLength).
public struct AcousticFrames: Sendable, Hashable {
    /// Frames of the STFT-based rows (MFCC, centroid, bandwidth, rolloff).
    public let frameCount: Int
    public let mfccCount: Int
    /// MFCCs, coefficient-major: `mfcc[c * frameCount + t]` (c = 0 is the log-energy-like coefficient).
    public let mfcc: [Double]
    /// Spectral centroid, bandwidth (p = 2) and rolloff in Hz.
    public let centroid: [Double]
    public let bandwidth: [Double]
    public let rolloff: [Double]
    /// Root-mean-square amplitude and zero-crossing rate (crossings per sample) per frame.
    public let rms: [Double]
    public let zcr: [Double]
    /// YIN f0 in Hz for every frame (unvoiced frames carry the fallback estimate; see `voiced`).
    public let f0: [Double]
    /// Whether YIN found a trough below its threshold in the frame.
    public let voiced: [Bool]

    public init(frameCount: Int, mfccCount: Int, mfcc: [Double], centroid: [Double], bandwidth: [Double],
                rolloff: [Double], rms: [Double], zcr: [Double], f0: [Double], voiced: [Bool]) {
        self.frameCount = frameCount
        self.mfccCount = mfccCount
        self.mfcc = mfcc
        self.centroid = centroid
        self.bandwidth = bandwidth
        self.rolloff = rolloff
        self.rms = rms
        self.zcr = zcr
        self.f0 = f0
        self.voiced = voiced
    }

    /// Coefficient `c` over all frames.
    public func mfcc(coefficient c: Int) -> ArraySlice<Double> {
        mfcc[(c * frameCount)..<((c + 1) * frameCount)]
    }

    /// f0 of the voiced frames only, in frame order.
    public var voicedF0: [Double] { zip(f0, voiced).compactMap { $0.1 ? $0.0 : nil } }

    /// Fraction of YIN frames that are voiced; 0 when there are no frames.
    public var voicedFraction: Double {
        voiced.isEmpty ? 0 : Double(voiced.lazy.filter { $0 }.count) / Double(voiced.count)
    }
}
