import EarshotAudio
import Foundation
import Testing

@Suite struct AudioEncoderTests {
    @Test("float32 WAV round-trips exactly and reports FLOAT / 32 bits")
    func float32RoundTrip() throws {
        let directory = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.wav")
        let samples: [Float] = [0, 0.25, -0.5, 1.5, -1.25, 1e-8]
        try AudioEncoder.writeWAV(samples, sampleRate: 22_050, to: url, format: .float32)
        let decoded = try AudioLoader.decode(url)
        #expect(decoded.samples == samples)
        #expect(decoded.info.subtype == "FLOAT" && decoded.info.bitDepth == 32 && decoded.info.sampleRate == 22_050)
    }

    @Test("PCM16 stores round(x · 32767), clipped, and reads back as n / 32768")
    func pcm16() throws {
        let directory = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.wav")
        try AudioEncoder.writeWAV([0, 0.5, -0.5, 2, -2], sampleRate: 16_000, to: url, format: .pcm16)
        let decoded = try AudioLoader.decode(url)
        #expect(decoded.info.subtype == "PCM_16" && decoded.info.bitDepth == 16)
        let expected: [Float] = [0, 16_384 / 32_768, -16_384 / 32_768, 32_767 / 32_768, -32_768 / 32_768]
        for (a, b) in zip(decoded.samples, expected) { #expect(abs(a - b) <= 1 / 32_768) }
        #expect(decoded.samples[3] > 0.999 && decoded.samples[4] < -0.999, "clipping, not wrap-around")
    }

    @Test("equal samples give byte-identical files")
    func deterministic() throws {
        let directory = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let samples = (0..<2_000).map { Float(sin(Double($0) * 0.1)) }
        for format in [AudioEncoder.Format.pcm16, .float32] {
            let a = directory.appendingPathComponent("a.wav"), b = directory.appendingPathComponent("b.wav")
            try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: a, format: format)
            Thread.sleep(forTimeInterval: 1.1)
            try AudioEncoder.writeWAV(samples, sampleRate: 16_000, to: b, format: format)
            #expect(try Data(contentsOf: a) == Data(contentsOf: b), "\(format)")
        }
    }

    @Test("an unwritable path names the file")
    func unwritable() {
        let url = URL(fileURLWithPath: "/nonexistent-directory/x.wav")
        #expect(throws: AudioError.self) { try AudioEncoder.writeWAV([0], sampleRate: 16_000, to: url) }
        do { try AudioEncoder.writeWAV([0], sampleRate: 16_000, to: url) } catch {
            #expect("\(error)".contains("/nonexistent-directory/x.wav"))
        }
    }
}
