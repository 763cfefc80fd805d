import Foundation
import Testing
@testable import EarshotStore

/// A fresh path in the system temporary directory; the file is removed by the caller's `defer`.
private func temporaryArtifactURL() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("earshot-artifact-\(UUID().uuidString).h5")
}

private func roundTrip(_ artifact: Artifact) throws -> Artifact {
    let url = temporaryArtifactURL()
    defer { try? FileManager.default.removeItem(at: url) }
    try ArtifactFile.write(artifact, to: url)
    return try ArtifactFile.read(from: url)
}

/// An artifact touching every storage type, rank, attribute type and a nested group.
private func sampleArtifact() throws -> Artifact {
    var artifact = Artifact(attributes: [
        "earshot.node": .string("acoustic"),
        "earshot.kind_version": .int(3),
        "title": .string("Ünïcødé ✓ 音声"),
        "threshold": .double(0.25),
        "folds": .ints([0, 1, 2]),
        "weights": .doubles([1.5, -2]),
        "names": .strings(["a", "", "ß"]),
        "one": .ints([7]),
        "none": .strings([]),
        "no_ints": .ints([]),
    ])
    artifact.datasets["f64"] = try Dataset(shape: [2, 3], storage: .float64([1, 2, 3, 4, 5, 6]), attributes: ["unit": .string("s")])
    artifact.datasets["f32"] = try Dataset(shape: [2, 2, 2], storage: .float32((0..<8).map { Float($0) / 3 }))
    artifact.datasets["i64"] = Dataset(.int64([Int64.min, -1, 0, Int64.max]))
    artifact.datasets["u8"] = Dataset(.uint8([0, 1, 255]))
    artifact.datasets["text"] = Dataset(.strings(["", "plain", "naïve café", "日本語", "emoji 🎧", String(repeating: "x", count: 10_000)]))
    artifact.datasets["scalar"] = try Dataset(shape: [], storage: .float64([42]))
    artifact.datasets["nested/deeper/values"] = Dataset(.int64([1, 2]), attributes: ["k": .int(-5)])
    artifact.datasets["empty/f64"] = Dataset(.float64([]))
    artifact.datasets["empty/f32"] = Dataset(.float32([]))
    artifact.datasets["empty/i64"] = Dataset(.int64([]))
    artifact.datasets["empty/u8"] = Dataset(.uint8([]))
    artifact.datasets["empty/strings"] = Dataset(.strings([]))
    artifact.datasets["empty/matrix"] = try Dataset(shape: [0, 5], storage: .float64([]))
    artifact.groupAttributes["nested"] = ["about": .string("a group attribute")]
    return artifact
}

@Suite struct ArtifactFileTests {
    @Test func everyStorageTypeAndAttributeRoundTrips() throws {
        let artifact = try sampleArtifact()
        let back = try roundTrip(artifact)
        #expect(back == artifact)
        #expect(back.datasets["empty/matrix"]?.shape == [0, 5])
        #expect(back.datasets["scalar"]?.shape == [])
        #expect(back.attributes["one"] == .ints([7]))
        #expect(back.attributes["earshot.kind_version"] == .int(3))
    }

