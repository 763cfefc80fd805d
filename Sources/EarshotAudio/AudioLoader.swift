import Foundation

/// Mono samples with the rate they are at and a description of the file they came from.
public struct LoadedAudio: Sendable {
    /// Mono samples in [-1, 1] for PCM sources (float sources may exceed it).
    public var samples: [Float]
    /// Rate of `samples`, in Hz.
    public var sampleRate: Int
    /// The file before downmix and resampling; `frames` is the decoded count at the original rate.
    public var info: AudioInfo
}

/// Decode → mono → resample, with `librosa.load(path, sr=targetRate, mono=True, res_type='soxr_hq')`'s
/// conventions: float32 decode, channel mean, soxr HQ, output length `ceil(n · target / source)`.
public enum AudioLoader {
    /// Decodes `url` to mono at its own sample rate.
    public static func decode(_ url: URL) throws -> LoadedAudio {
        let file = try AudioFile(url: url)
        let samples = try file.readMono()
        var info = file.info
        info.frames = samples.count
        return LoadedAudio(samples: samples, sampleRate: info.sampleRate, info: info)
    }

    /// Decodes `url` to mono and resamples to `targetRate` (identity when the rates already match).
    /// Decoding and resampling stream block by block, so the native-rate signal is never held whole.
    public static func load(_ url: URL, targetRate: Int = 16_000) throws -> LoadedAudio {
        let file = try AudioFile(url: url)
        var info = file.info
        let resampler = try Resampler(sourceRate: info.sampleRate, targetRate: targetRate)
        if info.sampleRate == targetRate {
            let samples = try file.readMono()
            info.frames = samples.count
            return LoadedAudio(samples: samples, sampleRate: targetRate, info: info)
        }
        let stream = try SoxrStream(sourceRate: Double(info.sampleRate), targetRate: Double(targetRate))
        var samples = [Float]()
        samples.reserveCapacity(Resampler.outputLength(inputLength: max(info.frames, 0), sourceRate: info.sampleRate,
                                                       targetRate: targetRate) + 64)
        let frames = try file.forEachMonoBlock { block in try stream.process(block, appendingTo: &samples) }
        try stream.finish(appendingTo: &samples)
        resampler.fixLength(&samples, inputLength: frames)
        info.frames = frames
        return LoadedAudio(samples: samples, sampleRate: targetRate, info: info)
    }
}
