import EarshotData
import EarshotRun
import EarshotStore
import Foundation
import Testing

@Suite struct LoadSplitTests {
    static func libriSpeech(seed: Int, perClass: Int = 4, extra: String = "") -> String {
        """
        experiment: libri
        seed: \(seed)
        nodes:
          split:
            kind: load_split
            params:
              member: {format: librispeech, path: \(Fixtures.path("LibriSpeech/train-mini"))}
              nonmember: {format: librispeech, path: \(Fixtures.path("LibriSpeech/test-mini"))}
              per_class: \(perClass)\(extra)
        """
    }

    @Test func libriSpeechCohortsRepeatForASeedAndChangeWithIt() async throws {
        let box = try DataSandbox()
        let first = try await box.run(Self.libriSpeech(seed: 7))
        let split = try box.split(first)
        #expect(split.memberCount == 4 && split.nonMemberCount == 4)
        #expect(split.items.map(\.id) == split.items.map(\.id).sorted())
        let member = try #require(split.items.first { $0.label == 1 })
        #expect(member.dataset == "train-mini")
        #expect(member.format == "FLAC/PCM_16" && member.sampleRate == 16_000 && member.channels == 1 && member.bitDepth == 16)
        #expect(member.audioSHA256 == (try SHA256.hash(fileAt: URL(fileURLWithPath: member.audioPath))).hex)
        #expect(abs(member.duration - 0.12) < 0.031)
        #expect(member.fileSize == (try FileManager.default.attributesOfItem(atPath: member.audioPath)[.size] as? Int))
        // A second store: the same seed gives the same artifact content; another seed another cohort.
        let again = try DataSandbox()
        let second = try await again.run(Self.libriSpeech(seed: 7))
        #expect(try again.split(second) == split)
        let other = try await again.run(Self.libriSpeech(seed: 8))
        #expect(try again.split(other).items.map(\.id) != split.items.map(\.id))
        #expect(try again.split(other).attributes["seed"] == .int(8))
    }

    @Test func sameSpeakersKeepsOnlySharedSpeakers() async throws {
        let box = try DataSandbox()
        let summary = try await box.run(Self.libriSpeech(seed: 3, perClass: 4, extra: "\n      same_speakers: true"))
        let split = try box.split(summary)
        #expect(Set(split.items.map(\.speaker)) == ["19"])
        let tooMany = try await box.run(Self.libriSpeech(seed: 3, perClass: 5, extra: "\n      same_speakers: true"))
        let reason = try #require(tooMany.report("split")?.reason)
        #expect(reason.contains("too few member items: 4 eligible, per_class needs 5 (12 listed, 8 whose speaker is not on the other side; the non-member side has 4 eligible of 8 listed; the most both sides allow is per_class: 4"))
    }

    @Test func oneManifestWithALabelColumn() async throws {
        let box = try DataSandbox()
        let summary = try await box.run("""
        experiment: nemo
        seed: 5
        nodes:
          split:
            kind: load_split
            params:
              source: {format: jsonl, path: \(Fixtures.path("nemo/manifest.jsonl"))}
              label_column: member
              per_class: 6
              dataset: toy
        """)
        let split = try box.split(summary)
        #expect(split.items.count == 12)
        for item in split.items {
            let index = Int(item.id.suffix(2))!
            #expect(item.label == (index % 2 == 0 ? 1 : 0))
            #expect(item.sampleRate == [8000, 16000, 22050][index % 3])
            #expect(item.dataset == "toy")
        }
        #expect(split.attributes["label_column"] == .string("member"))
    }

    @Test func csvSidesWithAColumnMapping() async throws {
        let box = try DataSandbox()
        let csv = Fixtures.path("nemo/manifest.csv")
        let summary = try await box.run("""
        experiment: csv
        nodes:
          split:
            kind: load_split
            params:
              source: {format: csv, path: \(csv), columns: {audio: path, text: sentence, speaker: client_id}}
              label_column: is_member
              per_class: 3
        """)
        let split = try box.split(summary)
        #expect(split.items.count == 6)
        #expect(split.items.allSatisfy { $0.text.hasSuffix(", indeed") && $0.speaker.hasPrefix("spk") && $0.dataset == "manifest" })
    }

    @Test func kaldiSegmentsAreCutIntoStoredClips() async throws {
        let box = try DataSandbox()
        let summary = try await box.run("""
        experiment: kaldi
        nodes:
          split:
            kind: load_split
            params:
              source: {format: jsonl, path: unused}
              per_class: 1
        """.replacingOccurrences(of: "source: {format: jsonl, path: unused}", with: """
        member: {format: kaldi, path: \(Fixtures.path("kaldi"))}
              nonmember: {format: librispeech, path: \(Fixtures.path("LibriSpeech/test-mini"))}
        """).replacingOccurrences(of: "per_class: 1", with: "per_class: 6"))
        let split = try box.split(summary)
        let members = split.items.filter { $0.label == 1 }
        #expect(members.count == 6)
        for item in members {
            #expect(item.audioPath.hasPrefix("cas:") && item.audioPath.hasSuffix(".wav"))
            #expect(abs(item.duration - 0.3) < 1e-9)
            #expect(item.sampleRate == 8000 && item.format == "FLAC/PCM_16" && item.dataset == "kaldi")
            let url = try Split.audioURL(item.audioPath, store: box.store)
            #expect(try SHA256.hash(fileAt: url).hex == item.audioSHA256)
        }
        #expect(Set(members.map(\.speaker)) == ["alice", "bob"])
        #expect(box.store.allObjects().filter { $0.ext == "wav" }.count == 6)
    }

