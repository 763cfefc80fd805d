import EarshotAudio
import EarshotData
import EarshotStore
import Foundation
import Testing

/// Each way a listing used to load silently wrong now fails with the file, line and column, or gives the right
/// segment: missing transcripts, NeMo offsets, Kaldi decoder pipes, per_class beyond a side's size.
@Suite struct SilentDefaultTests {
    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-silent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aManifestWithoutTheTextColumnIsAnErrorNotEmptyTranscripts() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let jsonl = dir.appendingPathComponent("m.jsonl")
        try Data("{\"audio_filepath\": \"a.wav\", \"transcript\": \"hello\"}\n".utf8).write(to: jsonl)
        #expect { _ = try JSONLinesManifest(path: jsonl.path).load() } throws: {
            "\($0)".contains("m.jsonl:1' has no column 'text'") && "\($0)".contains("transcript")
        }
        let csv = dir.appendingPathComponent("m.csv")
        try Data("path,sentence\na.wav,hi\n".utf8).write(to: csv)
        #expect { _ = try DelimitedManifest(path: csv.path, dialect: .csv, columns: try ColumnMapping(["audio": "path"])).load() } throws: {
            "\($0)".contains("m.csv' has no column 'text'") && "\($0)".contains("sentence")
        }
        // A dataset without transcripts says so explicitly.
        let none = try DelimitedManifest(path: csv.path, dialect: .csv, columns: try ColumnMapping(["audio": "path", "text": ""])).load()
        #expect(none.entries.map(\.text) == [""] && none.entries[0].defect == nil)
    }

    @Test func aLineWithoutItsTranscriptIsADefectNamingFileLineAndColumn() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let jsonl = dir.appendingPathComponent("m.jsonl")
        try Data("{\"audio_filepath\": \"a.wav\", \"text\": \"fine\"}\n{\"audio_filepath\": \"b.wav\"}\n{\"audio_filepath\": \"c.wav\", \"text\": \" \"}\n".utf8).write(to: jsonl)
        let listing = try JSONLinesManifest(path: jsonl.path).load()
        #expect(listing.entries[0].defect == nil)
        #expect(listing.entries[1].defect?.contains("m.jsonl:2: no transcript in column 'text' (absent or null)") == true)
        #expect(listing.entries[2].defect?.contains("m.jsonl:3: no transcript in column 'text' (empty)") == true)
    }

    @Test func kaldiNeedsItsTextFileAndEveryUtteranceInIt() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("u1 a.wav\nu2 b.wav\n".utf8).write(to: dir.appendingPathComponent("wav.scp"))
        #expect { _ = try KaldiDataDirectory(directory: dir.path).load() } throws: { "\($0)".contains("/text': no such file") }
        try Data("u1 hello there\n".utf8).write(to: dir.appendingPathComponent("text"))
        let listing = try KaldiDataDirectory(directory: dir.path).load()
        #expect(listing.entries[0].defect == nil && listing.entries[0].text == "hello there")
        #expect(listing.entries[1].defect?.contains("wav.scp:2: utterance 'u2' has no line in") == true)
    }

    @Test func libriSpeechTranscriptLineWithoutWordsIsADefect() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chapter = dir.appendingPathComponent("19/198")
        try FileManager.default.createDirectory(at: chapter, withIntermediateDirectories: true)
        try Data("19-198-0000 HELLO\n19-198-0001\n".utf8).write(to: chapter.appendingPathComponent("19-198.trans.txt"))
        let listing = try LibriSpeechCorpus(root: dir.path).load()
        #expect(listing.entries[1].defect?.contains("19-198.trans.txt:2: utterance '19-198-0001' has no transcript") == true)
    }

    @Test func nemoOffsetAndDurationCutTheRecording() async throws {
        let manifest = Fixtures.path("corpora/nemo_offsets/manifest.jsonl")
        let listing = try JSONLinesManifest(path: manifest).load()
        #expect(listing.entries[0].segment == .init(start: 0.5, end: 1.0))
        #expect(listing.entries[1].segment == .init(start: 1.25, end: 1.5))
        #expect(listing.entries[2].segment == nil && listing.entries[2].durationCoversFile)
        let inspection = AudioInspection(constraints: .init()) { try SHA256.hash(fileAt: $0) }
        guard case .accepted(let part) = inspection.inspect(listing.entries[0]) else { Issue.record("offset entry refused"); return }
        #expect(abs(part.duration - 0.5) < 1e-9 && part.clip != nil)
        // The whole 1.6 s file said to last 0.5 s: NeMo would read 0.5 s; earshot says so instead of guessing.
        guard case .failed(let reason) = inspection.inspect(listing.entries[2]) else { Issue.record("mismatched duration accepted"); return }
        #expect(reason.contains("manifest.jsonl:3") && reason.contains("states a duration of 0.500 s") && reason.contains("has 1.600 s")
                && reason.contains("offset"), "\(reason)")
        // An offset without a duration is malformed.
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("m.jsonl")
        try Data("{\"audio_filepath\": \"a.wav\", \"text\": \"x\", \"offset\": 2}\n".utf8).write(to: bad)
        #expect { _ = try JSONLinesManifest(path: bad.path).load() } throws: { "\($0)".contains("m.jsonl:1: offset 2.0 needs a positive duration") }
    }

    @Test func standardDecoderPipesAreReadAsTheFileTheyDecode() throws {
        let root = Fixtures.path("corpora/kaldi_pipes")
        let listing = try KaldiDataDirectory(directory: root).load()
        let byID = Dictionary(uniqueKeysWithValues: listing.entries.map { ($0.id, $0) })
        #expect(byID["left"]?.audioPath == "\(root)/audio/stereo.sph" && byID["left"]?.channel == 0)
        #expect(byID["right"]?.audioPath == "\(root)/audio/stereo.sph" && byID["right"]?.channel == 1)
        #expect(byID["book"]?.audioPath == "\(root)/audio/book.flac" && byID["book"]?.channel == nil)
        #expect(byID["talk"]?.audioPath == "\(root)/audio/talk.wav" && byID["talk"]?.channel == 1)
        #expect(byID["clip"]?.audioPath == "\(root)/audio/clip.ogg" && byID["clip"]?.channel == nil)
        // Channel selection is honoured: the stereo SPHERE file has 300 Hz on channel 1 and 600 Hz on channel 2.
        let inspection = AudioInspection(constraints: .init()) { try SHA256.hash(fileAt: $0) }
        for (id, hertz) in [("left", 300.0), ("right", 600.0), ("talk", 1200.0)] {
            guard case .accepted(let found) = inspection.inspect(byID[id]!), let clip = found.clip else {
                Issue.record("\(id) not accepted as a channel clip"); continue
            }
            #expect(abs(CorpusLayoutTests.frequency(clip) - hertz) < 30, "\(id)")
        }
        for id in ["book", "clip"] {
            guard case .accepted(let found) = inspection.inspect(byID[id]!) else { Issue.record("\(id) refused"); continue }
            #expect(found.clip == nil && found.sha256 != nil)
        }
    }

    @Test(arguments: [
        ("sph2pipe -f wav -p -c 1 a.sph |", "a.sph", Optional(0)), ("sph2pipe -f wav a.sph |", "a.sph", nil),
        ("/usr/bin/flac -c -d -s x.flac |", "x.flac", nil), ("sox -t sph a.sph -t wav -r 16000 -b 16 - |", "a.sph", nil),
        ("sox a.wav -t wav - remix 2 |", "a.wav", Optional(1)), ("ffmpeg -nostdin -i a.m4a -ac 1 -ar 16000 -f wav - |", "a.m4a", nil),
        ("ffmpeg -i a.wav -map_channel 0.0.1 -f wav - |", "a.wav", Optional(1)),
    ])
    func decoderPipesParse(_ entry: String, _ file: String, _ channel: Int?) throws {
        #expect(try KaldiPipe.parse(entry) == KaldiPipe(file: file, channel: channel))
    }

    @Test(arguments: [
        ("gunzip -c a.wav.gz |", "not one of the decoders"), ("sph2pipe a.sph | sox - -t wav - |", "more than one decoder command"),
        ("sox a.wav -t wav - tempo 1.1 |", "only 'remix N'"), ("sph2pipe -t 1:2 a.sph |", "-t' is not supported"),
        ("flac -d a.flac |", "standard output"), ("sox a.wav b.wav -t wav - |", "more than one file"),
        ("ffmpeg -i a.wav -af volume=2 -f wav - |", "'-af' is not supported"), ("sox a.wav -t wav - > /tmp/x |", "more than one decoder"),
    ])
    func otherPipelinesAreRefusedWithTheReason(_ entry: String, _ words: String) {
        #expect { _ = try KaldiPipe.parse(entry) } throws: { "\($0)".contains(words) }
    }

    @Test func perClassAllTakesTheBalancedMaximumAndTooLargeGivesBothSidesCounts() async throws {
        let root = Fixtures.path("corpora/tedlium/TEDLIUM_release-3")
        func yaml(_ perClass: String, _ extra: String = "") -> String {
            """
            experiment: ted
            nodes:
              split:
                kind: load_split
                params:
                  member: {format: gigaspeech, path: \(Fixtures.path("corpora/gigaspeech")), split: S}
                  nonmember: {format: tedlium, path: \(root), split: test}
                  per_class: \(perClass)\(extra)
            """
        }
        let box = try DataSandbox()
        let all = try box.split(try await box.run(yaml("all")))
        // 14 GigaSpeech S segments against 8 TED-LIUM test segments: 8 each.
        #expect(all.memberCount == 8 && all.nonMemberCount == 8)
        let tooMany = try await box.run(yaml("2500"))
        let reason = tooMany.report("split")?.reason ?? ""
        #expect(reason.contains("too few member items: 14 eligible, per_class needs 2500 (14 listed; the non-member side has 8 eligible of 8 listed; the most both sides allow is per_class: 8, which per_class: all takes)"), "\(reason)")
        let typo = try await box.run(yaml("alll"))
        #expect(typo.report("split")?.reason?.contains("an integer in 1…100000000, or all") == true, "\(typo.report("split")?.reason ?? "")")
    }
}
