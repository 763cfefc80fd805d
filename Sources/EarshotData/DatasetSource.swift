import Foundation

/// Where a side of a split comes from: a dataset `format`, the `path` it lives at, the `split` (subset) of it
/// for corpora that keep several in one folder (`{format: tedlium, path: /data/TEDLIUM_release-3, split: test}`),
/// and a column mapping for manifests.
public struct DatasetSource: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case librispeech
        case gigaspeech
        case tedlium
        case voxpopuli
        case spgispeech
        case clotho
        case cochlscene
        case nsynth
        case jsonl
        case csv
        case tsv
        case kaldi
        case lhotse
        case hf_parquet

        /// Corpora in their owners' layouts, which need a `split`.
        public var needsSplit: Bool {
            switch self {
            case .gigaspeech, .tedlium, .voxpopuli, .spgispeech, .clotho, .cochlscene, .nsynth: true
            default: false
            }
        }

        /// Whether the format reads manifest columns (`columns:` applies).
        public var isManifest: Bool { self == .jsonl || self == .csv || self == .tsv || self == .hf_parquet }
    }

    public var format: Format
    /// Absolute path of the manifest file, corpus folder or Kaldi data directory.
    public var path: String
    /// The split or subset name (`test-clean`, `XL`, `test`, `evaluation`, …); empty when `path` names it.
    public var split: String
    public var columns: ColumnMapping
    /// The interpreter that runs the parquet adapter (`hf_parquet`; needs pyarrow): a path, or a name on PATH.
    public var python: String
    /// Where hf_parquet keeps the adapter's listings (load_split sets it to the store's `listings/`).
    public var listingCache: HFParquet.ListingCache?

    public init(format: Format, path: String, split: String = "", columns: ColumnMapping = ColumnMapping(),
                python: String = "python3") {
        self.format = format
        self.path = path
        self.split = split
        self.columns = columns
        self.python = python
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
        if format.needsSplit && split.isEmpty {
            throw DataError.invalidParameter(name: "\(format.rawValue) source", value: path,
                                             reason: "needs split: (which part of the corpus this side is)")
        }
        switch format {
        case .librispeech: return try LibriSpeechCorpus(root: split.isEmpty ? path : path + "/" + split).load()
        case .gigaspeech: return try GigaSpeechCorpus(path: path, split: split).load()
        case .tedlium: return try TedliumCorpus(path: path, split: split).load()
        case .voxpopuli: return try VoxPopuliCorpus(path: path, split: split).load()
        case .spgispeech: return try SPGISpeechCorpus(path: path, split: split).load()
        case .clotho: return try ClothoCorpus(path: path, split: split).load()
        case .cochlscene: return try CochlSceneCorpus(path: path, split: split).load()
        case .nsynth: return try NSynthCorpus(path: path, split: split).load()
        case .jsonl: return try JSONLinesManifest(path: path, columns: columns).load()
        case .csv: return try DelimitedManifest(path: path, dialect: .csv, columns: columns).load()
        case .tsv: return try DelimitedManifest(path: path, dialect: .tsv, columns: columns).load()
        case .kaldi: return try KaldiDataDirectory(directory: path).load()
        case .lhotse: return try LhotseManifest(path: path, split: split).load()
        case .hf_parquet:
            return try HFParquet(path: path, split: split, columns: columns.withDefault("audio", "audio"), python: python,
                                 cache: listingCache).load()
        }
    }

    /// A name for the dataset: the split, or the last path component (without a manifest's extension).
    public var defaultName: String {
        if !split.isEmpty { return "\(format.rawValue)-\(split.replacingOccurrences(of: "/", with: "-"))" }
        let last = (path as NSString).lastPathComponent
        return format.isManifest && format != .hf_parquet ? (last as NSString).deletingPathExtension : last
    }
}
