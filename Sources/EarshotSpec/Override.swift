
/// A `-p KEY=VALUE` command-line override.
///
/// `-p PARAM=VALUE` sets an experiment-wide param; `-p NODE.PARAM=VALUE` sets one node's param, and
/// `-p NODE.PARAM.FIELD=VALUE` one field of a mapping param. VALUE is read as a YAML scalar or flow collection,
/// so `-p folds=5` is an int, `-p c=0.5` a double, `-p 'acoustic.fmin=[1, 2]'` a list and `-p name=x` a string.
public struct Override: Sendable, Hashable {
    /// The node id, or nil for an experiment-wide param.
    public var node: String?
    /// Param name followed by nested field names.
    public var path: [String]
    public var value: Value
    /// The flag as written, for messages.
    public var text: String
    public var location: SourceLocation

    /// Parses `KEY=VALUE`. A key with one dotted part is an experiment param; otherwise the first part is a node id.
    public static func parse(_ text: String, index: Int = 1) throws -> Override {
        let location = SourceLocation(file: "<command line -p #\(index)>", line: 0, column: 0)
        guard let eq = text.firstIndex(of: "=") else {
            throw SpecError("-p '\(text)' is not KEY=VALUE (e.g. -p folds=5 or -p acoustic.n_mfcc=13)", at: location)
        }
        let key = String(text[..<eq])
        let raw = String(text[text.index(after: eq)...])
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw SpecError("-p '\(text)': empty name in '\(key)'", at: location)
        }
        let value: Value
        do {
            if raw.isEmpty {
                value = .string("")
            } else if let node = try YAMLTree.parse(raw) {
                var ctx = ReadContext(file: location.file, budget: 10 * raw.utf8.count + 1_000)
                value = try ctx.value(node)
            } else {
                value = .null
            }
        } catch let error as SpecError {
            throw error
        } catch is YAMLTree.ParseError {
            throw SpecError("-p '\(text)': cannot read the value '\(raw)' as YAML", at: location)
        }
        if parts.count == 1 {
            return Override(node: nil, path: parts, value: value, text: text, location: location)
        }
        return Override(node: parts[0], path: Array(parts.dropFirst()), value: value, text: text, location: location)
    }

    /// The param value after this override: replaces it, or sets a nested field of a mapping.
    func applied(to existing: Value?) -> Value {
        Self.set(path.dropFirst(), in: existing, to: value)
    }

    static func set(_ path: ArraySlice<String>, in existing: Value?, to value: Value) -> Value {
        guard let head = path.first else { return value }
        var object = existing?.objectValue ?? [:]
        object[head] = set(path.dropFirst(), in: object[head], to: value)
        return .object(object)
    }
}
