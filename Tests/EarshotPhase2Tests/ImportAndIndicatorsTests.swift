import EarshotData
@testable import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Testing

@Suite struct ImportAndIndicatorsTests {
    /// Scores with the fake worker, then re-imports the same statistics as JSON Lines and as HDF5.
    @Test func importRoundTripsWorkerRepliesAndArtifacts() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 5)
        let splitPath = try box.writeSplit(split)
        let scored = try await box.run(try box.write(Fixtures.fakeExperiment(splitPath: splitPath, flags: []), name: "live.yaml"))
        let live = try TokenScores(artifact: try box.output(scored, node: "scores", "scores"))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lines = [#"{"type":"hello","protocol":1,"model_id":"fake-model/1","weights_sha256":"\#(String(repeating: "ab", count: 32))","vocab_size":16}"#]
        for item in live.items.reversed() where item.id != "utt-002" {
            var object = try JSONSerialization.jsonObject(with: try encoder.encode(item)) as! [String: Any]
            object["type"] = "result"
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
        lines.append(#"{"type":"error","id":"utt-002","message":"audio too long"}"#)
        try (lines.joined(separator: "\n") + "\n").write(to: box.url("scores.jsonl"), atomically: true, encoding: .utf8)
        try ArtifactFile.write(live.artifact(), to: box.url("scores.h5"))

        for file in ["scores.jsonl", "scores.h5"] {
            let path = try box.write("""
            experiment: import
            nodes:
              split: {kind: fixture.split, params: {path: "\(splitPath)"}}
              scores: {kind: score, inputs: {split: split}, params: {scorer: {import: \(file)}, on_error: skip}}
            """, name: "import-\(file).yaml")
            let summary = try await box.run(path)
            #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
            let imported = try TokenScores(artifact: try box.output(summary, node: "scores", "scores"))
            if file == "scores.h5" {
                #expect(imported.items == live.items)
                #expect(imported.skipped.isEmpty)
            } else {
                #expect(imported.items == live.items.filter { $0.id != "utt-002" })
                #expect(imported.skipped == [TokenScores.Skipped(id: "utt-002", reason: "worker error: audio too long")])
                #expect(imported.attributes["weights_sha256"] == .string(String(repeating: "ab", count: 32)))
            }
            let key = try #require(box.report(summary, "scores")?.key.flatMap { Digest(hex: $0) })
            #expect(try box.store.action(for: key)?.keyInputs.contains(try SHA256.hash(fileAt: box.url(file)).hex) == true)
        }
    }

    @Test func importRejectsNonFiniteStatisticsWithTheLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-import-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"type":"result","id":"a","tokens":[1],"text":"x","stats":{"log_prob":[1e999],"entropy":[0],"expected_log_prob_sq":[0],"renyi_0_5":[0],"renyi_2":[0],"renyi_inf":[0],"top1_log_prob":[0],"top2_log_prob":[0]}}"#
            .write(to: dir, atomically: true, encoding: .utf8)
        #expect {
            try ImportedScores(url: dir)
        } throws: { error in
            "\(error)".contains("line 1") && "\(error)".contains("cannot import scores")
        }
    }

    static func item(_ id: String, logProbs: [Double]) -> ItemScores {
        let rows = logProbs.map { lp -> TokenStatistics.Token in
            // A two-token distribution with p(chosen) = exp(lp).
            let p = Foundation.exp(lp), q = 1 - p
            return try! TokenStatistics.Token.from(logProbabilities: [lp, Foundation.log(q)], chosen: 0)
        }
        return ItemScores(id: id, tokens: logProbs.map { _ in 0 }, text: "text of \(id)", stats: TokenStatistics(tokens: rows))
    }

    func indicatorsExperiment(_ box: Phase2Sandbox, scores: TokenScores, onError: String) throws -> String {
        try ArtifactFile.write(scores.artifact(), to: box.url("scores-\(onError).h5"))
        return try box.write("""
        experiment: indicators
        nodes:
          scores: {kind: fixture.scores, params: {path: "\(box.url("scores-\(onError).h5").path)"}}
          mia: {kind: indicators, inputs: {scores: scores}, params: {on_error: \(onError)}}
        """, name: "ind-\(onError).yaml")
    }

    @Test func indicatorsHandleEmptyAndNonFiniteItemsExplicitly() async throws {
        let box = try Phase2Sandbox()
        let good = [Self.item("a", logProbs: [-0.1, -0.5, -2]), Self.item("c", logProbs: [-0.3])]
        var nonFinite = Self.item("d", logProbs: [-0.2, -0.4])
        nonFinite.stats.entropy[1] = .nan
        let empty = ItemScores(id: "b", tokens: [], text: "", stats: TokenStatistics(tokens: []))
        let scores = TokenScores(items: [good[0], empty, good[1], nonFinite], labels: [1, 0, 1, 0],
                                 skipped: [TokenScores.Skipped(id: "e", reason: "worker error: unreadable")],
                                 attributes: ["model_id": .string("m")])

        let failing = try await box.run(try indicatorsExperiment(box, scores: scores, onError: "fail"))
        let reason = box.report(failing, "mia")?.reason ?? ""
        #expect(box.report(failing, "mia")?.status == .failed)
        #expect(reason.contains("item 'b' has no defined indicator vector"))
        #expect(reason.contains("has no scored token"))

        let summary = try await box.run(try indicatorsExperiment(box, scores: scores, onError: "skip"))
        #expect(summary.succeeded, "\(summary.nodes.map { $0.reason ?? "" })")
        let features = try box.output(summary, node: "mia", "features")
        #expect(features.attributes["earshot.type"] == .string("features"))
        #expect(try features.stringColumn("id") == ["a", "c"])
        #expect(try features.int64Column("label") == [1, 1])
        let matrix = try features.matrix("X")
        #expect(matrix.rows == 2 && matrix.cols == 52)
        #expect(matrix.columns == MIAIndicators.columnNames)
        #expect(Array(matrix.values[0..<52]) == (try MIAIndicators.compute(good[0])))
        #expect(Array(matrix.values[52..<104]) == (try MIAIndicators.compute(good[1])))
        let skippedIDs = try features.stringColumn("skipped/id")
        let skippedReasons = try features.stringColumn("skipped/reason")
        #expect(skippedIDs == ["e", "b", "d"])
        #expect(skippedReasons[0] == "not scored: worker error: unreadable")
        #expect(skippedReasons[1].contains("has no scored token"))
        #expect(skippedReasons[2].contains("'entropy'[1] is nan"))
    }

    @Test func indicatorThatOverflowsIsReportedNotStored() throws {
        // Mean NLL above ~709 makes exp(mean NLL) = +inf: perplexity has no finite value.
        let huge = Self.item("x", logProbs: [-800])
        let rows = try IndicatorsKind.compute(TokenScores(items: [huge], labels: [1]), skipItems: true)
        #expect(rows.ids.isEmpty)
        #expect(rows.skipped.first?.reason == "indicator 'ppl' is inf")
    }
}
