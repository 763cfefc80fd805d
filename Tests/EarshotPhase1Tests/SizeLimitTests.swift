import EarshotAudio
import EarshotData
import EarshotFeatures
import EarshotLearn
import Testing

/// The overflow and allocation sites found by the attack campaign (issue 13) refuse absurd sizes with an error
/// at the source, whatever the caller validated.
@Suite struct SizeLimitTests {
    static let huge = [1 << 62, Int.max, 1_000_000]

    @Test func acousticParametersRefuseSizesTheyCannotCompute() {
        for value in Self.huge {
            for set in [{ (p: inout AcousticParameters) in p.nFFT = value }, { $0.nMels = value }, { $0.frameLength = value },
                        { $0.pitchFrameLength = value }, { $0.hopLength = value }, { $0.nMFCC = value }] {
                var p = AcousticParameters()
                set(&p)
                #expect(throws: FeatureError.self) { try p.validate() }
            }
        }
        var p = AcousticParameters()
        p.sampleRate = Double(Int64.max)
        #expect(throws: FeatureError.self) { try p.validate() }
        #expect(throws: Never.self) { try AcousticParameters().validate() }
    }

    @Test func framingCountsWithoutOverflow() {
        #expect(CenteredFraming(frameLength: Int.max, hopLength: 1).frameCount(sampleCount: 100) == 100)
        #expect(CenteredFraming(frameLength: 1 << 62, hopLength: 1 << 62).frameCount(sampleCount: Int.max) == 2)
        #expect(CenteredFraming(frameLength: 512, hopLength: 160).frameCount(sampleCount: 16_000) == 101)
    }

    @Test func bootstrapRefusesAbsurdResampleCounts() {
        for r in Self.huge.dropLast() {
            #expect(throws: LearnError.self) {
                _ = try Bootstrap.aucConfidenceInterval(scores: [0.1, 0.9, 0.4, 0.6], labels: [false, true, false, true], resamples: r, seed: 1)
            }
        }
    }

    @Test func syntheticCorpusAndResamplerRefuseAbsurdSizes() {
        #expect(throws: DataError.self) { _ = try SyntheticCorpus(perClass: Int.max, speakersPerSide: 2, shift: CorpusShift(), seed: 1) }
        #expect(throws: DataError.self) { _ = try SyntheticCorpus(perClass: 2, speakersPerSide: 2, shift: CorpusShift(), sampleRate: Int.max, seed: 1) }
        #expect(throws: AudioError.self) { _ = try Resampler(sourceRate: 16_000, targetRate: Int.max) }
        #expect(throws: AudioError.self) { _ = try Resampler(sourceRate: Int.max, targetRate: 16_000) }
        #expect(Resampler.outputLength(inputLength: Int.max / 2, sourceRate: 1, targetRate: 10_000_000) == 1 << 62)
    }
}
