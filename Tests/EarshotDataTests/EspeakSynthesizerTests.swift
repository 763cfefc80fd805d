import EarshotAudio
import Foundation
import Testing

@Suite struct EspeakSynthesizerTests {
    @Test func synthesisIsDeterministicAndIndependentOfEarlierCalls() throws {
        let scratch = FileManager.default.temporaryDirectory
        let voice = EspeakSynthesizer.Voice(name: "en-us", variant: "f3", rate: 170, pitch: 60)
        let first = try EspeakSynthesizer.synthesize("The quiet river ran past the mill.", voice: voice, scratch: scratch)
        #expect(first.sampleRate == 22_050)
        #expect(first.samples.count > 22_050 / 2)
        #expect(first.samples.contains { abs($0) > 0.05 })
        _ = try EspeakSynthesizer.synthesize("Something else entirely, with a question?",
                                             voice: .init(name: "en-gb-x-rp", variant: "m3", rate: 220, pitch: 20), scratch: scratch)
        let again = try EspeakSynthesizer.synthesize("The quiet river ran past the mill.", voice: voice, scratch: scratch)
        let identical = again.samples == first.samples
        #expect(identical, "synthesis differs between calls")
        let slower = try EspeakSynthesizer.synthesize("The quiet river ran past the mill.",
                                                      voice: .init(name: "en-us", variant: "f3", rate: 120, pitch: 60), scratch: scratch)
        #expect(slower.samples.count > first.samples.count)
        #expect(try EspeakSynthesizer.version().contains("eSpeak NG"))
    }

    @Test func anUnknownVoiceIsNamed() {
        #expect {
            _ = try EspeakSynthesizer.synthesize("hello", voice: .init(name: "xx-nowhere"), scratch: FileManager.default.temporaryDirectory)
        } throws: { "\($0)".contains("'xx-nowhere'") && "\($0)".contains("--voices") }
    }
}
