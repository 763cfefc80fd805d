import EarshotAudio
import Foundation
import Testing

/// Decoding and resampling against `librosa.load` on the committed fixtures.
@Suite struct AudioLoaderTests {
    static let decodable = ["speech_22050.wav", "tone_8000.wav", "chirp_44100_3ch.wav", "noise_48000.flac",
                            "tone_22050.ogg", "tone_44100.mp3"]
    /// Lossy decoders (libvorbis, mpg123) may differ by a few float32 ulps between library versions;
    /// PCM, FLAC and (here) MP3 decode bit-identically to python-soundfile.
    static func isLossy(_ file: String) -> Bool { file.hasSuffix(".ogg") || file.hasSuffix(".mp3") }

    @Test("header info matches python-soundfile", arguments: decodable)
    func info(file: String) throws {
        let reference = try AudioFixture.reference(file)
        let decoded = try AudioLoader.decode(AudioFixture.url(file))
        #expect(decoded.info.sampleRate == reference.sample_rate)
        #expect(decoded.info.channels == reference.channels)
        #expect(decoded.info.majorFormat == reference.format)
        #expect(decoded.info.subtype == reference.subtype)
        #expect(decoded.info.frames == reference.frames)
        #expect(decoded.samples.count == reference.frames)
        #expect(decoded.info.fileSize == (try FileManager.default.attributesOfItem(atPath: AudioFixture.url(file).path)[.size] as? Int))
        #expect(abs(decoded.info.duration - Double(reference.frames) / Double(reference.sample_rate)) < 1e-12)
    }

    @Test("bit depth follows the subtype")
    func bitDepths() throws {
        let expected: [String: Int?] = ["speech_22050.wav": 16, "chirp_44100_3ch.wav": 24, "noise_48000.flac": 16,
                                        "tone_22050.ogg": nil, "tone_44100.mp3": nil]
        for (file, depth) in expected {
            #expect(try AudioFile(url: AudioFixture.url(file)).info.bitDepth == depth, "\(file)")
        }
    }

    @Test("native-rate mono decode equals librosa.load(sr=None)", arguments: decodable)
    func nativeDecode(file: String) throws {
        let reference = try AudioFixture.reference(file)
        let samples = try AudioLoader.decode(AudioFixture.url(file)).samples
        let tolerance = Self.isLossy(file) ? 1e-6 : 0
        for (mine, theirs) in zip(samples, reference.native_head) {
            #expect(abs(Double(mine) - theirs) <= tolerance)
        }
        let sum = samples.reduce(0.0) { $0 + Double($1) }
        let squares = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(sum - reference.native_sum) <= 1e-9 + tolerance * Double(samples.count))
        #expect(abs(squares - reference.native_sum_squares) <= 1e-9 * reference.native_sum_squares + tolerance * Double(samples.count))
    }

    /// Measured: max |Δ| = 0 for WAV (PCM 16/24, 1 and 3 channels), FLAC and MP3; 1.8e-7 for Vorbis
    /// (decoder version). The bound below is the one the issue asks for.
    @Test("load(targetRate: 16000) matches librosa.load(sr=16000, res_type='soxr_hq')", arguments: decodable)
    func resampledLoad(file: String) throws {
        let reference = try AudioFixture.reference(file)
        let loaded = try AudioLoader.load(AudioFixture.url(file), targetRate: 16_000)
        let expected = reference.resampled
        #expect(loaded.sampleRate == 16_000)
        #expect(loaded.samples.count == reference.resampled_length)
        #expect(loaded.samples.count == expected.count)
        let maxDifference = zip(loaded.samples, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDifference < (Self.isLossy(file) ? 1e-5 : 1e-7))
        #expect(loaded.info.sampleRate == reference.sample_rate, "info describes the original file")
    }

    @Test("streaming load equals decode followed by a one-shot resample")
    func streamingMatchesOneShot() throws {
        for file in ["speech_22050.wav", "chirp_44100_3ch.wav", "noise_48000.flac"] {
            let url = AudioFixture.url(file)
            let decoded = try AudioLoader.decode(url)
            let oneShot = try Resampler(sourceRate: decoded.sampleRate, targetRate: 16_000).resample(decoded.samples)
            #expect(try AudioLoader.load(url).samples == oneShot, "\(file)")
        }
    }

    @Test("multi-channel files are averaged across channels in float32")
    func downmix() throws {
        let decoded = try AudioLoader.decode(AudioFixture.url("chirp_44100_3ch.wav"))
        #expect(decoded.info.channels == 3)
        #expect(decoded.samples.count == decoded.info.frames)
        #expect(decoded.samples.allSatisfy { abs($0) <= 1 })
    }

    @Test("block-wise reading yields the same samples for any block size")
    func blockSizes() throws {
        let url = AudioFixture.url("chirp_44100_3ch.wav")
        let whole = try AudioFile(url: url).readMono()
        for block in [1, 7, 4096] {
            #expect(try AudioFile(url: url).readMono(blockFrames: block) == whole)
        }
    }

    @Test("a file already at the target rate is returned unresampled")
    func identityLoad() throws {
        let directory = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tone.wav")
        let samples = (0..<1_000).map { Float(sin(Double($0) * 0.05)) * 0.5 }
        try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: url, format: .float32)
        let loaded = try AudioLoader.load(url, targetRate: 16_000)
        #expect(loaded.samples == samples)
        #expect(loaded.info.frames == 1_000)
    }
}
