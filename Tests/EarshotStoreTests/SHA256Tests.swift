import Foundation
import Testing
@testable import EarshotStore

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hash("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash(Data("abc".utf8)) == SHA256.hash("abc"))
        #expect(SHA256.hash(Array("abc".utf8)) == SHA256.hash("abc"))
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 63, 64, 65, 999, 1000] {
            var hasher = SHA256()
            hasher.update(bytes[..<split])
            hasher.update(bytes[split...])
            #expect(hasher.finalize() == SHA256.hash(bytes), "split at \(split)")
        }
    }

    @Test func fileHashMatchesSha256sum() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-sha-\(UUID().uuidString).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        // Three full 1 MiB blocks plus a ragged tail.
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(3 * SHA256.fileBlockSize + 12_345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: url)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = String(output.prefix(64))

        #expect(try SHA256.hash(fileAt: url).hex == expected)
        #expect(SHA256.hash(bytes).hex == expected)
    }

    @Test func missingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent/earshot/file.bin")
        #expect {
            try SHA256.hash(fileAt: url)
        } throws: { error in
            "\(error)".contains("/nonexistent/earshot/file.bin") && "\(error)".contains("no such file")
        }
    }

    @Test func digestHexParsingAndOrdering() throws {
        let digest = SHA256.hash("abc")
        #expect(Digest(hex: digest.hex) == digest)
        #expect(digest.description == digest.hex)
        #expect(digest.bytes.count == 32)
        #expect(Digest(bytes: digest.bytes) == digest)
        #expect(Digest(hex: digest.hex.uppercased()) == nil)
        #expect(Digest(hex: String(digest.hex.dropLast())) == nil)
        #expect(Digest(hex: String(digest.hex.dropLast()) + "g") == nil)
        #expect(Digest(bytes: [UInt8](repeating: 0, count: 31)) == nil)

        let low = try #require(Digest(hex: String(repeating: "0", count: 63) + "f"))
        let high = try #require(Digest(hex: "1" + String(repeating: "0", count: 63)))
        #expect(low < high)
        let many = (0..<50).map { SHA256.hash("\($0)") }
        #expect(many.sorted().map(\.hex) == many.map(\.hex).sorted())
    }

    @Test func digestCodesAsHexString() throws {
        let digest = SHA256.hash("abc")
        let json = try JSONEncoder().encode([digest])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(digest.hex)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: json) == [digest])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\"ABC\"]".utf8)) }
    }
}
