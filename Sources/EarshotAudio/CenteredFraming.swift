/// librosa's `center=True` framing: the signal is padded by `frameLength / 2` samples on both sides and
/// cut into frames of `frameLength` every `hopLength`, so frame t is centred on sample t·hop.
///
/// Frame count `1 + (n + 2·⌊N/2⌋ − N) / hop` (integer division), as `librosa.util.frame` gives after
/// padding. Padding is `.zeros` (`np.pad(mode='constant')`, librosa's default for stft, rms and yin) or
/// `.edge` (`mode='edge'`, which `librosa.feature.zero_crossing_rate` uses).
public struct CenteredFraming: Sendable, Hashable {
    public enum Padding: Sendable, Hashable { case zeros, edge }

    public let frameLength: Int
    public let hopLength: Int
    public let padding: Padding

    public init(frameLength: Int, hopLength: Int, padding: Padding = .zeros) {
        precondition(frameLength >= 1 && hopLength >= 1, "frame and hop lengths must be positive")
        self.frameLength = frameLength
        self.hopLength = hopLength
        self.padding = padding
    }

    /// Frames produced for `sampleCount` samples; 0 when the padded signal is shorter than one frame
    /// (only possible for `sampleCount == 0` with odd `frameLength`).
    public func frameCount(sampleCount: Int) -> Int {
        // n + 2⌊N/2⌋ − N = n − (N mod 2): no intermediate sum, so no overflow for any lengths.
        let span = sampleCount - frameLength % 2
        guard span >= 0 else { return 0 }
        return 1 + span / hopLength
    }

    /// Index into the unpadded signal of the first sample of frame `index` (negative inside the left pad).
    @inlinable
    public func frameStart(_ index: Int) -> Int { index * hopLength - frameLength / 2 }

    /// Start of frame `index` in the unpadded signal when the frame lies wholly inside it (no padding
    /// involved), else `nil`; callers read such frames straight from the samples.
    @inlinable
    public func interiorStart(_ index: Int, sampleCount: Int) -> Int? {
        let start = frameStart(index)
        return start >= 0 && start + frameLength <= sampleCount ? start : nil
    }

    /// Writes frame `index` of `samples` into `destination[0..<frameLength]`, converting to `Double`.
    public func copyFrame(_ index: Int, of samples: UnsafeBufferPointer<Float>,
                          into destination: UnsafeMutablePointer<Double>) {
        let start = frameStart(index)
        let n = samples.count
        let lower = max(0, -start)
        let upper = min(frameLength, n - start)
        if lower >= upper {
            fill(destination, 0..<frameLength, samples: samples, start: start)
            return
        }
        if lower > 0 { fill(destination, 0..<lower, samples: samples, start: start) }
        let source = samples.baseAddress! + (start + lower)
        let target = destination + lower
        for offset in 0..<(upper - lower) { target[offset] = Double(source[offset]) }
        if upper < frameLength { fill(destination, upper..<frameLength, samples: samples, start: start) }
    }

    private func fill(_ destination: UnsafeMutablePointer<Double>, _ range: Range<Int>,
                      samples: UnsafeBufferPointer<Float>, start: Int) {
        switch padding {
        case .zeros:
            for i in range { destination[i] = 0 }
        case .edge:
            let n = samples.count
            for i in range {
                let position = min(max(start + i, 0), n - 1)
                destination[i] = n > 0 ? Double(samples[position]) : 0
            }
        }
    }
}
