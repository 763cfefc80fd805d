import Foundation

/// VoxPopuli transcribed speech (`asr_{split}.tsv` beside `{year}/{id}.ogg`), as written by the VoxPopuli
/// repository's `voxpopuli.get_asr_data` (github.com/facebookresearch/voxpopuli, README "ASR and LM").
///
/// `path` is the language folder (`transcribed_data/en`); `split` is `train`, `dev` or `test`. Each row of the
/// tab-separated `asr_{split}.tsv` (`id raw_text normalized_text speaker_id split gender …`) is one entry with
/// audio `{year}/{id}.ogg` (the year is the id's first four characters), text `normalized_text` (the ASR target:
/// lower case, no punctuation; `raw_text` is kept in `columns`), speaker `speaker_id`, and `gender` in `columns`.
public struct VoxPopuliCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        let name = try CorpusLayout.split(split, format: "voxpopuli", valid: ["train", "dev", "test"])
        let tsv = "\(path)/asr_\(name).tsv"
        try CorpusLayout.requireFile(tsv, "asr_\(name).tsv in the VoxPopuli language folder (transcribed_data/LANG)")
        let table = try DelimitedManifest(path: tsv, dialect: .tsv).rows()
        try table.require(["id", "raw_text", "normalized_text", "speaker_id"], path: tsv)
        let entries = table.rows.map { row in
            let id = row.fields["id"] ?? ""
            let text = row.fields["normalized_text"] ?? ""
            var defect = row.defect
            if defect == nil && text.isBlankText {
                defect = "\(tsv):\(row.line): no transcript in column 'normalized_text'"
            }
            return DatasetEntry(
                id: id, audioPath: "\(path)/\(id.prefix(4))/\(id).ogg", text: text, speaker: row.fields["speaker_id"] ?? "",
                origin: "\(tsv):\(row.line)", defect: defect,
                columns: ["raw_text": row.fields["raw_text"] ?? "", "gender": row.fields["gender"] ?? ""])
        }
        return DatasetListing(entries: entries, files: [tsv])
    }
}

/// SPGISpeech (`{split}.csv` beside `{split}/CALL/N.wav`), as distributed by Kensho (datasets.kensho.com, the
/// dataset card) and read by lhotse's `recipes/spgispeech.py`.
///
/// `path` is the corpus folder; `split` names the listing: `train` (`train.csv`, the L subset), `val`, or any
/// other `NAME.csv` beside them. The listing is delimited by `|` with the header
/// `wav_filename|wav_filesize|transcript`; each row is one entry with audio `{split}/{wav_filename}` (or
/// `spgispeech/{split}/…` when the audio was unpacked one level down, as lhotse accepts), id
/// `CALL_N` (the file name's folder and stem, lhotse's form), speaker `CALL` (one earnings call; lhotse's
/// speaker id), text `transcript` (fully formatted: case, punctuation, numbers as written).
public struct SPGISpeechCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        guard !split.isEmpty, !split.contains("/") else {
            throw DataError.invalidParameter(name: "spgispeech split", value: split, reason: "expected train, val (or the name of another NAME.csv)")
        }
        let csv = "\(path)/\(split).csv"
        try CorpusLayout.requireFile(csv, "\(split).csv (wav_filename|wav_filesize|transcript) in the SPGISpeech folder")
        let audioPart = split.hasPrefix("train") ? "train" : split
        var audioRoot = "\(path)/\(audioPart)"
        if !FileManager.default.fileExists(atPath: audioRoot) && FileManager.default.fileExists(atPath: "\(path)/spgispeech/\(audioPart)") {
            audioRoot = "\(path)/spgispeech/\(audioPart)"
        }
        let table = try DelimitedManifest(path: csv, dialect: .pipe).rows()
        try table.require(["wav_filename", "transcript"], path: csv)
        let entries = table.rows.map { row in
            let file = row.fields["wav_filename"] ?? ""
            let call = (file as NSString).deletingLastPathComponent
            let text = row.fields["transcript"] ?? ""
            var defect = row.defect
            if defect == nil && file.isEmpty { defect = "\(csv):\(row.line): empty wav_filename" }
            if defect == nil && text.isBlankText {
                defect = "\(csv):\(row.line): no transcript in column 'transcript'"
            }
            return DatasetEntry(
                id: (call.isEmpty ? "" : call.replacingOccurrences(of: "/", with: "_") + "_") + CorpusLayout.stem(file),
                audioPath: DatasetListing.resolve(file, against: audioRoot), text: text, speaker: call,
                origin: "\(csv):\(row.line)", defect: defect)
        }
        return DatasetListing(entries: entries, files: [csv])
    }
}

