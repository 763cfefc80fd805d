import Foundation

/// Where a side of a split comes from: a dataset `format` and the `path` it lives at
/// (`{format: librispeech, path: /data/LibriSpeech/test-clean}`), plus a column mapping for manifests.
public struct DatasetSource: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case librispeech
        case jsonl
        case csv
        case tsv
        case kaldi
    }

    public var format: Format
    /// Absolute path of the manifest file, LibriSpeech subset folder or Kaldi data directory.
    public var path: String
    public var columns: ColumnMapping

    public init(format: Format, path: String, columns: ColumnMapping = ColumnMapping()) {
        self.format = format
        self.path = path
        self.columns = columns
    }

    /// Parses a format name, with the list of known ones in the error.
    public static func format(_ name: String) throws -> Format {
        guard let f = Format(rawValue: name.lowercased()) else {
            throw DataError.invalidParameter(name: "format", value: name,
                                             reason: "expected one of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return f
    }

    /// Reads the listing.
    public func load() throws -> DatasetListing {
        switch format {
        case .librispeech: try LibriSpeechCorpus(root: path).load()
        case .jsonl: try JSONLinesManifest(path: path, columns: columns).load()
        case .csv: try DelimitedManifest(path: path, dialect: .csv, columns: columns).load()
        case .tsv: try DelimitedManifest(path: path, dialect: .tsv, columns: columns).load()
        case .kaldi: try KaldiDataDirectory(directory: path).load()
        }
    }
}
