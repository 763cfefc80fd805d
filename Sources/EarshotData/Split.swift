import EarshotStore
import Foundation

/// A member/non-member cohort: the `split` artifact every downstream node reads.
///
/// One row per item. `label` is 1 for members (in the target model's training data) and 0 for non-members.
/// `audioPath` is an absolute path, or `cas:<sha256>.<ext>` for audio kept in the store (synthetic and
/// resynthesized clips), which keeps artifacts independent of where a store lives. Audio facts describe the
/// original file (before any resampling). Items that could not be used are listed in `skipped` with a reason.
public struct Split: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var id: String
        public var label: Int
        public var dataset: String
        public var audioPath: String
        /// SHA-256 of the audio file's bytes.
        public var audioSHA256: String
        public var text: String
        public var speaker: String
        /// Seconds.
        public var duration: Double
        /// The file's own sample rate, channels, bits per sample (0: not a PCM format) and container/codec name.
        public var sampleRate: Int
        public var channels: Int
        public var bitDepth: Int
        public var format: String
        public var fileSize: Int

        public init(id: String, label: Int, dataset: String, audioPath: String, audioSHA256: String, text: String,
                    speaker: String, duration: Double, sampleRate: Int, channels: Int, bitDepth: Int, format: String, fileSize: Int) {
            self.id = id
            self.label = label
            self.dataset = dataset
            self.audioPath = audioPath
            self.audioSHA256 = audioSHA256
            self.text = text
            self.speaker = speaker
            self.duration = duration
            self.sampleRate = sampleRate
            self.channels = channels
            self.bitDepth = bitDepth
            self.format = format
            self.fileSize = fileSize
        }
    }

    /// An item left out, and why (`on_error: skip`).
    public struct Skipped: Sendable, Equatable {
        public var id: String
        public var path: String
        public var reason: String
        public init(id: String, path: String, reason: String) {
            self.id = id
            self.path = path
            self.reason = reason
        }
    }

    public var items: [Item]
    public var skipped: [Skipped]
    /// Free-form facts about how the split was made (source names, seed, per_class, …).
    public var attributes: [String: AttributeValue]

    public init(items: [Item], skipped: [Skipped] = [], attributes: [String: AttributeValue] = [:]) {
        self.items = items
        self.skipped = skipped
        self.attributes = attributes
    }

    public static let artifactType = "split"

    public var memberCount: Int { items.count { $0.label == 1 } }
    public var nonMemberCount: Int { items.count { $0.label == 0 } }

    /// The artifact layout documented in schemas/artifacts.md ("split").
    public func artifact() -> Artifact {
        var a = Artifact()
        a.setColumn("id", items.map(\.id))
        a.setColumn("label", items.map { Int64($0.label) })
        a.setColumn("dataset", items.map(\.dataset))
        a.setColumn("audio_path", items.map(\.audioPath))
        a.setColumn("audio_sha256", items.map(\.audioSHA256))
        a.setColumn("text", items.map(\.text))
        a.setColumn("speaker", items.map(\.speaker))
        a.setColumn("duration", items.map(\.duration))
        a.setColumn("sample_rate", items.map { Int64($0.sampleRate) })
        a.setColumn("channels", items.map { Int64($0.channels) })
        a.setColumn("bit_depth", items.map { Int64($0.bitDepth) })
        a.setColumn("format", items.map(\.format))
        a.setColumn("file_size", items.map { Int64($0.fileSize) })
        a.setColumn("skipped/id", skipped.map(\.id))
        a.setColumn("skipped/path", skipped.map(\.path))
        a.setColumn("skipped/reason", skipped.map(\.reason))
        for (k, v) in attributes { a.attributes[k] = v }
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        a.attributes["members"] = .int(Int64(memberCount))
        a.attributes["nonmembers"] = .int(Int64(nonMemberCount))
        return a
    }

    /// Reads a split artifact.
    public init(artifact a: Artifact) throws {
        let ids = try a.stringColumn("id")
        let label = try a.int64Column("label"), dataset = try a.stringColumn("dataset")
        let path = try a.stringColumn("audio_path"), sha = try a.stringColumn("audio_sha256")
        let text = try a.stringColumn("text"), speaker = try a.stringColumn("speaker")
        let duration = try a.doubleColumn("duration"), rate = try a.int64Column("sample_rate")
        let channels = try a.int64Column("channels"), bits = try a.int64Column("bit_depth")
        let format = try a.stringColumn("format"), size = try a.int64Column("file_size")
        let n = ids.count
        guard [label.count, dataset.count, path.count, sha.count, text.count, speaker.count, duration.count, rate.count,
               channels.count, bits.count, format.count, size.count].allSatisfy({ $0 == n }) else {
            throw StoreError.artifact("split artifact has columns of different lengths")
        }
        items = (0..<n).map { i in
            Item(id: ids[i], label: Int(label[i]), dataset: dataset[i], audioPath: path[i], audioSHA256: sha[i], text: text[i],
                 speaker: speaker[i], duration: duration[i], sampleRate: Int(rate[i]), channels: Int(channels[i]),
                 bitDepth: Int(bits[i]), format: format[i], fileSize: Int(size[i]))
        }
        let sid = (try? a.stringColumn("skipped/id")) ?? []
        let spath = (try? a.stringColumn("skipped/path")) ?? []
        let sreason = (try? a.stringColumn("skipped/reason")) ?? []
        skipped = (0..<min(sid.count, spath.count, sreason.count)).map { Skipped(id: sid[$0], path: spath[$0], reason: sreason[$0]) }
        attributes = a.attributes.filter { !$0.key.hasPrefix(Artifact.provenancePrefix) && $0.key != "members" && $0.key != "nonmembers" }
    }

    /// The file behind an item's `audioPath` (resolving `cas:` references into `store`).
    public static func audioURL(_ path: String, store: ArtifactStore) throws -> URL {
        guard let reference = try StoreReference(parsing: path) else { return URL(fileURLWithPath: path) }
        return store.url(of: reference)
    }
}
