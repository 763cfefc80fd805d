import Foundation

/// Files made by `Fixtures/make_fixtures.py` (librosa 0.11 references), located next to this source file.
enum AudioFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// One `reference_<stem>.json`: python-soundfile's header info, native-rate decode checksums and
    /// `librosa.load(sr=16000, res_type='soxr_hq')`.
    struct Reference: Decodable {
        let file: String
        let sample_rate: Int
        let channels: Int
        let format: String
        let subtype: String
        let frames: Int
        let native_sum: Double
        let native_sum_squares: Double
        let native_head: [Double]
        let resampled_length: Int
        let resampled_f32_b64: String

        var resampled: [Float] {
            let data = Data(base64Encoded: resampled_f32_b64)!
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    static func reference(_ file: String) throws -> Reference {
        let stem = file.replacingOccurrences(of: ".", with: "_")
        let data = try Data(contentsOf: url("reference_\(stem).json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-audio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
