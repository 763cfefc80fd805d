import EarshotAudio
import Foundation
import Testing

/// Every decode failure names the file and says what went wrong.
@Suite struct AudioErrorTests {
    @Test("a missing file is reported as missing, with its path")
    func missing() {
        let url = AudioFixture.url("does_not_exist.wav")
        #expect(throws: AudioError.missingFile(path: url.path)) { try AudioLoader.load(url) }
        let message = AudioError.missingFile(path: url.path).description
        #expect(message.contains("does_not_exist.wav"))
        let prose = message.replacingOccurrences(of: url.path, with: "")
        #expect(prose == prose.lowercased(), "lowercase apart from the quoted path")
    }

    @Test("garbage bytes with a .flac name carry libsndfile's own message")
    func corrupt() throws {
        let url = AudioFixture.url("corrupt.flac")
        do {
            _ = try AudioLoader.load(url)
            Issue.record("corrupt.flac decoded")
        } catch let error as AudioError {
            guard case .unreadable(let path, let reason) = error else {
                Issue.record("expected .unreadable, got \(error)")
                return
            }
            #expect(path == url.path)
            #expect(!reason.isEmpty)
            #expect(error.description.contains("corrupt.flac"))
            #expect(error.description.contains(reason.lowercased()))
        }
    }

    @Test("a zero-length WAV is empty")
    func empty() {
        let url = AudioFixture.url("empty.wav")
        #expect(throws: AudioError.empty(path: url.path)) { try AudioLoader.load(url) }
        #expect(throws: AudioError.empty(path: url.path)) { try AudioLoader.decode(url) }
        #expect(AudioError.empty(path: url.path).description.contains("empty.wav"))
    }

    @Test("NaN and infinity are reported at their first frame index")
    func nonFinite() {
        let nan = AudioFixture.url("nan_float32.wav")
        #expect(throws: AudioError.nonFiniteSample(path: nan.path, sampleIndex: 37)) { try AudioLoader.load(nan) }
        let inf = AudioFixture.url("inf_float32.wav")
        #expect(throws: AudioError.nonFiniteSample(path: inf.path, sampleIndex: 5)) { try AudioLoader.load(inf, targetRate: 8_000) }
        let message = AudioError.nonFiniteSample(path: nan.path, sampleIndex: 37).description
        #expect(message.contains("nan_float32.wav") && message.contains("37"))
    }

    @Test("the bad frame index counts frames across blocks")
    func nonFiniteAcrossBlocks() throws {
        let url = AudioFixture.url("nan_float32.wav")
        #expect(throws: AudioError.nonFiniteSample(path: url.path, sampleIndex: 37)) {
            try AudioFile(url: url).readMono(blockFrames: 10)
        }
    }

    @Test("invalid rates are rejected with the offending value")
    func invalidRates() {
        #expect(throws: AudioError.self) { try Resampler(sourceRate: 0, targetRate: 16_000) }
        #expect(throws: AudioError.self) { try Resampler(sourceRate: 16_000, targetRate: -1) }
        do {
            _ = try Resampler(sourceRate: 16_000, targetRate: -1)
        } catch {
            #expect("\(error)".contains("'-1'"))
        }
    }
}
