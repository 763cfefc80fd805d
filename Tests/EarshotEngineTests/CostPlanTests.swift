import EarshotGraph
import EarshotNodes
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation
import Testing

/// `earshot plan --cost`: item counts per phase and kind from the template's sizes, GPU-hours from the items/s
/// that earlier runs measured; and `--gpus`, one CUDA_VISIBLE_DEVICES per worker.
@Suite(.serialized) struct CostPlanTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-cost-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// The expected items of the study's work, computed from the template itself: each split holds 2 × its node's
    /// `per_class`; a score node processes its split (phase 3 when the split is a resynthesis); a resynthesis makes
    /// one clip per item and realization.
    func expectedCounts(_ graph: ExperimentGraph) -> [String: Int] {
        func splitItems(_ ref: OutputRef) -> Int {
            let producer = graph.node(ref.node)!
            if producer.signature.name == "resynthesize" { return splitItems(producer.inputs["split"]![0]) }
            return 2 * producer.params["per_class"]!.intValue!
        }
        var expected: [String: Int] = [:]
        for node in graph.nodes {
            switch node.signature.name {
            case "score":
                let ref = node.inputs["split"]![0]
                let phase = graph.node(ref.node)!.signature.name == "resynthesize" ? 3 : 2
                expected["\(phase)/score", default: 0] += splitItems(ref)
            case "resynthesize":
                expected["3/resynthesize", default: 0] += splitItems(node.inputs["split"]![0]) * node.outputs.count
            default:
                break
            }
        }
        return expected
    }

    @Test func theStudysCostMatchesTheTemplateSizesAndTheMeasuredRate() throws {
        // A measured rate: score 64 items with the fake worker; the run appends its throughput to the store.
        let worker = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
        try """
        experiment: measure
        nodes:
          corpus: {kind: synth_corpus, params: {per_class: 32, dataset: k, speakers: 2, max_words: 5}}
          scores: {kind: score, inputs: {split: corpus}, params: {scorer: {command: [python3, "\(worker)"]}, shard_size: 16}}
        """.write(to: dir.appendingPathComponent("measure.yaml"), atomically: true, encoding: .utf8)
        let run = try earshot(["run", "measure.yaml", "--store", "st"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let store = try ArtifactStore(root: dir.appendingPathComponent("st"))
        let entries = ThroughputLog.entries(in: store)
        #expect(entries.count == 1 && entries.first?.items == 64 && entries.first?.model == "fake-model/1", "\(entries)")
        let rate = try #require(ThroughputLog.rates(in: store)["score"])

        let study = repositoryRoot.appendingPathComponent("experiments/paper/study.yaml").path
        let out = try earshot(["plan", study, "--cost", "--json", "--store", "st"], in: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let cost = try JSONDecoder().decode(CostPlan.self, from: Data(out.stdout.utf8))
        let graph = try Registry.standard().load(path: study)
        let expected = expectedCounts(graph)
        #expect(Dictionary(uniqueKeysWithValues: cost.lines.map { ("\($0.phase)/\($0.kind)", $0.items) }) == expected)
        #expect(expected["2/score"] == 16 * 2 * graph.node("split_librispeech")!.params["per_class"]!.intValue!,
                "16 score nodes of phase 2 (8 datasets × 2 models)")
        let score2 = try #require(cost.lines.first { $0.phase == 2 && $0.kind == "score" })
        #expect(score2.itemsPerSecond == rate.itemsPerSecond)
        #expect(abs((score2.gpuHours ?? 0) - Double(score2.items) / rate.itemsPerSecond / 3600) < 1e-9)
        #expect(score2.rateSource?.contains("fake-model/1") == true, "\(score2.rateSource ?? "")")

        let text = try earshot(["plan", study, "--cost", "--store", "st", "--items-per-second", "2"], in: dir)
        #expect(text.status == 0, "\(text.stderr)")
        let hours = String(format: "%.1f", Double(expected["2/score"]!) / 2 / 3600)
        let row = text.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0.prefix(2) == ["2", "score"] }
        #expect(row?.prefix(6) == ["2", "score", "16", "\(expected["2/score"]!)", "2.00", hours], "\(text.stdout)")
        #expect(text.stdout.contains("(phase total)"))
    }

    @Test func cachedNodesCostNothing() throws {
        let worker = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
        try """
        experiment: small
        nodes:
          corpus: {kind: synth_corpus, params: {per_class: 8, dataset: k, speakers: 2, max_words: 5}}
          a: {kind: score, inputs: {split: corpus}, params: {scorer: {command: [python3, "\(worker)"]}}}
          b: {kind: score, inputs: {split: corpus}, params: {scorer: {command: [python3, "\(worker)", --delay, "0"]}}}
        """.write(to: dir.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
        let before = try JSONDecoder().decode(CostPlan.self, from: Data(try earshot(["plan", "small.yaml", "--cost", "--json", "--store", "s"], in: dir).stdout.utf8))
        #expect(before.lines.map(\.items) == [32] && before.lines.first?.nodes == 2)
        #expect(try earshot(["run", "small.yaml", "--store", "s"], in: dir).status == 0)
        let after = try JSONDecoder().decode(CostPlan.self, from: Data(try earshot(["plan", "small.yaml", "--cost", "--json", "--store", "s"], in: dir).stdout.utf8))
        #expect(after.lines.first?.items == 0 && after.lines.first?.cachedNodes == 2)
    }

    @Test func eachWorkerGetsItsOwnDevice() throws {
        let worker = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/fake_worker.py").path
        let envLog = dir.appendingPathComponent("env.log")
        try """
        experiment: gpus
        nodes:
          corpus: {kind: synth_corpus, params: {per_class: 8, dataset: k, speakers: 2, max_words: 5}}
          scores: {kind: score, inputs: {split: corpus}, params: {scorer: {command: [python3, "\(worker)", --env-log, "\(envLog.path)", --delay, "0.05"]}}}
        """.write(to: dir.appendingPathComponent("gpus.yaml"), atomically: true, encoding: .utf8)
        let r = try earshot(["run", "gpus.yaml", "--store", "s", "--gpus", "3,5"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = Set(((try? String(contentsOf: envLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: ["CUDA_VISIBLE_DEVICES=3", "CUDA_VISIBLE_DEVICES=5"]), "two workers, one per listed GPU: \(lines)")
    }

    @Test func gpusAutoReadsTheEnvironmentThenTheDriver() throws {
        #expect(RunSettings.devices("auto", environment: ["CUDA_VISIBLE_DEVICES": "2,7"]) == ["2", "7"])
        #expect(RunSettings.devices("auto", environment: ["CUDA_VISIBLE_DEVICES": "-1"]) == [])
        let driver = dir.appendingPathComponent("gpus")
        for bus in ["0000:01:00.0", "0000:41:00.0", "0000:81:00.0"] {
            try FileManager.default.createDirectory(at: driver.appendingPathComponent(bus), withIntermediateDirectories: true)
        }
        #expect(RunSettings.devices("auto", environment: [:], driverDirectory: driver.path) == ["0", "1", "2"])
        #expect(RunSettings.devices("auto", environment: [:], driverDirectory: dir.appendingPathComponent("none").path) == [])
        #expect(RunSettings.devices("0, 1,3", environment: [:]) == ["0", "1", "3"])
    }
}
