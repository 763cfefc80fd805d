import EarshotAudio

/// `librosa.feature.rms` and `librosa.feature.zero_crossing_rate` (`center=True`) over frames of
/// `frameLength` samples every `hopLength`:
/// - **RMS** √(mean x²) over zero-padded frames (`pad_mode='constant'`), in double precision (librosa's default
///   squares in float32; the two agree to ~1e-7 relative).
/// - **ZCR** over edge-padded frames (`mode='edge'`): a value with |x| ≤ 1e-10 counts as +0, a crossing is a
///   sign-bit change between neighbours inside the frame (the frame's first sample never counts, `pad=False`),
///   and the count is divided by `frameLength`.
///
/// Both are computed from blocks of g = gcd(hopLength, frameLength) samples of the padded signal, since every
/// frame is a run of whole blocks: each block's Σ x² (four interleaved partial sums) and crossing count is
/// computed once, and a frame adds its frameLength / g blocks in order. Crossing counts are exact integers; the
/// sums of squares differ from numpy's summation order by rounding only.
struct FrameEnergy: Sendable {
    let frameLength: Int
    let hopLength: Int

    /// Per-frame RMS and ZCR, `1 + (n + 2·⌊L/2⌋ − L) / hop` frames (L = `frameLength`) for n ≥ 1 samples.
    func rmsAndCrossings(_ samples: UnsafeBufferPointer<Float>) -> (rms: [Double], zcr: [Double]) {
        let framing = CenteredFraming(frameLength: frameLength, hopLength: hopLength, padding: .zeros)
        let frames = framing.frameCount(sampleCount: samples.count)
        var rms = [Double](repeating: 0, count: frames)
        var zcr = [Double](repeating: 0, count: frames)
        guard frames > 0, !samples.isEmpty else { return (rms, zcr) }
        let block = Self.gcd(hopLength, frameLength)
        let blocksPerFrame = frameLength / block, blocksPerHop = hopLength / block
        let blockCount = (frames - 1) * blocksPerHop + blocksPerFrame
        let pad = frameLength / 2
        let n = samples.count
        let x = samples.baseAddress!
        let squares = UnsafeMutablePointer<Double>.allocate(capacity: blockCount)
        let crossings = UnsafeMutablePointer<Int>.allocate(capacity: blockCount)
        defer { squares.deallocate(); crossings.deallocate() }
        for j in 0..<blockCount {
            let lower = j * block, upper = lower + block
            // Zero-padded squares: only positions with a sample contribute.
            let from = min(max(lower - pad, 0), n), to = min(max(upper - pad, 0), n)
            squares[j] = Self.sumOfSquares(x + from, count: to - from)
            // Crossings at p in [lower, upper), p ≥ 1: neighbours (p−1, p) of the edge-padded signal. Only pairs
            // with both positions inside the signal can change sign (the edge pads repeat the end samples).
            let pairFrom = max(lower, pad + 1, 1), pairTo = min(upper, pad + n)
            crossings[j] = pairFrom < pairTo ? Self.signChanges(x + (pairFrom - pad - 1), pairs: pairTo - pairFrom) : 0
        }
        for t in 0..<frames {
            let firstBlock = t * blocksPerHop
            var sum = 0.0, count = 0
            for j in firstBlock..<(firstBlock + blocksPerFrame) {
                sum += squares[j]
                count &+= crossings[j]
            }
            // The frame's first position p = t·hop pairs with p − 1 outside the frame.
            let p = t * hopLength
            if p >= pad + 1 && p < pad + n { count -= Self.isNegative(x[p - pad - 1]) != Self.isNegative(x[p - pad]) ? 1 : 0 }
            rms[t] = (sum / Double(frameLength)).squareRoot()
            zcr[t] = Double(count) / Double(frameLength)
        }
        return (rms, zcr)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// Σ x² in double, four interleaved partial sums.
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var sums = SIMD4<Double>(repeating: 0)
        var i = 0
        while i &+ 4 <= count {
            let v = SIMD4<Double>(Double(x[i]), Double(x[i &+ 1]), Double(x[i &+ 2]), Double(x[i &+ 3]))
            sums += v * v
            i &+= 4
        }
        while i < count { let a = Double(x[i]); sums[0] += a * a; i &+= 1 }
        return (sums[0] + sums[1]) + (sums[2] + sums[3])
    }

    /// The largest float below −1e-10: librosa's `zero_crossings(threshold=1e-10, zero_pos=True)` sets
    /// |x| ≤ 1e-10 to +0 before taking sign bits, so x is negative exactly when x ≤ this value.
    static let negativeBound: Float = {
        let nearest = Float(-1e-10)
        return Double(nearest) < -1e-10 ? nearest : nearest.nextDown
    }()

    /// Whether x counts as negative for the zero-crossing rate (see `negativeBound`).
    @inline(__always)
    static func isNegative(_ x: Float) -> Bool { x <= negativeBound }

    /// Number of i in 1...pairs where `isNegative(x[i−1]) ≠ isNegative(x[i])`, eight neighbours at a time.
    @inline(__always)
    static func signChanges(_ x: UnsafePointer<Float>, pairs: Int) -> Int {
        let bound = negativeBound
        let bounds = SIMD8<Float>(repeating: bound)
        var counts = SIMD8<Int32>(repeating: 0)
        var i = 0
        while i &+ 8 <= pairs {
            let left = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let right = UnsafeRawPointer(x + (i &+ 1)).loadUnaligned(as: SIMD8<Float>.self)
            counts.replace(with: counts &+ 1, where: (left .<= bounds) .^ (right .<= bounds))
            i &+= 8
        }
        var changes = Int(counts.wrappedSum())
        while i < pairs {
            changes &+= (x[i] <= bound) != (x[i &+ 1] <= bound) ? 1 : 0
            i &+= 1
        }
        return changes
    }
}
