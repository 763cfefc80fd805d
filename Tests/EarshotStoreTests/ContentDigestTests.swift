import Foundation
import Testing
@testable import EarshotStore

@Suite struct ContentDigestTests {
    private func base() throws -> Artifact {
        var artifact = Artifact(attributes: ["earshot.node": .string("a"), "earshot.key": .string("k1"), "note": .string("n")])
        try artifact.setMatrix("m", rows: 2, cols: 2, values: [1.0, 2, 3, 4], columns: ["p", "q"])
        artifact.setColumn("ids", ["x", "y"])
        artifact.setRagged("r", [[1], []])
        return artifact
    }

    @Test func provenanceDoesNotEnterTheDigest() throws {
        let artifact = try base()
        var other = artifact
        other.attributes["earshot.node"] = .string("b")
        other.attributes["earshot.key"] = .string("k2")
        other.attributes["earshot.producer"] = .string("earshot 0.1")
        other.attributes.removeValue(forKey: "earshot.key")
        #expect(other.contentDigest() == artifact.contentDigest())
        #expect(other.provenance.keys.sorted() == ["earshot.node", "earshot.producer"])
    }

    @Test func everyPayloadChangeChangesTheDigest() throws {
        let artifact = try base()
        let digest = artifact.contentDigest()
        var variants: [Artifact] = []
        var a = artifact; a.attributes["note"] = .string("m"); variants.append(a)
        a = artifact; a.attributes["earshot"] = .string("not provenance: no dot"); variants.append(a)
        a = artifact; a.datasets["m"]?.attributes["columns"] = .strings(["p", "r"]); variants.append(a)
        a = artifact; a.groupAttributes["r"]?["encoding"] = .string("other"); variants.append(a)
        a = artifact; a.datasets["m"]?.shape = [4, 1]; variants.append(a)
        a = artifact; a.datasets["m"]?.storage = .float32([1, 2, 3, 4]); variants.append(a)
        a = artifact; a.datasets["m"]?.storage = .float64([1, 2, 3, -4]); variants.append(a)
        a = artifact; a.setColumn("ids", ["xy", ""]); variants.append(a)
        a = artifact; a.setColumn("ids", ["", "xy"]); variants.append(a)
        a = artifact; a.setColumn("extra", [Int64]()); variants.append(a)
        a = artifact; a.attributes["note"] = .strings(["n"]); variants.append(a)
        let digests = variants.map { $0.contentDigest() }
        #expect(!digests.contains(digest))
        #expect(Set(digests).count == digests.count)
    }

    @Test func signedZeroAndNaNPayloadsAreDistinguished() {
        var a = Artifact(), b = Artifact()
        a.setColumn("x", [0.0])
        b.setColumn("x", [-0.0])
        #expect(a.contentDigest() != b.contentDigest())
        a.setColumn("x", [Double.nan])
        b.setColumn("x", [Double(bitPattern: 0x7ff8_0000_0000_0001)])
        #expect(a.contentDigest() != b.contentDigest())
    }

    @Test func digestSurvivesAFileRoundTripAndIgnoresInsertionOrder() throws {
        let artifact = try base()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-digest-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try ArtifactFile.write(artifact, to: url)
        #expect(try ArtifactFile.read(from: url).contentDigest() == artifact.contentDigest())

        var reordered = Artifact()
        reordered.setRagged("r", [[1], []])
        reordered.setColumn("ids", ["x", "y"])
        try reordered.setMatrix("m", rows: 2, cols: 2, values: [1.0, 2, 3, 4], columns: ["p", "q"])
        reordered.attributes = ["note": .string("n")]
        #expect(reordered.contentDigest() == artifact.contentDigest())
    }

    @Test func serializationMatchesTheDocumentedFormat() {
        // One int64 dataset "x" = [7] with attribute "u" = "s"; root attributes: provenance (ignored) and "a" = 2.
        var artifact = Artifact(attributes: ["earshot.node": .string("n"), "a": .int(2)])
        artifact.datasets["x"] = Dataset(.int64([7]), attributes: ["u": .string("s")])

        var bytes: [UInt8] = []
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        str("earshot.artifact.content.v1")
        u64(1); str("x"); str("int64"); u64(1); u64(1); u64(7)
        u64(1); str("u"); str("string"); str("s")
        u64(0)
        u64(1); str("a"); str("int"); u64(2)
        #expect(artifact.contentDigest() == SHA256.hash(bytes))
    }
}
