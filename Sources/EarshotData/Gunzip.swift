import CZlib
import Foundation

/// Reads a file that may be gzip-compressed (lhotse's `*.jsonl.gz`): gzip data (by its magic bytes) is inflated
/// with zlib, anything else is returned as it is.
enum Gunzip {
    static func contents(of path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DataError.unreadable(path: path, reason: exists ? "permission denied or not a regular file" : "no such file")
        }
        guard data.count >= 2, data[data.startIndex] == 0x1F, data[data.startIndex + 1] == 0x8B else { return data }
        return try inflate(data, path: path)
    }

    static func inflate(_ data: Data, path: String) throws -> Data {
        var stream = z_stream()
        // 16 + MAX_WBITS: gzip wrapper; concatenated members are read in turn below.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.unreadable(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = [UInt8](data)
        let total = input.count
        try input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(total)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END {
                    if stream.avail_in == 0 { break }
                    guard inflateReset(&stream) == Z_OK else { throw DataError.unreadable(path: path, reason: "corrupt gzip data") }
                    continue
                }
                guard status == Z_OK else {
                    throw DataError.unreadable(path: path, reason: "corrupt or truncated gzip data (zlib status \(status))")
                }
                if stream.avail_in == 0 && produced == 0 {
                    throw DataError.unreadable(path: path, reason: "truncated gzip data")
                }
            }
        }
        return output
    }
}
