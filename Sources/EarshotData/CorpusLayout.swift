import Foundation

/// Helpers shared by the loaders of corpora in their owners' layouts (`format: gigaspeech`, `tedlium`, …).
enum CorpusLayout {
    /// Throws unless `path` is a folder; `what` says which folder was expected.
    static func requireFolder(_ path: String, _ what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.unreadable(path: path, reason: "not a folder; expected \(what)")
        }
    }

    /// Throws unless `path` is a file; `what` says which file was expected.
    static func requireFile(_ path: String, _ what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataError.unreadable(path: path, reason: "no such file; expected \(what)")
        }
    }

    /// The split name, or an error listing the valid ones.
    static func split(_ given: String, format: String, valid: [String], caseInsensitive: Bool = false) throws -> String {
        let match = valid.first { caseInsensitive ? $0.lowercased() == given.lowercased() : $0 == given }
        guard let match else {
            throw DataError.invalidParameter(name: "\(format) split", value: given,
                                             reason: "expected one of \(valid.joined(separator: ", ")) (the source's split: key)")
        }
        return match
    }

    /// Names in `folder` ending in `suffix` (files only, no hidden ones), sorted by UTF-8 bytes.
    static func files(in folder: String, suffix: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DataError.unreadable(path: folder, reason: (error as NSError).localizedDescription.lowercased())
        }
        return names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(suffix) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// A file's stem (name without folder and extension).
    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// A JSON file's top-level object, or an error naming the file.
    static func jsonObject(_ path: String, _ what: String) throws -> [String: Any] {
        try requireFile(path, what)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "permission denied or not a regular file")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DataError.malformed(path: path, line: 1, reason: "not JSON (\(JSONLinesManifest.shortReason(error)))")
        }
        guard let object = parsed as? [String: Any] else {
            throw DataError.malformed(path: path, line: 1, reason: "expected a JSON object at the top level")
        }
        return object
    }

    /// Collapses runs of spaces and trims.
    static func squeeze(_ words: [Substring]) -> String { words.joined(separator: " ") }
}

/// GigaSpeech (`GigaSpeech.json` beside `audio/`), as released by SpeechColab (github.com/SpeechColab/GigaSpeech,
/// README "Metadata walkthrough"; read the same way by lhotse's `recipes/gigaspeech.py`).
///
/// `path` is the folder holding `GigaSpeech.json` (or the file itself); `split` one of `XS S M L XL DEV TEST`
/// (a segment belongs to a subset when its `subsets` lists `{NAME}`; the training subsets nest, XS ⊂ … ⊂ XL).
/// Each segment `{sid, speaker, begin_time, end_time, text_tn, subsets}` of an audio
/// `{aid, path, segments}` is one entry: id `sid`, the range `[begin_time, end_time)` of the long Opus file
/// `path` (relative to the folder), speaker as listed. Text: `text_tn` with the punctuation tags
/// (`<COMMA> <PERIOD> <QUESTIONMARK> <EXCLAMATIONPOINT>`) and garbage tags (`<SIL> <MUSIC> <NOISE> <OTHER>`)
/// removed, as GigaSpeech's scoring does; a segment left with no words (a garbage utterance) is not listed, as the
/// toolkit's data preparation drops them.
public struct GigaSpeechCorpus: Sendable {
    public static let splits = ["XS", "S", "M", "L", "XL", "DEV", "TEST"]
    public static let tags: Set<Substring> = ["<COMMA>", "<PERIOD>", "<QUESTIONMARK>", "<EXCLAMATIONPOINT>",
                                              "<SIL>", "<MUSIC>", "<NOISE>", "<OTHER>"]
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public static func normalise(_ textTN: String) -> String {
        CorpusLayout.squeeze(textTN.split(whereSeparator: \.isWhitespace).filter { !tags.contains($0) })
    }

    public func load() throws -> DatasetListing {
        let subset = "{" + (try CorpusLayout.split(split, format: "gigaspeech", valid: Self.splits, caseInsensitive: true)) + "}"
        let json = path.hasSuffix(".json") ? path : path + "/GigaSpeech.json"
        let root = (json as NSString).deletingLastPathComponent
        let object = try CorpusLayout.jsonObject(json, "GigaSpeech.json (the corpus metadata)")
        guard let audios = object["audios"] as? [[String: Any]] else {
            throw DataError.missingColumn(path: json, column: "audios", available: object.keys.sorted())
        }
        var entries: [DatasetEntry] = []
        for (a, audio) in audios.enumerated() {
            let origin = "\(json): audios[\(a)]"
            guard let aid = audio["aid"] as? String, let file = audio["path"] as? String,
                  let segments = audio["segments"] as? [[String: Any]] else {
                throw DataError.malformed(path: json, line: 1, reason: "audios[\(a)] lacks aid, path or segments")
            }
            for (s, segment) in segments.enumerated() {
                guard let subsets = segment["subsets"] as? [String], subsets.contains(subset) else { continue }
                let place = "\(origin).segments[\(s)]"
                guard let sid = segment["sid"] as? String, let begin = (segment["begin_time"] as? NSNumber)?.doubleValue,
                      let end = (segment["end_time"] as? NSNumber)?.doubleValue, end > begin, begin >= 0 else {
                    throw DataError.malformed(path: json, line: 1, reason: "\(place) (aid \(aid)) lacks sid or has no valid begin_time < end_time")
                }
                guard let raw = segment["text_tn"] as? String else {
                    throw DataError.malformed(path: json, line: 1, reason: "\(place) (sid \(sid)) has no text_tn")
                }
                let text = Self.normalise(raw)
                if text.isEmpty { continue }
                entries.append(DatasetEntry(
                    id: sid, audioPath: DatasetListing.resolve(file, against: root), text: text,
                    speaker: segment["speaker"] as? String ?? "", duration: end - begin,
                    segment: .init(start: begin, end: end), origin: "\(place) (sid \(sid))",
                    columns: ["aid": aid, "text_tn": raw]))
            }
        }
        if entries.isEmpty {
            throw DataError.unreadable(path: json, reason: "no segment of subset \(subset) with words; check the split (\(Self.splits.joined(separator: ", ")))")
        }
        return DatasetListing(entries: entries, files: [json])
    }
}

