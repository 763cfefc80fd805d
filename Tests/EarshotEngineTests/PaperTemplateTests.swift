import Foundation
import Testing

/// `experiments/paper/study.yaml`, the paper's study as a template: it validates as it is, plans on a data tree
/// in the layout its README describes, and runs end to end — every one of its nodes — on a miniature of that
/// tree (each corpus in its owners' layout, made from the EarshotData fixtures), with `workers/hf_lalm.py` driven by its fake model and the
/// resynthesis programs replaced by the fake synthesizer.
@Suite struct PaperTemplateTests {
    static let study = repositoryRoot.appendingPathComponent("experiments/paper/study.yaml").path
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/EarshotDataTests/Fixtures")
    static let venvPython = repositoryRoot.appendingPathComponent(".venv/bin/python").path
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["EARSHOT_REQUIRE_WHISPER"] == "1" || FileManager.default.fileExists(atPath: venvPython)
    }

    @Test func theTemplateValidatesAsItIs() throws {
        let dir = FileManager.default.temporaryDirectory
        let result = try earshot(["validate", Self.study], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("273 nodes"), "\(result.stdout)")
        // Without data the plan names the first missing corpus and says what it wanted.
        let plan = try earshot(["plan", Self.study, "-p", "data=/nonexistent/corpora", "--store", dir.appendingPathComponent("plan-store-\(UUID())").path], in: dir)
        #expect(plan.status != 0 && plan.stderr.contains("/nonexistent/corpora/LibriSpeech/train-clean-100"), "\(plan.stderr)")
    }

    @Test(.enabled(if: enabled, "needs numpy in .venv for the fake model (EARSHOT_REQUIRE_WHISPER=1 makes it required)"),
          .timeLimit(.minutes(10)))
    func theStudyPlansAndRunsEndToEndOnAMiniatureDataTree() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.venvPython) else {
            Issue.record("\(Self.venvPython) is missing; run scripts/install.sh")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-paper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        try Self.makeDataTree(at: data)
        let models = dir.appendingPathComponent("models")
        for m in ["af3", "mf"] { try FileManager.default.createDirectory(at: models.appendingPathComponent(m), withIntermediateDirectories: true) }
        // Stands in for the interpreter: runs the worker script it is given ($1) under the fake model, after
        // checking that the node names the model's own architecture (Music Flamingo is not AF3).
        let fakePython = dir.appendingPathComponent("fake-python")
        let fakeModel = repositoryRoot.appendingPathComponent("Tests/EarshotPhase2Tests/Fixtures/hf_lalm_fake.py").path
        try """
        #!/bin/sh
        case "$*" in
          *" --arch af3 --model "*/af3|*" --arch music-flamingo --model "*/mf) ;;
          *) echo "fake-python: the architecture does not match the model folder: $*" >&2; exit 2 ;;
        esac
        exec '\(Self.venvPython)' '\(fakeModel)' "$1"

        """.write(to: fakePython, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakePython.path)
        let synthesizer = repositoryRoot.appendingPathComponent("Tests/EarshotReportTests/Fixtures/fake_synthesizer.py").path
        let store = dir.appendingPathComponent("store").path
        let overrides = [
            "-p", "data=\(data.path)", "-p", "models=\(models.path)", "-p", "python=\(fakePython.path)",
            "-p", "per_class=6", "-p", "per_class_small=all", "-p", "folds=2", "-p", "bootstrap=20", "-p", "max_new_tokens=6",
            "-p", "tts_command=[python3, '\(synthesizer)']", "-p", "tta_command=[python3, '\(synthesizer)', --model-id, fake-tta]",
        ]

        // A corpus missing from the tree: the plan names its path.
        let nsynth = data.appendingPathComponent("nsynth"), aside = dir.appendingPathComponent("nsynth-aside")
        try FileManager.default.moveItem(at: nsynth, to: aside)
        let missing = try earshot(["plan", Self.study, "--store", store] + overrides, in: dir)
        #expect(missing.status != 0 && missing.stderr.contains(nsynth.appendingPathComponent("nsynth-train/examples.json").path), "\(missing.stderr)")
        try FileManager.default.moveItem(at: aside, to: nsynth)

        let plan = try earshot(["plan", Self.study, "--json", "--store", store] + overrides, in: dir)
        #expect(plan.status == 0, "\(plan.stderr)")
        let planned = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
        let entries = planned?["entries"] as? [[String: Any]] ?? []
        #expect(entries.count == 273)
        // Only the eight load_split nodes have keys before anything runs; the rest wait for their inputs.
        #expect(entries.filter { ($0["status"] as? String) == "run" }.compactMap { $0["id"] as? String }.sorted()
                == ["librispeech", "gigaspeech", "tedlium", "voxpopuli", "spgispeech", "clotho", "cochlscene", "nsynth"].map { "split_\($0)" }.sorted())

        let run = try earshot(["run", Self.study, "--json", "-q", "--store", store] + overrides, in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        // Nodes whose keys coincide (the same corpus-independent work) are computed once; the others count as cached.
        let ran = summary?["ran"] as? Int ?? 0, cached = summary?["cached"] as? Int ?? 0
        #expect(ran + cached == 273 && ran > 100 && summary?["failed"] as? Int == 0, "\(run.stdout.prefix(400))")

        let out = dir.appendingPathComponent("report")
        let export = try earshot(["export", Self.study, "report", "--to", out.path, "--store", store] + overrides, in: dir)
        #expect(export.status == 0, "\(export.stderr)")
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        for dataset in ["GigaSpeech", "SPGISpeech", "LibriSpeech", "TED-LIUM", "VoxPopuli", "Clotho", "CochlScene", "NSynth"] {
            #expect(markdown.contains("| \(dataset) | AF3 |") && markdown.contains("| \(dataset) | MF |"), "\(dataset) rows")
        }
        #expect(markdown.contains("(mean of 3"), "the synthesized column averages three realizations")
    }

    /// The layout experiments/paper/README.md describes, in miniature: each corpus in its owners' layout, copied
    /// from the EarshotData fixtures (LibriSpeech from make_fixtures.py, the others from make_corpora.py).
    static func makeDataTree(at data: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: data.appendingPathComponent("LibriSpeech"), withIntermediateDirectories: true)
        try fm.createDirectory(at: data.appendingPathComponent("voxpopuli/transcribed_data"), withIntermediateDirectories: true)
        for (from, to) in [("LibriSpeech/train-mini", "LibriSpeech/train-clean-100"), ("LibriSpeech/test-mini", "LibriSpeech/test-clean"),
                           ("corpora/gigaspeech", "GigaSpeech"), ("corpora/spgispeech", "spgispeech"),
                           ("corpora/cochlscene/CochlScene", "CochlScene"), ("corpora/nsynth", "nsynth"),
                           ("corpora/tedlium/TEDLIUM_release-3", "TEDLIUM_release-3"),
                           ("corpora/voxpopuli/transcribed_data/en", "voxpopuli/transcribed_data/en"), ("corpora/clotho", "clotho")] {
            try fm.copyItem(at: fixtures.appendingPathComponent(from), to: data.appendingPathComponent(to))
        }
    }
}
