import EarshotAudio
import EarshotStore
import Foundation

/// What checking a candidate's audio found: the facts a split records about the original file.
public struct InspectedAudio: Sendable {
    public var entry: DatasetEntry
    /// The file as stored (before downmix and resampling); `frames` is the decoded count (of the segment).
    public var info: AudioInfo
    /// SHA-256 of the file's bytes; nil for a segment, whose clip is hashed when it is stored.
    public var sha256: Digest?
    /// A segment's mono samples at the file's rate (written as a clip by the caller); nil for whole files.
    public var clip: LoadedAudio?

    public var duration: Double { info.duration }

    /// `WAV/PCM_16`, `FLAC/PCM_16`, `OGG/VORBIS`: container and codec, as python-soundfile names them.
    public var format: String { "\(info.majorFormat)/\(info.subtype)" }
}

/// Checks that a candidate is usable: its id is valid (`DatasetEntry.idProblem`), its text decoded, its audio
/// exists, decodes with libsndfile to the length its header declares, at a plausible rate, non-empty and finite;
/// then measures it and hashes it.
///
/// Every failure reason names the item, where it was listed and the file (`item 'a01' (train.jsonl:3):
/// audio file '/d/a01.wav' has 0 frames; …`). The whole file (or the segment) is decoded, so corruption in the
/// middle of a file is found here rather than in a later node.
public struct AudioInspection: Sendable {
    public let constraints: CohortConstraints
    /// The file hasher (the store's fingerprint table, so unchanged files are not hashed again).
    public let hash: @Sendable (URL) throws -> Digest

    public init(constraints: CohortConstraints, hash: @escaping @Sendable (URL) throws -> Digest) {
        self.constraints = constraints
        self.hash = hash
    }

    public func inspect(_ entry: DatasetEntry) -> CandidateOutcome<InspectedAudio> {
        let label = "item '\(DatasetEntry.printable(entry.id))' (\(entry.origin))"
        if let problem = DatasetEntry.idProblem(entry.id) { return .failed("\(label): \(problem)") }
        if let defect = entry.defect { return .failed("\(label): \(defect)") }
        let url = URL(fileURLWithPath: entry.audioPath)
        do {
            // A channel of a mono file is the file (sph2pipe -c 1 on TED-LIUM's mono SPHERE files).
            let channel = try entry.channel.flatMap { c in try AudioFile(url: url).info.channels > 1 || c != 0 ? c : nil }
            if entry.segment != nil || channel != nil {
                let segment = entry.segment ?? .init(start: 0, end: nil)
                let audio = try AudioLoader.decode(url, from: segment.start, to: segment.end, channel: channel)
                if let end = segment.end, audio.info.duration < (end - segment.start) - Self.tolerance(end - segment.start) {
                    return .failed("\(label): the segment \(segment.start)–\(end) s runs past the end of '\(entry.audioPath)' (\(Self.seconds(segment.start + audio.info.duration)) s); fix the segment bounds")
                }
                guard constraints.admits(duration: audio.info.duration) else { return .ineligible }
                return .accepted(InspectedAudio(entry: entry, info: audio.info, sha256: nil, clip: audio))
            }
            let audio = try AudioLoader.decode(url)
            if entry.durationCoversFile, let stated = entry.duration, abs(audio.info.duration - stated) > Self.tolerance(stated) {
                return .failed("\(label): the listing states a duration of \(Self.seconds(stated)) s but '\(entry.audioPath)' has \(Self.seconds(audio.info.duration)) s; if the item is a part of a longer recording give its offset (NeMo 'offset') as well, otherwise fix the duration")
            }
            guard constraints.admits(duration: audio.info.duration) else { return .ineligible }
            // Extracted embedded audio is a scratch file: hashed directly, not remembered in the fingerprint table.
            let digest = entry.embedded != nil ? try SHA256.hash(fileAt: url) : try hash(url)
            return .accepted(InspectedAudio(entry: entry, info: audio.info, sha256: digest, clip: nil))
        } catch {
            return .failed("\(label): \(error)")
        }
    }

    /// How far a stated duration may be from the decoded one: 50 ms or 1 %, whichever is more (manifests round
    /// durations, and codecs such as MP3 and Opus pad or trim a few frames).
    static func tolerance(_ seconds: Double) -> Double { max(0.05, 0.01 * seconds) }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
}
