import EarshotTestKinds
import EarshotNodes
import EarshotSpec
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct ExperimentSchemaTests {
    let committed: Value
    let validator: JSONSchemaValidator

    init() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("schemas/experiment.schema.json"), encoding: .utf8)
        committed = try JSONReader.parse(text)
        validator = JSONSchemaValidator(root: committed)
    }

    @Test func committedSchemaMatchesTheNodeKinds() throws {
        let generated = ExperimentSchema.generate(kinds: Registry.standard().signatures)
        if committed != generated {
            let old = ExperimentSchema.pretty(committed).split(separator: "\n"), new = ExperimentSchema.pretty(generated).split(separator: "\n")
            let line = Array(zip(old, new)).firstIndex { $0 != $1 } ?? min(old.count, new.count)
            Issue.record("schemas/experiment.schema.json is stale (first difference at line \(line + 1)): run `earshot schema > schemas/experiment.schema.json`")
        }
    }

    @Test func everyExperimentFileValidates() throws {
        let dir = repositoryRoot.appendingPathComponent("experiments").resolvingSymlinksInPath()
        let files = (FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        #expect(!files.isEmpty, "experiments/ holds the example experiments")
        for f in files {
            let doc = try SpecReader.document(try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8), file: f)
            #expect(validator.validate(doc) == [], "\(f) does not match schemas/experiment.schema.json")
        }
    }

    @Test func schemaRejectsWhatValidateRejects() throws {
        let bad = [
            "experiment: x\nnodez: {}\n",
            "experiment: x\nnodes:\n  a: {kind: comand}\n",
            "experiment: x\nnodes:\n  a: {kind: command, params: {run: [x], outputs: [y], timeout: soon}}\n",
            "experiment: x\nnodes:\n  a: {kind: command, params: {run: [x], outputs: [y], bogus: 1}}\n",
            "experiment: x\nnodes:\n  a.b: {kind: command, params: {run: [x], outputs: [y]}}\n",
        ]
        for text in bad {
            #expect(!validator.validate(try SpecReader.document(text)).isEmpty, "should be rejected: \(text)")
        }
        let good = "experiment: x\nnodes:\n  a_${item.k}:\n    foreach: {k: [1, 2]}\n    kind: command\n    params: {run: [x], outputs: [y], timeout: \"${item.k}\"}\n"
        #expect(validator.validate(try SpecReader.document(good)) == [])
    }
}
