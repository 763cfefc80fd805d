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
        let listing = try ListingLines(path: path)
        let lines = listing.lines.filter { !$0.isBlank }
        guard let headerLine = lines.first else {
            throw DataError.malformed(path: path, line: 1, reason: "the manifest is empty; the first line must name the columns")
        }
        let header = try split(headerLine.text, line: headerLine.number)
        try columns.check(available: Set(header), path: path, sample: header)
        let directory = (path as NSString).deletingLastPathComponent
        var entries: [DatasetEntry] = []
        for line in lines.dropFirst() {
            let values = try split(line.text, line: line.number)
            guard values.count == header.count else {
                throw DataError.malformed(path: path, line: line.number,
                                          reason: "\(values.count) fields but the header has \(header.count)")
            }
            let fields = Dictionary(zip(header, values), uniquingKeysWith: { first, _ in first })
            let audioColumn = columns.column("audio")!
            guard let audio = fields[audioColumn], !audio.isEmpty else {
                throw DataError.malformed(path: path, line: line.number, reason: "empty '\(audioColumn)' (the audio column)")
            }
            entries.append(try JSONLinesManifest.entry(
                fields: fields, columns: columns, audio: audio, directory: directory, origin: "\(path):\(line.number)",
                defect: listing.utf8Defect(line), path: path, line: line.number))
        }
        return DatasetListing(entries: entries, files: [path])
    }

    /// The fields of one line.
    func split(_ text: String, line: Int) throws -> [String] {
        switch dialect {
        case .tsv:
            return text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
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
