import Foundation

/// The one error type of `EarshotStore`. Messages are lowercase, quote the offending value and,
/// where there is one, say the fix.
public enum StoreError: Error, CustomStringConvertible {
    /// An HDF5 call failed; `message` is HDF5's own description from its error stack.
    case hdf5(operation: String, path: String, message: String)
    /// An artifact value is malformed or lacks what a caller asked for (a missing or mistyped dataset).
    case artifact(String)
    /// A POSIX or file-system operation failed on `path`.
    case io(path: String, message: String)
    /// A request to the HTTP remote cache failed (after retries, where the failure was transient).
    case remote(url: String, message: String)

    public var description: String {
        switch self {
        case .hdf5(let operation, let path, let message):
            return "hdf5 \(operation) failed for '\(path)': \(message)"
        case .artifact(let message):
            return message
        case .io(let path, let message):
            return "'\(path)': \(message)"
        case .remote(let url, let message):
            return "remote cache '\(url)': \(message)"
        }
    }
}

extension StoreError {
    /// `strerror(code)` with its first letter lowercased, to fit the module's message style.
    static func posixMessage(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
