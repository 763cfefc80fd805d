import EarshotScoring
import EarshotStore
import Foundation
import Testing

@Suite struct PartialResultsTests {
    static func table(_ ids: [String]) -> TokenScores {
        TokenScores(items: ids.map { ItemScores(id: $0, tokens: [], text: "", stats: TokenStatistics(tokens: [])) },
                    labels: ids.map { _ in 1 })
    }

    @Test func shardsAreWrittenListedReadAndRemoved() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("key"))
        #expect(partial.shards().isEmpty)
        try partial.write(Self.table(["a", "b"]).artifact(), shard: 3)
        try partial.write(Self.table(["c"]).artifact(), shard: 0)
        #expect(partial.shards() == [0, 3])
        #expect(try TokenScores(artifact: try #require(partial.read(shard: 3))).items.map(\.id) == ["a", "b"])
        #expect(partial.read(shard: 1) == nil)
        #expect(box.store.keysWithPartialResults() == [SHA256.hash("key")])
        // Nothing half-written is left in the store's temp folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.store.root.appendingPathComponent("tmp").path).isEmpty)
        partial.remove()
        #expect(partial.shards().isEmpty)
        #expect(box.store.keysWithPartialResults().isEmpty)
    }

    @Test func unreadableShardIsDroppedSoItsItemsAreScoredAgain() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("key"))
        try partial.write(Self.table(["a"]).artifact(), shard: 0)
        let file = try #require(try FileManager.default.contentsOfDirectory(at: partial.directory, includingPropertiesForKeys: nil).first)
        try Data("not hdf5".utf8).write(to: file)
        #expect(partial.read(shard: 0) == nil)
        #expect(partial.shards().isEmpty)
    }

    @Test func garbageCollectionRemovesAbandonedPartials() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("abandoned"))
        try partial.write(Self.table(["a"]).artifact(), shard: 0)
        let maintenance = StoreMaintenance(store: box.store)
        #expect(maintenance.collectPartialResults(maxAge: 3600).folders == 0)
        #expect(partial.shards() == [0])
        let report = maintenance.collectPartialResults(maxAge: -1)
        #expect(report.folders == 1 && report.bytes > 0)
        #expect(box.store.keysWithPartialResults().isEmpty)
    }
}
