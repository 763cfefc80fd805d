import CSndFile
import Foundation

extension AudioLoader {
    /// Decodes the frames `[round(start · rate), round(end · rate))` of `url` to mono at the file's own rate
    /// (`end == nil`: to the end of the file), seeking instead of decoding what comes before.
    ///
    /// Same downmix and checks as `decode`: `.empty` when the range holds no frame, `.nonFiniteSample` (frame
    /// index relative to `start`), `.unreadable` for libsndfile failures. The returned `info.frames` is the
    /// segment's length; `info.fileSize` stays the whole file's. A start at or after the end of the file, or an
    /// end before the start, is an `.invalidArgument` naming the file. With `channel` (0-based) only that channel
    /// is kept instead of the channel mean; a channel the file does not have is an `.invalidArgument`.
    public static func decode(_ url: URL, from start: Double, to end: Double?, channel: Int? = nil) throws -> LoadedAudio {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw AudioError.missingFile(path: path) }
        var sfInfo = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            if DeclaredLength.of(path: path) == .oggStream(complete: false) {
                throw AudioError.truncated(path: path, declaredFrames: nil, decodedFrames: 0, sampleRate: 0)
            }
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(handle) }
        let rate = Int(sfInfo.samplerate), channels = max(Int(sfInfo.channels), 1), total = Int(sfInfo.frames)
        guard AudioFile.sampleRateRange.contains(rate) else { throw AudioError.implausibleSampleRate(path: path, sampleRate: rate) }
        let declared = DeclaredLength.of(path: path)
        switch declared {
        case .frames(let frames) where total < frames:
            throw AudioError.truncated(path: path, declaredFrames: frames, decodedFrames: total, sampleRate: rate)
        case .oggStream(complete: false):
            throw AudioError.truncated(path: path, declaredFrames: nil, decodedFrames: total, sampleRate: rate)
        default:
            break
        }
        let first = Int((start * Double(rate)).rounded())
        let last = min(end.map { Int(($0 * Double(rate)).rounded()) } ?? total, total)
        guard start >= 0, first < total, last > first else {
            throw AudioError.invalidArgument(
                name: "segment of '\(path)'", value: "\(start)–\(end.map { String($0) } ?? "end") s",
                reason: "the file has \(Double(total) / Double(max(rate, 1))) s; fix the segment bounds")
        }
        if let channel, channel < 0 || channel >= channels {
            throw AudioError.invalidArgument(name: "channel of '\(path)'", value: String(channel + 1),
                                             reason: "the file has \(channels) channel\(channels == 1 ? "" : "s") (channels count from 1)")
        }
        if first > 0, sf_seek(handle, sf_count_t(first), SEEK_SET) < 0 {
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(handle)))
        }
        let count = last - first
        var interleaved = [Float](repeating: 0, count: count * channels)
        let got = interleaved.withUnsafeMutableBufferPointer { Int(sf_readf_float(handle, $0.baseAddress, sf_count_t(count))) }
        // A FLAC cut short still declares (and reports) its full length; the frames it lacks do not decode.
        if got < count, case .frames(let frames) = declared {
            throw AudioError.truncated(path: path, declaredFrames: frames, decodedFrames: first + max(got, 0), sampleRate: rate)
        }
        if sf_error(handle) != 0 {
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(handle)))
        }
        if got <= 0 { throw AudioError.empty(path: path) }
        let bad = interleaved.withUnsafeBufferPointer { AudioFile.firstNonFinite(UnsafeBufferPointer(rebasing: $0[0..<(got * channels)])) }
        if let bad { throw AudioError.nonFiniteSample(path: path, sampleIndex: bad / channels) }
        var mono = [Float](repeating: 0, count: got)
        if let channel, channels > 1 {
            for frame in 0..<got { mono[frame] = interleaved[frame * channels + channel] }
        } else if channels == 1 {
            mono.withUnsafeMutableBufferPointer { m in interleaved.withUnsafeBufferPointer { m.baseAddress!.update(from: $0.baseAddress!, count: got) } }
        } else {
            let scale = Float(channels)
            for frame in 0..<got {
                var sum = interleaved[frame * channels]
                for c in 1..<channels { sum += interleaved[frame * channels + c] }
                mono[frame] = sum / scale
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        let info = AudioInfo(sampleRate: rate, channels: Int(sfInfo.channels), majorFormat: SoundFileFormatNames.major(sfInfo.format),
                             subtype: SoundFileFormatNames.subtype(sfInfo.format), bitDepth: SoundFileFormatNames.bitDepth(sfInfo.format),
                             frames: got, fileSize: size)
        return LoadedAudio(samples: mono, sampleRate: rate, info: info)
    }
}
