import Foundation

/// A JSON Lines manifest (NeMo style): one JSON object per line, e.g.
/// `{"audio_filepath": "wavs/a.wav", "text": "hello", "duration": 1.2, "speaker": "s1"}`.
///
/// Blank lines are ignored. Columns map through `ColumnMapping`; every other key is kept in
/// `DatasetEntry.columns` (numbers in their shortest decimal form, booleans as `true`/`false`).
/// A line that is not a JSON object, or lacks the audio column, is a `DataError.malformed` naming the line;
/// a line that is not UTF-8 becomes an entry with a `defect` (so `on_error: skip` can drop it).
public struct JSONLinesManifest: Sendable {
    public let path: String
    public let columns: ColumnMapping

    public init(path: String, columns: ColumnMapping = ColumnMapping()) {
        self.path = path
        self.columns = columns
    }

    public func load() throws -> DatasetListing {
        let lines = try ListingLines(path: path)
        let directory = (path as NSString).deletingLastPathComponent
        var entries: [DatasetEntry] = []
        var seenColumns = Set<String>()
        var checked = false
        for line in lines.lines where !line.isBlank {
            let parsed: Any
            do {
                parsed = try JSONSerialization.jsonObject(with: Data(line.text.utf8))
            } catch {
                throw DataError.malformed(path: path, line: line.number, reason: "not a JSON object (\(Self.shortReason(error)))")
            }
            guard let object = parsed as? [String: Any] else {
                throw DataError.malformed(path: path, line: line.number, reason: "not a JSON object (a JSON \(type(of: parsed)) instead)")
            }
            seenColumns.formUnion(object.keys)
            if !checked {
                try columns.check(available: Set(object.keys), path: "\(path):\(line.number)", sample: object.keys.sorted())
                checked = true
            }
            let fields = object.compactMapValues(Self.text(of:))
            let audioColumn = columns.column("audio")!
            guard let audio = fields[audioColumn], !audio.isEmpty else {
                throw DataError.malformed(path: path, line: line.number, reason: "no '\(audioColumn)' (the audio column); every line needs one")
            }
            entries.append(try Self.entry(fields: fields, columns: columns, audio: audio, directory: directory,
                                          origin: "\(path):\(line.number)", defect: lines.utf8Defect(line), path: path, line: line.number))
        }
        return DatasetListing(entries: entries, files: [path])
    }

    /// Builds an entry from one record's fields (shared with CSV/TSV manifests).
    ///
    /// A record without a value in the text column (absent, null or empty) gets a `defect` naming the file, line
    /// and column, so it fails (or is skipped) instead of entering the split with an empty transcript. With an
    /// `offset` the item is the range `[offset, offset + duration)` of the file (NeMo's convention; the duration
    /// is then required); without one a stated duration describes the whole file and is checked against it.
    static func entry(fields: [String: String], columns: ColumnMapping, audio: String, directory: String,
                      origin: String, defect: String?, path: String, line: Int) throws -> DatasetEntry {
        let audioPath = DatasetListing.resolve(audio, against: directory)
        func seconds(_ role: String) throws -> Double? {
            guard let column = columns.column(role), let text = fields[column], !text.isEmpty else { return nil }
            guard let d = Double(text), d.isFinite, d >= 0 else {
                throw DataError.malformed(path: path, line: line, reason: "\(role) '\(text)' (column '\(column)') is not a non-negative number of seconds")
            }
            return d
        }
        let duration = try seconds("duration")
        var segment: DatasetEntry.Segment?
        if let offset = try seconds("offset") {
            guard let duration, duration > 0 else {
                throw DataError.malformed(path: path, line: line, reason: "offset \(offset) needs a positive duration (column '\(columns.column("duration") ?? "duration")') saying how much of the file the item is")
            }
            segment = .init(start: offset, end: offset + duration)
        }
        let used = columns.mappedColumns
        var id = columns.column("id").flatMap { fields[$0] } ?? ""
        if id.isEmpty { id = DatasetListing.defaultID(audioPath: audioPath, directory: directory) }
        var text = ""
        var problem = defect
        if let column = columns.column("text") {
            if let value = fields[column], !value.isBlankText {
                text = value
            } else if problem == nil {
                problem = "\(origin): no transcript in column '\(column)' (\(fields[column] == nil ? "absent or null" : "empty")); fix the line, map the right column with columns: {text: …}, or say the dataset has none with columns: {text: \"\"}"
            }
        }
        var entry = DatasetEntry(
            id: id, audioPath: audioPath, text: text,
            speaker: columns.column("speaker").flatMap { fields[$0] } ?? "",
            duration: duration, segment: segment,
            label: columns.column("label").flatMap { fields[$0] },
            origin: origin, defect: problem,
            columns: fields.filter { !used.contains($0.key) })
        entry.durationCoversFile = segment == nil && duration != nil
        return entry
    }

    static func shortReason(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// A JSON value as manifest text: strings as they are, numbers in shortest form (integers without a
    /// fraction), booleans as `true`/`false`; null, arrays and objects have no text form.
    static func text(of value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            let d = n.doubleValue
            if d.rounded() == d && abs(d) < 1e15 && !String(cString: n.objCType).contains("d") { return String(n.int64Value) }
            return d.description
        default: return nil
        }
    }
}
