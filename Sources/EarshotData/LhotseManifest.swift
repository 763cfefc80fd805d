import Foundation

/// lhotse manifests (lhotse.readthedocs.io, "Representing a corpus"): a recordings + supervisions pair, or cuts,
/// as JSON Lines, gzip-compressed (`.jsonl.gz`) or plain.
///
/// `path` is the folder holding the manifests and `split` the part of their names after the kind
/// (`mini_recordings_train.jsonl.gz` + `mini_supervisions_train.jsonl.gz`, or `mini_cuts_train.jsonl.gz`: split
/// `train`); a cuts manifest is preferred when both exist. `path` may instead name one supervisions manifest (its
/// recordings manifest is the same name with `recordings`) or one cuts manifest.
///
/// - Supervisions: one entry each, id `id`, the range `[start, start + duration)` of its recording, text `text`,
///   speaker `speaker`, and its `channel` when the recording has several (a list of channels is their mean).
/// - Cuts (`MonoCut`): one entry each, id `id`, the range `[start, start + duration)` of the inline `recording`,
///   text the supervisions' texts joined by spaces, speaker the first supervision's. Other cut types (mixed,
///   padding) are refused.
/// A recording's audio is its `sources`' `file` source holding the channel (a relative `source` resolves against
/// the manifest's folder); `url`, `command` and `memory` sources and recordings with `transforms` are refused,
/// naming the line. An item without text has a `defect`.
public struct LhotseManifest: Sendable {
    public let path: String
    public let split: String

    public init(path: String, split: String) {
        self.path = path
        self.split = split
    }

