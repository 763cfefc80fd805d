@testable import EarshotAudio
import Foundation
import Testing

/// Files cut short and headers that cannot be right are refused, naming the file and both lengths (issue 13).
@Suite struct TruncatedAudioTests {
    /// A copy of fixture `name` keeping `keep` of its bytes (a fraction, or a byte count when > 1).
    static func cut(_ name: String, keep: Double, in dir: URL) throws -> URL {
        let bytes = try Data(contentsOf: AudioFixture.url(name))
        let count = keep > 1 ? Int(keep) : Int(Double(bytes.count) * keep)
        let url = dir.appendingPathComponent("cut-\(name)")
        try bytes.prefix(count).write(to: url)
        return url
    }

    static func truncation(_ body: () throws -> Void) -> (declared: Int?, decoded: Int)? {
        do {
            try body()
        } catch AudioError.truncated(_, let declared, let decoded, _) {
            return (declared, decoded)
        } catch {
            Issue.record("expected a truncation error, got \(error)")
        }
        return nil
    }

    @Test func aFLACCutToHalfItsBytesIsRefusedWithBothLengths() throws {
        let dir = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try AudioFixture.reference("noise_48000.flac")
        let url = try Self.cut("noise_48000.flac", keep: 0.5, in: dir)
        #expect(DeclaredLength.of(path: url.path) == .frames(reference.frames), "STREAMINFO still declares the whole length")
        let found = try #require(Self.truncation { _ = try AudioLoader.decode(url) })
        #expect(found.declared == reference.frames)
        #expect(found.decoded > 0 && found.decoded < reference.frames)
        let message = "\(AudioError.truncated(path: url.path, declaredFrames: found.declared, decodedFrames: found.decoded, sampleRate: 48_000))"
        #expect(message.contains("'\(url.path)' is truncated: its header declares \(reference.frames) frames"), "\(message)")
        #expect(Self.truncation { _ = try AudioLoader.load(url, targetRate: 16_000) } != nil, "the resampling path checks too")
        #expect(Self.truncation { _ = try AudioLoader.decode(url, from: 0, to: nil) } != nil, "and so does a segment read")
    }

    @Test func aWAVCutTo1KBIsRefusedOnOpen() throws {
        let dir = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try AudioFixture.reference("tone_8000.wav")
        let url = try Self.cut("tone_8000.wav", keep: 1024, in: dir)
        #expect(DeclaredLength.of(path: url.path) == .frames(reference.frames))
        let found = try #require(Self.truncation { _ = try AudioFile(url: url) })
        #expect(found.declared == reference.frames && found.decoded < reference.frames)
        #expect(Self.truncation { _ = try AudioLoader.decode(url, from: 0, to: 0.01) } != nil)
    }

    @Test func anOggStreamWithoutItsEndIsRefused() throws {
        let dir = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(DeclaredLength.of(path: AudioFixture.url("tone_22050.ogg").path) == .oggStream(complete: true))
        let url = try Self.cut("tone_22050.ogg", keep: 0.5, in: dir)
        #expect(DeclaredLength.of(path: url.path) == .oggStream(complete: false))
        do {
            _ = try AudioLoader.decode(url)
            Issue.record("a truncated Ogg stream decoded")
        } catch AudioError.truncated(_, let declared, _, _) {
            #expect(declared == nil)
            #expect("\(AudioError.truncated(path: "x.ogg", declaredFrames: nil, decodedFrames: 10, sampleRate: 10_000))".contains("ends without an end-of-stream page"))
        }
    }

    @Test func wholeFilesStillDecode() throws {
        for name in ["noise_48000.flac", "tone_8000.wav", "tone_22050.ogg", "chirp_44100_3ch.wav", "speech_22050.wav", "tone_44100.mp3"] {
            let reference = try AudioFixture.reference(name)
            #expect(try AudioLoader.decode(AudioFixture.url(name)).info.frames == reference.frames, "\(name)")
        }
    }

    @Test(arguments: [1, 999, 1_000_000, 0x7FFF_FFFF])
    func absurdSampleRatesAreRefused(rate: Int) throws {
        let dir = try AudioFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = try Data(contentsOf: AudioFixture.url("tone_8000.wav"))
        // Canonical 44-byte header: sample rate at 24, byte rate at 28 (rate × block align 2).
        func put(_ value: Int, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        put(rate, at: 24)
        put(rate &* 2, at: 28)
        let url = dir.appendingPathComponent("rate-\(rate).wav")
        try bytes.write(to: url)
        do {
            _ = try AudioLoader.decode(url)
            Issue.record("a \(rate) Hz WAV decoded")
        } catch AudioError.implausibleSampleRate(_, let found) {
            #expect(found == rate)
        } catch AudioError.unreadable {
            // libsndfile refuses some of these headers itself.
        }
    }
}
