import EarshotAudio
import EarshotData
import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `load_split`: a balanced member/non-member cohort from real datasets, with every chosen file checked.
///
/// Sources: `member` and `nonmember` (`{format: …, path: …, split: …, columns: {…}}`; formats in
/// `DatasetSource.Format`: the eight corpora in their owners' layouts, jsonl/csv/tsv manifests, Kaldi), or one
/// manifest `source` whose `label_column` says the side (`member_value` → member, any other value → non-member).
/// Eligibility and draw order are `CohortPlan`'s (seeded; `same_speakers`, `min_duration`/`max_duration` with 0
/// meaning unbounded). Each drawn item is decoded in full with libsndfile (`AudioInspection`); its original
/// sample rate, channels, bit depth, format, duration, file size and SHA-256 enter the split.
/// `per_class: all` takes the balanced maximum (the smaller side's eligible count). Segments (Kaldi, NeMo
/// `offset`, STM, GigaSpeech) and single channels of multi-channel recordings (Kaldi pipes' channel selection) are
/// cut from their recording and stored as mono float32 WAV clips (`cas:` references) at the recording's rate;
/// their facts describe the recording, except duration (the segment's) and hash (the clip's).
///
/// `on_error: fail` stops at the first unusable item in draw order, naming the item, the manifest line and the
/// file. `on_error: skip` records it under `skipped/` with the reason and draws the next candidate of the same
/// side, so the cohort stays balanced while candidates last; too few usable candidates fail with the counts.
///
/// Key: the content of every listing file (manifests, transcripts, Kaldi tables) and of every audio file in the
/// eligible pools of both sides, by path (through the store's fingerprint table). The whole pool, not just the
/// drawn items, because which candidates are read depends on which earlier ones fail; a change to a candidate
/// that was not chosen re-runs this node, which then reproduces the same split (downstream nodes stay cached).
/// A missing file enters the key as a marker digest, so creating it re-runs the node.
public struct LoadSplitKind: NodeKind {
    public static let name = "load_split"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,  // 2: NeMo offset/duration segments, transcripts required, decoder pipes
            summary: "a balanced member/non-member split from corpora in their owners' layouts, JSONL/CSV/TSV manifests or Kaldi directories, each file checked",
            outputs: [OutputSignature("split", type: Split.artifactType, "ids, labels (1 member / 0 non-member), audio paths and hashes, text, speaker, audio facts")],
            params: Params.signatures,
            seeded: true)
    }

    struct Params: KindParams {
        @Param("member source: {format: librispeech|gigaspeech|tedlium|voxpopuli|spgispeech|clotho|cochlscene|nsynth|jsonl|csv|tsv|kaldi|lhotse|hf_parquet, path: …, split: …, columns: {audio: …, text: …, speaker: …, id: …, duration: …, offset: …}, python: … (hf_parquet)}")
        var member: Value = .null
        @Param("non-member source, same form as member") var nonmember: Value = .null
        @Param("one manifest holding both sides (with label_column) instead of member/nonmember") var source: Value = .null
        @Param("with source: the column saying the side") var labelColumn = ""
        @Param("with source: the label_column value of members (others are non-members)") var memberValue = "1"
        @Param("items on each side (an integer ≥ 1), or all: the balanced maximum") var perClass: PerClass = .count(100)
        @Param("rate downstream nodes decode at (recorded in the split)", in: 1_000...384_000) var sampleRate = 16_000
        @Param("keep only speakers present on both sides") var sameSpeakers = false
        @Param("seconds; shorter items are not drawn (0: no bound)", in: 0...86_400) var minDuration = 0.0
        @Param("seconds; longer items are not drawn (0: no bound)", in: 0...86_400) var maxDuration = 0.0
        @Param("unusable audio or text: fail the node, or record it and draw another") var onError: OnError = .fail
        @Param("dataset name for every item (default: the source's folder or file name)") var dataset = ""
    }

    /// `per_class`: a count, or `all` (the balanced maximum).
    enum PerClass: UnboundedParamValue, Equatable {
        case count(Int)
        case all

        static var paramType: ParamType { .any }
        static var placeholder: PerClass { .count(100) }

        init(param value: Value) throws(ParamDecodingError) {
            switch value {
            case .string("all"): self = .all
            case .int(let n) where (1...100_000_000).contains(n): self = .count(n)
            default: throw ParamDecodingError(value: value, expected: "an integer in 1…100000000, or all")
            }
        }

        var paramValue: Value {
            switch self {
            case .count(let n): .int(n)
            case .all: .string("all")
            }
        }

        /// nil for `all`.
        var count: Int? {
            if case .count(let n) = self { return n }
            return nil
        }
    }

    /// Both sides' listings and the settings that shape the cohort.
    struct Request {
        var members: [DatasetEntry]
        var nonMembers: [DatasetEntry]
        var memberDataset: String
        var nonMemberDataset: String
        var listingFiles: [String]
        /// nil: `per_class: all`.
        var perClass: Int?
        var sampleRate: Int
        var constraints: CohortConstraints
        var skip: Bool
        var describe: [String: AttributeValue]
        /// The interpreter of the parquet adapter when a side is hf_parquet (its embedded audio is extracted).
        var parquetPython: String?
    }

    /// `cache`: where hf_parquet listings are kept (read while planning, written while running).
    static func request(_ node: ValidatedNode, specDirectory: String, cache: HFParquet.ListingCache? = nil) throws -> Request {
        let p = try node.decodeParams(Params.self)
        let perClass = p.perClass.count
        let lo = p.minDuration, hi = p.maxDuration
        if hi > 0 && hi < lo {
            throw NodeError("node '\(node.id)': max_duration \(hi) is below min_duration \(lo); widen the range")
        }
        let constraints = CohortConstraints(sameSpeakers: p.sameSpeakers,
                                            minDuration: lo > 0 ? lo : nil, maxDuration: hi > 0 ? hi : nil)
        let datasetParam = p.dataset
        func name(_ source: DatasetSource) -> String {
            if !datasetParam.isEmpty { return datasetParam }
            return source.defaultName
        }
        func load(_ source: DatasetSource, _ param: String) throws -> DatasetListing {
            var source = source
            source.listingCache = cache
            do { return try source.load() } catch { throw NodeError("node '\(node.id)': \(param): \(error)") }
        }
        var describe: [String: AttributeValue] = [:]
        let source = p.source
        if source != .null {
            guard p.member == .null, p.nonmember == .null else {
                throw NodeError("node '\(node.id)': give either 'source' (one manifest with a label column) or 'member' and 'nonmember', not both")
            }
            let labelColumn = p.labelColumn
            guard !labelColumn.isEmpty else {
                throw NodeError("node '\(node.id)': 'source' needs 'label_column' (the column saying member or non-member)")
            }
            var parsed = try DatasetSourceParam.parse(source, name: "source", node: node.id, specDirectory: specDirectory)
            guard parsed.format.isManifest else {
                throw NodeError("node '\(node.id)': 'source' with label_column must be a jsonl, csv, tsv or hf_parquet manifest, not \(parsed.format.rawValue)")
            }
            parsed.columns = parsed.columns.withLabel(labelColumn)
            let listing = try load(parsed, "source")
            let memberValue = p.memberValue
            describe["source"] = .string("\(parsed.format.rawValue):\(parsed.path)")
            describe["label_column"] = .string(labelColumn)
            describe["member_value"] = .string(memberValue)
            return Request(members: listing.entries.filter { $0.label == memberValue },
                           nonMembers: listing.entries.filter { $0.label != memberValue },
                           memberDataset: name(parsed), nonMemberDataset: name(parsed), listingFiles: listing.files,
                           perClass: perClass, sampleRate: p.sampleRate, constraints: constraints, skip: p.onError == .skip, describe: describe,
                           parquetPython: parsed.format == .hf_parquet ? parsed.python : nil)
        }
        let memberValue = p.member, nonMemberValue = p.nonmember
        guard memberValue != .null, nonMemberValue != .null else {
            throw NodeError("node '\(node.id)': give 'member' and 'nonmember' sources ({format: …, path: …}), or one 'source' with 'label_column'")
        }
        let member = try DatasetSourceParam.parse(memberValue, name: "member", node: node.id, specDirectory: specDirectory)
        let nonMember = try DatasetSourceParam.parse(nonMemberValue, name: "nonmember", node: node.id, specDirectory: specDirectory)
        let m = try load(member, "member"), n = try load(nonMember, "nonmember")
        describe["member_source"] = .string("\(member.format.rawValue):\(member.path)\(member.split.isEmpty ? "" : "#" + member.split)")
        describe["nonmember_source"] = .string("\(nonMember.format.rawValue):\(nonMember.path)\(nonMember.split.isEmpty ? "" : "#" + nonMember.split)")
        return Request(members: m.entries, nonMembers: n.entries, memberDataset: name(member), nonMemberDataset: name(nonMember),
                       listingFiles: m.files + n.files, perClass: perClass, sampleRate: p.sampleRate, constraints: constraints,
                       skip: p.onError == .skip, describe: describe,
                       parquetPython: [member, nonMember].first { $0.format == .hf_parquet }?.python)
    }

    /// The store's `listings/` folder, keyed by shard digests from its fingerprint table.
    static func listingCache(_ store: ArtifactStore, write: Bool) -> HFParquet.ListingCache {
        let table = store.fingerprints
        return HFParquet.ListingCache(directory: store.root.appendingPathComponent("listings"), write: write) { try table.hash(path: $0) }
    }

    static func plan(_ request: Request, seed: Int, node: String) throws -> CohortPlan {
        do {
            return try CohortPlan(members: request.members, nonMembers: request.nonMembers, perClass: request.perClass,
                                  seed: seed, constraints: request.constraints)
        } catch {
            throw NodeError("node '\(node)': \(error)")
        }
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        let request = try Self.request(node, specDirectory: context.specDirectory, cache: Self.listingCache(context.store, write: false))
        // The pool does not depend on the seed (only its order does).
        let plan = try Self.plan(request, seed: 0, node: node.id)
        let table = context.store.fingerprints
        var paths = Set(request.listingFiles)
        // Embedded audio (hf_parquet) is in the shards, which are listing files.
        for entry in plan.members where entry.embedded == nil { paths.insert(entry.audioPath) }
        for entry in plan.nonMembers where entry.embedded == nil { paths.insert(entry.audioPath) }
        var files = try Self.fingerprints(of: paths.sorted(), table: table)
        if request.parquetPython != nil { files["hf_parquet adapter"] = HFParquet.adapterDigest }
        // Fingerprints are a cache: failing to persist them (a read-only store) only costs hashing again later.
        try? table.flush()
        return KeyExtras(files: files)
    }

    /// Path → content digest, hashed in parallel; an unreadable file gets a marker digest naming the path.
    static func fingerprints(of paths: [String], table: FingerprintTable) throws -> [String: Digest] {
        let slots = IndexedSlots<Digest>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let digest = (try? table.hash(path: paths[i]))
                ?? SHA256.hash("earshot-unreadable-file\n\(paths[i])")
            slots[i] = digest
        }
        try Task.checkCancellation()
        return Dictionary(uniqueKeysWithValues: zip(paths, slots.values))
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node
        let request = try Self.request(node, specDirectory: context.specDirectory, cache: Self.listingCache(context.store, write: true))
        let plan = try Self.plan(request, seed: context.seed, node: node.id)
        let table = context.store.fingerprints
        let inspection = AudioInspection(constraints: request.constraints) { try table.hash(fileAt: $0) }
        let concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var items: [Split.Item] = []
        var skipped: [Split.Skipped] = []
        let total = 2 * plan.perClass
        var chosen: [(label: Int, dataset: String, selection: CohortSelection.Result<InspectedAudio>)] = []
        for (label, order, dataset) in [(1, plan.members, request.memberDataset), (0, plan.nonMembers, request.nonMemberDataset)] {
            let done = chosen.first?.selection.accepted.count ?? 0
            let selection: CohortSelection.Result<InspectedAudio>
            do {
                selection = try CohortSelection.select(
                    side: label == 1 ? "member" : "non-member", order: order, count: plan.perClass,
                    skipFailures: request.skip, concurrency: concurrency, allowShort: plan.takesAll && request.skip,
                    prepare: { batch in
                        guard let python = request.parquetPython else { return batch }
                        return try HFParquet.extract(batch, into: context.workDirectory.appendingPathComponent("embedded"), python: python)
                    },
                    check: { inspection.inspect($0) },
                    progress: { context.progress.update(done: done + $0, total: total, note: "checking audio") })
            } catch let error as DataError {
                if case .unusable = error {
                    throw NodeError("node '\(node.id)': \(error); fix or remove the item, or set on_error: skip to leave unusable items out")
                }
                throw NodeError("node '\(node.id)': \(error)")
            }
            chosen.append((label, dataset, selection))
        }
        // per_class: all with unusable items skipped: both sides shrink to the shorter one (first in draw order).
        let perSide = chosen.map(\.selection.accepted.count).min() ?? 0
        if perSide == 0 {
            throw NodeError("node '\(node.id)': no usable item on the \(chosen[0].selection.accepted.isEmpty ? "member" : "non-member") side; see the skipped reasons with on_error: fail")
        }
        for (label, dataset, selection) in chosen {
            for (i, found) in selection.accepted.prefix(perSide).enumerated() {
                items.append(try item(found, label: label, dataset: dataset, index: i, context: context))
            }
            skipped += selection.skipped.map { Split.Skipped(id: $0.entry.id, path: $0.entry.audioPath, reason: $0.reason) }
        }
        try? table.flush()
        items.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        skipped.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        var attributes = request.describe
        attributes["per_class"] = .int(Int64(perSide))
        if plan.takesAll { attributes["per_class_all"] = .int(1) }
        attributes["seed"] = .int(Int64(context.seed))
        attributes["target_sample_rate"] = .int(Int64(request.sampleRate))
        attributes["on_error"] = .string(request.skip ? "skip" : "fail")
        attributes["same_speakers"] = .int(request.constraints.sameSpeakers ? 1 : 0)
        attributes["min_duration"] = .double(request.constraints.minDuration ?? 0)
        attributes["max_duration"] = .double(request.constraints.maxDuration ?? 0)
        if !skipped.isEmpty {
            context.progress.update(done: total, total: total, note: "\(skipped.count) unusable item\(skipped.count == 1 ? "" : "s") skipped")
        }
        return ["split": Split(items: items, skipped: skipped, attributes: attributes).artifact()]
    }

    /// The split row of a checked item; a segment's clip is written and stored first.
    func item(_ found: InspectedAudio, label: Int, dataset: String, index: Int, context: NodeContext) throws -> Split.Item {
        let entry = found.entry
        var path = entry.audioPath
        var sha = found.sha256?.hex ?? ""
        if let clip = found.clip {
            let url = context.workDirectory.appendingPathComponent("segment-\(label)-\(index).wav")
            try AudioEncoder.writeWAV(clip.samples, sampleRate: clip.sampleRate, to: url, format: .float32)
            let reference = try context.attach(fileAt: url, ext: "wav")
            path = reference.description
            sha = reference.digest.hex
        } else if let embedded = entry.embedded {
            // Audio extracted from a parquet shard: kept in the store, so the split does not depend on the shard.
            path = try context.attach(fileAt: URL(fileURLWithPath: entry.audioPath), ext: embedded.ext).description
        }
        return Split.Item(id: entry.id, label: label, dataset: dataset, audioPath: path, audioSHA256: sha, text: entry.text,
                          speaker: entry.speaker, duration: found.duration, sampleRate: found.info.sampleRate,
                          channels: found.info.channels, bitDepth: found.info.bitDepth ?? 0, format: found.format,
                          fileSize: found.info.fileSize)
    }
}
