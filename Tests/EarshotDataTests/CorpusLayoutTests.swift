import EarshotAudio
import EarshotData
import EarshotStore
import Foundation
import Testing

/// The miniature corpora of Fixtures/corpora (made by Fixtures/make_corpora.py, which cites each layout's
/// documentation), each loaded into a split with `per_class: all`; ids, texts, speakers and segment durations are
/// checked against the values the script wrote.
@Suite struct CorpusLayoutTests {
    static let corpora = Fixtures.path("corpora")
    static let venvPython = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".venv/bin/python").path
    static var hasPyarrow: Bool {
        ProcessInfo.processInfo.environment["EARSHOT_REQUIRE_WHISPER"] == "1" || FileManager.default.isExecutableFile(atPath: venvPython)
    }

    /// A load_split of `member` and `nonmember` (YAML flow mappings) with per_class: all.
    static func split(_ member: String, _ nonmember: String, perClass: String = "all") async throws -> (DataSandbox, Split) {
        let box = try DataSandbox()
        let summary = try await box.run("""
        experiment: corpus
        seed: 3
        nodes:
          split:
            kind: load_split
            params:
              member: \(member)
              nonmember: \(nonmember)
              per_class: \(perClass)
        """)
        return (box, try box.split(summary))
    }

    static func item(_ split: Split, _ id: String) throws -> Split.Item {
        try #require(split.items.first { $0.id == id }, "no item '\(id)' in \(split.items.map(\.id))")
    }

    @Test func libriSpeechBySplitName() async throws {
        let (_, split) = try await Self.split("{format: librispeech, path: \(Fixtures.path("LibriSpeech")), split: train-mini}",
                                              "{format: librispeech, path: \(Fixtures.path("LibriSpeech")), split: test-mini}")
        #expect(split.memberCount == 8 && split.nonMemberCount == 8)
        #expect(split.attributes["per_class"] == .int(8) && split.attributes["per_class_all"] == .int(1))
        let item = try Self.item(split, "61-70968-0000")
        #expect(item.label == 0 && item.speaker == "61" && item.dataset == "librispeech-test-mini")
    }

    @Test func gigaSpeechSegmentsOfASubsetWithTagsRemoved() async throws {
        let root = "\(Self.corpora)/gigaspeech"
        let xs = try DatasetSource(format: .gigaspeech, path: root, split: "XS").load()
        // Eight segments of POD0000000001, the garbage utterance (<SIL> only) not listed.
        #expect(xs.entries.map(\.id) == (0..<7).map { "POD0000000001_S000000\($0)" })
        #expect(try DatasetSource(format: .gigaspeech, path: root, split: "S").load().entries.count == 14)
        let (_, split) = try await Self.split("{format: gigaspeech, path: \(root), split: XS}", "{format: gigaspeech, path: \(root), split: TEST}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)
        let item = try Self.item(split, "POD0000000001_S0000003")
        #expect(item.label == 1 && item.text == "THE AND CROSSED MORNING QUIET PAST" && item.speaker == "N/A")
        #expect(abs(item.duration - 0.3) < 0.002 && item.audioPath.hasPrefix("cas:") && item.format == "OGG/OPUS")
        #expect(try Self.item(split, "YOU1000000004_S0000000").text == "WILLOW THE A")
        #expect { _ = try DatasetSource(format: .gigaspeech, path: root, split: "XXL").load() } throws: { "\($0)".contains("XS, S, M, L, XL, DEV, TEST") }
    }

    @Test func tedliumSTMSegmentsUnpaddedOnBothSides() async throws {
        let root = "\(Self.corpora)/tedlium/TEDLIUM_release-3"
        let (_, split) = try await Self.split("{format: tedlium, path: \(root), split: train}", "{format: tedlium, path: \(root), split: legacy/test}")
        // Two talks of four segments per side; ignore_time_segment_in_scoring lines are skipped.
        #expect(split.memberCount == 8 && split.nonMemberCount == 8)
        let first = try Self.item(split, "AaronHuey_2010X-0000030-0000055")
        #expect(first.text == "a ran old" && first.speaker == "AaronHuey_2010X" && first.label == 1)
        #expect(try Self.item(split, "AaronHuey_2010X-0000060-0000085").text == "seven while counted under")
        #expect(try Self.item(split, "DanBarber_2010-0000030-0000055").text == "under trees birds")
        // Every segment is the STM's 0.25 s on both sides: no training-side padding.
        for item in split.items { #expect(abs(item.duration - 0.25) < 1e-9, "\(item.id) \(item.duration)") }
        #expect(split.items.allSatisfy { $0.format == "NIST/PCM_16" && $0.sampleRate == 16_000 })
    }

    @Test func voxPopuliNormalizedTextAndYearFolders() async throws {
        let root = "\(Self.corpora)/voxpopuli/transcribed_data/en"
        let listing = try DatasetSource(format: .voxpopuli, path: root, split: "train").load()
        let first = try #require(listing.entries.first)
        #expect(first.audioPath == "\(root)/2019/20190114-0900-PLENARY-3-en_20190114-09:10:00_0.ogg")
        #expect(first.columns["raw_text"] == "A ran old, indeed." && first.columns["gender"] == "female")
        let (_, split) = try await Self.split("{format: voxpopuli, path: \(root), split: train}", "{format: voxpopuli, path: \(root), split: test}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)
        let item = try Self.item(split, "20190114-0900-PLENARY-3-en_20190114-09:10:00_0")
        #expect(item.text == "a ran old indeed" && item.speaker == "1000" && item.format == "OGG/VORBIS" && abs(item.duration - 0.25) < 0.01)
    }

    @Test func spgiSpeechPipeDelimitedListing() async throws {
        let root = "\(Self.corpora)/spgispeech"
        let (_, split) = try await Self.split("{format: spgispeech, path: \(root), split: train}", "{format: spgispeech, path: \(root), split: val}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)
        let item = try Self.item(split, "0a1b2c3d000000000000000000000000_1")
        #expect(item.text == "A ran old, up 3% in Q1." && item.speaker == "0a1b2c3d000000000000000000000000" && abs(item.duration - 0.12) < 1e-3)
    }

    @Test func clothoFirstCaptionWithTheOthersKept() async throws {
        let root = "\(Self.corpora)/clotho"
        let listing = try DatasetSource(format: .clotho, path: root, split: "evaluation").load()
        let first = try #require(listing.entries.first)
        #expect(first.id == "evaluation/Street sound 01" && first.text == "the grey the and crossed morning, loudly")
        #expect(first.columns["caption_2"] == "under trees birds, softly" && first.audioPath == "\(root)/evaluation/Street sound 01.wav")
        let (_, split) = try await Self.split("{format: clotho, path: \(root), split: development}", "{format: clotho, path: \(root), split: evaluation}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)
        #expect(try Self.item(split, "development/Rain sound 01").text == "a ran old, loudly")
        #expect(split.items.allSatisfy { $0.speaker.isEmpty && $0.sampleRate == 44_100 })
    }

    @Test func cochlSceneLabelIsTheSceneFolder() async throws {
        let root = "\(Self.corpora)/cochlscene/CochlScene"
        let listing = try DatasetSource(format: .cochlscene, path: root, split: "train").load()
        #expect(listing.entries.count == 9 && Set(listing.entries.compactMap { $0.columns["class"] }) == ["Bus", "Cafe", "Park"])
        let (_, split) = try await Self.split("{format: cochlscene, path: \(root), split: Train}", "{format: cochlscene, path: \(root), split: Test}")
        #expect(split.memberCount == 9 && split.nonMemberCount == 9)
        let item = try Self.item(split, "Test/Cafe/Cafe_user0001_00000051")
        #expect(item.text == "Cafe" && item.label == 0 && abs(item.duration - 0.07) < 1e-3)
    }

    @Test func nsynthExamplesKeyedByNoteString() async throws {
        let root = "\(Self.corpora)/nsynth"
        let listing = try DatasetSource(format: .nsynth, path: root, split: "test").load()
        let entry = try #require(listing.entries.first { $0.id == "keyboard_acoustic_010-048-025" })
        #expect(entry.text == "keyboard acoustic, pitch 48" && entry.speaker == "keyboard_acoustic_010" && entry.columns["class"] == "keyboard")
        #expect(entry.audioPath == "\(root)/nsynth-test/audio/keyboard_acoustic_010-048-025.wav")
        let (_, split) = try await Self.split("{format: nsynth, path: \(root), split: train}", "{format: nsynth, path: \(root), split: test}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)
        #expect(try Self.item(split, "guitar_electronic_001-051-050").text == "guitar electronic, pitch 51")
    }

    @Test(.enabled(if: hasPyarrow, "needs pyarrow in .venv (scripts/install.sh; EARSHOT_REQUIRE_WHISPER=1 makes it required)"))
    func hfParquetEmbeddedAudioBecomesStoreAttachments() async throws {
        let root = "\(Self.corpora)/hf_parquet"
        let python = Self.venvPython
        let (box, split) = try await Self.split(
            "{format: hf_parquet, path: \(root), split: train, python: \(python), columns: {speaker: speaker_id}}",
            "{format: hf_parquet, path: \(root)/data/test-*.parquet, python: \(python), columns: {speaker: speaker_id}}")
        #expect(split.memberCount == 7 && split.nonMemberCount == 7)  // 8 train rows in two shards, 7 test rows
        let item = try Self.item(split, "test-0-000")
        #expect(item.text == "under trees birds" && item.speaker == "spk2" && item.label == 0 && item.sampleRate == 16_000)
        #expect(abs(item.duration - 0.2) < 1e-3 && item.format == "FLAC/PCM_16")
        #expect(try Self.item(split, "test-0-001").sampleRate == 22_050)
        for item in split.items {
            #expect(item.audioPath.hasPrefix("cas:") && item.audioPath.hasSuffix(".flac"))
            #expect(try SHA256.hash(fileAt: Split.audioURL(item.audioPath, store: box.store)).hex == item.audioSHA256)
        }
        // The adapter's listings are kept in the store by shard digest, so a re-run starts no Python.
        let listings = try FileManager.default.contentsOfDirectory(atPath: box.store.root.appendingPathComponent("listings").path)
        #expect(listings.filter { $0.hasSuffix(".jsonl") }.count == 2)
        // A mapped column the shards lack is named, with the columns they have.
        #expect {
            _ = try DatasetSource(format: .hf_parquet, path: root, split: "test", columns: try ColumnMapping(["text": "sentence"]), python: python).load()
        } throws: { "\($0)".contains("no column 'sentence'") && "\($0)".contains("speaker_id") }
    }

    @Test(.enabled(if: hasPyarrow, "needs pyarrow in .venv (scripts/install.sh; EARSHOT_REQUIRE_WHISPER=1 makes it required)"))
    func aCorruptCachedListingIsDroppedAndTheAdapterRunsAgain() throws {
        let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-listings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cacheDirectory) }
        var source = DatasetSource(format: .hf_parquet, path: "\(Self.corpora)/hf_parquet", split: "test", python: Self.venvPython)
        source.listingCache = HFParquet.ListingCache(directory: cacheDirectory, write: true) { try SHA256.hash(fileAt: URL(fileURLWithPath: $0)) }
        let clean = try source.load().entries.map { "\($0.id)|\($0.text ?? "")|\($0.speaker ?? "")" }
        let cached = try FileManager.default.contentsOfDirectory(atPath: cacheDirectory.path).filter { $0.hasSuffix(".jsonl") }
        #expect(cached.count == 1)
        // One changed byte in the cached listing (a transcript letter): its bytes no longer hash to its name.
        let file = cacheDirectory.appendingPathComponent(try #require(cached.first))
        var bytes = try Data(contentsOf: file)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "u")))
        bytes[at] = UInt8(ascii: "U")
        try bytes.write(to: file)
        #expect(try source.load().entries.map { "\($0.id)|\($0.text ?? "")|\($0.speaker ?? "")" } == clean)
        let after = try FileManager.default.contentsOfDirectory(atPath: cacheDirectory.path).filter { $0.hasSuffix(".jsonl") }
        #expect(after == cached, "the corrupt listing was replaced by a verified one of the same name")
        #expect(try Data(contentsOf: file) != bytes)
    }

    @Test func lhotseSupervisionsWithChannelsAndCuts() async throws {
        let root = "\(Self.corpora)/lhotse"
        let supervisions = try DatasetSource(format: .lhotse, path: root, split: "train").load()
        #expect(supervisions.entries.count == 8)
        let second = supervisions.entries[1]
        #expect(second.id == "meeting-0-1" && second.channel == 1 && second.segment == .init(start: 0.35, end: 0.6))
        #expect(second.audioPath == "\(root)/audio/meeting-0.wav" && second.speaker == "meeting-0-spk1")
        let (box, split) = try await Self.split("{format: lhotse, path: \(root), split: train}", "{format: lhotse, path: \(root)/mini_cuts_test.jsonl}")
        #expect(split.memberCount == 6 && split.nonMemberCount == 6)
        let cut = try Self.item(split, "lecture-cut-0")
        #expect(cut.text == "under trees birds" && cut.speaker == "lecturer" && abs(cut.duration - 0.2) < 1e-9)
        for item in split.items where item.label == 1 {
            #expect(abs(item.duration - 0.25) < 1e-9 && item.channels == 2 && item.audioPath.hasPrefix("cas:"))
            // The clip is the supervision's channel: channel c of the recording is a tone at f·(c+1).
            let clip = try AudioLoader.decode(Split.audioURL(item.audioPath, store: box.store))
            let supervision = try #require(supervisions.entries.first { $0.id == item.id })
            let base = item.id.hasPrefix("meeting-0") ? 250.0 : 320.0
            #expect(abs(Self.frequency(clip) - base * Double((supervision.channel ?? 0) + 1)) < 40, "\(item.id)")
        }
    }

    /// Zero-crossing estimate of a tone's frequency.
    static func frequency(_ audio: LoadedAudio) -> Double {
        var crossings = 0
        for i in 1..<audio.samples.count where (audio.samples[i - 1] < 0) != (audio.samples[i] < 0) { crossings += 1 }
        return Double(crossings) / 2 / (Double(audio.samples.count) / Double(audio.sampleRate))
    }
}
