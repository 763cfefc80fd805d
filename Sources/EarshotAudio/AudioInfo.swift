import CSndFile

/// What a decoded file was before downmixing and resampling.
///
/// `majorFormat` and `subtype` use python-soundfile's names (`WAV`, `FLAC`, `OGG`, `MP3`; `PCM_16`, `FLOAT`,
/// `VORBIS`, `MPEG_LAYER_III`, …). `bitDepth` is the stored sample width for PCM and IEEE-float subtypes
/// (`PCM_16` → 16, `PCM_24` → 24, `FLOAT` → 32, `DOUBLE` → 64, `ULAW`/`ALAW` → 8) and `nil` for lossy codecs
/// (Vorbis, Opus, MP3), where a bit depth is not defined.
public struct AudioInfo: Sendable, Hashable, Codable {
    /// Sample rate stored in the file, in Hz.
    public var sampleRate: Int
    public var channels: Int
    public var majorFormat: String
    public var subtype: String
    public var bitDepth: Int?
    /// Number of frames (samples per channel) actually decoded.
    public var frames: Int
    /// File size in bytes.
    public var fileSize: Int

    public init(sampleRate: Int, channels: Int, majorFormat: String, subtype: String, bitDepth: Int?,
                frames: Int, fileSize: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.majorFormat = majorFormat
        self.subtype = subtype
        self.bitDepth = bitDepth
        self.frames = frames
        self.fileSize = fileSize
    }

    /// `frames / sampleRate`, in seconds.
    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }
}

/// Names and widths of libsndfile's `SF_FORMAT_*` codes, as python-soundfile spells them.
enum SoundFileFormatNames {
    static func major(_ format: Int32) -> String {
        switch Int(format) & SF_FORMAT_TYPEMASK {
        case SF_FORMAT_WAV: return "WAV"
        case SF_FORMAT_WAVEX: return "WAVEX"
        case SF_FORMAT_RF64: return "RF64"
        case SF_FORMAT_W64: return "W64"
        case SF_FORMAT_AIFF: return "AIFF"
        case SF_FORMAT_AU: return "AU"
        case SF_FORMAT_CAF: return "CAF"
        case SF_FORMAT_FLAC: return "FLAC"
        case SF_FORMAT_OGG: return "OGG"
        case SF_FORMAT_MPEG: return "MP3"
        case SF_FORMAT_NIST: return "NIST"
        case SF_FORMAT_RAW: return "RAW"
        default: return formatInfoName(format & Int32(SF_FORMAT_TYPEMASK), command: SFC_GET_FORMAT_INFO)
        }
    }

    static func subtype(_ format: Int32) -> String {
        switch Int(format) & SF_FORMAT_SUBMASK {
        case SF_FORMAT_PCM_S8: return "PCM_S8"
        case SF_FORMAT_PCM_U8: return "PCM_U8"
        case SF_FORMAT_PCM_16: return "PCM_16"
        case SF_FORMAT_PCM_24: return "PCM_24"
        case SF_FORMAT_PCM_32: return "PCM_32"
        case SF_FORMAT_FLOAT: return "FLOAT"
        case SF_FORMAT_DOUBLE: return "DOUBLE"
        case SF_FORMAT_ULAW: return "ULAW"
        case SF_FORMAT_ALAW: return "ALAW"
        case SF_FORMAT_IMA_ADPCM: return "IMA_ADPCM"
        case SF_FORMAT_MS_ADPCM: return "MS_ADPCM"
        case SF_FORMAT_GSM610: return "GSM610"
        case SF_FORMAT_VORBIS: return "VORBIS"
        case SF_FORMAT_OPUS: return "OPUS"
        case SF_FORMAT_MPEG_LAYER_I: return "MPEG_LAYER_I"
        case SF_FORMAT_MPEG_LAYER_II: return "MPEG_LAYER_II"
        case SF_FORMAT_MPEG_LAYER_III: return "MPEG_LAYER_III"
        case SF_FORMAT_ALAC_16: return "ALAC_16"
        case SF_FORMAT_ALAC_20: return "ALAC_20"
        case SF_FORMAT_ALAC_24: return "ALAC_24"
        case SF_FORMAT_ALAC_32: return "ALAC_32"
        default: return formatInfoName(format & Int32(SF_FORMAT_SUBMASK), command: SFC_GET_FORMAT_INFO)
        }
    }

    /// Stored bits per sample for PCM and float subtypes; `nil` for lossy or adaptive codecs.
    static func bitDepth(_ format: Int32) -> Int? {
        switch Int(format) & SF_FORMAT_SUBMASK {
        case SF_FORMAT_PCM_S8, SF_FORMAT_PCM_U8,
             SF_FORMAT_ULAW, SF_FORMAT_ALAW: return 8
        case SF_FORMAT_PCM_16, SF_FORMAT_ALAC_16: return 16
        case SF_FORMAT_ALAC_20: return 20
        case SF_FORMAT_PCM_24, SF_FORMAT_ALAC_24: return 24
        case SF_FORMAT_PCM_32, SF_FORMAT_FLOAT, SF_FORMAT_ALAC_32: return 32
        case SF_FORMAT_DOUBLE: return 64
        default: return nil
        }
    }

    /// libsndfile's descriptive name for a code it knows but the tables above do not.
    private static func formatInfoName(_ code: Int32, command: Int) -> String {
        var info = SF_FORMAT_INFO()
        info.format = code
        let status = sf_command(nil, Int32(command), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
        if status == 0, let name = info.name { return String(cString: name) }
        return "0x" + String(code, radix: 16)
    }
}
