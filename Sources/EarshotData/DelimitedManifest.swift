import Foundation

/// A CSV or TSV manifest with a header row naming the columns (mapped through `ColumnMapping`).
///
/// CSV follows RFC 4180: fields separated by `,`, optionally quoted with `"` (a doubled `""` inside quotes is
/// one quote; quoted fields may contain commas but not line breaks). TSV splits on tabs with no quoting (the
/// Common Voice convention). Blank lines are ignored; a row with a different number of fields than the header
/// is a `DataError.malformed` naming the line. Relative audio paths resolve against the manifest's folder.
public struct DelimitedManifest: Sendable {
    public enum Dialect: String, Sendable {
        case csv
        case tsv
        /// Fields separated by `|`, no quoting (SPGISpeech's `train.csv`/`val.csv`).
        case pipe
    }

    public let path: String
    public let dialect: Dialect
    public let columns: ColumnMapping

    public init(path: String, dialect: Dialect, columns: ColumnMapping = ColumnMapping()) {
        self.path = path
        self.dialect = dialect
        self.columns = columns
    }

    public func load() throws -> DatasetListing {
        let table = try rows()
        try columns.check(available: Set(table.header), path: path, sample: table.header)
        let directory = (path as NSString).deletingLastPathComponent
        var entries: [DatasetEntry] = []
        let audioColumn = columns.column("audio")!
        for row in table.rows {
            guard let audio = row.fields[audioColumn], !audio.isEmpty else {
                throw DataError.malformed(path: path, line: row.line, reason: "empty '\(audioColumn)' (the audio column)")
            }
            entries.append(try JSONLinesManifest.entry(
                fields: row.fields, columns: columns, audio: audio, directory: directory, origin: "\(path):\(row.line)",
                defect: row.defect, path: path, line: row.line))
        }
        return DatasetListing(entries: entries, files: [path])
    }

    /// The header and the rows of the file, each row's fields by column name.
    public struct Rows: Sendable {
        public struct Row: Sendable {
            /// 1-based line number.
            public var line: Int
            public var fields: [String: String]
            /// Set when the line is not valid UTF-8.
            public var defect: String?
        }
        public var header: [String]
        public var rows: [Row]

        /// Throws unless every one of `names` is a column (the corpus loaders' required columns).
        public func require(_ names: [String], path: String) throws {
            for name in names where !header.contains(name) {
                throw DataError.missingColumn(path: "\(path):1", column: name, available: header)
            }
        }
    }

    /// Reads the header and rows; a row with a different number of fields than the header is a
    /// `DataError.malformed` naming the line.
    public func rows() throws -> Rows {
        let listing = try ListingLines(path: path)
        let lines = listing.lines.filter { !$0.isBlank }
        guard let headerLine = lines.first else {
            throw DataError.malformed(path: path, line: 1, reason: "the manifest is empty; the first line must name the columns")
        }
        let header = try split(headerLine.text, line: headerLine.number)
        var rows: [Rows.Row] = []
        rows.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            let values = try split(line.text, line: line.number)
            guard values.count == header.count else {
                throw DataError.malformed(path: path, line: line.number,
                                          reason: "\(values.count) fields but the header has \(header.count)")
            }
            rows.append(.init(line: line.number, fields: Dictionary(zip(header, values), uniquingKeysWith: { first, _ in first }),
                              defect: listing.utf8Defect(line)))
        }
        return Rows(header: header, rows: rows)
    }

    /// The fields of one line.
    func split(_ text: String, line: Int) throws -> [String] {
        switch dialect {
        case .tsv:
            return text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        case .pipe:
            return text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        case .csv:
            var fields: [String] = []
            var field = ""
            var quoted = false
            var atFieldStart = true
            var chars = text.makeIterator()
            while let c = chars.next() {
                if quoted {
                    if c == "\"" {
                        // Peek: a doubled quote is a literal quote; otherwise the quoted part ends.
                        if let next = chars.next() {
                            if next == "\"" { field.append("\"") } else if next == "," {
                                quoted = false
                                fields.append(field)
                                field = ""
                                atFieldStart = true
                            } else {
                                throw DataError.malformed(path: path, line: line, reason: "text after a closing quote in a csv field")
                            }
                        } else {
                            quoted = false
                        }
                        if !quoted { continue }
                    } else {
                        field.append(c)
                    }
                } else if c == "," {
                    fields.append(field)
                    field = ""
                    atFieldStart = true
                } else if c == "\"" && atFieldStart {
                    quoted = true
                    atFieldStart = false
                } else {
                    field.append(c)
                    atFieldStart = false
                }
            }
            if quoted { throw DataError.malformed(path: path, line: line, reason: "unterminated quoted csv field") }
            fields.append(field)
            return fields
        }
    }
}
