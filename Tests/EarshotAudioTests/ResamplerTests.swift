import EarshotAudio
import Foundation
import Testing

@Suite struct ResamplerTests {
    @Test("output length is ceil(n · target / source), computed as numpy does")
    func lengths() throws {
        #expect(Resampler.outputLength(inputLength: 22_050, sourceRate: 22_050, targetRate: 16_000) == 16_000)
        #expect(Resampler.outputLength(inputLength: 1, sourceRate: 44_100, targetRate: 16_000) == 1)
        #expect(Resampler.outputLength(inputLength: 3, sourceRate: 48_000, targetRate: 16_000) == 1)
        #expect(Resampler.outputLength(inputLength: 4, sourceRate: 48_000, targetRate: 16_000) == 2)
        #expect(Resampler.outputLength(inputLength: 4_800, sourceRate: 8_000, targetRate: 16_000) == 9_600)
        for n in [1, 2, 17, 1_000, 44_101] {
            let samples = (0..<n).map { Float(sin(Double($0) * 0.01)) }
            let out = try Resampler(sourceRate: 44_100, targetRate: 16_000).resample(samples)
            #expect(out.count == Int((Double(n) * (16_000.0 / 44_100.0)).rounded(.up)))
        }
    }

    @Test("equal rates and empty input pass through")
    func identity() throws {
        let samples: [Float] = [0.1, -0.2, 0.3]
        #expect(try Resampler(sourceRate: 16_000, targetRate: 16_000).resample(samples) == samples)
        #expect(try Resampler(sourceRate: 48_000, targetRate: 16_000).resample([]) == [])
    }

    @Test("a 1 kHz tone keeps its amplitude through 48 kHz → 16 kHz")
    func tonePreserved() throws {
        let samples = (0..<48_000).map { Float(0.5 * sin(2 * Double.pi * 1_000 * Double($0) / 48_000)) }
        let out = try Resampler(sourceRate: 48_000, targetRate: 16_000).resample(samples)
        let middle = out[4_000..<12_000]
        let rms = (middle.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(middle.count)).squareRoot()
        #expect(abs(rms - 0.5 / 2.0.squareRoot()) < 1e-3)
    }
}
