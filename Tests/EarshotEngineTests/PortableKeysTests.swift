import EarshotStore
import Foundation
import Testing

/// Moving a checkout and its store keeps every key: programs enter keys by content and by the name as written,
/// never by the absolute path found on this machine.
@Suite struct PortableKeysTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// node id → key, for the nodes whose key `plan --json` could compute.
    static func keys(_ experiment: String, in checkout: URL) throws -> [String: String] {
        let r = try earshot(["plan", experiment, "--json", "--store", "../cache-store"], in: checkout.appendingPathComponent("experiments"))
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let entries = json["entries"] as? [[String: Any]] else {
            throw NodeErrorText("plan of \(experiment) failed (\(r.status)): \(r.stderr)")
        }
        var keys: [String: String] = [:]
        for entry in entries { if let id = entry["id"] as? String, let key = entry["key"] as? String { keys[id] = key } }
        return keys
    }

    struct NodeErrorText: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    @Test func copiedCheckoutAndStoreKeepEveryKey() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-portable-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = root.appendingPathComponent("first/checkout")
        try FileManager.default.createDirectory(at: first.appendingPathComponent("experiments"), withIntermediateDirectories: true)
        for item in ["experiments/quickstart.yaml", "experiments/examples", "workers"] {
            try FileManager.default.copyItem(at: Self.repository.appendingPathComponent(item), to: first.appendingPathComponent(item))
        }
        // Compute the command pipeline, so that the plan shows every node's key (downstream keys need upstream outputs).
        let run = try earshot(["run", "examples/command-pipeline.yaml", "--store", "../cache-store", "--quiet"], in: first.appendingPathComponent("experiments"))
        #expect(run.status == 0, "\(run.stderr)")
        // A plan starts no program, so the corpora's keys (which hold the espeak-ng version) are known once a run
        // has read that version: compute one corpus in the first copy, before the copy is made.
        let corpus = try earshot(["exec-node", "quickstart.yaml", "matched", "--store", "../cache-store"], in: first.appendingPathComponent("experiments"))
        #expect(corpus.status == 0, "\(corpus.stderr)")
        let moved = root.appendingPathComponent("elsewhere/deeper/renamed")
        try FileManager.default.createDirectory(at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: first, to: moved)

        let pipelineKeys = try Self.keys("examples/command-pipeline.yaml", in: first)
        #expect(Set(pipelineKeys.keys) == ["corpus", "count_words", "count_chars", "summary"], "every node of the pipeline has a key")
        #expect(try Self.keys("examples/command-pipeline.yaml", in: moved) == pipelineKeys)
        // The moved copy reuses the copied store: nothing to run.
        let again = try earshot(["run", "examples/command-pipeline.yaml", "--store", "../cache-store", "--json"], in: moved.appendingPathComponent("experiments"))
        let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(again.status == 0 && summary?["ran"] as? Int == 0 && summary?["cached"] as? Int == 4, "\(again.stdout)\(again.stderr)")

        let quickstartKeys = try Self.keys("quickstart.yaml", in: first)
        #expect(Set(quickstartKeys.keys).isSuperset(of: ["matched", "shifted", "mild"]), "\(quickstartKeys)")
        #expect(try Self.keys("quickstart.yaml", in: moved) == quickstartKeys)
    }
}
