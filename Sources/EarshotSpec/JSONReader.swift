import Foundation

/// A strict RFC 8259 JSON reader that keeps integers and doubles apart (`13` → `.int`, `13.0` → `.double`), which
/// Foundation's decoders do not. It reads canonical key JSON back for `earshot why` and every action record on a
/// re-run (once per cached node), so it parses the UTF-8 bytes directly: a string without escapes is one copy, and
/// nothing goes through Foundation's objects. Errors name the byte offset.
public enum JSONReader {
    public static func parse(_ text: String) throws -> Value {
        var text = text
        return try text.withUTF8 { try parse(bytes: UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ data: Data) throws -> Value {
        try data.withUnsafeBytes { try parse(bytes: $0) }
    }

    public static func parse(bytes: UnsafeRawBufferPointer) throws -> Value {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let value = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.error("trailing characters") }
        return value
    }

    struct Parser {
        let b: UnsafeRawBufferPointer
        var i = 0
        init(bytes: UnsafeRawBufferPointer) { b = bytes }

        func error(_ what: String) -> SpecError { SpecError("invalid JSON at byte \(i): \(what)", at: nil) }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws {
            skipSpace()
            guard i < b.count, b[i] == c else { throw error("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        mutating func value(depth: Int) throws -> Value {
            guard depth < 512 else { throw error("nesting too deep") }
            skipSpace()
            guard i < b.count else { throw error("unexpected end") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var out: [String: Value] = [:]
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
                var out: [Value] = []
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
            default: return try number()
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count, UnsafeRawBufferPointer(rebasing: b[i..<i + n]).elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: n))
            else { throw error("expected \(word)") }
            i += n
        }

        /// An integer (no fraction or exponent, within `Int`) or a finite double.
        mutating func number() throws -> Value {
            let start = i
            var isDouble = false
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    isDouble = true
                } else if !((c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) {
                    break
                }
                i += 1
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            if !isDouble, let n = Int(text) { return .int(n) }
            guard !text.isEmpty, let d = Double(text), d.isFinite else { throw error("bad number '\(text)'") }
            return .double(d)
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
}
