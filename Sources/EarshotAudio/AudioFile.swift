import CSndFile
import Foundation

/// An open audio file: owns libsndfile's `SNDFILE*` and closes it in `deinit`.
///
/// Thread-safety: not `Sendable`; use one instance from one task. Reading converts to 32-bit float the way
/// python-soundfile (and therefore `librosa.load`) does: integer PCM is divided by 2^(bits−1), float data
/// is passed through unchanged.
public final class AudioFile {
    /// The path as given, used in every error message.
    public let path: String
    /// Header-level description; `frames` is libsndfile's declared count (see `readMono` for the decoded one).
    public let info: AudioInfo
    /// The length the file's own header declares (see `DeclaredLength`); checked against what decodes.
    public let declared: DeclaredLength
    private let handle: OpaquePointer

    /// Sample rates a real recording can have: anything else is a damaged header (a 1 Hz WAV would read as
    /// 1,000 s of audio), refused on open.
    public static let sampleRateRange = 1_000...768_000

    /// Opens `url` for reading. Throws `AudioError.missingFile` or `.unreadable` (libsndfile's message),
    /// `.implausibleSampleRate` for a rate outside `sampleRateRange`, and `.truncated` when libsndfile finds fewer
    /// frames than the header declares (or an Ogg stream lacks its end). Decoding checks the length again
    /// (`forEachMonoBlock`): a FLAC cut short declares its full length and decodes fewer frames.
    public init(url: URL) throws {
        let path = url.path
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw AudioError.missingFile(path: path) }
        var sfInfo = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            // sf_strerror(NULL) reports the most recent failed open; libsndfile keeps it in a global.
            let reason = String(cString: sf_strerror(nil))
            // An Ogg file cut inside its first pages does not even open: say why when its end is missing.
            if DeclaredLength.of(path: path) == .oggStream(complete: false) {
                throw AudioError.truncated(path: path, declaredFrames: nil, decodedFrames: 0, sampleRate: 0)
            }
            throw AudioError.unreadable(path: path, reason: reason)
        }
        self.handle = handle
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        self.info = AudioInfo(
            sampleRate: Int(sfInfo.samplerate), channels: Int(sfInfo.channels),
            majorFormat: SoundFileFormatNames.major(sfInfo.format),
            subtype: SoundFileFormatNames.subtype(sfInfo.format),
            bitDepth: SoundFileFormatNames.bitDepth(sfInfo.format),
            frames: Int(sfInfo.frames), fileSize: size)
        self.declared = DeclaredLength.of(path: path)
        guard Self.sampleRateRange.contains(info.sampleRate) else {
            throw AudioError.implausibleSampleRate(path: path, sampleRate: info.sampleRate)
        }
        // libsndfile shortens a WAV's length to the bytes present: a header declaring more was cut short.
        try checkLength(decoded: info.frames)
    }

    /// Throws `.truncated` when `decoded` frames fall short of what the header declares.
    func checkLength(decoded: Int) throws {
        switch declared {
        case .frames(let frames) where decoded < frames:
            throw AudioError.truncated(path: path, declaredFrames: frames, decodedFrames: decoded, sampleRate: info.sampleRate)
        case .oggStream(complete: false):
            throw AudioError.truncated(path: path, declaredFrames: nil, decodedFrames: decoded, sampleRate: info.sampleRate)
        default:
            return
        }
    }

    deinit { sf_close(handle) }

    /// Reads every remaining frame and downmixes to mono by averaging channels in 32-bit float
    /// (`(c0 + c1 + … ) / channels`, summed left to right, as numpy's mean over the channel axis does).
    ///
    /// Throws `.empty` when no frame decodes, `.nonFiniteSample` at the first frame holding NaN or ±∞ in any
    /// channel, and `.unreadable` when libsndfile reports a decode error mid-stream.
    public func readMono(blockFrames: Int = 1 << 16) throws -> [Float] {
        var mono = [Float]()
        mono.reserveCapacity(max(info.frames, 0))
        try forEachMonoBlock(blockFrames: blockFrames) { block in mono.append(contentsOf: block) }
        return mono
    }

    /// Streams the remaining frames as mono blocks of at most `blockFrames` (same downmix and checks as
    /// `readMono`); the buffer passed to `body` is reused, so copy what you keep. Returns the frame count.
    @discardableResult
    public func forEachMonoBlock(blockFrames: Int = 1 << 16,
                                 _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Int {
        precondition(blockFrames >= 1, "block size must be positive")
        let channels = max(info.channels, 1)
        let raw = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channels)
        let mono = channels == 1 ? raw : UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames)
        defer {
            raw.deallocate()
            if channels > 1 { mono.deallocate() }
        }
        var total = 0
        while true {
            let got = Int(sf_readf_float(handle, raw.baseAddress, sf_count_t(blockFrames)))
            if got <= 0 { break }
            if let bad = Self.firstNonFinite(UnsafeBufferPointer(rebasing: raw[0..<(got * channels)])) {
                throw AudioError.nonFiniteSample(path: path, sampleIndex: total + bad / channels)
            }
            if channels > 1 {
                let scale = Float(channels)
                for frame in 0..<got {
                    let offset = frame &* channels
                    var sum = raw[offset]
                    for channel in 1..<channels { sum += raw[offset &+ channel] }
                    mono[frame] = sum / scale
                }
            }
            try body(UnsafeBufferPointer(rebasing: mono[0..<got]))
            total += got
        }
        let status = sf_error(handle)
        if status != 0 {
            // A file cut short often ends in a decode error ("lost sync"): say it is short when it is.
            try checkLength(decoded: total)
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(handle)))
        }
        if total == 0 { throw AudioError.empty(path: path) }
        try checkLength(decoded: total)
        return total
    }

    /// Index of the first NaN or ±∞ (exponent bits all ones), found with a branch-free scan first.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
        var flagged: UInt32 = 0
        for value in values { flagged |= (value.bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
        return flagged == 0 ? nil : values.firstIndex { !$0.isFinite }
    }
}
