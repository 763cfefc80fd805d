import EarshotAudio
import EarshotData
import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation
import Synchronization

/// `resynthesize`: the paper's modality-disentanglement conditions. Each realization is its own output split
/// (`r0`, `r1`, …, one per `realizations`), whose items keep their id, label, dataset, text and speaker but
/// whose audio is replaced, so the Phase 2 chain (`score` → `indicators` → `classify`) runs on each unchanged
/// (`foreach: {r: [0, 1, 2]}` with `inputs: {split: resynth.r${item.r}}`).
///
/// Conditions: `original` passes the split through (same audio; every realization is the input split);
/// `silence` writes zeros of the item's recorded duration; `noise` writes white Gaussian noise of RMS
/// `noise_level`, or, when `snr_db` is set, of RMS = RMS(original at `sample_rate`) · 10^(−snr_db/20) and
/// the original's length; `tts` speaks the item's text with an eSpeak NG voice other than its own
/// (`ResynthesisVoices`), resampled to `sample_rate` with soxr HQ; `command` asks an external program
/// (`SynthesisWorker`, `schemas/synthesis-protocol.md`). Seeds are per item and realization
/// (`ResynthesisSignal.itemSeed`), so silence is identical across realizations and noise, voices and command
/// seeds differ. New clips are mono 16-bit PCM WAV at `sample_rate`, kept in the store as `cas:` references;
/// their duration, size, hash and format replace the original's facts. The split gains the column
/// `resynthesis/voice` (the voice or program used; empty for silence and noise) and the attributes
/// `resynthesis_condition`, `resynthesis_realization`, `resynthesis_seed` and the condition's settings.
public struct ResynthesizeKind: NodeKind {
    public static let name = "resynthesize"
    public static let conditions = Condition.allCases.map(\.rawValue)

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "replace each item's audio (original, silence, gaussian noise, espeak-ng tts with other voices, or an external tts/tta program), one split per seeded realization",
            inputs: [InputSignature("split", "the split whose audio is replaced", types: [Split.artifactType])],
            outputs: [OutputSignature("r0", type: Split.artifactType, "realization 0 (r1, r2, … follow up to realizations − 1)")],
            params: Params.signatures,
            seeded: true,
            dynamicOutputs: { params in Self.outputs((try? Params(decoding: params, lenient: true))?.realizations ?? Params().realizations) })
    }

    enum Condition: String, ParamChoice { case original, silence, noise, tts, command }

    struct Params: KindParams {
        @Param("original | silence | noise | tts | command") var condition: Condition
        @Param("seeded realizations, one output split each (r0, r1, …)", in: 1...100) var realizations = 3
        @Param("rate of the written clips, hz", in: 1_000...384_000) var sampleRate = 16_000
        @Param("noise: rms of the noise (full scale 1)", in: 0...10) var noiseLevel = 0.05
        @Param("noise: when set, the noise rms is the original's rms at this snr (db) instead of noise_level", in: -60...120)
        var snrDB: Double? = nil
        @Param("tts: espeak-ng voices ('en-gb+m3' or {voice, rate, pitch}); command: voice names passed on")
        var voices: Value = .array(ResynthesisVoices.defaultVoices)
        @Param("command: the synthesis program and its arguments (schemas/synthesis-protocol.md)") var command: [String] = []
        @Param("command: seconds per item before the program is killed (0: no limit)", in: 0...604_800) var timeout = 600.0
    }

    /// Output names of a node with this many realizations.
    static func outputs(_ realizations: Int) -> [String] { (0..<max(1, realizations)).map { "r\($0)" } }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        var external: [String: Value] = [:]
        var files: [String: Digest] = [:]
        let params = try node.decodeParams(Params.self)
        switch params.condition {
        case .tts:
            guard let version = try EspeakIdentity.version(node: node.id, context: context) else {
                return KeyExtras(unknown: [EspeakIdentity.unknown])
            }
            external["espeak_ng"] = .string(version)
        case .command:
            let argv = params.command
            let resolved = try SynthesisWorker.resolve(argv: argv, specDirectory: context.specDirectory, node: node.id)
            files = resolved.files
            let identity = try IdentityCache.identity(fingerprint: resolved.fingerprint, paths: Array(argv.dropFirst()), context: context) {
                let hello = try SynthesisWorker.IdentityCache.shared.hello(for: resolved)
                return ["model_id": .string(hello.modelID), "weights_sha256": .string(hello.weightsSHA256)]
            }
            guard let identity else {
                return KeyExtras(files: files, unknown: ["the model identity of synthesis program \(resolved.command.name), read from its hello when a run starts it"])
            }
            external = identity
        default:
            break
        }
        return KeyExtras(files: files, external: external)
    }

    static func espeakVersion(node: String) throws -> String {
        do { return try EspeakSynthesizer.version() } catch {
            throw NodeError("node '\(node)': condition 'tts' needs the espeak-ng program: \(error)")
        }
    }

    /// The new audio of one item, at `sample_rate`, and what made it.
    struct Clip: Sendable {
        var samples: [Float]
        var voice: String
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node.id
        let input = try context.input("split").load()
        let split = try Split(artifact: input)
        let params = try context.decodeParams(Params.self)
        let condition = params.condition
        let outputs = Self.outputs(params.realizations)
        if condition == .original {
            return Dictionary(uniqueKeysWithValues: outputs.map { ($0, input) })
        }
        let rate = params.sampleRate
        var settings: [String: AttributeValue] = ["resynthesis_condition": .string(condition.rawValue), "resynthesis_seed": .int(Int64(context.seed)),
                                                  "resynthesis_sample_rate": .int(Int64(rate))]
        let make: @Sendable (Split.Item, Int, URL) throws -> Clip
        switch condition {
        case .silence:
            make = { item, _, _ in Clip(samples: ResynthesisSignal.silence(count: Int((item.duration * Double(rate)).rounded())), voice: "") }
        case .noise:
            let snr = params.snrDB
            let level = params.noiseLevel
            if let snr { settings["resynthesis_snr_db"] = .double(snr) } else { settings["resynthesis_noise_level"] = .double(level) }
            let store = context.store, seed = context.seed
            make = { item, r, _ in
                let noiseSeed = ResynthesisSignal.itemSeed(seed: seed, realization: r, id: item.id)
                guard let snr else {
                    return Clip(samples: ResynthesisSignal.gaussianNoise(count: Int((item.duration * Double(rate)).rounded()), rms: level, seed: noiseSeed), voice: "")
                }
                let original = try AudioLoader.load(Split.audioURL(item.audioPath, store: store), targetRate: rate).samples
                let rms = ResynthesisSignal.rms(original) * pow(10, -snr / 20)
                return Clip(samples: ResynthesisSignal.gaussianNoise(count: original.count, rms: rms, seed: noiseSeed), voice: "")
            }
        case .tts:
            let voices = try ResynthesisVoices(param: params.voices, split: split.attributes, node: node)
            settings["resynthesis_voices"] = .strings(voices.voices.map(\.description))
            settings["resynthesis_espeak_ng"] = .string(try Self.espeakVersion(node: node))
            let seed = context.seed
            make = { item, r, scratch in
                guard !item.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw NodeError("item '\(item.id)' has no text to speak; tts needs a transcript or caption")
                }
                let voice = try voices.voice(forItem: item.id, speaker: item.speaker, realization: r, seed: seed, node: node)
                let speech = try EspeakSynthesizer.synthesize(item.text, voice: voice, scratch: scratch)
                let samples = try Resampler(sourceRate: speech.sampleRate, targetRate: rate).resample(speech.samples)
                return Clip(samples: samples, voice: "espeak-ng:\(voice.description)")
            }
        case .command:
            return try await runCommand(context, params: params, split: split, input: input, settings: settings, outputs: outputs)
        case .original:
            return Dictionary(uniqueKeysWithValues: outputs.map { ($0, input) })
        }
        var result: [String: Artifact] = [:]
        let sameEveryTime = condition == .silence
        for (r, output) in outputs.enumerated() {
            if sameEveryTime, r > 0 { result[output] = result[outputs[0]]; continue }
            try Task.checkCancellation()
            let scratch = context.workDirectory.appendingPathComponent(output)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let clips = try await Self.map(split.items, width: ProcessInfo.processInfo.activeProcessorCount, progress: context.progress,
                                           note: "\(output): \(condition)") { i, item in
                do { return try make(item, r, scratch) } catch let error as NodeError {
                    throw NodeError("node '\(node)': \(error.message)")
                } catch {
                    throw NodeError("node '\(node)': item '\(item.id)' (\(condition), realization \(r)): \(error)")
                }
            }
            result[output] = try Self.split(split, input: input, clips: clips, realization: r, rate: rate, settings: settings,
                                            scratch: scratch, context: context)
        }
        return result
    }

    /// The `command` condition: one program, items in split order.
    func runCommand(_ context: NodeContext, params: Params, split: Split, input: Artifact, settings: [String: AttributeValue],
                    outputs: [String]) async throws -> [String: Artifact] {
        let node = context.node.id
        let rate = params.sampleRate
        let resolved = try SynthesisWorker.resolve(argv: params.command, specDirectory: context.specDirectory, node: node)
        let voiceNames = (params.voices.arrayValue ?? []).compactMap { $0.stringValue ?? $0.objectValue?["voice"]?.stringValue }
        let timeout = params.timeout
        let seed = context.seed
        let clipsPerRealization: [[Clip]] = try await Self.onThread { cancellation in
            let worker = try SynthesisWorker(resolved, stderr: context.workDirectory.appendingPathComponent("synthesis.stderr")) { process in
                // Ctrl-C (the task's cancellation) kills the program, which ends a blocked hello or reply at once.
                cancellation.whenCancelled { process.kill() }
            }
            return try outputs.indices.map { r in
                try split.items.enumerated().map { i, item in
                    if cancellation.isCancelled { throw CancellationError() }
                    let itemSeed = Int(ResynthesisSignal.itemSeed(seed: seed, realization: r, id: item.id) % (1 << 31))
                    let voice = voiceNames.isEmpty ? nil : voiceNames[Int(UInt64(itemSeed) % UInt64(voiceNames.count))]
                    let out = context.workDirectory.appendingPathComponent("command-r\(r)-\(i).wav")
                    do {
                        try worker.synthesize(id: item.id, text: item.text, voice: voice, seed: itemSeed, sampleRate: rate, out: out, timeout: timeout)
                    } catch where cancellation.isCancelled {
                        throw CancellationError()
                    }
                    let audio: LoadedAudio
                    do { audio = try AudioLoader.load(out, targetRate: rate) } catch {
                        throw NodeError("node '\(node)': the clip the synthesis program wrote for item '\(item.id)' cannot be read: \(error)")
                    }
                    try? FileManager.default.removeItem(at: out)
                    context.progress.update(done: r * split.items.count + i + 1, total: outputs.count * split.items.count, note: "command")
                    return Clip(samples: audio.samples, voice: "command:\(worker.hello.modelID)" + (voice.map { ":\($0)" } ?? ""))
                }
            }
        }
        let hello = try SynthesisWorker.IdentityCache.shared.hello(for: resolved)
        var withModel = settings
        withModel["resynthesis_model_id"] = .string(hello.modelID)
        withModel["resynthesis_weights_sha256"] = .string(hello.weightsSHA256)
        var result: [String: Artifact] = [:]
        for (r, output) in outputs.enumerated() {
            let scratch = context.workDirectory.appendingPathComponent(output)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            result[output] = try Self.split(split, input: input, clips: clipsPerRealization[r], realization: r, rate: rate,
                                            settings: withModel, scratch: scratch, context: context)
        }
        return result
    }

    /// Writes the clips as WAV files into the store and returns the new split's artifact.
    static func split(_ split: Split, input: Artifact, clips: [Clip], realization: Int, rate: Int,
                      settings: [String: AttributeValue], scratch: URL, context: NodeContext) throws -> Artifact {
        var out = split
        for (i, clip) in clips.enumerated() {
            let url = scratch.appendingPathComponent("\(i).wav")
            try AudioEncoder.writeWAV(clip.samples, sampleRate: rate, to: url, format: .pcm16)
            let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            let ref = try context.attach(fileAt: url, ext: "wav")
            out.items[i].audioPath = ref.description
            out.items[i].audioSHA256 = ref.digest.hex
            out.items[i].duration = Double(clip.samples.count) / Double(rate)
            out.items[i].sampleRate = rate
            out.items[i].channels = 1
            out.items[i].bitDepth = 16
            out.items[i].format = "WAV/PCM_16"
            out.items[i].fileSize = size
        }
        for (k, v) in settings { out.attributes[k] = v }
        out.attributes["resynthesis_realization"] = .int(Int64(realization))
        var artifact = out.artifact()
        artifact.setColumn("resynthesis/voice", clips.map(\.voice))
        return artifact
    }

    /// `transform` over `items` with at most `width` running at once; results by index.
    static func map<T: Sendable>(_ items: [Split.Item], width: Int, progress: ProgressHandle, note: String,
                                 _ transform: @escaping @Sendable (Int, Split.Item) throws -> T) async throws -> [T] {
        var results = [T?](repeating: nil, count: items.count)
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var next = 0, done = 0
            func add() {
                let i = next
                group.addTask { try Task.checkCancellation(); return (i, try transform(i, items[i])) }
                next += 1
            }
            while next < min(max(1, width), items.count) { add() }
            while let (i, value) = try await group.next() {
                results[i] = value
                done += 1
                progress.update(done: done, total: items.count, note: note)
                if next < items.count { add() }
            }
        }
        return results.map { $0! }
    }

    /// Runs blocking work (pipe I/O with deadlines) on its own thread, off the cooperative pool. `Task.isCancelled`
    /// is always false on that thread, so the body gets the calling task's cancellation as a `ThreadCancellation`.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable (ThreadCancellation) throws -> T) async throws -> T {
        let cancellation = ThreadCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread { continuation.resume(with: Result { try body(cancellation) }) }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }
}

/// A task's cancellation seen from a thread outside Swift concurrency: a flag to poll and actions (killing a
/// program blocked in I/O) run once when it is set.
final class ThreadCancellation: Sendable {
    private let state = Mutex<(cancelled: Bool, actions: [@Sendable () -> Void])>((false, []))

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func cancel() {
        let actions = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.cancelled else { return [] }
            s.cancelled = true
            defer { s.actions = [] }
            return s.actions
        }
        for action in actions { action() }
    }

    /// Runs `action` when cancelled, or now if already cancelled.
    func whenCancelled(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.cancelled { return true }
            s.actions.append(action)
            return false
        }
        if now { action() }
    }
}
