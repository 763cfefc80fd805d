import EarshotData
import Foundation
import Testing

@Suite struct SourceInspectionTests {
    @Test func countsHoursFormatsSpeakersOverlapAndProblemsPerSide() throws {
        let ted = Fixtures.path("corpora/tedlium/TEDLIUM_release-3")
        let train = try DatasetSource(format: .tedlium, path: ted, split: "train").load()
        let test = try DatasetSource(format: .tedlium, path: ted, split: "test").load()
        // A manifest with a missing file, a line without transcript and a speaker shared with the train side.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-inspect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifest = dir.appendingPathComponent("m.jsonl")
        let audio = "\(ted)/legacy/train/sph/AaronHuey_2010X.sph"
        try Data("""
        {"audio_filepath": "\(audio)", "text": "x", "speaker": "AaronHuey_2010X", "id": "a"}
        {"audio_filepath": "absent.wav", "text": "y", "id": "b"}
        {"audio_filepath": "\(audio)", "id": "c", "text": ""}

        """.utf8).write(to: manifest)
        let other = try JSONLinesManifest(path: manifest.path).load()
        let report = SourceInspection.inspect([("train", train), ("test", test), ("other", other)])
        let t = report.sides[0]
        #expect(t.items == 8 && t.speakers == 2 && t.files == 2 && t.formats == ["NIST/PCM_16": 2] && t.sampleRates == ["16000": 2])
        #expect(abs(t.hours * 3600 - 8 * 0.25) < 1e-9 && t.itemsWithDuration == 8 && t.durationHistogram[0] == 8)
        #expect(t.missingFiles == 0 && t.defects == 0)
        let o = report.sides[2]
        #expect(o.items == 3 && o.missingFiles == 1 && o.defects == 1 && o.files == 2)
        // The two whole-file items of the 1.5 s recording; the missing one has no duration.
        #expect(o.itemsWithDuration == 2 && abs(o.hours * 3600 - 3.0) < 1e-6 && o.durationHistogram[1] == 2)
        #expect(o.examples.contains { $0.contains("absent.wav") } && o.examples.contains { $0.contains("item 'c'") })
        let trainOther = try #require(report.overlaps.first { $0.first == "train" && $0.second == "other" })
        #expect(trainOther.sharedSpeakers == 1 && trainOther.sharedIDs == 0)
        let table = SourceInspection.table(report)
        #expect(table.contains("NIST/PCM_16×2") && table.contains("train ∩ other: 1 speakers"))
    }
}
