import EarshotAudio
import EarshotData
import EarshotFeatures
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `features.acoustic`: pooled frame-wise acoustic descriptors per item (`AcousticDescriptors`).
///
/// Each item's audio is decoded, mixed to mono and resampled to `sample_rate` (`AudioLoader.load`, librosa's
/// `load(sr=…, mono=True, res_type='soxr_hq')` conventions; `cas:` paths resolve into the store), then
/// described frame by frame (MFCC, spectral centroid/bandwidth/rolloff, RMS, ZCR, YIN pitch with voicing)
/// and pooled (mean, std, p10, p50, p90 per row, plus the voiced fraction); column names are
/// `AcousticDescriptors.columnNames`. Items run in parallel, at most one per core, results placed by index.
/// `fmax: 0` means the Nyquist frequency.
public struct AcousticFeaturesKind: NodeKind {
    public static let name = "features.acoustic"

    public init() {}

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "pooled mfcc, spectral centroid/bandwidth/rolloff, rms, zcr and yin pitch per item (librosa conventions)",
            inputs: [InputSignature("split", "the items", types: [Split.artifactType])],
            outputs: [OutputSignature("features", type: FeatureTable.artifactType, "dense matrix X (items × pooled descriptors) with column names")],
            params: [
                ParamSignature("sample_rate", .int(min: 1), default: .int(16_000), "rate the audio is resampled to (hz)"),
                ParamSignature("n_fft", .int(min: 2), default: .int(512), "fft size and window length"),
                ParamSignature("hop_length", .int(min: 1), default: .int(160), "hop of every frame-wise feature"),
                ParamSignature("n_mfcc", .int(min: 1), default: .int(13), "cepstral coefficients kept"),
                ParamSignature("n_mels", .int(min: 1), default: .int(40), "slaney mel bands"),
                ParamSignature("fmin", .double(min: 0), default: .double(0), "lowest mel edge (hz)"),
                ParamSignature("fmax", .double(min: 0), default: .double(0), "highest mel edge (hz); 0: nyquist"),
                ParamSignature("top_db", .double(min: 0), default: .double(80), "power_to_db dynamic range below the utterance maximum"),
                ParamSignature("rolloff", .double(min: 0, max: 1), default: .double(0.85), "spectral rolloff fraction"),
                ParamSignature("frame_length", .int(min: 1), default: .int(512), "rms and zero-crossing frame length"),
                ParamSignature("pitch_fmin", .double(min: 0), default: .double(50), "yin lowest f0 (hz)"),
                ParamSignature("pitch_fmax", .double(min: 0), default: .double(500), "yin highest f0 (hz)"),
                ParamSignature("pitch_frame_length", .int(min: 2), default: .int(1024), "yin frame length"),
            ])
    }

    /// The descriptor parameters of a node's params.
    static func parameters(_ context: NodeContext) -> AcousticParameters {
        var p = AcousticParameters()
        p.sampleRate = Double(context.int("sample_rate") ?? 16_000)
        p.nFFT = context.int("n_fft") ?? p.nFFT
        p.hopLength = context.int("hop_length") ?? p.hopLength
        p.nMFCC = context.int("n_mfcc") ?? p.nMFCC
        p.nMels = context.int("n_mels") ?? p.nMels
        p.fMin = context.double("fmin") ?? p.fMin
        let fMax = context.double("fmax") ?? 0
        p.fMax = fMax > 0 ? fMax : nil
        p.topDB = context.double("top_db") ?? 80
        p.rolloffPercent = context.double("rolloff") ?? p.rolloffPercent
        p.frameLength = context.int("frame_length") ?? p.frameLength
        p.pitchFMin = context.double("pitch_fmin") ?? p.pitchFMin
        p.pitchFMax = context.double("pitch_fmax") ?? p.pitchFMax
        p.pitchFrameLength = context.int("pitch_frame_length") ?? p.pitchFrameLength
        return p
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let split = try Phase1Inputs.split(context, input: "split")
        let descriptors: AcousticDescriptors
        do { descriptors = try AcousticDescriptors(parameters: Self.parameters(context)) } catch {
            throw NodeError("node '\(context.node.id)': \(error)")
        }
        let rows = try await Self.describe(split.items, descriptors: descriptors, store: context.store,
                                           progress: context.progress)
        let columns = descriptors.columnNames
        let table = FeatureTable(name: "acoustic", ids: split.items.map(\.id),
                                 content: .dense(columns: columns, values: rows.flatMap { $0 }))
        return ["features": try table.artifact(labels: split.items.map(\.label))]
    }

    /// Pooled descriptors of every item, in item order; at most `activeProcessorCount` items at once.
    static func describe(_ items: [Split.Item], descriptors: AcousticDescriptors, store: ArtifactStore,
                         progress: ProgressHandle) async throws -> [[Double]] {
        let limit = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let rate = Int(descriptors.parameters.sampleRate)
        var rows = [[Double]](repeating: [], count: items.count)
        try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
            var next = 0, done = 0
            while next < min(limit, items.count) {
                let i = next
                group.addTask { (i, try describe(items[i], descriptors: descriptors, store: store, rate: rate)) }
                next += 1
            }
            while let (i, row) = try await group.next() {
                rows[i] = row
                done += 1
                progress.update(done: done, total: items.count, note: items[i].id)
                if next < items.count {
                    try Task.checkCancellation()
                    let j = next
                    group.addTask { (j, try describe(items[j], descriptors: descriptors, store: store, rate: rate)) }
                    next += 1
                }
            }
        }
        return rows
    }

    static func describe(_ item: Split.Item, descriptors: AcousticDescriptors, store: ArtifactStore, rate: Int) throws -> [Double] {
        try Task.checkCancellation()
        do {
            let url = try Split.audioURL(item.audioPath, store: store)
            let audio = try AudioLoader.load(url, targetRate: rate)
            return try descriptors.pooled(audio.samples).values
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw NodeError("item '\(item.id)' (\(item.audioPath)): \(error)")
        }
    }
}
