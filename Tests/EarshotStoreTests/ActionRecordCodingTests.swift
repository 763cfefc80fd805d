import Foundation
import Testing
@testable import EarshotStore

/// Action records are written with `JSONEncoder` and read back through `JSONReader` by a hand-written decoder (the
/// re-run's hot path): what is written must come back equal, whatever the strings hold, and a damaged record must
/// be an error, never a crash or a silently different record.
@Suite struct ActionRecordCodingTests {
    static func record(node: String, keyInputs: String, sources: [String: [String]]) -> ActionRecord {
        let a = SHA256.hash("a"), b = SHA256.hash("b")
        return ActionRecord(key: SHA256.hash(node), experiment: "exp/ünï \"quoted\"", node: node, kind: "command",
                            outputs: ["x.txt": OutputObject(object: a, content: b, type: "file", bytes: 6149),
                                      "scores": OutputObject(object: b, content: a, ext: "h5", type: "scores", bytes: 0)],
                            attachments: [OutputObject(object: a, content: a, ext: "flac", type: "audio", bytes: 12)],
                            keyInputs: keyInputs, inputSources: sources,
                            createdAt: Date(timeIntervalSinceReferenceDate: 818349541.8879362), seconds: 0.008646368980407715,
                            producer: "earshot 0.1.0")
    }

    @Test func whatTheEncoderWritesDecodesEqual() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // as `ArtifactStore.record` writes
        let cases = [
            Self.record(node: "c1", keyInputs: #"{"params":{"run":["bash","-c","echo \"$0\" > \"$1/x.txt\""]}}"#, sources: [:]),
            Self.record(node: "tab\tnew\nline\u{1}ctl", keyInputs: "back\\slash / slash", sources: ["x": ["a.out", "b.out"]]),
            Self.record(node: "emoji 🎧 and é", keyInputs: "\u{7f}\u{2028}", sources: ["terms": []]),
        ]
        for original in cases {
            let data = try encoder.encode(original)
            #expect(try ActionRecord.decode(data) == original)
            // Pretty-printed and unsorted JSON (another writer) decodes the same.
            let other = JSONEncoder()
            other.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
            #expect(try ActionRecord.decode(try other.encode(original)) == original)
        }
    }

    @Test func escapesOfEveryKindAreRead() throws {
        let text = #"{"key":"\#(SHA256.hash("k").hex)","experiment":"e\u00e9\ud83c\udfa7\/\b\f\r","node":"n","kind":"k","#
            + #""outputs":{},"keyInputs":"{}","inputSources":{},"createdAt":1e3,"seconds":-0.5,"producer":"p"}"#
        let record = try ActionRecord.decode(Data(text.utf8))
        #expect(record.experiment == "eé🎧/\u{8}\u{c}\r")
        #expect(record.createdAt == Date(timeIntervalSinceReferenceDate: 1000))
        #expect(record.seconds == -0.5)
    }

    @Test func damagedRecordsAreErrorsNamingWhatIsWrong() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let good = try encoder.encode(Self.record(node: "n", keyInputs: "{}", sources: [:]))
        // Every truncation of a valid record is refused.
        for cut in stride(from: 0, to: good.count, by: 7) {
            #expect(throws: (any Error).self) { try ActionRecord.decode(good.prefix(cut)) }
        }
        let bad = [#"{"key":"x"}"#, "[1,2]", #"{"key":"\ud800"}"#, "{\"key\":\"a\u{1}b\"}", #"{"a":1}x"#, #"{"a":1e999}"#,
                   #"{"a":tru}"#, #"{"a" 1}"#, String(repeating: "[", count: 200) + String(repeating: "]", count: 200)]
        for text in bad {
            #expect(throws: (any Error).self, "\(text)") { try ActionRecord.decode(Data(text.utf8)) }
        }
    }

    @Test func digestsReadAndWriteTheirHex() {
        for s in ["", "a", "earshot"] {
            let d = SHA256.hash(s)
            #expect(Digest(hex: d.hex) == d)
            #expect(Digest(bytes: d.bytes) == d)
        }
        #expect(Digest(hex: String(repeating: "A", count: 64)) == nil)
        #expect(Digest(hex: String(repeating: "a", count: 63)) == nil)
        #expect(Digest(hex: String(repeating: "g", count: 64)) == nil)
    }
}
