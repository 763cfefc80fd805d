import EarshotAudio
import EarshotFeatures
import Foundation

/// The reference target's view of a clip: pooled log-mel statistics that capture the voice and the
/// recording conditions (channel colouring, noise floor, level) more than the words.
///
/// Definition: 16 kHz mono samples → STFT (n_fft 512, hop 160, periodic Hann, centred, zero padding;
/// `EarshotAudio.STFT`) → power |X|² → 40 Slaney mel bands over 0–8 kHz (`EarshotFeatures.MelFilterbank`)
/// → log(mel + 1e-10) per frame → for each band the mean and the (population) standard deviation over all
/// frames. The vector is `[mean_0 … mean_39, std_0 … std_39]` (80 values). Silence gives log(1e-10) means
/// and zero deviations, far from any speech clip. An empty clip counts as one frame of silence.
public struct AcousticEmbedding: Sendable {
    public static let sampleRate = 16_000
    public static let bands = 40
    public static let floor = 1e-10
    private let stft: STFT
    /// Each band's first non-zero FFT bin and its run of weights.
    private let runs: [(first: Int, weights: [Double])]

    public init() throws {
        stft = try STFT(nFFT: 512, hopLength: 160)
        let mel = MelFilterbank(sampleRate: Double(Self.sampleRate), nFFT: 512, bandCount: Self.bands, fMin: 0,
                                fMax: Double(Self.sampleRate) / 2)
        runs = (0..<Self.bands).map { band in
            let dense = (0..<mel.binCount).map { mel.weight(band: band, bin: $0) }
            guard let first = dense.firstIndex(where: { $0 != 0 }), let last = dense.lastIndex(where: { $0 != 0 }) else {
                return (0, [])
            }
            return (first, Array(dense[first...last]))
        }
    }

    /// Number of values in an embedding.
    public static var dimension: Int { 2 * bands }

    /// The embedding of `samples` (mono, 16 kHz).
    public func embed(_ samples: [Float]) -> [Double] {
        let bands = Self.bands
        var sum = [Double](repeating: 0, count: bands)
        var sumSquares = [Double](repeating: 0, count: bands)
        var frames = 0
        var row = [Double](repeating: 0, count: bands)
        stft.forEachPowerFrame(samples) { _, power in
            for b in 0..<bands {
                var energy = 0.0
                let (first, weights) = runs[b]
                for j in weights.indices { energy += weights[j] * power[first + j] }
                row[b] = Foundation.log(energy + Self.floor)
            }
            for b in 0..<bands {
                sum[b] += row[b]
                sumSquares[b] += row[b] * row[b]
            }
            frames += 1
        }
        guard frames > 0 else { return [Double](repeating: Foundation.log(Self.floor), count: bands) + [Double](repeating: 0, count: bands) }
        let n = Double(frames)
        let means = sum.map { $0 / n }
        let deviations = (0..<bands).map { b in max(0, sumSquares[b] / n - means[b] * means[b]).squareRoot() }
        return means + deviations
    }
}
