import EarshotAudio
import Foundation

/// Signals and librosa 0.11 outputs made by `Fixtures/make_fixtures.py`, located next to this file.
enum FeatureFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let signals = ["speech", "tone_220", "chirp", "noise", "silence", "constant", "clipped", "short"]

    /// librosa's frame-wise rows for one signal (computed in float64 from the decoded float32 samples).
    struct Golden: Decodable {
        let sample_count: Int
        let frame_count: Int
        let mfcc: [[Double]]
        let centroid: [Double]
        let bandwidth: [Double]
        let rolloff: [Double]
        let rms: [Double]
        let rms_librosa_float32: [Double]
        let zcr: [Double]
        let f0: [Double]
        let voiced: [Bool]
        let pooled_names: [String]
        let pooled_values: [Double]
    }

    struct MelReference: Decodable {
        let shape: [Int]
        let entries: [[Double]]
    }

    static func samples(_ name: String) throws -> [Float] {
        try AudioLoader.decode(directory.appendingPathComponent("\(name).wav")).samples
    }

    static func golden(_ name: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: directory.appendingPathComponent("\(name).json")))
    }

    static func melReference() throws -> MelReference {
        try JSONDecoder().decode(MelReference.self,
                                 from: Data(contentsOf: directory.appendingPathComponent("mel_filterbank.json")))
    }
}
