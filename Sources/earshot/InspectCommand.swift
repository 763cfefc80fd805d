import ArgumentParser
import EarshotData
import Foundation

/// `earshot inspect SOURCE…`: a pre-flight report of dataset sources before a run.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Report on dataset sources before a run: items, hours, durations, formats and rates, speakers, overlap between sides, missing or unreadable files.",
        discussion: """
        Each SOURCE is FORMAT:PATH, or FORMAT:PATH#SPLIT for corpora that keep several splits in one folder \
        (the `format`, `path` and `split` of a load_split side). Examples:
          earshot inspect tedlium:/data/TEDLIUM_release-3#legacy/train tedlium:/data/TEDLIUM_release-3#legacy/test
          earshot inspect jsonl:train.jsonl jsonl:test.jsonl --column text=sentence
        Only listings and audio headers are read (nothing is decoded), so large sources take seconds.
        """)

    @Argument(help: ArgumentHelp("FORMAT:PATH[#SPLIT], one per side.", valueName: "SOURCE"))
    var sources: [String]

    @Option(name: .customLong("column"), help: ArgumentHelp("Map a manifest column: ROLE=NAME (audio, text, speaker, id, label, duration, offset). Repeatable.", valueName: "ROLE=NAME"))
    var columns: [String] = []

    @Option(help: "Interpreter for the hf_parquet adapter (needs pyarrow).")
    var python = "python3"

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var mapping: [String: String] = [:]
        for column in columns {
            guard let eq = column.firstIndex(of: "=") else { fail(ValidationError("--column '\(column)' is not ROLE=NAME")) }
            mapping[String(column[..<eq])] = String(column[column.index(after: eq)...])
        }
        let listings: [(name: String, listing: DatasetListing)] = withDiagnostics {
            let columns = try ColumnMapping(mapping)
            return try sources.map { text in
                guard let colon = text.firstIndex(of: ":") else {
                    throw ValidationError("source '\(text)' is not FORMAT:PATH[#SPLIT] (formats: \(DatasetSource.Format.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                let format = try DatasetSource.format(String(text[..<colon]))
                var rest = String(text[text.index(after: colon)...])
                var split = ""
                if let hash = rest.lastIndex(of: "#") {
                    split = String(rest[rest.index(after: hash)...])
                    rest = String(rest[..<hash])
                }
                let path = URL(fileURLWithPath: rest).standardizedFileURL.path
                let source = DatasetSource(format: format, path: path, split: split, columns: format.isManifest ? columns : ColumnMapping(),
                                           python: python)
                do {
                    return (text, try source.load())
                } catch {
                    throw ValidationError("\(text): \(error)")
                }
            }
        }
        let report = SourceInspection.inspect(listings)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(SourceInspection.table(report))
        }
    }
}
