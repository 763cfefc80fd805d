import EarshotData
import Foundation
import Testing

@Suite struct LoaderTests {
    @Test func libriSpeechTakesSpeakerAndChapterFromThePath() throws {
        let listing = try DatasetSource(format: .librispeech, path: Fixtures.path("LibriSpeech/train-mini")).load()
        #expect(listing.entries.count == 12)
        #expect(listing.files.count == 3)
        let first = try #require(listing.entries.first)
        #expect(first.id == "19-198-0000")
        #expect(first.speaker == "19")
        #expect(first.columns["chapter"] == "198")
        #expect(first.audioPath == Fixtures.path("LibriSpeech/train-mini/19/198/19-198-0000.flac"))
        #expect(first.text == "THE PAST MILL OLD")
        #expect(first.origin.hasSuffix("19-198.trans.txt:1"))
        #expect(Set(listing.entries.map(\.speaker)) == ["19", "26", "32"])
    }

    @Test func nemoManifestResolvesRelativePathsAndKeepsExtraColumns() throws {
        let listing = try JSONLinesManifest(path: Fixtures.path("nemo/manifest.jsonl")).load()
        #expect(listing.entries.count == 12)
        let e = listing.entries[1]
        #expect(e.audioPath == Fixtures.path("nemo/wavs/utt01.wav"))
        #expect(e.id == "wavs/utt01")
        #expect(e.duration == 0.085)
        #expect(e.speaker == "spk1")
        #expect(e.columns["member"] == "0")
        #expect(e.origin == Fixtures.path("nemo/manifest.jsonl") + ":2")
    }

    @Test func csvAndTsvMapColumnsAndAgreeWithTheJSONManifest() throws {
        let mapping = try ColumnMapping(["audio": "path", "text": "sentence", "speaker": "client_id", "label": "is_member"])
        let csv = try DelimitedManifest(path: Fixtures.path("nemo/manifest.csv"), dialect: .csv, columns: mapping).load()
        let tsv = try DelimitedManifest(path: Fixtures.path("nemo/manifest.tsv"), dialect: .tsv, columns: mapping).load()
        let json = try JSONLinesManifest(path: Fixtures.path("nemo/manifest.jsonl")).load()
        #expect(csv.entries.map(\.audioPath) == json.entries.map(\.audioPath))
        #expect(tsv.entries.map(\.audioPath) == json.entries.map(\.audioPath))
        #expect(tsv.entries.map(\.text) == json.entries.map(\.text))
        // The quoted CSV field keeps its comma.
        #expect(csv.entries[0].text == json.entries[0].text + ", indeed")
        #expect(csv.entries.map(\.label) == json.entries.map { $0.columns["member"] })
        #expect(csv.entries.map(\.speaker) == json.entries.map(\.speaker))
    }

    @Test func anExplicitColumnThatIsMissingIsNamed() throws {
        let mapping = try ColumnMapping(["audio": "path", "text": "transcript"])
        #expect {
            _ = try DelimitedManifest(path: Fixtures.path("nemo/manifest.csv"), dialect: .csv, columns: mapping).load()
        } throws: { "\($0)".contains("no column 'transcript'") && "\($0)".contains("sentence") }
        #expect(throws: DataError.self) { _ = try ColumnMapping(["audo": "path"]) }
    }

    @Test func kaldiSegmentsBecomeTimeRangesOfTheirRecording() throws {
        let listing = try KaldiDataDirectory(directory: Fixtures.path("kaldi")).load()
        #expect(listing.entries.count == 6)
        #expect(listing.files.map { ($0 as NSString).lastPathComponent } == ["wav.scp", "text", "utt2spk", "segments"])
        let e = listing.entries[1]
        #expect(e.id == "alice-rec0-1")
        #expect(e.speaker == "alice")
        #expect(e.audioPath == Fixtures.path("kaldi/audio/rec0.flac"))
        #expect(e.segment == DatasetEntry.Segment(start: 0.3, end: 0.6))
        #expect(abs((e.duration ?? 0) - 0.3) < 1e-12)
        #expect(listing.entries[2].segment?.end == nil)
        #expect(listing.entries[2].duration == nil)
        #expect(!e.text.isEmpty)
    }

    @Test func anUnrecognisedWavScpPipelineIsRefusedWithTheLine() throws {
        #expect {
            _ = try KaldiDataDirectory(directory: Fixtures.path("corpora/kaldi_refused")).load()
        } throws: { error in
            let text = "\(error)"
            return text.contains("wav.scp:2") && text.contains("rec1") && text.contains("shell pipeline")
                && text.contains("more than one decoder command") && text.contains("runs no command") && text.contains("wav-copy")
        }
    }

    @Test func aTranscriptLineThatIsNotUTF8IsADefectNamingFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-utf8-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifest = dir.appendingPathComponent("m.jsonl")
        var bytes = Data(#"{"audio_filepath": "a.wav", "text": "fine"}"#.utf8 + [0x0A])
        bytes += Data(#"{"audio_filepath": "b.wav", "text": "caf"#.utf8) + Data([0xE9]) + Data("\"}\n".utf8)
        try bytes.write(to: manifest)
        let listing = try JSONLinesManifest(path: manifest.path).load()
        #expect(listing.entries.count == 2)
        #expect(listing.entries[0].defect == nil)
        let defect = try #require(listing.entries[1].defect)
        #expect(defect.contains("m.jsonl:2") && defect.contains("not valid UTF-8") && defect.contains("column 41"))
    }

    @Test func aMalformedManifestLineFailsWithItsLineNumber() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let manifest = dir.appendingPathComponent("m.jsonl")
        try Data("{\"audio_filepath\": \"a.wav\", \"text\": \"a\"}\n\n{not json\n".utf8).write(to: manifest)
        #expect { _ = try JSONLinesManifest(path: manifest.path).load() } throws: { "\($0)".contains("m.jsonl:3: not a JSON object") }
    }
}