    // MARK: bad inputs

    enum Bad: String, CaseIterable {
        case corruptFLAC, emptyWAV, nanWAV, missingFile, nonUTF8Text

        var file: String {
            switch self {
            case .corruptFLAC: "corrupt.flac"
            case .emptyWAV: "empty.wav"
            case .nanWAV: "nan.wav"
            case .missingFile: "absent.wav"
            case .nonUTF8Text: "good_0.wav"
            }
        }
        /// Words the error must contain besides the item, file and line.
        var words: String {
            switch self {
            case .corruptFLAC: "cannot decode"
            case .emptyWAV: "0 frames"
            case .nanWAV: "non-finite sample"
            case .missingFile: "does not exist"
            case .nonUTF8Text: "not valid UTF-8"
            }
        }
    }

    /// A manifest line for `file` with id `id` (the non-UTF-8 case puts a Latin-1 byte in the text).
    static func line(_ id: String, _ file: String, label: Int, latin1: Bool = false) -> Data {
        var data = Data("{\"audio_filepath\": \"\(Fixtures.path("bad/" + file))\", \"id\": \"\(id)\", \"member\": \(label), \"text\": \"caf".utf8)
        data += latin1 ? Data([0xE9]) : Data("e".utf8)
        data += Data("\"}\n".utf8)
        return data
    }

    static func experiment(manifest: String, perClass: Int, onError: String, seed: Int = 1) -> String {
        """
        experiment: bad
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
    func eachBadInputFailsNamingTheItemAndNothingIsCached(_ bad: Bad) async throws {
        let box = try DataSandbox()
        var manifest = Self.line("good-a", "good_0.wav", label: 1) + Self.line("good-b", "good_1.wav", label: 1)
        manifest += Self.line("bad-item", bad.file, label: 1, latin1: bad == .nonUTF8Text)
        manifest += Self.line("non-a", "good_2.wav", label: 0) + Self.line("non-b", "good_3.wav", label: 0) + Self.line("non-c", "good_4.wav", label: 0)
        let path = box.dir.appendingPathComponent("bad.jsonl")
        try manifest.write(to: path)
        let summary = try await box.run(Self.experiment(manifest: path.path, perClass: 3, onError: "fail"))
        let report = try #require(summary.report("split"))
        #expect(report.status == .failed)
        let reason = report.reason ?? ""
        #expect(reason.contains("item 'bad-item'"), "\(reason)")
        #expect(reason.contains("bad.jsonl:3"), "\(reason)")
        #expect(reason.contains(bad == .nonUTF8Text ? "bad.jsonl:3" : bad.file), "\(reason)")
        #expect(reason.contains(bad.words), "\(reason)")
        #expect(reason.contains("on_error: skip"), "\(reason)")
        #expect(box.store.allActions().isEmpty)
        #expect(box.store.allObjects().isEmpty)
    }

    @Test func skipRecordsEveryBadInputAndKeepsTheCohortBalanced() async throws {
        let box = try DataSandbox()
        func manifest(goodMembers: Int) -> Data {
            var data = Data()
            for (i, bad) in Bad.allCases.enumerated() {
                data += Self.line("bad-\(bad.rawValue)", bad.file, label: 1, latin1: bad == .nonUTF8Text)
                if i < goodMembers { data += Self.line("good-\(i)", "good_\(i).wav", label: 1) }
            }
            for i in 3..<6 { data += Self.line("non-\(i)", "good_\(i).wav", label: 0) }
            return data
        }
        let path = box.dir.appendingPathComponent("bad.jsonl")
        try manifest(goodMembers: 3).write(to: path)
        // A seed whose member draw ends with a good item, so every bad one is drawn before the cohort fills.
        let listing = try JSONLinesManifest(path: path.path, columns: ColumnMapping().withLabel("member")).load()
        let seed = try #require((0..<200).first { seed in
            let plan = try? CohortPlan(members: listing.entries.filter { $0.label == "1" },
                                       nonMembers: listing.entries.filter { $0.label == "0" }, perClass: 3, seed: seed)
            return plan?.members.last?.id.hasPrefix("good") == true
        })
        let summary = try await box.run(Self.experiment(manifest: path.path, perClass: 3, onError: "skip", seed: seed))
        let split = try box.split(summary)
        #expect(split.memberCount == 3 && split.nonMemberCount == 3)
        #expect(split.items.filter { $0.label == 1 }.map(\.id).sorted() == ["good-0", "good-1", "good-2"])
        #expect(split.skipped.map(\.id) == Bad.allCases.map { "bad-\($0.rawValue)" }.sorted())
        for bad in Bad.allCases {
            let skipped = try #require(split.skipped.first { $0.id == "bad-\(bad.rawValue)" })
            #expect(skipped.reason.contains(bad.words), "\(skipped.reason)")
            #expect(skipped.path.hasSuffix(bad.file))
        }
        // Fewer usable candidates than per_class (drop one good member): a clear count, nothing cached.
        let short = try DataSandbox()
        let shortPath = short.dir.appendingPathComponent("short.jsonl")
        try manifest(goodMembers: 2).write(to: shortPath)
        let failed = try await short.run(Self.experiment(manifest: shortPath.path, perClass: 3, onError: "skip", seed: seed))
        let reason = failed.report("split")?.reason ?? ""
        #expect(reason.contains("too few member items: 2 eligible, per_class needs 3 (7 candidates, 5 unusable and skipped, 0 outside the duration range)"), "\(reason)")
        #expect(short.store.allActions().isEmpty)
    }
}