/// Clotho v2 (`clotho_captions_{split}.csv` beside the `{split}/` clips), as distributed on Zenodo
/// (zenodo.org/records/4783391, the dataset's README).
///
/// `path` is the folder holding the caption CSVs; `split` is `development`, `validation` or `evaluation`. Each
/// row `file_name,caption_1,…,caption_5` is one entry with audio `{split}/{file_name}`, id `{split}/{stem}`
/// (Clotho's file names are unique only within a split), text `caption_1` (`caption_2`…`caption_5` in `columns`),
/// no speaker.
public struct ClothoCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        let name = try CorpusLayout.split(split, format: "clotho", valid: ["development", "validation", "evaluation"])
        let csv = "\(path)/clotho_captions_\(name).csv"
        try CorpusLayout.requireFile(csv, "clotho_captions_\(name).csv in the Clotho folder")
        try CorpusLayout.requireFolder("\(path)/\(name)", "the \(name)/ folder of clips beside clotho_captions_\(name).csv")
        let table = try DelimitedManifest(path: csv, dialect: .csv).rows()
        let captions = (1...5).map { "caption_\($0)" }
        try table.require(["file_name"] + captions, path: csv)
        let entries = table.rows.map { row in
            let file = row.fields["file_name"] ?? ""
            let text = row.fields["caption_1"] ?? ""
            var defect = row.defect
            if defect == nil && text.isBlankText {
                defect = "\(csv):\(row.line): no caption in column 'caption_1'"
            }
            return DatasetEntry(
                id: "\(name)/\(CorpusLayout.stem(file))", audioPath: DatasetListing.resolve(file, against: "\(path)/\(name)"),
                text: text, origin: "\(csv):\(row.line)", defect: defect,
                columns: Dictionary(uniqueKeysWithValues: captions.dropFirst().map { ($0, row.fields[$0] ?? "") }))
        }
        return DatasetListing(entries: entries, files: [csv])
    }
}

/// CochlScene (`{Train,Val,Test}/<Scene>/*.wav`), as distributed by Cochl (github.com/cochlearai/cochlscene,
/// README "Dataset structure").
///
/// `path` is the folder holding `Train`, `Val` and `Test`; `split` one of them (any case). Each `.wav` file is one
/// entry: id `{Split}/{Scene}/{stem}`, text and `columns["class"]` the scene (the folder name), no speaker. The
/// listing is the folder tree; every scene folder enters the key through its file list.
public struct CochlSceneCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        let name = try CorpusLayout.split(split, format: "cochlscene", valid: ["Train", "Val", "Test"], caseInsensitive: true)
        let folder = "\(path)/\(name)"
        try CorpusLayout.requireFolder(folder, "the CochlScene \(name)/ folder of scene folders")
        var entries: [DatasetEntry] = []
        for scene in try LibriSpeechCorpus.subfolders(folder) {
            for file in try CorpusLayout.files(in: "\(folder)/\(scene)", suffix: ".wav") {
                entries.append(DatasetEntry(
                    id: "\(name)/\(scene)/\(CorpusLayout.stem(file))", audioPath: "\(folder)/\(scene)/\(file)", text: scene,
                    origin: "\(folder)/\(scene)/\(file)", columns: ["class": scene]))
            }
        }
        if entries.isEmpty {
            throw DataError.unreadable(path: folder, reason: "no SCENE/*.wav found; is this a CochlScene split folder?")
        }
        return DatasetListing(entries: entries, files: [])
    }
}

/// NSynth (`nsynth-{split}/examples.json` + `audio/<note_str>.wav`), as distributed by Magenta
/// (magenta.tensorflow.org/datasets/nsynth, "Files" and "Example Features").
///
/// `path` is the folder holding `nsynth-train`, `nsynth-valid` and `nsynth-test`; `split` is `train`, `valid` or
/// `test`. `examples.json` is one object keyed by `note_str`; each is one entry with audio
/// `audio/<note_str>.wav`, id `note_str`, speaker `instrument_str` (one instrument), text
/// `"<instrument_family_str> <instrument_source_str>, pitch <pitch>"` (e.g. `keyboard acoustic, pitch 60`),
/// `columns["class"]` the instrument family, and `velocity` and `qualities_str` in `columns`.
public struct NSynthCorpus: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        let name = try CorpusLayout.split(split, format: "nsynth", valid: ["train", "valid", "test"])
        let folder = "\(path)/nsynth-\(name)"
        let json = folder + "/examples.json"
        let object = try CorpusLayout.jsonObject(json, "nsynth-\(name)/examples.json (one object keyed by note_str)")
        var entries: [DatasetEntry] = []
        for key in object.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let example = object[key] as? [String: Any] else {
                throw DataError.malformed(path: json, line: 1, reason: "example '\(key)' is not an object")
            }
            let origin = "\(json): \(key)"
            guard let family = example["instrument_family_str"] as? String, let source = example["instrument_source_str"] as? String,
                  let pitch = (example["pitch"] as? NSNumber)?.intValue, let instrument = example["instrument_str"] as? String else {
                throw DataError.malformed(path: json, line: 1, reason: "example '\(key)' lacks instrument_family_str, instrument_source_str, pitch or instrument_str")
            }
            var columns = ["class": family]
            if let velocity = (example["velocity"] as? NSNumber)?.intValue { columns["velocity"] = String(velocity) }
            if let qualities = example["qualities_str"] as? [String] { columns["qualities"] = qualities.joined(separator: ",") }
            entries.append(DatasetEntry(
                id: key, audioPath: "\(folder)/audio/\(key).wav", text: "\(family) \(source), pitch \(pitch)",
                speaker: instrument, origin: origin, columns: columns))
        }
        if entries.isEmpty { throw DataError.unreadable(path: json, reason: "no examples listed") }
        return DatasetListing(entries: entries, files: [json])
    }
}
