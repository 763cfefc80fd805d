import EarshotAudio
import EarshotLearn
import EarshotData
import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `synth_corpus`: a member/non-member speech corpus synthesized here with eSpeak NG (see `SyntheticCorpus`),
/// either matched (`shift: []`, both sides from one distribution) or shifted on one side (`shift_side`) by the
/// named factors of `CorpusShift` with the strengths given in params.
///
/// Each clip is written as a mono 16-bit PCM WAV at `sample_rate` and stored with the result (`cas:` audio
/// paths); the split lists text, speaker (`A1`…, `B1`… with `voice_set`), dataset and audio facts, with the
/// speakers' voices and the shift in its attributes. The same params and seed give byte-identical clips and
/// artifacts; the key includes the `espeak-ng --version` line, since another eSpeak release speaks differently.
public struct SynthCorpusKind: NodeKind {
    public static let name = "synth_corpus"

    public init() {}

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "a synthetic member/non-member speech corpus (eSpeak NG), matched or shifted by named factors",
            outputs: [OutputSignature("split", type: Split.artifactType, "the corpus as a split; clips stored as cas: WAV attachments")],
            params: [
                ParamSignature("per_class", .int(min: 1), default: .int(200), "utterances on each side"),
                ParamSignature("speakers", .int(min: 1, max: 64), default: .int(6), "speakers per voice pool"),
                ParamSignature("shift", .list(.choice(CorpusShift.Factor.allCases.map(\.rawValue))), default: .array([]),
                               "factors by which the shifted side differs (empty: matched)"),
                ParamSignature("shift_side", .choice(["nonmember", "member"]), default: .string("nonmember"), "the side the shift applies to"),
                ParamSignature("snr_db", .double(), default: .double(10), "noise: signal-to-noise ratio in dB"),
                ParamSignature("gain_db", .double(min: -60, max: 20), default: .double(-12), "gain: level change in dB"),
                ParamSignature("bandlimit_hz", .double(min: 100), default: .double(2_000), "bandlimit: low-pass cutoff in Hz"),
                ParamSignature("silence_s", .double(min: 0, max: 30), default: .double(0.75), "silence: seconds added before and after"),
                ParamSignature("domain", .choice(SentenceVocabulary.domains), default: .string("everyday"), "text domain of both sides"),
                ParamSignature("shift_domain", .choice(SentenceVocabulary.domains), default: .string("technical"), "text_domain: the shifted side's domain"),
                ParamSignature("min_words", .int(min: 1), default: .int(4), "shortest sentence, in words"),
                ParamSignature("max_words", .int(min: 1), default: .int(16), "longest sentence, in words"),
                ParamSignature("sample_rate", .int(min: 8_000), default: .int(16_000), "rate of the written clips"),
                ParamSignature("dataset", .string, default: .string("synth"), "dataset name of every item"),
                ParamSignature("draw", .int(min: 0), default: .int(0),
                               "independent draw of the same distribution: 0, 1, … give different speakers' settings, sentences and noise (e.g. a reference target's memory corpus)"),
            ],
            seeded: true)
    }

    static func corpus(_ params: [String: Value], seed: Int, node: String) throws -> SyntheticCorpus {
        do {
            let shift = CorpusShift(
                factors: try CorpusShift.factors(params["shift"]?.arrayValue?.compactMap(\.stringValue) ?? []),
                snrDecibels: params["snr_db"]?.doubleValue ?? 10, gainDecibels: params["gain_db"]?.doubleValue ?? -12,
                bandlimitHz: params["bandlimit_hz"]?.doubleValue ?? 2_000, silenceSeconds: params["silence_s"]?.doubleValue ?? 0.75,
                shiftedDomain: params["shift_domain"]?.stringValue ?? "technical")
            return try SyntheticCorpus(
                perClass: params["per_class"]?.intValue ?? 200, speakersPerSide: params["speakers"]?.intValue ?? 6, shift: shift,
                shiftedLabel: params["shift_side"]?.stringValue == "member" ? 1 : 0, domain: params["domain"]?.stringValue ?? "everyday",
                minWords: params["min_words"]?.intValue ?? 4, maxWords: params["max_words"]?.intValue ?? 16,
                sampleRate: params["sample_rate"]?.intValue ?? 16_000, seed: Self.drawSeed(seed, draw: params["draw"]?.intValue ?? 0))
        } catch {
            throw NodeError("node '\(node)': \(error)")
        }
    }

    /// Draw 0 uses the experiment seed as is; draw d mixes d in with a SplitMix64 step, so draws are independent.
    static func drawSeed(_ seed: Int, draw: Int) -> Int {
        guard draw > 0 else { return seed }
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)) ^ (UInt64(draw) &* 0x9E37_79B9_7F4A_7C15))
        return Int(Int64(bitPattern: rng.next()))
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        do {
            return KeyExtras(external: ["espeak-ng": .string(try EspeakSynthesizer.version())])
        } catch {
            throw NodeError("node '\(node.id)': \(error)")
        }
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node
        let corpus = try Self.corpus(context.params, seed: context.seed, node: node.id)
        let utterances = corpus.plan()
        let scratch = context.workDirectory
        let results = ClipSlots(count: utterances.count)
        let done = ClipSlots.Counter()
        DispatchQueue.concurrentPerform(iterations: utterances.count) { i in
            if Task.isCancelled { return }
            let url = scratch.appendingPathComponent("\(utterances[i].id).wav")
            do {
                let samples = try corpus.render(utterances[i], scratch: scratch)
                try AudioEncoder.writeWAV(samples, sampleRate: corpus.sampleRate, to: url, format: .pcm16)
                results.set(i, .success(samples.count))
            } catch {
                results.set(i, .failure(NodeError("node '\(node.id)': utterance '\(utterances[i].id)' (\(utterances[i].speaker.voice)): \(error)")))
            }
            context.progress.update(done: done.increment(), total: utterances.count, note: "synthesizing")
        }
        try Task.checkCancellation()
        var items: [Split.Item] = []
        for (i, u) in utterances.enumerated() {
            let frames = try results.get(i)
            let url = scratch.appendingPathComponent("\(u.id).wav")
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            let reference = try context.attach(fileAt: url, ext: "wav")
            items.append(Split.Item(
                id: "\(context.string("dataset") ?? "synth")-\(u.id)", label: u.label, dataset: context.string("dataset") ?? "synth", audioPath: reference.description,
                audioSHA256: reference.digest.hex, text: u.transcript,
                speaker: u.speaker.id, duration: Double(frames) / Double(corpus.sampleRate), sampleRate: corpus.sampleRate,
                channels: 1, bitDepth: 16, format: "WAV/PCM_16", fileSize: size))
        }
        var speakers: [String: String] = [:]
        for u in utterances { speakers[u.speaker.id] = "\(u.speaker.id)=\(u.speaker.voice)" }
        let attributes: [String: AttributeValue] = [
            "mode": .string(corpus.shift.isMatched ? "matched" : "shifted"),
            "shift": .strings(corpus.shift.factors.sorted().map(\.rawValue)),
            "shift_side": .string(corpus.shiftedLabel == 1 ? "member" : "nonmember"),
            "snr_db": .double(corpus.shift.snrDecibels), "gain_db": .double(corpus.shift.gainDecibels),
            "bandlimit_hz": .double(corpus.shift.bandlimitHz), "silence_s": .double(corpus.shift.silenceSeconds),
            "domain": .string(corpus.domain), "shift_domain": .string(corpus.shift.shiftedDomain),
            "speakers": .strings(speakers.keys.sorted().map { speakers[$0]! }),
            "per_class": .int(Int64(corpus.perClass)), "seed": .int(Int64(context.seed)), "draw": .int(Int64(context.int("draw") ?? 0)),
        ]
        return ["split": Split(items: items, attributes: attributes).artifact()]
    }
}

/// Per-utterance results written by index from concurrent iterations.
/// Thread-safety: `@unchecked Sendable` because `slots` and `count` are guarded by `lock`.
final class ClipSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Int, NodeError>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ result: Result<Int, NodeError>) { lock.withLock { slots[i] = result } }
    func get(_ i: Int) throws -> Int {
        guard let result = lock.withLock({ slots[i] }) else { throw CancellationError() }
        return try result.get()
    }

    /// A shared count of finished iterations.
    /// Thread-safety: `@unchecked Sendable` because `value` is guarded by `lock`.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.withLock { value += 1; return value } }
    }
}
