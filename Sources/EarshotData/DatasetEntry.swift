import Foundation

/// One candidate item as a dataset lists it, before its audio is checked.
///
/// `audioPath` is absolute (relative manifest paths are resolved against the manifest's folder). `origin` is
/// where the entry was listed (`/data/train.jsonl:12`), for error messages. A problem found while listing that
/// concerns only this entry (a transcript line that is not UTF-8) is kept in `defect` rather than thrown, so
/// that `on_error: skip` can leave the entry out and continue.
public struct DatasetEntry: Sendable, Equatable {
    public var id: String
    public var audioPath: String
    public var text: String
    public var speaker: String
    /// Seconds, when the listing states it (NeMo's `duration`, Kaldi segment bounds); nil otherwise.
    public var duration: Double?
    /// A time range of the recording (Kaldi `segments`, NeMo `offset`, STM, GigaSpeech, lhotse); nil for the whole file.
    public var segment: Segment?
    /// The one channel (0-based) of a multi-channel recording the item is (a Kaldi pipe's `-c 2`, a lhotse
    /// supervision's `channel`); nil: all channels, averaged.
    public var channel: Int?
    /// Whether `duration` was stated for the whole file (a NeMo manifest without `offset`), so the decoded
    /// length must agree with it: a file much longer than stated is a recording the entry is only part of.
    public var durationCoversFile: Bool = false
    /// Audio embedded in a parquet shard (`hf_parquet`): extracted for drawn items only; `audioPath` is then
    /// `SHARD#ROW` until extraction points it at the written file.
    public var embedded: EmbeddedAudio?

    public struct EmbeddedAudio: Sendable, Equatable, Hashable {
        public var shard: String
        public var row: Int
        public var column: String
        /// File extension for the extracted bytes (from the struct's `path`; `bin` when unknown: libsndfile
        /// reads the format from the bytes).
        public var ext: String
    }
    /// The raw value of the label column, when one is mapped.
    public var label: String?
    public var origin: String
    public var defect: String?
    /// Further columns of the listing (LibriSpeech: `chapter`), by name.
    public var columns: [String: String]

    /// A time range in seconds; `end == nil` runs to the end of the recording (Kaldi's `-1`).
    public struct Segment: Sendable, Equatable, Hashable {
        public var start: Double
        public var end: Double?
        public init(start: Double, end: Double?) {
            self.start = start
            self.end = end
        }
    }

    public init(id: String, audioPath: String, text: String, speaker: String = "", duration: Double? = nil,
                segment: Segment? = nil, channel: Int? = nil, label: String? = nil, origin: String, defect: String? = nil,
                columns: [String: String] = [:]) {
        self.id = id
        self.audioPath = audioPath
        self.text = text
        self.speaker = speaker
        self.duration = duration
        self.segment = segment
        self.channel = channel
        self.label = label
        self.origin = origin
        self.defect = defect
        self.columns = columns
    }
}

extension DatasetEntry {
    /// Why `id` cannot name an item, or nil. Ids are data only: they go into splits, score tables, worker
    /// messages (JSON-escaped) and reports, and never into a file name (clips are stored under their SHA-256), so
    /// path separators and `..` are allowed (manifests often use a relative path as the id). Refused: an empty id,
    /// and control characters (C0, DEL, C1, U+2028/U+2029), which would split or rewrite a line of a listing,
    /// a log or a table.
    public static func idProblem(_ id: String) -> String? {
        if id.isEmpty { return "the id is empty; give every item a non-empty id" }
        if let bad = id.unicodeScalars.first(where: isControl) {
            return "the id contains the control character U+\(String(format: "%04X", bad.value)); ids must be printable text"
        }
        return nil
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }

    /// `id` with control characters written as `\u{…}`, for messages.
    public static func printable(_ id: String) -> String {
        id.unicodeScalars.map { isControl($0) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }
}

/// What a loader found: the entries in listing order and every listing file it read (manifests,
/// transcripts, Kaldi tables), whose content enters node keys.
public struct DatasetListing: Sendable, Equatable {
    public var entries: [DatasetEntry]
    public var files: [String]

