/// librosa 0.11's spectral centroid, bandwidth (p = 2) and rolloff, on the magnitude spectrum |X| of a power
/// spectrum |X|² (`power=1` for these features), for a lane-interleaved batch of frames (`FrameBatch`).
///
/// With S[k] = |X[k]| and f[k] the bin frequencies:
/// - centroid c = Σ f·S / Σ S; bandwidth = (Σ S·(f − c)² / Σ S)^½. A frame with Σ S below the smallest normal
///   double keeps Σ S = 1 in both (librosa's `normalize` leaves such frames unscaled), so silence gives 0.
/// - rolloff = f[k] at the smallest k whose running sum Σ_{i≤k} S[i] reaches `rolloffPercent` × the full sum
///   (`np.cumsum` along the frequency axis, compared with ≥, as librosa does).
/// All sums run over bins in ascending order, one lane per frame, as numpy reduces along the frequency axis.
/// Dividing the weighted sums once instead of normalising S first changes results by rounding only.
struct SpectralShape: Sendable {
    let binFrequencies: [Double]
    let rolloffPercent: Double

    /// Per-lane centroid, bandwidth and rolloff of `power` (`binFrequencies.count` rows of `FrameBatch.width`
    /// lanes); `magnitude` is scratch space of the same size.
    @inline(__always)
    func describe(power: UnsafePointer<Double>, magnitude: UnsafeMutablePointer<Double>)
        -> (centroid: FrameBatch.Lanes, bandwidth: FrameBatch.Lanes, rolloff: FrameBatch.Lanes) {
        typealias Lanes = FrameBatch.Lanes
        return binFrequencies.withUnsafeBufferPointer { frequencies in
            let bins = frequencies.count
            let f = frequencies.baseAddress!
            FrameBatch.squareRoots(power, into: magnitude, count: bins * FrameBatch.width)
            var total = Lanes(repeating: 0), weighted = Lanes(repeating: 0)
            for k in 0..<bins {
                let s = FrameBatch.load(magnitude, row: k)
                total += s
                weighted += f[k] * s
            }
            let norm = total.replacing(with: 1, where: total .< Lanes(repeating: Double.leastNormalMagnitude))
            let centroid = weighted / norm
            let threshold = rolloffPercent * total
            // The running sum never decreases, so the first bin reaching the threshold is the number of bins
            // below it; the comparison's all-ones lanes (−1 as integers) are counted without a select.
            var spread = Lanes(repeating: 0), cumulative = Lanes(repeating: 0)
            var below = SIMD4<Int64>(repeating: 0)
            for k in 0..<bins {
                let s = FrameBatch.load(magnitude, row: k)
                let deviation = f[k] - centroid
                spread += s * deviation * deviation
                cumulative += s
                below &-= unsafeBitCast(cumulative .< threshold, to: SIMD4<Int64>.self)
            }
            var rolloff = Lanes(repeating: 0)
            for lane in 0..<FrameBatch.width { rolloff[lane] = f[min(Int(below[lane]), bins - 1)] }
            var bandwidth = spread / norm
            for lane in 0..<FrameBatch.width { bandwidth[lane] = bandwidth[lane].squareRoot() }
            return (centroid, bandwidth, rolloff)
        }
    }
}
