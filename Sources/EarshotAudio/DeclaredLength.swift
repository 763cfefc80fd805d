import Foundation

/// What a file's own header says about its length, read without libsndfile, so that a file cut short (a partial
/// download, a full disk) is refused instead of entering a split as shorter audio.
///
/// - WAV (RIFF): the `data` chunk's byte size divided by the `fmt ` chunk's block alignment. A size of 0 or
///   0xFFFFFFFF (written by streaming encoders that never came back to fill it in) declares nothing.
/// - FLAC: STREAMINFO's total sample count (36 bits; 0 means unknown).
/// - Ogg (Vorbis, Opus): the header declares no length; a complete stream ends with a page flagged
///   end-of-stream, so a stream whose last page lacks the flag was cut short.
/// Other containers declare nothing checked here.
public enum DeclaredLength: Sendable, Equatable {
    /// The header states this many frames.
    case frames(Int)
    /// An Ogg stream whose last page is (or is not) flagged end-of-stream.
    case oggStream(complete: Bool)
    /// Nothing declared (another container, or a header that leaves the length open).
    case unknown

    /// Reads the header (and, for Ogg, the last 64 KiB) of the file at `path`.
    public static func of(path: String) -> DeclaredLength {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .unknown }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 1 << 16), head.count >= 12 else { return .unknown }
        let bytes = [UInt8](head)
        if bytes.starts(with: Array("RIFF".utf8)), bytes[8..<12].elementsEqual("WAVE".utf8) {
            return wav(bytes)
        }
        if bytes.starts(with: Array("fLaC".utf8)) { return flac(bytes) }
        if bytes.starts(with: Array("OggS".utf8)) {
            guard let size = try? handle.seekToEnd() else { return .unknown }
            let tailStart = size > 1 << 16 ? size - (1 << 16) : 0
            guard (try? handle.seek(toOffset: tailStart)) != nil, let tail = try? handle.readToEnd() else { return .unknown }
            return ogg(tail: [UInt8](tail))
        }
        return .unknown
    }

    static func le32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
    }

    /// Walks the RIFF chunks of the first 64 KiB for `fmt ` (block alignment) and `data` (byte size).
    static func wav(_ b: [UInt8]) -> DeclaredLength {
        var offset = 12
        var blockAlign: Int?
        while offset + 8 <= b.count {
            let id = String(decoding: b[offset..<(offset + 4)], as: UTF8.self)
            let size = le32(b, offset + 4)
            if id == "fmt ", offset + 22 <= b.count {
                blockAlign = Int(b[offset + 20]) | Int(b[offset + 21]) << 8
            } else if id == "data" {
                guard let align = blockAlign, align > 0, size > 0, size != 0xFFFF_FFFF else { return .unknown }
                return .frames(size / align)
            }
            offset += 8 + size + (size & 1)   // chunks are padded to an even size
        }
        return .unknown
    }

    /// STREAMINFO is the first metadata block: 4-byte block header at 4, then min/max block and frame sizes
    /// (10 bytes), then 20 bits of rate, 3 of channels, 5 of bits per sample and 36 of total samples.
    static func flac(_ b: [UInt8]) -> DeclaredLength {
        guard b.count >= 26, b[4] & 0x7F == 0 else { return .unknown }
        var packed: UInt64 = 0
        for i in 18..<26 { packed = packed << 8 | UInt64(b[i]) }
        let total = Int(packed & 0xF_FFFF_FFFF)
        return total > 0 ? .frames(total) : .unknown
    }

    /// The header type of the last `OggS` page in the tail: bit 2 flags end-of-stream.
    static func ogg(tail: [UInt8]) -> DeclaredLength {
        let pattern = Array("OggS".utf8)
        var i = tail.count - 27
        while i >= 0 {
            if tail[i] == pattern[0], tail[i + 1] == pattern[1], tail[i + 2] == pattern[2], tail[i + 3] == pattern[3], tail[i + 4] == 0 {
                return .oggStream(complete: tail[i + 5] & 0x04 != 0)
            }
            i -= 1
        }
        return .oggStream(complete: false)
    }
}