    public func load() throws -> DatasetListing {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.unreadable(path: path, reason: "no such file or folder; give the folder of lhotse manifests and split:, or one cuts or supervisions manifest")
        }
        if !isDirectory.boolValue {
            let name = (path as NSString).lastPathComponent
            if name.contains("_cuts") || name.hasPrefix("cuts") { return try cuts(path) }
            if name.contains("supervisions") {
                let recordings = (path as NSString).deletingLastPathComponent + "/" + name.replacingOccurrences(of: "supervisions", with: "recordings")
                return try supervisions(path, recordings: recordings)
            }
            throw DataError.invalidParameter(name: "lhotse path", value: path, reason: "name a *_cuts_*.jsonl[.gz] or *_supervisions_*.jsonl[.gz] manifest, or the folder with split:")
        }
        guard !split.isEmpty else {
            throw DataError.invalidParameter(name: "lhotse source", value: path, reason: "a folder of manifests needs split: (the part of the names after _cuts_ / _supervisions_)")
        }
        let names = try CorpusLayout.files(in: path, suffix: "")
        func find(_ kind: String) throws -> String? {
            let matches = names.filter { $0.contains("\(kind)_\(split).jsonl") && ($0.hasSuffix(".jsonl") || $0.hasSuffix(".jsonl.gz")) }
            if matches.count > 1 {
                throw DataError.invalidParameter(name: "lhotse split", value: split, reason: "several \(kind) manifests match in '\(path)': \(matches.joined(separator: ", "))")
            }
            return matches.first.map { path + "/" + $0 }
        }
        if let cuts = try find("cuts") { return try self.cuts(cuts) }
        guard let supervisions = try find("supervisions"), let recordings = try find("recordings") else {
            throw DataError.unreadable(path: path, reason: "no *_cuts_\(split).jsonl[.gz], or *_recordings_\(split) and *_supervisions_\(split) pair; check the split")
        }
        return try self.supervisions(supervisions, recordings: recordings)
    }

    /// JSON objects of a manifest, with their line numbers.
    static func objects(_ path: String) throws -> [(line: Int, object: [String: Any])] {
        let lines = ListingLines(path: path, data: try Gunzip.contents(of: path))
        var out: [(Int, [String: Any])] = []
        for line in lines.lines where !line.isBlank {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.text.utf8))) as? [String: Any] else {
                throw DataError.malformed(path: path, line: line.number, reason: "not a JSON object")
            }
            out.append((line.number, object))
        }
        return out
    }

    /// A recording's audio file and the file-channel index of `channel` (nil when the file is mono or the
    /// channel is the recording's only one).
    struct Recording {
        var file: String
        var fileChannels: [Int]
    }

    static func recording(_ object: [String: Any], manifest: String, line: Int, directory: String) throws -> Recording {
        let id = object["id"] as? String ?? "?"
        if let transforms = object["transforms"] as? [Any], !transforms.isEmpty {
            throw DataError.malformed(path: manifest, line: line, reason: "recording '\(id)' has transforms (speed or volume perturbation); earshot reads recordings as stored — use the manifest without them")
        }
        guard let sources = object["sources"] as? [[String: Any]], !sources.isEmpty else {
            throw DataError.malformed(path: manifest, line: line, reason: "recording '\(id)' has no sources")
        }
        guard sources.count == 1 else {
            throw DataError.malformed(path: manifest, line: line, reason: "recording '\(id)' has \(sources.count) sources (one file per channel); earshot reads recordings with one file source")
        }
        let source = sources[0]
        guard source["type"] as? String == "file", let file = source["source"] as? String else {
            throw DataError.malformed(path: manifest, line: line, reason: "recording '\(id)' has a '\(source["type"] as? String ?? "?")' source; earshot reads 'file' sources only (no URLs, commands or in-memory audio)")
        }
        let channels = (source["channels"] as? [NSNumber])?.map(\.intValue) ?? [0]
        return Recording(file: DatasetListing.resolve(file, against: directory), fileChannels: channels)
    }

    /// The file channel of a supervision's or cut's `channel` (an int, or a list: their mean, i.e. nil when
    /// it covers every channel of the file).
    static func channel(_ value: Any?, recording: Recording, manifest: String, line: Int, id: String) throws -> Int? {
        if recording.fileChannels.count <= 1 { return nil }
        let wanted: [Int]
        if let n = value as? NSNumber { wanted = [n.intValue] } else if let list = value as? [NSNumber] { wanted = list.map(\.intValue) } else { wanted = recording.fileChannels }
        if Set(wanted) == Set(recording.fileChannels) { return nil }
        guard wanted.count == 1, let index = recording.fileChannels.firstIndex(of: wanted[0]) else {
            throw DataError.malformed(path: manifest, line: line, reason: "'\(id)' asks for channels \(wanted) of a recording with channels \(recording.fileChannels); earshot reads one channel or all")
        }
        return index
    }

    static func seconds(_ object: [String: Any], _ key: String, manifest: String, line: Int) throws -> Double {
        guard let value = (object[key] as? NSNumber)?.doubleValue, value.isFinite, value >= 0 else {
            throw DataError.malformed(path: manifest, line: line, reason: "'\(key)' is missing or not a non-negative number of seconds")
        }
        return value
    }

    func supervisions(_ manifest: String, recordings recordingsPath: String) throws -> DatasetListing {
        let directory = (manifest as NSString).deletingLastPathComponent
        var recordings: [String: Recording] = [:]
        for (line, object) in try Self.objects(recordingsPath) {
            guard let id = object["id"] as? String else { throw DataError.malformed(path: recordingsPath, line: line, reason: "recording without an id") }
            recordings[id] = try Self.recording(object, manifest: recordingsPath, line: line, directory: directory)
        }
        var entries: [DatasetEntry] = []
        for (line, object) in try Self.objects(manifest) {
            let origin = "\(manifest):\(line)"
            guard let id = object["id"] as? String, let recordingID = object["recording_id"] as? String else {
                throw DataError.malformed(path: manifest, line: line, reason: "a supervision needs id and recording_id")
            }
            guard let recording = recordings[recordingID] else {
                throw DataError.malformed(path: manifest, line: line, reason: "recording '\(recordingID)' is not in '\(recordingsPath)'")
            }
            let start = try Self.seconds(object, "start", manifest: manifest, line: line)
            let duration = try Self.seconds(object, "duration", manifest: manifest, line: line)
            let text = (object["text"] as? String) ?? ""
            entries.append(DatasetEntry(
                id: id, audioPath: recording.file, text: text, speaker: object["speaker"] as? String ?? "", duration: duration,
                segment: .init(start: start, end: start + duration),
                channel: try Self.channel(object["channel"], recording: recording, manifest: manifest, line: line, id: id),
                origin: origin, defect: text.isBlankText ? "\(origin): supervision '\(id)' has no text" : nil,
                columns: ["recording_id": recordingID]))
        }
        return DatasetListing(entries: entries, files: [recordingsPath, manifest])
    }

    func cuts(_ manifest: String) throws -> DatasetListing {
        let directory = (manifest as NSString).deletingLastPathComponent
        var entries: [DatasetEntry] = []
        for (line, object) in try Self.objects(manifest) {
            let origin = "\(manifest):\(line)"
            guard let id = object["id"] as? String else { throw DataError.malformed(path: manifest, line: line, reason: "a cut needs an id") }
            let type = object["type"] as? String ?? "MonoCut"
            guard type == "MonoCut", let recordingObject = object["recording"] as? [String: Any] else {
                throw DataError.malformed(path: manifest, line: line, reason: "cut '\(id)' is a \(type)\(object["recording"] == nil ? " without a recording" : ""); earshot reads MonoCuts of one recording")
            }
            let recording = try Self.recording(recordingObject, manifest: manifest, line: line, directory: directory)
            let start = try Self.seconds(object, "start", manifest: manifest, line: line)
            let duration = try Self.seconds(object, "duration", manifest: manifest, line: line)
            let supervisions = object["supervisions"] as? [[String: Any]] ?? []
            let text = supervisions.compactMap { $0["text"] as? String }.filter { !$0.isEmpty }.joined(separator: " ")
            entries.append(DatasetEntry(
                id: id, audioPath: recording.file, text: text, speaker: supervisions.first?["speaker"] as? String ?? "",
                duration: duration, segment: .init(start: start, end: start + duration),
                channel: try Self.channel(object["channel"], recording: recording, manifest: manifest, line: line, id: id),
                origin: origin, defect: text.isEmpty ? "\(origin): cut '\(id)' has no supervision text" : nil,
                columns: ["recording_id": recordingObject["id"] as? String ?? ""]))
        }
        return DatasetListing(entries: entries, files: [manifest])
    }
}
