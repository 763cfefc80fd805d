import EarshotData
import EarshotStore
import Foundation
import Testing

@Suite struct FingerprintTests {
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-fp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func unchangedFilesAreNotHashedAgainAndEntriesPersist() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (0..<20).map { dir.appendingPathComponent("f\($0).bin") }
        for (i, url) in files.enumerated() { try Data(repeating: UInt8(i), count: 1000 + i).write(to: url) }
        // racyWindow 0: trust entries at once (files written just now would otherwise stay "racy" for 2 s).
        let table = FingerprintTable(directory: dir.appendingPathComponent("fp"), temporaryDirectory: dir, racyWindow: 0)
        for url in files { #expect(try table.hash(fileAt: url) == SHA256.hash(fileAt: url)) }
        for url in files { _ = try table.hash(fileAt: url) }
        #expect(table.counts.hashed == 20 && table.counts.trusted == 20)
        try table.flush()
        // A new table (a new process) reads the shards and hashes nothing.
        let fresh = FingerprintTable(directory: dir.appendingPathComponent("fp"), temporaryDirectory: dir, racyWindow: 0)
        for url in files { #expect(try fresh.hash(fileAt: url) == SHA256.hash(fileAt: url)) }
        #expect(fresh.counts.hashed == 0 && fresh.counts.trusted == 20)
    }

    @Test func changingOneFilesBytesChangesItsHashEvenWithinOneClockTick() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        try Data(repeating: 1, count: 4096).write(to: url)
        let table = FingerprintTable(directory: dir.appendingPathComponent("fp"), temporaryDirectory: dir)
        let before = try table.hash(fileAt: url)
        // Same size, rewritten at once: the default racy window makes the table re-hash.
        var bytes = try Data(contentsOf: url)
        bytes[100] = 2
        try bytes.write(to: url)
        let after = try table.hash(fileAt: url)
        #expect(before != after)
        #expect(after == (try SHA256.hash(fileAt: url)))
        #expect { _ = try table.hash(fileAt: dir.appendingPathComponent("missing.bin")) } throws: { "\($0)".contains("no such file") }
    }

    @Test func concurrentTablesMergeInsteadOfLosingEntries() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (0..<64).map { dir.appendingPathComponent("f\($0).bin") }
        for (i, url) in files.enumerated() { try Data(repeating: UInt8(i), count: 10 + i).write(to: url) }
        let fp = dir.appendingPathComponent("fp")
        let a = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        let b = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            _ = try? (i % 2 == 0 ? a : b).hash(fileAt: files[i])
        }
        DispatchQueue.concurrentPerform(iterations: 2) { i in try? (i == 0 ? a : b).flush() }
        let reader = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        for url in files { _ = try reader.hash(fileAt: url) }
        #expect(reader.counts.hashed == 0 && reader.counts.trusted == 64)
    }

    @Test func aFlippedDigitInAFingerprintRowIsDetectedAndTheFileHashedAgain() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = (0..<40).map { dir.appendingPathComponent("f\($0).bin") }
        for (i, url) in files.enumerated() { try Data(repeating: UInt8(i), count: 500 + i).write(to: url) }
        let fp = dir.appendingPathComponent("fp")
        let table = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        for url in files { _ = try table.hash(fileAt: url) }
        try table.flush()
        // Flip one hex digit of the file digest in one row (what a bad disk block or a stray edit does).
        let shard = try #require(try FileManager.default.contentsOfDirectory(at: fp, includingPropertiesForKeys: nil)
            .first { $0.pathExtension == "tsv" })
        var lines = try String(contentsOf: shard, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[1].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let victim = URL(fileURLWithPath: fields.last!)
        let digest = Array(fields[1])
        fields[1] = String(digest.prefix(10)) + (digest[10] == "0" ? "1" : "0") + String(digest.dropFirst(11))
        lines[1] = fields.joined(separator: "\t")
        try lines.joined(separator: "\n").write(to: shard, atomically: true, encoding: .utf8)

        let problems = table.verify(repair: false)
        #expect(problems.count == 1 && problems[0].contains("1 row(s) fail their check (line 2)"), "\(problems)")
        // A fresh table (a new process) does not trust the row: the file is hashed again and the true digest returned.
        let fresh = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        for url in files { #expect(try fresh.hash(fileAt: url) == SHA256.hash(fileAt: url), "\(url.lastPathComponent)") }
        #expect(fresh.counts.hashed == 1 && fresh.counts.trusted == 39)
        #expect(try fresh.hash(fileAt: victim) == SHA256.hash(fileAt: victim))
        // Re-recorded on flush, the shard is sound again.
        try fresh.flush()
        #expect(fresh.verify(repair: false).isEmpty)
        let third = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        for url in files { _ = try third.hash(fileAt: url) }
        #expect(third.counts.hashed == 0)
    }

    @Test func repairDropsBadFingerprintRowsAndForeignShards() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        try Data(repeating: 7, count: 100).write(to: url)
        let fp = dir.appendingPathComponent("fp")
        let table = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        _ = try table.hash(fileAt: url)
        try table.flush()
        let shard = try #require(try FileManager.default.contentsOfDirectory(at: fp, includingPropertiesForKeys: nil).first { $0.pathExtension == "tsv" })
        try (try String(contentsOf: shard, encoding: .utf8) + "garbage\trow\n").write(to: shard, atomically: true, encoding: .utf8)
        try "not a table\n".write(to: fp.appendingPathComponent("zz.tsv"), atomically: true, encoding: .utf8)
        #expect(table.verify(repair: true).count == 2)
        #expect(table.verify(repair: false).isEmpty)
        let fresh = FingerprintTable(directory: fp, temporaryDirectory: dir, racyWindow: 0)
        #expect(try fresh.hash(fileAt: url) == SHA256.hash(fileAt: url))
        #expect(fresh.counts.trusted == 1, "the good row survives the repair")
    }

    @Test func changingOneAudioFileReRunsOnlyTheNodeThatReadsIt() async throws {
        let box = try DataSandbox()
        let libri = try box.copyFixture("LibriSpeech/test-mini", to: "libri/test-mini")
        let train = try box.copyFixture("LibriSpeech/train-mini", to: "libri/train-mini")
        let nemo = try box.copyFixture("nemo")
        let yaml = """
        experiment: two
        seed: 4
        nodes:
          libri:
            kind: load_split
            params:
              member: {format: librispeech, path: \(train)}
              nonmember: {format: librispeech, path: \(libri)}
              per_class: 3
          nemo:
            kind: load_split
            params:
              source: {format: jsonl, path: \(nemo)/manifest.jsonl}
              label_column: member
              per_class: 3
        """
        let first = try await box.run(yaml)
        #expect(Set(first.ids(.ran)) == ["libri", "nemo"])
        #expect(try await box.run(yaml).ids(.ran).isEmpty)
        // Change the bytes of one chosen WAV of 'nemo' (same length, one sample's low bit flipped).
        let chosen = try #require(try box.split(first, node: "nemo").items.first { $0.label == 0 })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: chosen.audioPath))
        bytes[bytes.count - 3] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: chosen.audioPath))
        let second = try await box.run(yaml)
        #expect(second.ids(.ran) == ["nemo"])
        #expect(second.ids(.cached) == ["libri"])
        let changed = try #require(try box.split(second, node: "nemo").items.first { $0.id == chosen.id })
        #expect(changed.audioSHA256 != chosen.audioSHA256)
        #expect(changed.audioSHA256 == (try SHA256.hash(fileAt: URL(fileURLWithPath: chosen.audioPath))).hex)
        #expect(try await box.run(yaml).ids(.ran).isEmpty)
    }
}
