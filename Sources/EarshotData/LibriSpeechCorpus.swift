import Foundation

/// A LibriSpeech subset (`train-clean-100/`, `test-clean/`, …): `SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt`
/// beside the `SPEAKER-CHAPTER-UTTERANCE.flac` files it transcribes.
///
/// Each transcript line `ID TEXT` is one entry with audio `CHAPTER/ID.flac`; the speaker and chapter come from
/// the folder names (`columns["chapter"]`). The transcripts drive the listing: audio without a transcript line
/// is not listed, and a listed file that is missing fails when its audio is checked. Folders are read in
/// sorted order. A transcript line that is not UTF-8 becomes an entry with a `defect`.
public struct LibriSpeechCorpus: Sendable {
    /// The subset folder (the one holding the speaker folders).
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func load() throws -> DatasetListing {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.unreadable(path: root, reason: "not a folder; give the LibriSpeech subset folder (e.g. LibriSpeech/test-clean)")
        }
        var entries: [DatasetEntry] = []
        var files: [String] = []
        for speaker in try Self.subfolders(root) {
            let speakerPath = root + "/" + speaker
            for chapter in try Self.subfolders(speakerPath) {
                let chapterPath = speakerPath + "/" + chapter
                let transcript = "\(chapterPath)/\(speaker)-\(chapter).trans.txt"
                guard fm.fileExists(atPath: transcript) else { continue }
                files.append(transcript)
                let lines = try ListingLines(path: transcript)
                for line in lines.lines where !line.isBlank {
                    let parts = line.text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
                    let id = String(parts[0])
                    guard id.hasPrefix("\(speaker)-\(chapter)-") else {
                        throw DataError.malformed(path: transcript, line: line.number,
                                                  reason: "utterance id '\(id)' does not start with '\(speaker)-\(chapter)-' (the folder names)")
                    }
                    let text = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
                    entries.append(DatasetEntry(
                        id: id, audioPath: "\(chapterPath)/\(id).flac", text: text, speaker: speaker,
                        origin: "\(transcript):\(line.number)",
                        defect: lines.utf8Defect(line) ?? (text.isEmpty ? "\(transcript):\(line.number): utterance '\(id)' has no transcript" : nil),
                        columns: ["chapter": chapter]))
                }
            }
        }
        if entries.isEmpty {
            throw DataError.unreadable(path: root, reason: "no SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt found; is this a LibriSpeech subset folder?")
        }
        return DatasetListing(entries: entries, files: files)
    }

    /// Names of the sub-folders of `path`, sorted by their UTF-8 bytes.
    static func subfolders(_ path: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw DataError.unreadable(path: path, reason: (error as NSError).localizedDescription.lowercased())
        }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}
