import EarshotAudio
import EarshotData
import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `load_split`: a balanced member/non-member cohort from real datasets, with every chosen file checked.
///
/// Sources: `member` and `nonmember` (`{format: librispeech|jsonl|csv|tsv|kaldi, path: …, columns: {…}}`), or one
/// manifest `source` whose `label_column` says the side (`member_value` → member, any other value → non-member).
/// Eligibility and draw order are `CohortPlan`'s (seeded; `same_speakers`, `min_duration`/`max_duration` with 0
/// meaning unbounded). Each drawn item is decoded in full with libsndfile (`AudioInspection`); its original
/// sample rate, channels, bit depth, format, duration, file size and SHA-256 enter the split. Kaldi segments are
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
            name: Self.name, version: 1,
            summary: "a balanced member/non-member split from LibriSpeech, JSONL/CSV/TSV manifests or Kaldi directories, each file checked",
            outputs: [OutputSignature("split", type: Split.artifactType, "ids, labels (1 member / 0 non-member), audio paths and hashes, text, speaker, audio facts")],
            params: Params.signatures,
            seeded: true)
    }

    struct Params: KindParams {
        @Param("member source: {format: librispeech|jsonl|csv|tsv|kaldi, path: …, columns: {audio: …, text: …, speaker: …, id: …}}")
        var member: Value = .null
        @Param("non-member source, same form as member") var nonmember: Value = .null
        @Param("one manifest holding both sides (with label_column) instead of member/nonmember") var source: Value = .null
        @Param("with source: the column saying the side") var labelColumn = ""
        @Param("with source: the label_column value of members (others are non-members)") var memberValue = "1"
        @Param("items on each side", in: 1...100_000_000) var perClass = 100
        @Param("rate downstream nodes decode at (recorded in the split)", in: 1_000...384_000) var sampleRate = 16_000
        @Param("keep only speakers present on both sides") var sameSpeakers = false
        @Param("seconds; shorter items are not drawn (0: no bound)", in: 0...86_400) var minDuration = 0.0
        @Param("seconds; longer items are not drawn (0: no bound)", in: 0...86_400) var maxDuration = 0.0
        @Param("unusable audio or text: fail the node, or record it and draw another") var onError: OnError = .fail
        @Param("dataset name for every item (default: the source's folder or file name)") var dataset = ""
    }

    /// Both sides' listings and the settings that shape the cohort.
    struct Request {
        var members: [DatasetEntry]
        var nonMembers: [DatasetEntry]
        var memberDataset: String
        var nonMemberDataset: String
        var listingFiles: [String]
        var perClass: Int
        var sampleRate: Int
        var constraints: CohortConstraints
        var skip: Bool
        var describe: [String: AttributeValue]
    }

    static func request(_ node: ValidatedNode, specDirectory: String) throws -> Request {
        let p = try node.decodeParams(Params.self)
        let perClass = p.perClass
        let lo = p.minDuration, hi = p.maxDuration
        if hi > 0 && hi < lo {
            throw NodeError("node '\(node.id)': max_duration \(hi) is below min_duration \(lo); widen the range")
        }
        let constraints = CohortConstraints(sameSpeakers: p.sameSpeakers,
                                            minDuration: lo > 0 ? lo : nil, maxDuration: hi > 0 ? hi : nil)
        let datasetParam = p.dataset
        func name(_ source: DatasetSource) -> String {
            if !datasetParam.isEmpty { return datasetParam }
            let last = (source.path as NSString).lastPathComponent
            return source.format == .librispeech || source.format == .kaldi ? last : (last as NSString).deletingPathExtension
        }
        func load(_ source: DatasetSource, _ param: String) throws -> DatasetListing {
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
            guard [.jsonl, .csv, .tsv].contains(parsed.format) else {
                throw NodeError("node '\(node.id)': 'source' with label_column must be a jsonl, csv or tsv manifest, not \(parsed.format.rawValue)")
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
                           perClass: perClass, sampleRate: p.sampleRate, constraints: constraints, skip: p.onError == .skip, describe: describe)
        }
        let memberValue = p.member, nonMemberValue = p.nonmember
        guard memberValue != .null, nonMemberValue != .null else {
            throw NodeError("node '\(node.id)': give 'member' and 'nonmember' sources ({format: …, path: …}), or one 'source' with 'label_column'")
        }
        let member = try DatasetSourceParam.parse(memberValue, name: "member", node: node.id, specDirectory: specDirectory)
        let nonMember = try DatasetSourceParam.parse(nonMemberValue, name: "nonmember", node: node.id, specDirectory: specDirectory)
        let m = try load(member, "member"), n = try load(nonMember, "nonmember")
        describe["member_source"] = .string("\(member.format.rawValue):\(member.path)")
        describe["nonmember_source"] = .string("\(nonMember.format.rawValue):\(nonMember.path)")
        return Request(members: m.entries, nonMembers: n.entries, memberDataset: name(member), nonMemberDataset: name(nonMember),
                       listingFiles: m.files + n.files, perClass: perClass, sampleRate: p.sampleRate, constraints: constraints,
                       skip: p.onError == .skip, describe: describe)
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
        let request = try Self.request(node, specDirectory: context.specDirectory)
        // The pool does not depend on the seed (only its order does).
        let plan = try Self.plan(request, seed: 0, node: node.id)
        let table = context.store.fingerprints
        var paths = Set(request.listingFiles)
        for entry in plan.members { paths.insert(entry.audioPath) }
        for entry in plan.nonMembers { paths.insert(entry.audioPath) }
        let files = try Self.fingerprints(of: paths.sorted(), table: table)
        // Fingerprints are a cache: failing to persist them (a read-only store) only costs hashing again later.
        try? table.flush()
        return KeyExtras(files: files)
    }

    /// Path → content digest, hashed in parallel; an unreadable file gets a marker digest naming the path.
    static func fingerprints(of paths: [String], table: FingerprintTable) throws -> [String: Digest] {
        let slots = DigestSlots(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let digest = (try? table.hash(path: paths[i]))
                ?? SHA256.hash("earshot-unreadable-file\n\(paths[i])")
            slots.set(i, digest)
        }
        try Task.checkCancellation()
        return Dictionary(uniqueKeysWithValues: zip(paths, slots.values))
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node
        let request = try Self.request(node, specDirectory: context.specDirectory)
        let plan = try Self.plan(request, seed: context.seed, node: node.id)
        let table = context.store.fingerprints
        let inspection = AudioInspection(constraints: request.constraints) { try table.hash(fileAt: $0) }
        let concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var items: [Split.Item] = []
        var skipped: [Split.Skipped] = []
        let total = 2 * request.perClass
        for (label, order, dataset) in [(1, plan.members, request.memberDataset), (0, plan.nonMembers, request.nonMemberDataset)] {
            let done = items.count
            let selection: CohortSelection.Result<InspectedAudio>
            do {
                selection = try CohortSelection.select(
                    side: label == 1 ? "member" : "non-member", order: order, count: request.perClass,
                    skipFailures: request.skip, concurrency: concurrency, check: { inspection.inspect($0) },
                    progress: { context.progress.update(done: done + $0, total: total, note: "checking audio") })
            } catch let error as DataError {
                if case .unusable = error {
                    throw NodeError("node '\(node.id)': \(error); fix or remove the item, or set on_error: skip to leave unusable items out")
                }
                throw NodeError("node '\(node.id)': \(error)")
            }
            for (i, found) in selection.accepted.enumerated() {
                items.append(try item(found, label: label, dataset: dataset, index: i, context: context))
            }
            skipped += selection.skipped.map { Split.Skipped(id: $0.entry.id, path: $0.entry.audioPath, reason: $0.reason) }
        }
        try? table.flush()
        items.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        skipped.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        var attributes = request.describe
        attributes["per_class"] = .int(Int64(request.perClass))
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
            path = try context.attach(fileAt: url, ext: "wav")
            sha = String(path.dropFirst(Split.storePrefix.count).prefix(64))
        }
        return Split.Item(id: entry.id, label: label, dataset: dataset, audioPath: path, audioSHA256: sha, text: entry.text,
                          speaker: entry.speaker, duration: found.duration, sampleRate: found.info.sampleRate,
                          channels: found.info.channels, bitDepth: found.info.bitDepth ?? 0, format: found.format,
                          fileSize: found.info.fileSize)
    }
}

/// Digests written by index from concurrent iterations.
/// Thread-safety: `@unchecked Sendable` because `slots` is guarded by `lock`.
final class DigestSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Digest?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ digest: Digest) { lock.withLock { slots[i] = digest } }
    var values: [Digest] { lock.withLock { slots.map { $0! } } }
}
