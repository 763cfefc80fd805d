import Foundation

/// A JSON value as read by `RecordJSON` (action records: read once per cached node on every re-run, so parsed on
/// the raw bytes rather than through `JSONSerialization`'s Foundation objects, which cost 3–4× more per record).
enum JSONNode {
    case object([String: JSONNode])
    case array([JSONNode])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    subscript(key: String) -> JSONNode? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var array: [JSONNode]? { if case .array(let a) = self { return a } else { return nil } }
    var object: [String: JSONNode]? { if case .object(let o) = self { return o } else { return nil } }
}

/// A strict RFC 8259 parser over bytes (UTF-8), with the error naming the byte offset.
struct RecordJSON {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ data: Data) throws -> JSONNode {
        try data.withUnsafeBytes { bytes in
            var p = RecordJSON(bytes: bytes)
            p.skipSpace()
            let value = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == bytes.count else { throw p.error("trailing characters") }
            return value
        }
    }

    let b: UnsafeRawBufferPointer
    var i = 0
    init(bytes: UnsafeRawBufferPointer) { b = bytes }

    func error(_ what: String) -> ParseError { ParseError(description: "invalid JSON at byte \(i): \(what)") }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < b.count, b[i] == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    mutating func value(depth: Int) throws -> JSONNode {
        guard depth < 64 else { throw error("nesting too deep") }
        skipSpace()
        guard i < b.count else { throw error("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var out: [String: JSONNode] = [:]
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                try expect(UInt8(ascii: ":"))
                out[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < b.count else { throw error("unterminated object") }
                i += 1
                if b[i - 1] == UInt8(ascii: ",") { continue }
                if b[i - 1] == UInt8(ascii: "}") { return .object(out) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var out: [JSONNode] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            while true {
                out.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw error("unterminated array") }
                i += 1
                if b[i - 1] == UInt8(ascii: ",") { continue }
                if b[i - 1] == UInt8(ascii: "]") { return .array(out) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count, UnsafeRawBufferPointer(rebasing: b[i..<i + n]).elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: n))
        else { throw error("expected \(word)") }
        i += n
    }

    mutating func number() throws -> Double {
        let start = i
        while i < b.count, (b[i] >= 0x30 && b[i] <= 0x39) || b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")
            || b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { i += 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard !text.isEmpty, let d = Double(text), d.isFinite else { throw error("bad number '\(text)'") }
        return d
    }

    /// A string at `i` (which is at its opening quote); the common case, no escapes, is one copy of the bytes.
    mutating func string() throws -> String {
        i += 1
        let start = i
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") {
            guard b[i] >= 0x20 else { throw error("control character in a string") }
            i += 1
        }
        guard i < b.count else { throw error("unterminated string") }
        if b[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: b[start..<i]))
        while i < b.count {
            // A run of plain bytes is copied at once.
            let run = i
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            if i > run { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[run..<i])) }
            guard i < b.count else { break }
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\") else { throw error("control character in a string") }
            guard i < b.count else { break }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { throw error("lone surrogate") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("bad surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("bad \\u escape") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw error("bad escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw error("bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            i += 1
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - 0x57)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - 0x37)
            default: throw error("bad \\u escape")
            }
        }
        return v
    }
}
