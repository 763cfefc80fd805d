import EarshotAudio
import EarshotLearn
import EarshotData
import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation
import Synchronization

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

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "a synthetic member/non-member speech corpus (eSpeak NG), matched or shifted by named factors",
            outputs: [OutputSignature("split", type: Split.artifactType, "the corpus as a split; clips stored as cas: WAV attachments")],
            params: Params.signatures,
            seeded: true)
    }

    enum Side: String, ParamChoice { case nonmember, member }

    /// Bounds: what one node can synthesize and store (clips are rendered in memory at up to 192 kHz).
    struct Params: KindParams {
        @Param("utterances on each side", in: SyntheticCorpus.perClassRange) var perClass = 200
        @Param("speakers per voice pool", in: 1...64) var speakers = 6
        @Param("factors by which the shifted side differs (empty: matched)", type: .list(.choice(CorpusShift.Factor.allCases.map(\.rawValue))))
        var shift: [String] = []
        @Param("the side the shift applies to") var shiftSide: Side = .nonmember
        @Param("noise: signal-to-noise ratio in dB", in: -60...120) var snrDB = 10.0
        @Param("gain: level change in dB", in: -60...20) var gainDB = -12.0
        @Param("bandlimit: low-pass cutoff in Hz", in: 100...96_000) var bandlimitHz = 2_000.0
        @Param("silence: seconds added before and after", in: 0...30) var silenceS = 0.75
        @Param("text domain of both sides", type: .choice(SentenceVocabulary.domains)) var domain = "everyday"
        @Param("text_domain: the shifted side's domain", type: .choice(SentenceVocabulary.domains)) var shiftDomain = "technical"
        @Param("shortest sentence, in words", in: 1...200) var minWords = 4
        @Param("longest sentence, in words", in: 1...200) var maxWords = 16
        @Param("rate of the written clips", in: SyntheticCorpus.sampleRateRange) var sampleRate = 16_000
        @Param("dataset name of every item") var dataset = "synth"
        @Param("independent draw of the same distribution: 0, 1, … give different speakers' settings, sentences and noise (e.g. a reference target's memory corpus)",
               in: 0...1_000_000_000)
        var draw = 0
    }

    static func corpus(_ p: Params, seed: Int, node: String) throws -> SyntheticCorpus {
        do {
            let shift = CorpusShift(
                factors: try CorpusShift.factors(p.shift), snrDecibels: p.snrDB, gainDecibels: p.gainDB,
                bandlimitHz: p.bandlimitHz, silenceSeconds: p.silenceS, shiftedDomain: p.shiftDomain)
            return try SyntheticCorpus(
                perClass: p.perClass, speakersPerSide: p.speakers, shift: shift, shiftedLabel: p.shiftSide == .member ? 1 : 0,
                domain: p.domain, minWords: p.minWords, maxWords: p.maxWords, sampleRate: p.sampleRate,
                seed: Self.drawSeed(seed, draw: p.draw))
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
        guard let version = try EspeakIdentity.version(node: node.id, context: context) else {
            return KeyExtras(unknown: [EspeakIdentity.unknown])
        }
        return KeyExtras(external: ["espeak-ng": .string(version)])
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node
        let params = try context.decodeParams(Params.self)
        let corpus = try Self.corpus(params, seed: context.seed, node: node.id)
        let utterances = corpus.plan()
        let scratch = context.workDirectory
        let results = IndexedSlots<Result<Int, NodeError>>(count: utterances.count)
        let done = Atomic<Int>(0)
        @Sendable func synthesize(_ i: Int) {
            let url = scratch.appendingPathComponent("\(utterances[i].id).wav")
            do {
                let samples = try corpus.render(utterances[i], scratch: scratch)
                try AudioEncoder.writeWAV(samples, sampleRate: corpus.sampleRate, to: url, format: .pcm16)
                results[i] = .success(samples.count)
            } catch {
                results[i] = .failure(NodeError("node '\(node.id)': utterance '\(utterances[i].id)' (\(utterances[i].speaker.voice)): \(error)"))
            }
            context.progress.update(done: done.wrappingAdd(1, ordering: .relaxed).newValue, total: utterances.count, note: "synthesizing")
        }
        // concurrentPerform's worker threads run outside the task, where Task.isCancelled is always false: a flag
        // set by the task's cancellation handler stops the remaining clips.
        let stop = Atomic<Bool>(false)
        await withTaskCancellationHandler {
            DispatchQueue.concurrentPerform(iterations: utterances.count) { i in
                if stop.load(ordering: .relaxed) { return }
                synthesize(i)
            }
        } onCancel: {
            stop.store(true, ordering: .relaxed)
        }
        try Task.checkCancellation()
        var items: [Split.Item] = []
        for (i, u) in utterances.enumerated() {
            guard let frames = try results.value(at: i)?.get() else { throw CancellationError() }
            let url = scratch.appendingPathComponent("\(u.id).wav")
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
            let reference = try context.attach(fileAt: url, ext: "wav")
            items.append(Split.Item(
                id: "\(params.dataset)-\(u.id)", label: u.label, dataset: params.dataset, audioPath: reference.description,
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
            "per_class": .int(Int64(corpus.perClass)), "seed": .int(Int64(context.seed)), "draw": .int(Int64(params.draw)),
        ]
        return ["split": Split(items: items, attributes: attributes).artifact()]
    }
}
