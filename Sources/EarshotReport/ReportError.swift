/// Why a report could not be built or rendered: an input of the wrong type or layout, or a layout that refers
/// to something the report was not given. Messages are lowercase, quote the offending value and say the fix.
public struct ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// An input artifact lacks an attribute or dataset its documented type promises.
    static func malformed(_ source: String, type: String, _ detail: String) -> ReportError {
        ReportError("input '\(source)' is not a well-formed \(type) artifact: \(detail); re-run the node that made it with this earshot version")
    }
}
