import Foundation
import Testing
@testable import EarshotScoring

@Suite("Worker protocol messages")
struct WorkerMessageTests {
    @Test("schema-checked example lines are accepted or rejected as the fixture says")
    func examples() throws {
        let fixture = try GoldenFixtures.load("protocol_examples.json", as: ProtocolFixture.self)
        #expect(fixture.worker_lines.count >= 10)
        for example in fixture.worker_lines {
            let decoded = Result { try WorkerMessage.decode(line: example.line, expectedID: "utt-1", vocabularySize: 100) }
            switch (example.swift, decoded) {
            case ("accept", .failure(let error)): Issue.record("\(example.name) was rejected: \(error)")
            case ("reject", .success(let message)): Issue.record("\(example.name) was accepted: \(message)")
            default: break
            }
            if example.schema_valid == false, example.swift == "accept" { Issue.record("fixture inconsistent: \(example.name)") }
        }
    }

    @Test("a result decodes into ItemScores with every array")
    func result() throws {
        let line = #"{"type":"result","id":"a","tokens":[5],"text":" Hi","stats":{"log_prob":[-0.5],"entropy":[1],"expected_log_prob_sq":[1.5],"renyi_0_5":[2],"renyi_2":[0.7],"renyi_inf":[0.4],"top1_log_prob":[-0.4],"top2_log_prob":[-2]}}"#
        guard case .result(let item) = try WorkerMessage.decode(line: line, expectedID: "a") else {
            Issue.record("not a result")
            return
        }
        #expect(item.tokens == [5] && item.text == " Hi" && item.stats.top2LogProb == [-2])
    }

    @Test("rejections explain themselves")
    func messages() {
        let wrongID = #"{"type":"error","id":"b","message":"x"}"#
        #expect(throws: ScoringError.unexpectedReplyID(expected: "a", actual: "b")) {
            try WorkerMessage.decode(line: wrongID, expectedID: "a")
        }
        let missing = #"{"type":"hello","protocol":1,"model_id":"m","vocab_size":3}"#
        do {
            _ = try WorkerMessage.decode(line: missing)
            Issue.record("accepted a hello without weights_sha256")
        } catch {
            #expect("\(error)".contains("weights_sha256"))
        }
    }

    @Test("score requests encode to the protocol's keys and PCM round-trips through base64")
    func requests() throws {
        let samples: [Float] = [1, -0.5, 0.25]
        let request = ScoreRequest(id: "u", audio: .pcm(samples: samples, sampleRate: 16000), prompt: "Transcribe.",
                                   mode: .reference, maxNewTokens: 16, transcript: "hello")
        let line = try WorkerRequest.score(request).jsonLine()
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(object["type"] as? String == "score" && object["mode"] as? String == "reference")
        #expect(object["max_new_tokens"] as? Int == 16 && object["sample_rate"] as? Int == 16000)
        let bytes = [UInt8](Data(base64Encoded: object["pcm_f32_b64"] as! String)!)
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
        }
        #expect(decoded == samples)
        #expect(try WorkerRequest.shutdown.jsonLine() == #"{"type":"shutdown"}"#)
        let byPath = ScoreRequest(id: "v", audio: .path("/a/b.wav"), prompt: "", mode: .selfConditioned, maxNewTokens: 8)
        let pathLine = try WorkerRequest.score(byPath).jsonLine()
        #expect(pathLine.contains(#""audio_path":"/a/b.wav""#) && !pathLine.contains("transcript"))
    }

    @Test("invalid requests are refused before sending")
    func invalidRequests() {
        let noTranscript = ScoreRequest(id: "u", audio: .path("a.wav"), prompt: "", mode: .reference, maxNewTokens: 4)
        #expect(throws: ScoringError.self) { try WorkerRequest.score(noTranscript).jsonLine() }
        let zeroTokens = ScoreRequest(id: "u", audio: .path("a.wav"), prompt: "", mode: .selfConditioned, maxNewTokens: 0)
        #expect(throws: ScoringError.self) { try zeroTokens.validate() }
        let badRate = ScoreRequest(id: "u", audio: .pcm(samples: [0], sampleRate: 0), prompt: "", mode: .selfConditioned, maxNewTokens: 4)
        #expect(throws: ScoringError.self) { try badRate.validate() }
    }
}
