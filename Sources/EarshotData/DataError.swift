import Foundation

/// Every failure of the `EarshotData` module. Messages are lowercase, quote the offending file, line or value,
/// and say the fix.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A manifest, transcript or data-directory file is missing or unreadable.
    case unreadable(path: String, reason: String)
    /// A line of a listing file is malformed; `line` is 1-based.
    case malformed(path: String, line: Int, reason: String)
    /// A mapped column is not in the manifest.
    case missingColumn(path: String, column: String, available: [String])
    /// A `wav.scp` entry Earshot will not execute or cannot address (pipes, archive offsets, stdin).
    case unsupportedRecording(path: String, line: Int, entry: String, reason: String)
    /// The same item appears twice (two ids, or one file on both sides).
    case duplicate(String)
    /// Not enough eligible candidates for a balanced cohort.
    case tooFewItems(side: String, eligible: Int, needed: Int, detail: String)
    /// An item's audio or text cannot be used (`on_error: fail`); the message names the file and line.
    case unusable(String)
    /// A parameter value is outside its domain.
    case invalidParameter(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read '\(path)': \(reason)"
        case .malformed(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .missingColumn(let path, let column, let available):
            return "'\(path)' has no column '\(column)' (columns: \(available.joined(separator: ", "))); map the right one with columns: {…}"
        case .unsupportedRecording(let path, let line, let entry, let reason):
            return "\(path):\(line): cannot use recording '\(entry)': \(reason)"
        case .duplicate(let message), .unusable(let message):
            return message
        case .tooFewItems(let side, let eligible, let needed, let detail):
            return "too few \(side) items: \(eligible) eligible, per_class needs \(needed)\(detail.isEmpty ? "" : " (\(detail))"); lower per_class or relax the constraints"
        case .invalidParameter(let name, let value, let reason):
            return "invalid \(name) '\(value)': \(reason)"
        }
    }
}

extension DataError: LocalizedError {
    public var errorDescription: String? { description }
}