    @Test func nonFiniteDoublesArePreservedBitExactly() throws {
        let payloadNaN = Double(bitPattern: 0x7ff8_0000_0000_0123)
        let values: [Double] = [.nan, payloadNaN, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        var artifact = Artifact(attributes: ["special": .doubles(values), "nan": .double(payloadNaN)])
        artifact.datasets["x"] = Dataset(.float64(values))
        artifact.datasets["y"] = Dataset(.float32([.nan, .infinity, -0.0, .leastNormalMagnitude]))
        let back = try roundTrip(artifact)
        guard case .float64(let read)? = back.datasets["x"]?.storage else {
            Issue.record("x did not come back as float64")
            return
        }
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(back == artifact)
    }

    @Test func groupAttributesWithoutEntriesAreDropped() {
        var artifact = Artifact(groupAttributes: ["g": [:]])
        #expect(artifact.groupAttributes.isEmpty)
        artifact.groupAttributes["h"] = [:]
        #expect(artifact.groupAttributes.isEmpty)
    }

    @Test func sameArtifactInAnyInsertionOrderGivesIdenticalBytes() throws {
        let names = (0..<20).map { "d\($0)" }
        func build(_ order: [String]) -> Artifact {
            var artifact = Artifact()
            for name in order {
                artifact.attributes["attr_\(name)"] = .string(name)
                artifact.datasets["group/\(name)"] = Dataset(.float64([Double(name.count)]), attributes: ["a": .int(1), "b": .int(2)])
            }
            return artifact
        }
        let first = temporaryArtifactURL(), second = temporaryArtifactURL(), third = temporaryArtifactURL()
        defer { [first, second, third].forEach { try? FileManager.default.removeItem(at: $0) } }
        try ArtifactFile.write(build(names), to: first)
        try ArtifactFile.write(build(names.reversed()), to: second)
        try ArtifactFile.write(build(names.shuffled()), to: third)
        let hash = try SHA256.hash(fileAt: first)
        #expect(try SHA256.hash(fileAt: second) == hash)
        #expect(try SHA256.hash(fileAt: third) == hash)
    }

    @Test func filesWrittenAtDifferentTimesAreIdentical() async throws {
        // Object headers with timestamps would differ after a second; the writer turns timestamps off.
        let artifact = try sampleArtifact()
        let first = temporaryArtifactURL(), second = temporaryArtifactURL()
        defer { [first, second].forEach { try? FileManager.default.removeItem(at: $0) } }
        try ArtifactFile.write(artifact, to: first)
        try await Task.sleep(for: .milliseconds(1100))
        try ArtifactFile.write(artifact, to: second)
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))
    }

    @Test func largeAttributeAndManyLinksRoundTrip() throws {
        // 20 000 column names exceed HDF5's 64 KiB compact attribute limit and need dense attribute storage;
        // more than 8 links in a group switch it to dense link storage.
        var artifact = Artifact()
        let columns = (0..<20_000).map { "column_\($0)" }
        try artifact.setMatrix("wide", rows: 1, cols: columns.count, values: [Double](repeating: 1, count: columns.count), columns: columns)
        for i in 0..<30 { artifact.datasets["many/d\(i)"] = Dataset(.int64([Int64(i)])) }
        let back = try roundTrip(artifact)
        #expect(back == artifact)
    }

    @Test func largeDatasetRoundTrips() throws {
        var artifact = Artifact()
        let values = (0..<1_000_000).map { Double($0) * 0.5 }
        try artifact.setMatrix("big", rows: 1000, cols: 1000, values: values)
        #expect(try roundTrip(artifact).matrix("big").values == values)
    }

    @Test func concurrentWritersAndReadersAreSerialisedSafely() async throws {
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var artifact = try sampleArtifact()
                    artifact.setColumn("task", [Int64(task)])
                    return try roundTrip(artifact) == artifact
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: 8))
    }

    @Test func readAttributesReturnsOnlyRootAttributes() throws {
        let artifact = try sampleArtifact()
        let url = temporaryArtifactURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try ArtifactFile.write(artifact, to: url)
        #expect(try ArtifactFile.readAttributes(from: url) == artifact.attributes)
    }

    @Test func invalidArtifactsAreRejectedBeforeWriting() throws {
        let url = temporaryArtifactURL()
        defer { try? FileManager.default.removeItem(at: url) }
        var conflict = Artifact()
        conflict.datasets["a"] = Dataset(.int64([1]))
        conflict.datasets["a/b"] = Dataset(.int64([1]))
        var badShape = Artifact()
        badShape.datasets["m"] = Dataset(.float64([1, 2, 3]))
        badShape.datasets["m"]?.shape = [2, 2]
        var emptyComponent = Artifact()
        emptyComponent.datasets["a//b"] = Dataset(.int64([1]))
        var nulString = Artifact()
        nulString.datasets["s"] = Dataset(.strings(["a\u{0}b"]))
        var groupConflict = Artifact(groupAttributes: ["a": ["x": .int(1)]])
        groupConflict.datasets["a"] = Dataset(.int64([1]))
        var ancestorConflict = Artifact(groupAttributes: ["a/b": ["x": .int(1)]])
        ancestorConflict.datasets["a"] = Dataset(.int64([1]))

        for (artifact, fragment) in [
            (conflict, "'a' is both a dataset and a group"), (badShape, "shape [2, 2] (4 elements) but holds 3"),
            (emptyComponent, "'a//b'"), (nulString, "NUL"), (groupConflict, "'a' is both"),
            (ancestorConflict, "'a' is both"),
        ] {
            #expect { try ArtifactFile.write(artifact, to: url) } throws: { "\($0)".contains(fragment) }
        }
        #expect(throws: StoreError.self) { try Dataset(shape: [2], storage: .int64([1, 2, 3])) }
        #expect(throws: StoreError.self) { try Dataset(shape: [-1], storage: .int64([])) }
    }

    @Test func truncatedGarbageAndMissingFilesFailNamingThePath() throws {
        let good = temporaryArtifactURL(), truncated = temporaryArtifactURL(), garbage = temporaryArtifactURL()
        defer { [good, truncated, garbage].forEach { try? FileManager.default.removeItem(at: $0) } }
        try ArtifactFile.write(try sampleArtifact(), to: good)
        let bytes = try Data(contentsOf: good)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        try Data("this is not hdf5 at all".utf8).write(to: garbage)
        let missing = URL(fileURLWithPath: "/nonexistent/earshot/artifact.h5")

        for url in [truncated, garbage, missing] {
            #expect {
                try ArtifactFile.read(from: url)
            } throws: { error in
                error is StoreError && "\(error)".contains(url.path)
            }
        }
        #expect { try ArtifactFile.read(from: garbage) } throws: { "\($0)".contains("not an hdf5 file") }
        #expect { try ArtifactFile.read(from: truncated) } throws: { "\($0)".contains("truncated") }
    }
}
