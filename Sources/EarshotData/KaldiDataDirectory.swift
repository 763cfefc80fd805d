import Foundation

/// A Kaldi data directory: `wav.scp` (recording → file), `text` (utterance → transcript), optional `utt2spk`
/// (utterance → speaker) and optional `segments` (utterance → recording, start, end in seconds).
///
/// Without `segments` each recording is one utterance with the recording's id. With it, each segment is one
/// entry whose `segment` is its time range (an end of `-1` means the end of the recording) and whose audio is
/// the recording's file. Relative paths in `wav.scp` resolve against the data directory. `text` is required and
/// an utterance without a line in it gets a `defect` (never an empty transcript); missing `utt2spk` makes each
/// utterance its own speaker (Kaldi's convention).
///
/// `wav.scp` entries that are pipelines of the standard decoders (`sph2pipe -f wav -p -c 1 X.sph |`,
/// `flac -c -d -s X.flac |`, `sox X -t wav - |`, `ffmpeg -i X -f wav - |`) are parsed — never run — into the
/// file they decode and the channel they keep (`KaldiPipe`); any other pipeline, archive offsets (`a.ark:123`)
/// and stdin (`-`) are refused with the line: convert those to files first (e.g.
/// `wav-copy scp:wav.scp ark,scp:wavs.ark,new.scp` with Kaldi).
public struct KaldiDataDirectory: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public func load() throws -> DatasetListing {
        let wavScp = directory + "/wav.scp"
        var files = [wavScp]
        let recordings = try table(wavScp)
        var recordingPath: [String: String] = [:]
        var recordingChannel: [String: Int] = [:]
        for (key, (value, line)) in recordings.values {
            var entry = value.trimmingCharacters(in: .whitespaces)
            if entry.hasSuffix("|") {
                do {
                    let pipe = try KaldiPipe.parse(entry)
                    entry = pipe.file
                    recordingChannel[key] = pipe.channel
                } catch {
                    throw DataError.unsupportedRecording(
                        path: wavScp, line: line, entry: key,
                        reason: "'\(entry)' is a shell pipeline earshot does not recognise (\(error)); earshot reads sph2pipe, flac, sox and ffmpeg decoder pipes as the file they decode and runs no command; convert the recordings to audio files first (e.g. `wav-copy scp:wav.scp ark,scp:out.ark,out.scp` or sox) and list the files in wav.scp")
                }
            }
            if entry == "-" || entry.range(of: #"\.ark:\d+$"#, options: .regularExpression) != nil {
                throw DataError.unsupportedRecording(
                    path: wavScp, line: line, entry: key,
                    reason: "'\(entry)' is not a plain audio file (stdin or a Kaldi archive offset); extract the recordings to audio files first (e.g. with wav-copy) and list the files in wav.scp")
            }
            recordingPath[key] = DatasetListing.resolve(entry, against: directory)
        }
        let fm = FileManager.default
        let textPath = directory + "/text"
        guard fm.fileExists(atPath: textPath) else {
            throw DataError.unreadable(path: textPath, reason: "no such file; a Kaldi data directory needs its transcripts (`text`: UTTERANCE WORDS…)")
        }
        files.append(textPath)
        let texts = try table(textPath)
        var speakers: Table?
        if fm.fileExists(atPath: directory + "/utt2spk") {
            files.append(directory + "/utt2spk")
            speakers = try table(directory + "/utt2spk")
        }
        func entry(id: String, recording: String, origin: String, segment: DatasetEntry.Segment?) -> DatasetEntry {
            let text = texts.values[id]
            var defect = text.flatMap { texts.defects[$0.line] } ?? recordings.defects[recordings.values[recording]?.line ?? -1]
            if defect == nil, (text?.value ?? "").isBlankText {
                defect = text == nil ? "\(origin): utterance '\(id)' has no line in '\(textPath)'; add its transcript"
                    : "\(textPath):\(text!.line): utterance '\(id)' has an empty transcript"
            }
            return DatasetEntry(
                id: id, audioPath: recordingPath[recording]!, text: text?.value ?? "",
                speaker: speakers?.values[id]?.value.trimmingCharacters(in: .whitespaces) ?? id,
                duration: segment.flatMap { s in s.end.map { $0 - s.start } }, segment: segment,
                channel: recordingChannel[recording], origin: origin, defect: defect)
        }
        var entries: [DatasetEntry] = []
        let segmentsPath = directory + "/segments"
        if fm.fileExists(atPath: segmentsPath) {
            files.append(segmentsPath)
            for line in try ListingLines(path: segmentsPath).lines where !line.isBlank {
                let parts = line.text.split(whereSeparator: \.isWhitespace).map(String.init)
                guard parts.count == 4, let start = Double(parts[2]), let end = Double(parts[3]), start >= 0,
                      end == -1 || end > start else {
                    throw DataError.malformed(path: segmentsPath, line: line.number,
                                              reason: "expected 'UTTERANCE RECORDING START END' with 0 ≤ START < END (or END = -1), got '\(line.text)'")
                }
                guard recordingPath[parts[1]] != nil else {
                    throw DataError.malformed(path: segmentsPath, line: line.number, reason: "recording '\(parts[1])' is not in wav.scp")
                }
                entries.append(entry(id: parts[0], recording: parts[1], origin: "\(segmentsPath):\(line.number)",
                                     segment: .init(start: start, end: end == -1 ? nil : end)))
            }
        } else {
            for key in recordings.order {
                entries.append(entry(id: key, recording: key, origin: "\(wavScp):\(recordings.values[key]!.line)", segment: nil))
            }
        }
        return DatasetListing(entries: entries, files: files)
    }

    /// A Kaldi table file: `KEY VALUE…` per line, keys unique.
    struct Table {
        var values: [String: (value: String, line: Int)] = [:]
        var order: [String] = []
        /// Line number → defect (a line that is not UTF-8).
        var defects: [Int: String] = [:]
    }

    func table(_ path: String) throws -> Table {
        let lines = try ListingLines(path: path)
        var table = Table()
        for line in lines.lines where !line.isBlank {
            let trimmed = line.text.drop { $0 == " " || $0 == "\t" }
            let key = String(trimmed.prefix { $0 != " " && $0 != "\t" })
            let value = String(trimmed.dropFirst(key.count).drop { $0 == " " || $0 == "\t" })
            if let earlier = table.values[key] {
                throw DataError.malformed(path: path, line: line.number, reason: "key '\(key)' repeats line \(earlier.line); keys must be unique")
            }
            table.values[key] = (value, line.number)
            table.order.append(key)
            if let defect = lines.utf8Defect(line) { table.defects[line.number] = defect }
        }
        return table
    }
}
