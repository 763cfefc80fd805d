import Foundation

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')`: triangular filters
/// evenly spaced on the Slaney mel scale (linear below 1 kHz at 200/3 Hz per mel, logarithmic above with
/// step ln(6.4)/27), each scaled by 2 / (f[m+2] − f[m]) so every filter has unit area.
///
/// Weights are rounded to 32-bit float exactly as librosa's default `dtype=np.float32` stores them, then
/// kept sparse (first non-zero bin and a run of weights per band), so applying the bank costs about
/// 2·(n_fft/2) multiply-adds per frame rather than n_mels·(n_fft/2 + 1).
public struct MelFilterbank: Sendable, Hashable {
    public let bandCount: Int
    public let binCount: Int
    /// First FFT bin of each band's non-zero run.
    let firstBin: [Int]
    /// Offsets into `weights` where each band's run starts (`bandCount + 1` entries).
    let runStart: [Int]
    let weights: [Double]

    public init(sampleRate: Double, nFFT: Int, bandCount: Int, fMin: Double, fMax: Double) {
        let bins = nFFT / 2 + 1
        let binSpacing = 1.0 / (Double(nFFT) * (1.0 / sampleRate))
        let fftFrequencies = (0..<bins).map { Double($0) * binSpacing }
        let edges = Self.melFrequencies(count: bandCount + 2, fMin: fMin, fMax: fMax)
        var first = [Int](), starts = [0], runs = [Double]()
        for band in 0..<bandCount {
            let lowerWidth = edges[band + 1] - edges[band]
            let upperWidth = edges[band + 2] - edges[band + 1]
            let enorm = 2.0 / (edges[band + 2] - edges[band])
            var row = [Double](repeating: 0, count: bins)
            for k in 0..<bins {
                let lower = -(edges[band] - fftFrequencies[k]) / lowerWidth
                let upper = (edges[band + 2] - fftFrequencies[k]) / upperWidth
                let triangle = Float(max(0, min(lower, upper)))
                row[k] = Double(Float(Double(triangle) * enorm))
            }
            let nonZero = row.indices.filter { row[$0] != 0 }
            let lo = nonZero.first ?? 0
            let hi = nonZero.last.map { $0 + 1 } ?? 0
            first.append(lo)
            runs.append(contentsOf: row[lo..<max(lo, hi)])
            starts.append(runs.count)
        }
        self.bandCount = bandCount
        self.binCount = bins
        self.firstBin = first
        self.runStart = starts
        self.weights = runs
    }

    /// Weight of FFT bin `bin` in band `band` (dense view, for tests and inspection).
    public func weight(band: Int, bin: Int) -> Double {
        let offset = bin - firstBin[band]
        let length = runStart[band + 1] - runStart[band]
        guard offset >= 0, offset < length else { return 0 }
        return weights[runStart[band] + offset]
    }

    /// `out[m · w + lane] = Σₖ W[m, k] · power[k · w + lane]` for a lane-interleaved batch of spectra
    /// (`w = FrameBatch.width`), summing each band's bins in ascending order.
    @inline(__always)
    func apply(batch power: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        weights.withUnsafeBufferPointer { w in
            firstBin.withUnsafeBufferPointer { firstBin in
                runStart.withUnsafeBufferPointer { runStart in
                    for band in 0..<bandCount {
                        var sum = FrameBatch.Lanes(repeating: 0)
                        let start = runStart[band], length = runStart[band &+ 1] &- start
                        let weightsRun = w.baseAddress! + start
                        let first = firstBin[band]
                        for j in 0..<length { sum += weightsRun[j] * FrameBatch.load(power, row: first &+ j) }
                        FrameBatch.store(sum, out, row: band)
                    }
                }
            }
        }
    }

    /// Slaney Hz → mel (`librosa.hz_to_mel(htk=False)`).
    public static func hzToMel(_ hz: Double) -> Double {
        let fSp = 200.0 / 3
        let minLogHz = 1000.0
        let minLogMel = minLogHz / fSp
        let logStep = log(6.4) / 27.0
        return hz >= minLogHz ? minLogMel + log(hz / minLogHz) / logStep : hz / fSp
    }

    /// Slaney mel → Hz (`librosa.mel_to_hz(htk=False)`).
    public static func melToHz(_ mel: Double) -> Double {
        let fSp = 200.0 / 3
        let minLogHz = 1000.0
        let minLogMel = minLogHz / fSp
        let logStep = log(6.4) / 27.0
        return mel >= minLogMel ? minLogHz * exp(logStep * (mel - minLogMel)) : fSp * mel
    }

    /// `librosa.mel_frequencies(count, fmin, fmax)`: `np.linspace` in mel (i·step + start, last = stop) → Hz.
    static func melFrequencies(count: Int, fMin: Double, fMax: Double) -> [Double] {
        let lo = hzToMel(fMin), hi = hzToMel(fMax)
        let step = (hi - lo) / Double(count - 1)
        return (0..<count).map { i in melToHz(i == count - 1 ? hi : Double(i) * step + lo) }
    }
}
