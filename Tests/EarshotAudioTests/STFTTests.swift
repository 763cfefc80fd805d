import EarshotAudio
import Foundation
import Testing

@Suite struct STFTTests {
    @Test("periodic Hann equals scipy's get_window('hann', n, fftbins=True)")
    func hann() {
        let w = STFT.periodicHann(4)
        let expected = [0.0, 0.5, 1.0, 0.5]
        for (a, b) in zip(w, expected) { #expect(abs(a - b) < 1e-15) }
        let w512 = STFT.periodicHann(512)
        #expect(w512.count == 512)
        #expect(abs(w512.reduce(0, +) - 256) < 1e-9, "a periodic Hann of length N sums to N/2")
    }

    @Test("centred framing gives 1 + n / hop frames for even n_fft, including inputs shorter than a frame")
    func frameCounts() throws {
        let stft = try STFT(nFFT: 512, hopLength: 160)
        #expect(stft.frameCount(sampleCount: 1) == 1)
        #expect(stft.frameCount(sampleCount: 159) == 1)
        #expect(stft.frameCount(sampleCount: 160) == 2)
        #expect(stft.frameCount(sampleCount: 16_000) == 101)
        let odd = CenteredFraming(frameLength: 5, hopLength: 2)
        #expect(odd.frameCount(sampleCount: 0) == 0)
        #expect(odd.frameCount(sampleCount: 1) == 1)
    }

    @Test("power frames equal a direct DFT of the zero-padded, windowed frame")
    func matchesDirectDFT() throws {
        let n = 16, hop = 5
        let stft = try STFT(nFFT: n, hopLength: hop)
        let samples = (0..<37).map { Float(sin(Double($0) * 0.7) + 0.3 * cos(Double($0) * 2.1)) }
        let window = STFT.periodicHann(n)
        let spectrogram = stft.powerSpectrogram(samples)
        #expect(spectrogram.frameCount == 1 + 37 / hop)
        for t in 0..<spectrogram.frameCount {
            let frame = (0..<n).map { i -> Double in
                let index = t * hop - n / 2 + i
                return index >= 0 && index < samples.count ? Double(samples[index]) * window[i] : 0
            }
            for k in 0...(n / 2) {
                var re = 0.0, im = 0.0
                for (i, x) in frame.enumerated() {
                    re += x * cos(2 * Double.pi * Double(k * i) / Double(n))
                    im -= x * sin(2 * Double.pi * Double(k * i) / Double(n))
                }
                #expect(abs(spectrogram[t, k] - (re * re + im * im)) < 1e-12)
            }
        }
    }

    @Test("batched power frames equal the frame-by-frame spectrogram, with zero lanes past the last frame",
          arguments: [1, 3, 4])
    func batches(width: Int) throws {
        let stft = try STFT(nFFT: 512, hopLength: 160)
        for count in [1, 700, 16_123] {
            let samples = (0..<count).map { i -> Float in
                let x = Double(i)
                return Float(0.5 * sin(x * 0.013) + 0.1 * cos(x * 1.7))
            }
            let spectrogram = stft.powerSpectrogram(samples)
            var seen = 0
            stft.forEachPowerBatch(samples, width: width) { first, lanes, power in
                #expect(first == seen && lanes == min(width, spectrogram.frameCount - first))
                for lane in 0..<width {
                    for k in 0..<stft.binCount {
                        let expected = lane < lanes ? spectrogram[first + lane, k] : 0
                        #expect(power[k * width + lane] == expected, "frame \(first + lane) bin \(k)")
                    }
                }
                seen += lanes
            }
            #expect(seen == spectrogram.frameCount)
        }
    }

    @Test("a bin-centred cosine puts its power in that bin")
    func cosinePeak() throws {
        let stft = try STFT(nFFT: 512, hopLength: 160)
        let frequency = 1_000.0
        let samples = (0..<16_000).map { Float(cos(2 * Double.pi * frequency * Double($0) / 16_000)) }
        let frequencies = stft.binFrequencies(sampleRate: 16_000)
        #expect(frequencies[32] == 1_000)
        let spectrogram = stft.powerSpectrogram(samples)
        let t = 50
        let peak = (0..<stft.binCount).max { spectrogram[t, $0] < spectrogram[t, $1] }
        #expect(peak == 32)
        // Amplitude 1 cosine under a Hann window: |X[k]| = Σw / 2 = 128.
        #expect(abs(spectrogram[t, 32].squareRoot() - 128) < 1e-3)
    }

    @Test("invalid sizes are rejected")
    func invalid() {
        #expect(throws: AudioError.self) { try STFT(nFFT: 1, hopLength: 160) }
        #expect(throws: AudioError.self) { try STFT(nFFT: 512, hopLength: 0) }
    }
}

@Suite struct RealFFTTests {
    @Test("inverse(forward(x)) = N · x", arguments: [1, 2, 15, 512, 768, 1536])
    func roundTrip(size: Int) {
        let fft = RealFFT(size: size)
        let workspace = fft.makeWorkspace()
        let x = (0..<size).map { sin(Double($0) * 1.3) + 0.5 }
        for i in 0..<size { workspace.real[i] = x[i] }
        fft.forward(workspace)
        #expect(abs(workspace.spectrum[0] - x.reduce(0, +)) < 1e-9)
        fft.inverse(workspace)
        for i in 0..<size { #expect(abs(workspace.real[i] / Double(size) - x[i]) < 1e-12) }
    }

    @Test("planning and executing from many tasks at once gives the sequential results")
    func concurrentPlanning() async {
        let sizes = Array(100..<140)
        func checksum(_ size: Int) -> Double {
            let fft = RealFFT(size: size)
            let workspace = fft.makeWorkspace()
            for i in 0..<size { workspace.real[i] = Double(i % 5) - 2 }
            fft.forward(workspace)
            return workspace.spectrum.reduce(0) { $0 + abs($1) }
        }
        let concurrent = await withTaskGroup(of: (Int, Double).self) { group in
            for size in sizes { group.addTask { (size, checksum(size)) } }
            var results = [Int: Double]()
            for await (size, value) in group { results[size] = value }
            return results
        }
        for size in sizes { #expect(concurrent[size] == checksum(size)) }
    }
}
