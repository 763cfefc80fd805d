import CZlib
import Foundation

/// A decoded 8-bit PNG (greyscale, RGB or RGBA; not interlaced): enough to check a browser screenshot.
struct PNGImage {
    var width: Int
    var height: Int
    /// Samples per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
    var channels: Int
    /// Row-major samples, `height × width × channels`.
    var samples: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure(description: "not a png file")
        }
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var offset = 8
        var width = 0, height = 0, channels = 0
        var compressed: [UInt8] = []
        while offset + 8 <= bytes.count {
            let length = u32(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = offset + 8
            guard body + length <= bytes.count else { throw Failure(description: "truncated \(type) chunk") }
            if type == "IHDR" {
                width = u32(body)
                height = u32(body + 4)
                guard bytes[body + 8] == 8, bytes[body + 12] == 0 else {
                    throw Failure(description: "only 8-bit non-interlaced pngs are decoded (bit depth \(bytes[body + 8]), interlace \(bytes[body + 12]))")
                }
                switch bytes[body + 9] {
                case 0: channels = 1
                case 4: channels = 2
                case 2: channels = 3
                case 6: channels = 4
                default: throw Failure(description: "unsupported colour type \(bytes[body + 9])")
                }
            } else if type == "IDAT" {
                compressed += bytes[body..<(body + length)]
            } else if type == "IEND" {
                break
            }
            offset = body + length + 4
        }
        guard width > 0, height > 0, channels > 0 else { throw Failure(description: "no IHDR chunk") }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &rawLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else { throw Failure(description: "zlib status \(status), \(rawLength) of \(raw.count) bytes") }
        // Undo the per-row filters (PNG spec §9).
        var samples = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + x]
                let a = x >= channels ? Int(samples[y * stride + x - channels]) : 0
                let b = y > 0 ? Int(samples[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(samples[(y - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "unknown filter \(filter) on row \(y)")
                }
                samples[y * stride + x] = UInt8(truncatingIfNeeded: Int(v) + predictor)
            }
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// The RGB of a pixel (grey replicated).
    func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
        let i = (y * width + x) * channels
        if channels < 3 { return (Int(samples[i]), Int(samples[i]), Int(samples[i])) }
        return (Int(samples[i]), Int(samples[i + 1]), Int(samples[i + 2]))
    }
}
