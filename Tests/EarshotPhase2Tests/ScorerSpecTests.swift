@testable import EarshotNodes
import EarshotRun
import EarshotScoring
import EarshotSpec
import Foundation
import Testing

@Suite struct ScorerSpecTests {
    @Test func parsesTheThreeScorerForms() throws {
        #expect(try ScorerSpec(.object(["command": .array([.string("python3"), .string("w.py")])]), node: "n") == .command(["python3", "w.py"]))
        #expect(try ScorerSpec(.object(["import": .string("s.jsonl")]), node: "n") == .importFile("s.jsonl"))
        guard case .reference(let plain) = try ScorerSpec(.string("reference"), node: "n") else { Issue.record("not reference"); return }
        #expect(plain.memorize == .members && plain.settings == ReferenceTarget.Settings())
        guard case .reference(let tuned) = try ScorerSpec(.object(["reference": .object(["memorize": .string("other"), "strength": .int(1)])]), node: "n") else {
            Issue.record("not reference")
            return
        }
        #expect(tuned.memorize == .other && tuned.settings.strength == 1)
    }

    @Test func rejectsBadScorersWithTheFix() {
        func message(_ value: Value?) -> String {
            do { _ = try ScorerSpec(value, node: "scores"); return "" } catch { return "\(error)" }
        }
        #expect(message(.object(["commnd": .array([])])).contains("unknown scorer 'commnd'"))
        #expect(message(.object(["command": .array([])])).contains("scorer.command must be a non-empty list of strings"))
        #expect(message(nil).contains("scorer is missing"))
        #expect(message(.object(["reference": .object(["memorise": .string("members")])])).contains("unknown scorer.reference setting 'memorise'"))
        #expect(message(.object(["reference": .object(["memorize": .string("all")])])).contains("use one of members, other, text, none"))
        #expect(message(.object(["reference": .object(["temperature": .int(0)])])).contains("'temperature' is 0.0; it must be positive"))
    }

    @Test func memorizeOtherRefusesAMemoryThatHoldsAuditedItems() async throws {
        let box = try Phase2Sandbox()
        let split = Fixtures.split(count: 4)
        let splitPath = try box.writeSplit(split)
        let path = try box.write("""
        experiment: overlap
        nodes:
          split: {kind: fixture.split, params: {path: "\(splitPath)"}}
          scores: {kind: score, inputs: {split: split, memory: split}, params: {scorer: {reference: {memorize: other}}}}
        """)
        let summary = try await box.run(path)
        #expect(box.report(summary, "scores")?.reason?.contains("memory item 'utt-000' is also in the audited split") == true)
    }

    @Test func missingWorkerProgramNamesTheInstallCommand() async throws {
        let box = try Phase2Sandbox()
        let path = try box.write("""
        experiment: missing
        nodes:
          split: {kind: fixture.split, params: {path: "\(try box.writeSplit(Fixtures.split(count: 1)))"}}
          scores: {kind: score, inputs: {split: split}, params: {scorer: {command: [.venv-missing/bin/python, w.py]}}}
        """)
        let summary = try await box.run(path)
        let reason = box.report(summary, "scores")?.reason ?? ""
        #expect(reason.contains("worker program '.venv-missing/bin/python' not found"))
        #expect(reason.contains("pip install -r workers/requirements-whisper.txt"))
    }
}
