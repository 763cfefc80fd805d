import Foundation

/// Short-time Fourier transform with `librosa.stft`'s defaults: `center=True`, zero padding
/// (`pad_mode='constant'`, librosa ≥ 0.10), periodic Hann window of length `nFFT`
/// (`scipy.signal.get_window('hann', nFFT, fftbins=True)`, w[n] = 0.5 + 0.5·cos(−π + 2πn/N)), no
/// normalisation. Frames are computed in double precision from float samples.
public struct STFT: Sendable {
    public let nFFT: Int
    public let hopLength: Int
    /// The analysis window, `nFFT` samples.
    public let window: [Double]
    public let framing: CenteredFraming
    private let fft: RealFFT

    public init(nFFT: Int, hopLength: Int) throws {
        guard nFFT >= 2 else {
            throw AudioError.invalidArgument(name: "n_fft", value: String(nFFT), reason: "must be at least 2")
        }
        guard hopLength >= 1 else {
            throw AudioError.invalidArgument(name: "hop length", value: String(hopLength), reason: "must be positive")
        }
        self.nFFT = nFFT
        self.hopLength = hopLength
        self.window = Self.periodicHann(nFFT)
        self.framing = CenteredFraming(frameLength: nFFT, hopLength: hopLength, padding: .zeros)
        self.fft = RealFFT(size: nFFT)
    }

    /// `scipy.signal.get_window('hann', n, fftbins=True)`: 0.5 + 0.5·cos(x) at x = −π + k·(2π/n).
    public static func periodicHann(_ n: Int) -> [Double] {
        if n == 1 { return [1] }
        let step = 2 * Double.pi / Double(n)
        return (0..<n).map { 0.5 + 0.5 * cos(Double($0) * step - Double.pi) }
    }

    /// Frequency bins, `nFFT / 2 + 1`.
    public var binCount: Int { nFFT / 2 + 1 }

    /// Frames for `sampleCount` samples: `1 + sampleCount / hopLength` for even `nFFT`.
    public func frameCount(sampleCount: Int) -> Int { framing.frameCount(sampleCount: sampleCount) }

    /// Centre frequency of each bin, `np.fft.rfftfreq(nFFT, 1 / sampleRate)`.
    public func binFrequencies(sampleRate: Double) -> [Double] {
        let spacing = 1.0 / (Double(nFFT) * (1.0 / sampleRate))
        return (0..<binCount).map { Double($0) * spacing }
    }

    /// Calls `body(frame, power)` for every frame in order with the power spectrum |X[k]|² (k = 0…nFFT/2).
    /// The buffer is reused between calls; copy what you keep. One allocation per call, none per frame.
    public func forEachPowerFrame(_ samples: [Float],
                                  _ body: (Int, UnsafeBufferPointer<Double>) throws -> Void) rethrows {
        let frames = frameCount(sampleCount: samples.count)
        let workspace = fft.makeWorkspace()
        let power = UnsafeMutableBufferPointer<Double>.allocate(capacity: binCount)
        defer { power.deallocate() }
        try samples.withUnsafeBufferPointer { source in
            try window.withUnsafeBufferPointer { window in
                let spectrum = workspace.spectrum.baseAddress!
                let bins = binCount
                for frame in 0..<frames {
                    transform(frame, of: source, window: window.baseAddress!, into: workspace)
                    let out = power.baseAddress!
                    for k in 0..<bins {
                        let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
                        out[k] = re * re + im * im
                    }
                    try body(frame, UnsafeBufferPointer(power))
                }
            }
        }
    }

    /// Power spectra of `width` consecutive frames at a time, for callers that process frames in SIMD lanes:
    /// calls `body(firstFrame, count, power)` in frame order with `power[k * width + lane]` = |X[k]|² of frame
    /// `firstFrame + lane` (bin-major, frames interleaved); lanes `count..<width` of the last call hold zeros.
    /// The buffer is reused between calls; copy what you keep.
    public func forEachPowerBatch(_ samples: [Float], width: Int,
                                  _ body: (Int, Int, UnsafeBufferPointer<Double>) throws -> Void) rethrows {
        precondition(width >= 1, "batch width must be positive")
        let frames = frameCount(sampleCount: samples.count)
        let workspace = fft.makeWorkspace()
        let bins = binCount
        let power = UnsafeMutableBufferPointer<Double>.allocate(capacity: bins * width)
        defer { power.deallocate() }
        try samples.withUnsafeBufferPointer { source in
            try window.withUnsafeBufferPointer { window in
                let spectrum = workspace.spectrum.baseAddress!
                let out = power.baseAddress!
                for first in stride(from: 0, to: frames, by: width) {
                    let count = min(width, frames - first)
                    for lane in 0..<width {
                        guard lane < count else {
                            for k in 0..<bins { out[k &* width &+ lane] = 0 }
                            continue
                        }
                        transform(first + lane, of: source, window: window.baseAddress!, into: workspace)
                        for k in 0..<bins {
                            let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
                            out[k &* width &+ lane] = re * re + im * im
                        }
                    }
                    try body(first, count, UnsafeBufferPointer(power))
                }
            }
        }
    }

    /// Windows `frame` of `source` (centred framing, zero padding) into the workspace's real buffer and runs the
    /// forward transform, leaving the spectrum in the workspace.
    @inline(__always)
    private func transform(_ frame: Int, of source: UnsafeBufferPointer<Float>, window w: UnsafePointer<Double>,
                           into workspace: FFTWorkspace) {
        let real = workspace.real.baseAddress!
        if let start = framing.interiorStart(frame, sampleCount: source.count) {
            let x = source.baseAddress! + start
            for i in 0..<nFFT { real[i] = Double(x[i]) * w[i] }
        } else {
            framing.copyFrame(frame, of: source, into: real)
            for i in 0..<nFFT { real[i] *= w[i] }
        }
        fft.forward(workspace)
    }

    /// The whole power spectrogram, frame-major: `values[frame * binCount + bin]`.
    public func powerSpectrogram(_ samples: [Float]) -> Spectrogram {
        let frames = frameCount(sampleCount: samples.count)
        var values = [Double](repeating: 0, count: frames * binCount)
        let bins = binCount
        values.withUnsafeMutableBufferPointer { out in
            forEachPowerFrame(samples) { frame, power in
                for k in 0..<bins { out[frame * bins + k] = power[k] }
            }
        }
        return Spectrogram(frameCount: frames, binCount: bins, values: values)
    }
}

/// A real spectrogram stored frame-major (`values[frame * binCount + bin]`).
public struct Spectrogram: Sendable, Hashable {
    public let frameCount: Int
    public let binCount: Int
    public let values: [Double]

    public subscript(frame: Int, bin: Int) -> Double { values[frame * binCount + bin] }
}
