import EarshotData
@testable import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Testing

/// Shards of a killed `score` run are verified before a resumed run uses them (issue 13: "unverified data").
@Suite struct ShardIntegrityTests {
    /// Writes the shards a killed run would have left (rows of `shards`, `size` items each) from a finished table.
    static func leaveShards(_ table: TokenScores, size: Int, shards: Range<Int>, in partial: PartialResults) throws {
        for shard in shards {
            let rows = (shard * size)..<min((shard + 1) * size, table.items.count)
            try partial.write(TokenScores(items: Array(table.items[rows]), labels: Array(table.labels[rows])).artifact(), shard: shard)
        }
    }

    /// Replaces the bytes of shard `index` by those of a table whose first item has another score, keeping the
    /// file's name (and so the digest it claims): what a flipped bit in a killed run's shard looks like.
    static func tamper(shard index: Int, of partial: PartialResults, size: Int, table: TokenScores, box: Phase2Sandbox) throws -> URL {
        let file = try #require(try FileManager.default.contentsOfDirectory(at: partial.directory, includingPropertiesForKeys: nil)
            .first { $0.lastPathComponent.hasPrefix(String(format: "shard-%06d.", index)) })
        let rows = (index * size)..<((index + 1) * size)
        var items = Array(table.items[rows])
        items[0].stats.logProb[0] -= 1
        let forged = box.url("forged.h5")
        try ArtifactFile.write(TokenScores(items: items, labels: Array(table.labels[rows])).artifact(), to: forged)
        try FileManager.default.removeItem(at: file)
        try FileManager.default.copyItem(at: forged, to: file)
        return file
    }

    @Test func aShardWhoseBytesChangedIsDroppedRescoredAndTheResultEqualsACleanRun() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 10)
        let path = try box.write(Fixtures.fakeExperiment(splitPath: try box.writeSplit(split),
                                                         flags: ["--log", box.url("requests.log").path], params: "shard_size: 2"))
        let clean = try await box.run(path)
        #expect(clean.succeeded, "\(clean.nodes.map { $0.reason ?? "" })")
        let cleanObject = try #require(box.report(clean, "scores")?.outputs["scores"])
        let table = try TokenScores(artifact: try box.output(clean, node: "scores", "scores"))
        let key = try #require(box.report(clean, "scores")?.key.flatMap { Digest(hex: $0) })

        // As if the run had been killed after shards 0–2: no record, no output object, three shards.
        box.store.removeAction(key)
        try FileManager.default.removeItem(at: box.store.objectURL(try #require(Digest(hex: cleanObject))))
        let partial = box.store.partialResults(for: key)
        try Self.leaveShards(table, size: 2, shards: 0..<3, in: partial)
        let tampered = try Self.tamper(shard: 1, of: partial, size: 2, table: table, box: box)
        // `cache verify` names the shard.
        let problems = StoreMaintenance(store: box.store).verify().problems
        #expect(problems.contains { $0.contains("partial shard") && $0.contains(tampered.lastPathComponent) && $0.contains("not the digest in its name") },
                "\(problems)")

        try FileManager.default.removeItem(at: box.url("requests.log"))
        let resumed = try await box.run(path)
        #expect(resumed.succeeded, "\(resumed.nodes.map { $0.reason ?? "" })")
        // Shards 0 and 2 were trusted; shard 1 (utt-002, utt-003) and shards 3–4 were scored again.
        #expect(Set(box.lines("requests.log")) == ["utt-002", "utt-003", "utt-006", "utt-007", "utt-008", "utt-009"])
        #expect(box.report(resumed, "scores")?.outputs["scores"] == cleanObject, "byte-identical to the clean run's output")
        #expect(StoreMaintenance(store: box.store).verify().problems.isEmpty)
    }

    @Test func shardsAreVerifiedOnReadAndByVerify() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("key"))
        try partial.write(PartialResultsTests.table(["a", "b"]).artifact(), shard: 0)
        try partial.write(PartialResultsTests.table(["c"]).artifact(), shard: 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: partial.directory.path).sorted()
        #expect(names.count == 2 && names.allSatisfy { $0.hasSuffix(".h5") && $0.count == "shard-000000.".count + 64 + 3 }, "\(names)")
        // A shard without a digest in its name (an older layout, or planted) is not trusted.
        try FileManager.default.copyItem(at: partial.directory.appendingPathComponent(names[1]),
                                         to: partial.directory.appendingPathComponent("shard-000002.h5"))
        // A flipped byte in shard 0.
        let url = partial.directory.appendingPathComponent(names[0])
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 9] ^= 0x01
        try bytes.write(to: url)
        let report = StoreMaintenance(store: box.store).verify()
        #expect(report.problems.count == 2, "\(report.problems)")
        #expect(partial.read(shard: 0) == nil, "the changed shard is dropped")
        #expect(partial.read(shard: 2) == nil, "the unverifiable shard is dropped")
        #expect(partial.read(shard: 1) != nil, "the sound shard is kept")
        #expect(partial.shards() == [1])
        #expect(StoreMaintenance(store: box.store).verify().problems.isEmpty)
    }

    @Test func repairRemovesBadShardsSoVerifyPassesAfterwards() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("key"))
        try partial.write(PartialResultsTests.table(["a"]).artifact(), shard: 0)
        let url = try #require(try FileManager.default.contentsOfDirectory(at: partial.directory, includingPropertiesForKeys: nil).first)
        try Data("not hdf5".utf8).write(to: url)
        let maintenance = StoreMaintenance(store: box.store)
        #expect(maintenance.verify(repair: true).problems.count == 1)
        #expect(maintenance.verify().problems.isEmpty)
        #expect(partial.shards().isEmpty)
    }

    @Test func shardWritesNeverFailWhileAnotherProcessRemovesTheFolder() throws {
        // What a run that finished the node does (remove the shard folder) racing a stalled run that still writes
        // shards of it: every write must succeed (the removed folder is created again), however they interleave.
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("contended"))
        let artifact = PartialResultsTests.table(["a"]).artifact()
        let race = RaceCounter()
        // The remover runs on a thread of its own (not the cooperative pool, which other tests may keep busy).
        let remover = Thread {
            while !race.done {
                partial.remove()
                race.removed()
            }
            race.exit()
        }
        remover.start()
        var failures: [String] = [], writes = 0
        // At least 400 writes, and as many as it takes for the remover to have removed the folder 100 times.
        while writes < 400 || race.removals < 100 {
            do { try partial.write(artifact, shard: writes % 7) } catch { failures.append("\(error)") }
            writes += 1
        }
        race.finish()
        race.waitForExit()
        #expect(failures.isEmpty, "\(failures.count) of \(writes) writes failed: \(failures.prefix(3))")
    }

    @Test func aWriterWhoseFolderWasRemovedMeanwhileCreatesItAgain() throws {
        let box = try Phase2Sandbox()
        let partial = box.store.partialResults(for: SHA256.hash("raced"))
        try partial.write(PartialResultsTests.table(["a"]).artifact(), shard: 0)
        // Another run finished the node and removed the folder; this (stalled) writer goes on.
        partial.remove()
        #expect(!FileManager.default.fileExists(atPath: partial.directory.path))
        try partial.write(PartialResultsTests.table(["b"]).artifact(), shard: 1)
        #expect(partial.shards() == [1])
        // Rewriting a shard replaces the older copy instead of keeping two.
        try partial.write(PartialResultsTests.table(["c"]).artifact(), shard: 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: partial.directory.path).count == 1)
        #expect(try TokenScores(artifact: try #require(partial.read(shard: 1))).items.map(\.id) == ["c"])
    }
}

/// The shard race's shared state: removals so far, whether the writer is done, whether the remover has exited.
/// Thread-safety: `@unchecked Sendable` because every field is guarded by `condition`.
final class RaceCounter: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0, finished = false, exited = false
    func removed() { condition.withLock { count += 1 } }
    var removals: Int { condition.withLock { count } }
    func finish() { condition.withLock { finished = true } }
    var done: Bool { condition.withLock { finished } }
    func exit() { condition.withLock { exited = true; condition.broadcast() } }
    func waitForExit() { condition.withLock { while !exited { condition.wait() } } }
}
