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

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "pooled mfcc, spectral centroid/bandwidth/rolloff, rms, zcr and yin pitch per item (librosa conventions)",
            inputs: [InputSignature("split", "the items", types: [Split.artifactType])],
            outputs: [OutputSignature("features", type: FeatureTable.artifactType, "dense matrix X (items × pooled descriptors) with column names")],
            params: Params.signatures)
    }

    /// Bounds: what the descriptors can compute on one clip (frames and FFTs up to 2^16 samples, rates up to 384 kHz).
    struct Params: KindParams {
        @Param("rate the audio is resampled to (hz)", in: 1_000...AcousticParameters.maxSampleRate) var sampleRate = 16_000
        @Param("fft size and window length", in: 2...AcousticParameters.maxFrameLength) var nFFT = 512
        @Param("hop of every frame-wise feature", in: 1...AcousticParameters.maxFrameLength) var hopLength = 160
        @Param("cepstral coefficients kept", in: 1...AcousticParameters.maxMFCC) var nMFCC = 13
        @Param("slaney mel bands", in: 1...AcousticParameters.maxMels) var nMels = 40
        @Param("lowest mel edge (hz)", in: 0...192_000) var fmin = 0.0
        @Param("highest mel edge (hz); 0: nyquist", in: 0...192_000) var fmax = 0.0
        @Param("power_to_db dynamic range below the utterance maximum", in: 0...1_000) var topDB = 80.0
        @Param("spectral rolloff fraction", in: 0...1) var rolloff = 0.85
        @Param("rms and zero-crossing frame length", in: 1...AcousticParameters.maxFrameLength) var frameLength = 512
        @Param("yin lowest f0 (hz)", in: 0...192_000) var pitchFmin = 50.0
        @Param("yin highest f0 (hz)", in: 0...192_000) var pitchFmax = 500.0
        @Param("yin frame length", in: 2...AcousticParameters.maxFrameLength) var pitchFrameLength = 1024

        /// The descriptor parameters these params set.
        var parameters: AcousticParameters {
            var p = AcousticParameters()
            p.sampleRate = Double(sampleRate)
            p.nFFT = nFFT
            p.hopLength = hopLength
            p.nMFCC = nMFCC
            p.nMels = nMels
            p.fMin = fmin
            p.fMax = fmax > 0 ? fmax : nil
            p.topDB = topDB
            p.rolloffPercent = rolloff
            p.frameLength = frameLength
            p.pitchFMin = pitchFmin
            p.pitchFMax = pitchFmax
            p.pitchFrameLength = pitchFrameLength
            return p
        }
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let split = try Phase1Inputs.split(context, input: "split")
        let parameters = try context.decodeParams(Params.self).parameters
        let descriptors: AcousticDescriptors
        do { descriptors = try AcousticDescriptors(parameters: parameters) } catch {
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
