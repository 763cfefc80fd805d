/// A place in an experiment file (1-based line and column) or on the command line.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// Every error of the spec layer: where it is, what is wrong, and what to do instead.
///
/// Rendered like a compiler diagnostic:
/// `quickstart.yaml:12:7: error: unknown node kind 'featurs.acoustic' (did you mean 'features.acoustic'?)`.
public struct SpecError: Error, Sendable, CustomStringConvertible, Equatable {
    public var location: SourceLocation?
    public var message: String
    /// Further diagnostics found in the same pass (validation reports all problems at once).
    public var others: [SpecError]

    public init(_ message: String, at location: SourceLocation?) {
        self.location = location
        self.message = message
        self.others = []
    }

    static func plain(_ message: String) -> SpecError { SpecError(message, at: nil) }

    public var description: String {
        let head = location.map { "\($0): error: \(message)" } ?? "error: \(message)"
        return ([head] + others.map(\.description)).joined(separator: "\n")
    }

    /// All diagnostics, this one first.
    public var all: [SpecError] {
        var first = self
        first.others = []
        return [first] + others
    }

    /// Orders diagnostics by file, line and column (command-line ones last).
    public static func fileOrder(_ a: SpecError, _ b: SpecError) -> Bool {
        let la = a.location ?? SourceLocation(file: "~", line: 0, column: 0)
        let lb = b.location ?? SourceLocation(file: "~", line: 0, column: 0)
        return (la.file, la.line, la.column) < (lb.file, lb.line, lb.column)
    }

    /// Combines several diagnostics into one thrown error (nil when there are none).
    public static func combined(_ errors: [SpecError]) -> SpecError? {
        guard var first = errors.first else { return nil }
        first.others = Array(errors.dropFirst())
        return first
    }
}

/// Near-miss suggestions for misspelt names (Damerau–Levenshtein distance, case-insensitive).
public enum Suggestion {
    /// The closest candidate within a distance proportional to the name's length, or nil.
    public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, name.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(name.lowercased(), candidate.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    /// `" (did you mean 'x'?)"` or an empty string.
    public static func hint(for name: String, in candidates: some Sequence<String>) -> String {
        closest(to: name, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