    public init(entries: [DatasetEntry], files: [String]) {
        self.entries = entries
        self.files = files
    }
}

extension String {
    /// Empty or only whitespace (a transcript that says nothing). Cheaper than trimming, which listings do per row.
    var isBlankText: Bool { allSatisfy(\.isWhitespace) }
}

/// The lines of a listing file, decoded strictly as UTF-8.
///
/// Lines split on `\n` (a trailing `\r` is dropped, so CRLF files read the same); a UTF-8 byte-order mark at
/// the start is ignored. A line that is not valid UTF-8 is returned decoded with U+FFFD replacements and with
/// `invalidUTF8` set to the 1-based column of the first bad byte, so callers can still find the entry's id and
/// report the defect against it.
public struct ListingLines: Sendable {
    public struct Line: Sendable {
        /// 1-based.
        public var number: Int
        public var text: String
        public var invalidUTF8: Int?

        /// Empty or only spaces and tabs.
        public var isBlank: Bool { text.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }

    public let path: String
    public let lines: [Line]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DataError.unreadable(path: path, reason: exists ? "permission denied or not a regular file" : "no such file")
        }
        self.init(path: path, data: data)
    }

    /// The lines of `data` (read from `path`, which names them in messages).
    public init(path: String, data: Data) {
        self.path = path
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var out: [Line] = []
        var start = 0
        var number = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            number += 1
            var slice = bytes[start..<end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            if let text = String(validating: slice, as: UTF8.self) {
                out.append(Line(number: number, text: text, invalidUTF8: nil))
            } else {
                out.append(Line(number: number, text: String(decoding: slice, as: UTF8.self),
                                invalidUTF8: Self.firstInvalidColumn(Array(slice))))
            }
            start = end + 1
        }
        lines = out
    }

    /// The defect message for a line that is not UTF-8.
    public func utf8Defect(_ line: Line) -> String? {
        guard let column = line.invalidUTF8 else { return nil }
        return "\(path):\(line.number): text is not valid UTF-8 (bad byte at column \(column)); re-encode the file as UTF-8"
    }

    /// 1-based column of the first byte that starts an invalid UTF-8 sequence.
    static func firstInvalidColumn(_ bytes: [UInt8]) -> Int {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i + 1
            }
            guard i + length <= bytes.count,
                  String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil else { return i + 1 }
            i += length
        }
        return bytes.count
    }
}

extension DatasetListing {
    /// An absolute path for `path` as written in a listing: absolute paths as they are, relative ones joined to
    /// `directory` (the listing's folder); then `.` and empty components are dropped and `..` removes its parent
    /// (lexically, without following symbolic links, like `URL.standardizedFileURL`).
    static func resolve(_ path: String, against directory: String) -> String {
        normalise(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// Lexical normalisation of an absolute path (string operations only: listings name thousands of files).
    static func normalise(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { _ = parts.popLast(); continue }
            parts.append(component)
        }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// No `//`, `/./`, `/../`, trailing `/.`, `/..` or `/` (a byte scan: this runs once per listed item).
    static func isNormal(_ path: String) -> Bool {
        var utf8 = path.utf8.makeIterator()
        // Bytes since the last '/': 0 right after a slash; dots counts a component made of dots only.
        var sinceSlash = -1, dots = 0, count = 0
        while let b = utf8.next() {
            count += 1
            if b == UInt8(ascii: "/") {
                if sinceSlash == 0 || (sinceSlash > 0 && dots == sinceSlash && dots <= 2) { return false }
                sinceSlash = 0
                dots = 0
            } else {
                if sinceSlash >= 0 { sinceSlash += 1 }
                if b == UInt8(ascii: ".") { dots += 1 }
            }
        }
        if sinceSlash == 0 && count > 1 { return false }
        if sinceSlash > 0 && dots == sinceSlash && dots <= 2 { return false }
        return true
    }

    /// An id from an audio path: its path relative to `directory` without the extension, or the file name's
    /// stem when the file lies elsewhere.
    static func defaultID(audioPath: String, directory: String) -> String {
        let base = normalise(directory)
        let prefix = base.hasSuffix("/") ? base : base + "/"
        let relative = audioPath.hasPrefix(prefix) ? String(audioPath.dropFirst(prefix.count))
            : String(audioPath.split(separator: "/").last ?? "")
        guard let dot = relative.lastIndex(of: "."), relative[dot...].contains(where: { $0 != "." }),
              !relative[dot...].contains("/") else { return relative }
        return String(relative[..<dot])
    }
}
