import CYaml

/// A YAML document as a tree with source positions, read straight from libyaml's event stream.
///
/// Faster than composing through Yams (no tag objects, no regular expressions), which matters for
/// experiment files with 100,000 nodes. Scalars are typed by the YAML 1.2 core schema (see `typed`): `yes`/`no`
/// stay strings. Aliases are resolved to copies of their anchor's tree (copies share storage).
indirect enum YAMLTree {
    case scalar(String, plain: Bool, Mark)
    case sequence([YAMLTree], Mark)
    case mapping([(key: YAMLTree, value: YAMLTree)], Mark)

    /// 1-based line and column.
    struct Mark: Hashable {
        var line: Int
        var column: Int
    }

    var mark: Mark {
        switch self {
        case .scalar(_, _, let m), .sequence(_, let m), .mapping(_, let m): m
        }
    }

    var scalarText: String? { if case .scalar(let s, _, _) = self { s } else { nil } }

    /// The value of a key in a mapping (first match).
    subscript(key: String) -> YAMLTree? {
        guard case .mapping(let pairs, _) = self else { return nil }
        return pairs.first { $0.key.scalarText == key }?.value
    }

    /// A parse error with its position.
    struct ParseError: Error {
        var message: String
        var mark: Mark
    }

    /// Deepest nesting of sequences and mappings accepted (a hostile file cannot exhaust the stack).
    static let maxDepth = 256

    /// Parses the one document of `text`; nil for an empty stream. A second document (after `---`) is an error.
    static func parse(_ text: String) throws -> YAMLTree? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw ParseError(message: "libyaml could not initialise", mark: Mark(line: 0, column: 0)) }
        defer { yaml_parser_delete(parser) }
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { buffer -> YAMLTree? in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
            var reader = EventReader(parser: parser)
            return try reader.document()
        }
    }

    struct EventReader {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        var anchors: [String: YAMLTree] = [:]
        var depth = 0

        mutating func next() throws -> yaml_event_t {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                let problem = parser.pointee.problem.map { String(cString: $0) } ?? "syntax error"
                let context = parser.pointee.context.map { " " + String(cString: $0) } ?? ""
                let m = parser.pointee.problem_mark
                throw ParseError(message: problem + context, mark: Mark(line: Int(m.line) + 1, column: Int(m.column) + 1))
            }
            return event
        }

        mutating func document() throws -> YAMLTree? {
            var event = try next()  // stream start
            yaml_event_delete(&event)
            event = try next()
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return nil }
            var first = try next()
            let tree = try node(&first)
            var end = try next()  // document end
            yaml_event_delete(&end)
            var after = try next()
            defer { yaml_event_delete(&after) }
            if after.type == YAML_DOCUMENT_START_EVENT {
                throw ParseError(message: "a second YAML document starts here; an experiment file holds one document (remove the '---' line and what follows, or put it in its own file)",
                                 mark: Mark(line: Int(after.start_mark.line) + 1, column: Int(after.start_mark.column) + 1))
            }
            return tree
        }

        static func string(_ p: UnsafeMutablePointer<yaml_char_t>?, _ length: Int? = nil) -> String? {
            guard let p else { return nil }
            if let length {
                return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self)
            }
            return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
        }

        mutating func node(_ event: inout yaml_event_t) throws -> YAMLTree {
            defer { yaml_event_delete(&event) }
            let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                let text = Self.string(s.value, Int(s.length)) ?? ""
                let tree = YAMLTree.scalar(text, plain: s.style == YAML_PLAIN_SCALAR_STYLE, mark)
                if let a = Self.string(s.anchor) { anchors[a] = tree }
                return tree
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let tree = anchors[name] else { throw ParseError(message: "unknown alias '*\(name)'", mark: mark) }
                return tree
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                depth += 1
                defer { depth -= 1 }
                guard depth <= YAMLTree.maxDepth else {
                    throw ParseError(message: "collections nest deeper than \(YAMLTree.maxDepth) levels", mark: mark)
                }
                return event.type == YAML_SEQUENCE_START_EVENT ? try sequence(event, mark) : try mapping(event, mark)
            default:
                throw ParseError(message: "unexpected YAML event", mark: mark)
            }
        }

        mutating func sequence(_ event: yaml_event_t, _ mark: Mark) throws -> YAMLTree {
            let anchor = Self.string(event.data.sequence_start.anchor)
            var items: [YAMLTree] = []
            while true {
                var e = try next()
                if e.type == YAML_SEQUENCE_END_EVENT { yaml_event_delete(&e); break }
                items.append(try node(&e))
            }
            let tree = YAMLTree.sequence(items, mark)
            if let anchor { anchors[anchor] = tree }
            return tree
        }

        mutating func mapping(_ event: yaml_event_t, _ mark: Mark) throws -> YAMLTree {
            let anchor = Self.string(event.data.mapping_start.anchor)
            var pairs: [(key: YAMLTree, value: YAMLTree)] = []
            var seen = Set<String>()
            while true {
                var e = try next()
                if e.type == YAML_MAPPING_END_EVENT { yaml_event_delete(&e); break }
                let key = try node(&e)
                var v = try next()
                let value = try node(&v)
                if let k = key.scalarText, !seen.insert(k).inserted {
                    throw ParseError(message: "duplicate key '\(k)' in a mapping", mark: key.mark)
                }
                pairs.append((key, value))
            }
            let tree = YAMLTree.mapping(pairs, mark)
            if let anchor { anchors[anchor] = tree }
            return tree
        }
    }

    /// YAML 1.2 core-schema typing of a plain scalar: null (`~`, `null`, empty), booleans (`true`/`false` in
    /// lower, Title or UPPER case), integers (decimal, `0x`, `0o`), floats (decimal/exponent, `.inf`, `.nan`);
    /// anything else — and every quoted scalar — is a string.
    static func typed(_ text: String, plain: Bool) -> Value {
        guard plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        let utf8 = text.utf8
        guard let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= 0x30 && first <= 0x39) else { return .string(text) }
        if text.hasPrefix("0x"), let i = Int(text.dropFirst(2), radix: 16) { return .int(i) }
        if text.hasPrefix("0o"), let i = Int(text.dropFirst(2), radix: 8) { return .int(i) }
        var digitsOnly = true
        for (i, c) in utf8.enumerated() where !(c >= 0x30 && c <= 0x39) && !(i == 0 && (c == UInt8(ascii: "-") || c == UInt8(ascii: "+"))) {
            digitsOnly = false
            break
        }
        if digitsOnly, let i = Int(text) { return .int(i) }
        if utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
           utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "-"), UInt8(ascii: "+")].contains($0) }),
           let d = Double(text) {
            return .double(d)
        }
        return .string(text)
    }
}
