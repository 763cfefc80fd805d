import EarshotData
import EarshotRun
import EarshotSpec
import EarshotStore

/// Structural per-item statistics of a split: the paper's "metadata" blind baseline. No audio is decoded;
/// every value comes from the split's audio facts (of the original file) and its transcript.
///
/// Columns, in order (rates are 0 when the duration is not positive; ratios are 0 when their denominator is 0):
/// - `duration` (s), `file_size` (bytes), `bytes_per_second` = file_size / duration,
///   `sample_rate` (Hz, of the file), `channels`, `bit_depth` (0 for non-PCM formats);
/// - `word_count`: maximal runs of non-whitespace characters (Python's `len(text.split())`);
///   `character_count`: Unicode scalars of the whole text, spaces included (Python's `len(text)`);
///   `characters_per_second`, `words_per_second`; `mean_word_length` = non-whitespace scalars / words;
///   `punctuation_count` (scalars of general category P*), `digit_count` (category Nd),
///   `uppercase_fraction` = uppercase letters (Lu) / letters (L*);
/// - `format=<name>`: 1 when the item's container/codec is `<name>`, else 0, one column per format present
///   in the split (sorted by code point).
public enum MetadataFeatures {
    public static let baseColumns = [
        "duration", "file_size", "bytes_per_second", "sample_rate", "channels", "bit_depth",
        "word_count", "character_count", "characters_per_second", "words_per_second", "mean_word_length",
        "punctuation_count", "digit_count", "uppercase_fraction",
    ]

    /// The dense `metadata` feature table of `split` (rows in split order).
    public static func table(for split: Split) -> FeatureTable {
        let formats = Array(Set(split.items.map(\.format))).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        let columns = baseColumns + formats.map { "format=\($0)" }
        var values: [Double] = []
        values.reserveCapacity(split.items.count * columns.count)
        for item in split.items {
            values += row(item)
            for format in formats { values.append(item.format == format ? 1 : 0) }
        }
        return FeatureTable(name: "metadata", ids: split.items.map(\.id), content: .dense(columns: columns, values: values))
    }

    /// The `baseColumns` values of one item.
    static func row(_ item: Split.Item) -> [Double] {
        let text = TextStatistics(item.text)
        func rate(_ x: Double) -> Double { item.duration > 0 ? x / item.duration : 0 }
        return [
            item.duration, Double(item.fileSize), rate(Double(item.fileSize)), Double(item.sampleRate),
            Double(item.channels), Double(item.bitDepth),
            Double(text.words), Double(text.scalars), rate(Double(text.scalars)), rate(Double(text.words)),
            text.words > 0 ? Double(text.nonSpaceScalars) / Double(text.words) : 0,
            Double(text.punctuation), Double(text.digits),
            text.letters > 0 ? Double(text.uppercase) / Double(text.letters) : 0,
        ]
    }

    /// Counts over a transcript's Unicode scalars.
    struct TextStatistics {
        var scalars = 0, nonSpaceScalars = 0, words = 0, punctuation = 0, digits = 0, letters = 0, uppercase = 0

        init(_ text: String) {
            var inWord = false
            for scalar in text.unicodeScalars {
                scalars += 1
                let properties = scalar.properties
                if properties.isWhitespace {
                    inWord = false
                    continue
                }
                nonSpaceScalars += 1
                if !inWord { words += 1; inWord = true }
                switch properties.generalCategory {
                case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                     .initialPunctuation, .finalPunctuation, .otherPunctuation:
                    punctuation += 1
                case .decimalNumber:
                    digits += 1
                case .uppercaseLetter:
                    letters += 1
                    uppercase += 1
                case .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                    letters += 1
                default:
                    break
                }
            }
        }
    }
}

/// `features.metadata`: the structural statistics of `MetadataFeatures` for every item of a split.
public struct MetadataFeaturesKind: NodeKind {
    public static let name = "features.metadata"

    public init() {}

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "structural per-item statistics: duration, file size, bytes/s, sample rate, channels, bit depth, word/character counts and rates, format",
            inputs: [InputSignature("split", "the items", types: [Split.artifactType])],
            outputs: [OutputSignature("features", type: FeatureTable.artifactType, "dense matrix X (items × statistics) with column names")])
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let split = try Phase1Inputs.split(context, input: "split")
        let table = MetadataFeatures.table(for: split)
        return ["features": try table.artifact(labels: split.items.map(\.label))]
    }
}
