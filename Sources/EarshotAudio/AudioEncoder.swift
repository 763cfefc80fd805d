import CSndFile
import Foundation

/// Writes mono WAV files through libsndfile.
///
/// `.pcm16` stores round(x · 32767) clipped to [−32768, 32767] (libsndfile's float→PCM16 rule with
/// clipping on); reading it back divides by 32768. `.float32` stores samples unchanged. The PEAK chunk is
/// disabled, so equal samples give byte-identical files (content hashes stay stable).
public enum AudioEncoder {
    public enum Format: String, Sendable, Hashable, Codable {
        case pcm16
        case float32
    }

    public static func writeWAV(_ samples: [Float], sampleRate: Int, to url: URL, format: Format = .pcm16) throws {
        let path = url.path
        guard sampleRate > 0 else {
            throw AudioError.invalidArgument(name: "sample rate", value: String(sampleRate), reason: "must be a positive number of hz")
        }
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        let subtype = format == .pcm16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT
        info.format = Int32(SF_FORMAT_WAV | subtype)
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioError.unwritable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        let writer = SoundFileWriter(handle: handle, path: path)
        sf_command(handle, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        try writer.write(samples)
        try writer.close()
    }
}

/// Owns a `SNDFILE*` opened for writing; closes it in `deinit` if `close()` was not reached.
final class SoundFileWriter {
    private var handle: OpaquePointer?
    private let path: String

    init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit { if let handle { sf_close(handle) } }

    func write(_ samples: [Float]) throws {
        guard let handle else { return }
        let written = samples.withUnsafeBufferPointer { buffer in
            sf_writef_float(handle, buffer.baseAddress, sf_count_t(buffer.count))
        }
        if Int(written) != samples.count {
            throw AudioError.unwritable(path: path, reason: String(cString: sf_strerror(handle)))
        }
    }

    func close() throws {
        guard let handle else { return }
        self.handle = nil
        let status = sf_close(handle)
        if status != 0 {
            throw AudioError.unwritable(path: path, reason: String(cString: sf_error_number(status)))
        }
    }
}
