import CLibCrypto
import Foundation

/// A SHA-256 digest: 32 bytes, written as 64 lowercase hexadecimal characters.
///
/// Ordering is lexicographic on the bytes (the same as ordering the hex strings). `Codable` as the hex string.
public struct Digest: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The 32 bytes as four big-endian words, so that `<` on the tuple is byte-lexicographic.
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest from exactly 32 bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
        var i = 0
        for byte in bytes {
            switch i >> 3 {
            case 0: w0 = w0 << 8 | UInt64(byte)
            case 1: w1 = w1 << 8 | UInt64(byte)
            case 2: w2 = w2 << 8 | UInt64(byte)
            default: w3 = w3 << 8 | UInt64(byte)
            }
            i += 1
        }
        words = (w0, w1, w2, w3)
    }

    /// Parses 64 lowercase hexadecimal characters; nil for anything else (uppercase is rejected so that one digest
    /// has one spelling, which matters when the hex string names a file).
    public init?(hex: String) {
        var hex = hex
        guard let parsed = hex.withUTF8({ Self.parse(hex: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Parses 64 lowercase hexadecimal characters from raw bytes (tables and records read without making Strings).
    public static func parse(hex utf8: UnsafeRawBufferPointer) -> Digest? {
        guard utf8.count == 64 else { return nil }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for word in 0..<4 {
            var v: UInt64 = 0
            for k in 0..<16 {
                guard let n = nibble(utf8[word * 16 + k]) else { return nil }
                v = v << 4 | UInt64(n)
            }
            switch word {
            case 0: w.0 = v
            case 1: w.1 = v
            case 2: w.2 = v
            default: w.3 = v
            }
        }
        return Digest(words: w)
    }

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// The 32 bytes in order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// 64 lowercase hexadecimal characters.
    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { out in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            var k = 0
            for word in [words.0, words.1, words.2, words.3] {
                for shift in stride(from: 60, through: 0, by: -4) {
                    out[k] = table[Int((word >> UInt64(shift)) & 0xf)]
                    k += 1
                }
            }
            return 64
        }
    }

    public var description: String { hex }

    public static func == (a: Digest, b: Digest) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public static func < (a: Digest, b: Digest) -> Bool {
        (a.words.0, a.words.1, a.words.2, a.words.3) < (b.words.0, b.words.1, b.words.2, b.words.3)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let digest = Digest(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "invalid sha-256 digest '\(text)': expected 64 lowercase hex characters")
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Incremental SHA-256 (FIPS 180-4) over OpenSSL libcrypto's EVP interface.
///
/// Noncopyable: it owns an `EVP_MD_CTX`, freed in `deinit`. Feed bytes with `update`, then `finalize()` once.
/// Thread-safety: one hasher belongs to one task at a time (it is not `Sendable`).
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    /// A hasher in its initial state. Traps only if libcrypto cannot allocate a context (out of memory).
    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto could not initialise a SHA-256 context")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Hashes the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, buffer.count) == 1, "EVP_DigestUpdate failed")
    }

    /// Hashes the bytes of `bytes` in order.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Hashes the UTF-8 encoding of `string` (no terminator, no length prefix).
    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes and returns the digest; the hasher is consumed.
    public consuming func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1 && length == 32, "EVP_DigestFinal_ex failed")
        return Digest(bytes: out)!
    }

    /// SHA-256 of a byte collection.
    public static func hash(_ bytes: some Collection<UInt8>) -> Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// SHA-256 of `data`.
    public static func hash(_ data: Data) -> Digest {
        var hasher = SHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    /// SHA-256 of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> Digest {
        var hasher = SHA256()
        hasher.update(string)
        return hasher.finalize()
    }

    /// Size of the blocks `hash(fileAt:)` reads: 1 MiB, so memory stays flat for any file size.
    public static let fileBlockSize = 1 << 20

    /// SHA-256 of a file's bytes, streamed with POSIX `read()` in 1 MiB blocks.
    /// Throws `StoreError.io` naming the path when it cannot be opened or read.
    public static func hash(fileAt url: URL) throws -> Digest {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: path, message: "cannot open for hashing: \(StoreError.posixMessage(errno))") }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: fileBlockSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, fileBlockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, message: "read failed while hashing: \(StoreError.posixMessage(errno))")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize()
    }
}
