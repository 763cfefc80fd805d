import Foundation

/// Every failure of the `EarshotAudio` module. Messages are lowercase, quote the offending file or value,
/// and say what to do about it.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file exists at the path.
    case missingFile(path: String)
    /// libsndfile could not open or decode the file; `reason` is libsndfile's own message (`sf_strerror`).
    case unreadable(path: String, reason: String)
    /// The file decodes to zero frames.
    case empty(path: String)
    /// A decoded sample is NaN or infinite; `sampleIndex` is the first bad frame index (after downmix).
    case nonFiniteSample(path: String, sampleIndex: Int)
    /// libsoxr refused the conversion or failed while processing; `reason` is libsoxr's own message.
    case resampling(reason: String)
    /// A caller-supplied value is outside its domain (sample rate, length, format).
    case invalidArgument(name: String, value: String, reason: String)
    /// libsndfile could not create or write the output file.
    case unwritable(path: String, reason: String)
    /// The file holds fewer frames than its header declares (`declaredFrames` nil: an Ogg stream without its
    /// end-of-stream page); it was cut short and is refused rather than used as shorter audio.
    case truncated(path: String, declaredFrames: Int?, decodedFrames: Int, sampleRate: Int)
    /// The header's sample rate is outside `AudioFile.sampleRateRange`.
    case implausibleSampleRate(path: String, sampleRate: Int)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "audio file '\(path)' does not exist; check the path or the manifest that names it"
        case .unreadable(let path, let reason):
            return "cannot decode audio file '\(path)': \(reason.lowercased()); re-encode it as WAV or FLAC"
        case .empty(let path):
            return "audio file '\(path)' has 0 frames; remove it from the dataset or replace it"
        case .nonFiniteSample(let path, let index):
            return "audio file '\(path)' contains a non-finite sample (NaN or infinity) at frame \(index); repair or drop the file"
        case .resampling(let reason):
            return "resampling failed: \(reason.lowercased())"
        case .invalidArgument(let name, let value, let reason):
            return "invalid \(name) '\(value)': \(reason)"
        case .unwritable(let path, let reason):
            return "cannot write audio file '\(path)': \(reason.lowercased())"
        case .truncated(let path, let declared, let decoded, let rate):
            func length(_ frames: Int) -> String {
                rate > 0 ? "\(frames) frames (\(String(format: "%.3f", Double(frames) / Double(rate))) s)" : "\(frames) frames"
            }
            let header = declared.map { "its header declares \(length($0)) but only \(length(decoded)) decode" }
                ?? "its Ogg stream ends without an end-of-stream page " + (decoded > 0 ? "after \(length(decoded))" : "(it does not open)")
            return "audio file '\(path)' is truncated: \(header); re-download or re-encode it"
        case .implausibleSampleRate(let path, let rate):
            return "audio file '\(path)' declares a sample rate of \(rate) Hz, outside \(AudioFile.sampleRateRange.lowerBound)–\(AudioFile.sampleRateRange.upperBound) Hz; its header is damaged or it is not audio"
        }
    }
}

extension AudioError: LocalizedError {
    public var errorDescription: String? { description }
}
