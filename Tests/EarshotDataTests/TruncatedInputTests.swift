import EarshotData
import EarshotStore
import Foundation
import Testing

/// `load_split` over files cut short, absurd headers and ids with control characters, under `on_error: fail` and
/// `skip` (issue 13: "truncated audio accepted as shorter audio").
@Suite struct TruncatedInputTests {
    static let audioFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EarshotAudioTests/Fixtures")

    enum Bad: String, CaseIterable {
        case halfFLAC, wav1KB, halfOGG, oneHertzWAV, newlineID

        /// Words the reason must contain besides the item and the file.
        var words: String {
            switch self {
            case .halfFLAC: "is truncated: its header declares 19200 frames (0.400 s) but only"
            case .wav1KB: "is truncated: its header declares"
            case .halfOGG: "is truncated: its Ogg stream ends without an end-of-stream page"
            case .oneHertzWAV: "declares a sample rate of 1 Hz"
            case .newlineID: "the id contains the control character U+000A"
            }
        }
    }

    /// Makes the bad file for `bad` in `dir` and returns (manifest id, path).
    static func make(_ bad: Bad, in dir: URL) throws -> (id: String, path: String) {
        func cut(_ source: URL, keep: Int, to name: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(contentsOf: source).prefix(keep).write(to: url)
            return url.path
        }
        let good = URL(fileURLWithPath: Fixtures.path("bad/good_0.wav"))
        switch bad {
        case .halfFLAC:
            let source = audioFixtures.appendingPathComponent("noise_48000.flac")
            return ("bad-\(bad.rawValue)", try cut(source, keep: try Data(contentsOf: source).count / 2, to: "half.flac"))
        case .wav1KB:
            return ("bad-\(bad.rawValue)", try cut(audioFixtures.appendingPathComponent("tone_8000.wav"), keep: 1024, to: "short.wav"))
        case .halfOGG:
            let source = audioFixtures.appendingPathComponent("tone_22050.ogg")
            return ("bad-\(bad.rawValue)", try cut(source, keep: try Data(contentsOf: source).count / 2, to: "half.ogg"))
        case .oneHertzWAV:
            var bytes = try Data(contentsOf: good)
            for (offset, value) in [(24, 1), (28, 2)] {
                for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
            }
            let url = dir.appendingPathComponent("one-hertz.wav")
            try bytes.write(to: url)
            return ("bad-\(bad.rawValue)", url.path)
        case .newlineID:
            return ("bad-\(bad.rawValue)\nforged", good.path)
        }
    }

    static func line(_ id: String, _ path: String, label: Int) -> String {
        let escapedID = id.replacingOccurrences(of: "\n", with: "\\n")
        return "{\"audio_filepath\": \"\(path)\", \"id\": \"\(escapedID)\", \"member\": \(label), \"text\": \"hello\"}\n"
    }

    static func experiment(manifest: String, perClass: Int, onError: String, seed: Int = 1) -> String {
        """
        experiment: truncated
        seed: \(seed)
        nodes:
          split:
            kind: load_split
            params:
              source: {format: jsonl, path: \(manifest)}
              label_column: member
              per_class: \(perClass)
              on_error: \(onError)
        """
    }

    @Test(arguments: Bad.allCases)
    func underFailTheNodeFailsNamingItemFileAndLengths(_ bad: Bad) async throws {
        let box = try DataSandbox()
        let (id, path) = try Self.make(bad, in: box.dir)
        var manifest = Self.line("good-a", Fixtures.path("bad/good_1.wav"), label: 1) + Self.line(id, path, label: 1)
        for i in 2..<4 { manifest += Self.line("non-\(i)", Fixtures.path("bad/good_\(i).wav"), label: 0) }
        let manifestPath = try box.write(manifest, name: "m.jsonl")
        let summary = try await box.run(Self.experiment(manifest: manifestPath, perClass: 2, onError: "fail"))
        let report = try #require(summary.report("split"))
        #expect(report.status == .failed)
        let reason = report.reason ?? ""
        #expect(reason.contains("item '\(id.replacingOccurrences(of: "\n", with: "\\u{a}"))' (\(manifestPath):2)"), "\(reason)")
        #expect(!reason.contains("\n"), "a control character in an id never reaches a message raw: \(reason)")
        if bad != .newlineID { #expect(reason.contains(path), "\(reason)") }
        #expect(reason.contains(bad.words), "\(reason)")
        #expect(box.store.allActions().isEmpty)
    }

    @Test func underSkipEveryBadItemIsListedWithItsReasonAndLeftOut() async throws {
        let box = try DataSandbox()
        var members: [(String, String)] = []
        for bad in Bad.allCases { members.append(try Self.make(bad, in: box.dir)) }
        let goods = (0..<2).map { ("good-\($0)", Fixtures.path("bad/good_\($0).wav")) }
        // Every member candidate must be drawn: per_class takes both good ones, which come last in the file, and
        // the draw order is fixed by the seed; pick one that draws a good item last.
        var manifest = ""
        for (id, path) in members + goods { manifest += Self.line(id, path, label: 1) }
        for i in 2..<4 { manifest += Self.line("non-\(i)", Fixtures.path("bad/good_\(i).wav"), label: 0) }
        let manifestPath = try box.write(manifest, name: "m.jsonl")
        let listing = try JSONLinesManifest(path: manifestPath, columns: ColumnMapping().withLabel("member")).load()
        let seed = try #require((0..<200).first { seed in
            let plan = try? CohortPlan(members: listing.entries.filter { $0.label == "1" },
                                       nonMembers: listing.entries.filter { $0.label == "0" }, perClass: 2, seed: seed)
            return plan?.members.last?.id.hasPrefix("good") == true
        })
        let summary = try await box.run(Self.experiment(manifest: manifestPath, perClass: 2, onError: "skip", seed: seed))
        let split = try box.split(summary)
        #expect(split.items.filter { $0.label == 1 }.map(\.id).sorted() == ["good-0", "good-1"])
        #expect(split.skipped.count == Bad.allCases.count, "\(split.skipped.map(\.id))")
        for (bad, (id, path)) in zip(Bad.allCases, members) {
            let skipped = try #require(split.skipped.first { $0.id == id }, "\(bad)")
            #expect(skipped.reason.contains(bad.words), "\(skipped.reason)")
            #expect(skipped.path == path)
        }
    }

    @Test func idsWithPathSeparatorsAreDataAndLoad() async throws {
        let box = try DataSandbox()
        var manifest = Self.line("../speaker/utt-1", Fixtures.path("bad/good_0.wav"), label: 1)
        manifest += Self.line("non/1", Fixtures.path("bad/good_1.wav"), label: 0)
        let manifestPath = try box.write(manifest, name: "m.jsonl")
        let summary = try await box.run(Self.experiment(manifest: manifestPath, perClass: 1, onError: "fail"))
        let split = try box.split(summary)
        #expect(split.items.map(\.id).sorted() == ["../speaker/utt-1", "non/1"])
        // Nothing is written under a name made from an id: the store holds objects named by their hash only.
        #expect(FileSystem.files(under: box.store.root).allSatisfy { !$0.path.contains("speaker") })
    }
}
