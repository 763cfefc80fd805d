import Foundation
import Testing

/// `earshot inspect`: the pre-flight report on the miniature corpora, as a table and as JSON, and a missing
/// corpus named.
@Suite struct InspectCommandTests {
    static let corpora = repositoryRoot.appendingPathComponent("Tests/EarshotDataTests/Fixtures/corpora").path

    @Test func reportsEachSideAndNamesAMissingCorpus() throws {
        let dir = FileManager.default.temporaryDirectory
        let ted = "\(Self.corpora)/tedlium/TEDLIUM_release-3"
        let sources = ["tedlium:\(ted)#train", "tedlium:\(ted)#legacy/test", "voxpopuli:\(Self.corpora)/voxpopuli/transcribed_data/en#test"]
        let json = try earshot(["inspect", "--json"] + sources, in: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let sides = try #require(report["sides"] as? [[String: Any]])
        #expect(sides.map { $0["items"] as? Int } == [8, 8, 7])
        #expect(sides[0]["formats"] as? [String: Int] == ["NIST/PCM_16": 2] && sides[2]["formats"] as? [String: Int] == ["OGG/VORBIS": 7])
        #expect((report["overlaps"] as? [[String: Any]])?.count == 3)
        let table = try earshot(["inspect"] + sources, in: dir)
        #expect(table.status == 0 && table.stdout.contains("durations: <1s") && table.stdout.contains("OGG/VORBIS×7"), "\(table.stdout)")
        let missing = try earshot(["inspect", "nsynth:/nonexistent/nsynth#test"], in: dir)
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/nsynth/nsynth-test/examples.json"), "\(missing.stderr)")
    }
}