/// TED-LIUM release 3 (`TEDLIUM_release-3/{legacy,speaker-adaptation}/{train,dev,test}/{sph,stm}`), as released by
/// LIUM (openslr.org/51, the release's README) and read by lhotse's `recipes/tedlium.py` and Kaldi's
/// `egs/tedlium/s5_r3/local/prepare_data.sh`.
///
/// `path` is the release folder; `split` is `train`, `dev` or `test` of the legacy distribution, or
/// `legacy/NAME` / `speaker-adaptation/NAME`. Each STM line `TALK CHANNEL SPEAKER START END <LABEL> WORDS…` of
/// `stm/*.stm` is one entry cut from `sph/TALK.sph`: id `SPEAKER-SSSSSSS-EEEEEEE` (centiseconds, Kaldi's form),
/// speaker as listed, the label (`<o,f0,male>`) in `columns["label"]`. Lines whose text is
/// `ignore_time_segment_in_scoring` are skipped (as lhotse and Kaldi do). Text: the words with noise markers in
/// braces (`{NOISE}`, `{SMACK}`, …) removed. The times are used as written on every side: Kaldi's
/// `extend_segment_times.py` padding of training segments is not applied, so members and non-members are cut
/// the same way.
public struct TedliumCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public static func normalise(_ words: [Substring]) -> String {
        CorpusLayout.squeeze(words.filter { !($0.hasPrefix("{") && $0.hasSuffix("}")) })
    }

    public func load() throws -> DatasetListing {
        let part = split.contains("/") ? split : "legacy/" + split
        let parts = part.split(separator: "/")
        guard parts.count == 2, ["legacy", "speaker-adaptation"].contains(parts[0]), ["train", "dev", "test"].contains(parts[1]) else {
            throw DataError.invalidParameter(name: "tedlium split", value: split,
                                             reason: "expected train, dev, test (legacy) or legacy/NAME, speaker-adaptation/NAME")
        }
        let folder = path + "/" + part
        try CorpusLayout.requireFolder(folder + "/stm", "the TED-LIUM release 3 folder holding \(part)/stm and \(part)/sph")
        try CorpusLayout.requireFolder(folder + "/sph", "\(part)/sph beside \(part)/stm")
        var entries: [DatasetEntry] = []
        var files: [String] = []
        for name in try CorpusLayout.files(in: folder + "/stm", suffix: ".stm") {
            let stm = folder + "/stm/" + name
            files.append(stm)
            let lines = try ListingLines(path: stm)
            for line in lines.lines where !line.isBlank && !line.text.hasPrefix(";;") {
                let fields = line.text.split(whereSeparator: \.isWhitespace)
                guard fields.count >= 6, let start = Double(fields[3]), let end = Double(fields[4]), start >= 0, end > start else {
                    throw DataError.malformed(path: stm, line: line.number, reason: "expected 'TALK CHANNEL SPEAKER START END <LABEL> WORDS…' with START < END, got '\(line.text)'")
                }
                let hasLabel = fields[5].hasPrefix("<") && fields[5].hasSuffix(">")
                let words = Array(fields.dropFirst(hasLabel ? 6 : 5))
                if words == ["ignore_time_segment_in_scoring"] { continue }
                let text = Self.normalise(words)
                let speaker = String(fields[2])
                let id = "\(speaker)-\(String(format: "%07d-%07d", Int((start * 100).rounded()), Int((end * 100).rounded())))"
                entries.append(DatasetEntry(
                    id: id, audioPath: "\(folder)/sph/\(fields[0]).sph", text: text, speaker: speaker, duration: end - start,
                    segment: .init(start: start, end: end), origin: "\(stm):\(line.number)",
                    defect: lines.utf8Defect(line) ?? (text.isEmpty ? "\(stm):\(line.number): segment '\(id)' has no words" : nil),
                    columns: hasLabel ? ["label": String(fields[5])] : [:]))
            }
        }
        if entries.isEmpty {
            throw DataError.unreadable(path: folder + "/stm", reason: "no STM segments found; is this a TED-LIUM release 3 folder?")
        }
        return DatasetListing(entries: entries, files: files)
    }
}
