import CZlib

/// zlib compression as the zlib-ratio indicator needs it: only the compressed length.
///
/// `compressedByteCount` uses `compress2` (zlib format: 2-byte header, deflate stream, Adler-32
/// trailer), which with the same zlib version reproduces the byte length of Python's
/// `zlib.compress(data)` (whose default level −1 means level 6, window bits 15, memory level 8).
public enum ZlibCompression {
    /// Python's default level (`Z_DEFAULT_COMPRESSION` is level 6).
    public static let defaultLevel: Int32 = 6

    /// Length in bytes of `compress2(bytes, level)`'s output. Empty input gives 8 bytes, as in Python.
    public static func compressedByteCount(of bytes: [UInt8], level: Int32 = defaultLevel) throws -> Int {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let code = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                // An empty input passes a nil source with length 0, which deflate accepts.
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        guard code == Z_OK else { throw ScoringError.zlibFailure(code: code) }
        return Int(capacity)
    }

    /// Length in bytes of the compressed UTF-8 encoding of `text`.
    public static func compressedByteCount(of text: String, level: Int32 = defaultLevel) throws -> Int {
        try compressedByteCount(of: Array(text.utf8), level: level)
    }
}
