import Foundation

/// Every failure of the `EarshotFeatures` module. Messages are lowercase, quote the offending value and
/// say the fix.
public enum FeatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A feature was asked of zero samples.
    case emptyInput(feature: String)
    /// A sample is NaN or ±∞ (librosa's `valid_audio` rejects these too).
    case nonFiniteSample(index: Int)
    /// A parameter is outside its domain; `reason` says which bound it broke.
    case invalidParameter(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .emptyInput(let feature):
            return "cannot compute \(feature) of an empty signal (0 samples); drop the item or check its decoding"
        case .nonFiniteSample(let index):
            return "sample \(index) is not finite (NaN or infinity); repair the audio before extracting features"
        case .invalidParameter(let name, let value, let reason):
            return "invalid \(name) '\(value)': \(reason)"
        }
    }
}

extension FeatureError: LocalizedError {
    public var errorDescription: String? { description }
}
