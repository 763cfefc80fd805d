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
            if let segment = entry.segment {
                let audio = try AudioLoader.decode(url, from: segment.start, to: segment.end)
                guard constraints.admits(duration: audio.info.duration) else { return .ineligible }
                return .accepted(InspectedAudio(entry: entry, info: audio.info, sha256: nil, clip: audio))
            }
            let audio = try AudioLoader.decode(url)
            guard constraints.admits(duration: audio.info.duration) else { return .ineligible }
            return .accepted(InspectedAudio(entry: entry, info: audio.info, sha256: try hash(url), clip: nil))
        } catch {
            return .failed("\(label): \(error)")
        }
    }
}
