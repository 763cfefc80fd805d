import EarshotAudio
@testable import EarshotFeatures
import Foundation
import Testing

/// `AcousticDescriptors` against librosa 0.11 on speech, tones, chirp, noise, silence, a constant, a clipped
/// sine and a clip shorter than n_fft.
///
/// Measured worst cases over all fixtures (batched SIMD frames, YIN's inverse transform as a DCT-I, FFTW plans
/// from `FFTWWisdom`): MFCC 1.7e-15 of the frame's largest coefficient, centroid 8.5e-15 and bandwidth 2.1e-12
/// relative, rolloff identical in every frame, RMS identical (1.3e-7 against librosa's float32 default), ZCR
/// identical, YIN f0 1.7e-12 relative with identical voicing, pooled values 2.1e-12 relative (2.3e-13 absolute
/// where the reference is within 1e-3 of 0). The bounds below leave room for FFTW/libm differences across
/// machines.
@Suite struct AcousticGoldenTests {
    static let descriptors = try! AcousticDescriptors()

    static func close(_ a: Double, _ b: Double, relative: Double, absolute: Double = 0) -> Bool {
        abs(a - b) <= max(absolute, relative * abs(b))
    }

    @Test("frame-wise rows match librosa", arguments: FeatureFixture.signals)
    func frameRows(signal: String) throws {
        let golden = try FeatureFixture.golden(signal)
        let samples = try FeatureFixture.samples(signal)
        #expect(samples.count == golden.sample_count)
        let frames = try Self.descriptors.frames(samples)
        try #require(frames.frameCount == golden.frame_count)
        #expect(frames.mfccCount == golden.mfcc.count)

        for t in 0..<frames.frameCount {
            let reference = golden.mfcc.map { $0[t] }
            let scale = reference.map(abs).max() ?? 1
            for c in 0..<frames.mfccCount {
                let mine = frames.mfcc[c * frames.frameCount + t]
                #expect(abs(mine - reference[c]) <= 1e-9 * scale, "mfcc_\(c) frame \(t): \(mine) vs \(reference[c])")
            }
        }
        for t in 0..<frames.frameCount {
            #expect(Self.close(frames.centroid[t], golden.centroid[t], relative: 1e-9, absolute: 1e-9), "centroid \(t)")
            #expect(Self.close(frames.bandwidth[t], golden.bandwidth[t], relative: 1e-9, absolute: 1e-9), "bandwidth \(t)")
            #expect(frames.rolloff[t] == golden.rolloff[t], "rolloff \(t)")
        }
        #expect(frames.rms.count == golden.rms.count)
        for t in 0..<frames.rms.count {
            #expect(Self.close(frames.rms[t], golden.rms[t], relative: 1e-12, absolute: 1e-15), "rms \(t)")
            #expect(Self.close(frames.rms[t], golden.rms_librosa_float32[t], relative: 1e-6, absolute: 1e-9), "rms vs float32 \(t)")
        }
        #expect(frames.zcr == golden.zcr)
        #expect(frames.voiced == golden.voiced)
        #expect(frames.f0.count == golden.f0.count)
        for t in 0..<min(frames.f0.count, golden.f0.count) {
            #expect(Self.close(frames.f0[t], golden.f0[t], relative: 1e-9), "f0 frame \(t): \(frames.f0[t]) vs \(golden.f0[t])")
        }
    }

    @Test("pooled vector matches numpy's mean, std and linear percentiles", arguments: FeatureFixture.signals)
    func pooled(signal: String) throws {
        let golden = try FeatureFixture.golden(signal)
        let vector = try Self.descriptors.pooled(try FeatureFixture.samples(signal))
        #expect(vector.names == golden.pooled_names)
        #expect(vector.values.allSatisfy { $0.isFinite })
        for (index, name) in vector.names.enumerated() {
            #expect(Self.close(vector.values[index], golden.pooled_values[index], relative: 1e-9, absolute: 1e-9),
                    "\(name): \(vector.values[index]) vs \(golden.pooled_values[index])")
        }
    }

    @Test("voiced tones report their pitch; speech has voiced frames")
    func pitchSanity() throws {
        let tone = try Self.descriptors.frames(try FeatureFixture.samples("tone_220"))
        #expect(tone.voicedFraction > 0.9)
        for f0 in tone.voicedF0 { #expect(abs(f0 - 220) / 220 < 0.005) }
        let speech = try Self.descriptors.frames(try FeatureFixture.samples("speech"))
        #expect(speech.voicedFraction > 0)
        for f0 in speech.voicedF0 { #expect(f0 >= 50 && f0 <= 500) }
    }

    @Test("the Slaney mel bank equals librosa.filters.mel (float32 weights)")
    func melBank() throws {
        let reference = try FeatureFixture.melReference()
        let bank = MelFilterbank(sampleRate: 16_000, nFFT: 512, bandCount: 40, fMin: 0, fMax: 8_000)
        #expect([bank.bandCount, bank.binCount] == reference.shape)
        var expected = [[Double]](repeating: [Double](repeating: 0, count: bank.binCount), count: bank.bandCount)
        for entry in reference.entries { expected[Int(entry[0])][Int(entry[1])] = entry[2] }
        for band in 0..<bank.bandCount {
            for bin in 0..<bank.binCount {
                #expect(bank.weight(band: band, bin: bin) == expected[band][bin], "band \(band) bin \(bin)")
            }
        }
    }
}
