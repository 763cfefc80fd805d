import EarshotData
import EarshotRun
import EarshotSpec
import EarshotStore

/// `features.text`: the transcripts as a `text` features table, vectorised by `classify` fold by fold.
///
/// Nothing is fitted here: a TF-IDF fitted on all items would let test-fold documents shape the vocabulary
/// and idf. The artifact holds each item's transcript verbatim and the vectoriser settings; `classify`
/// (and `cross_dataset`) fit scikit-learn's `TfidfVectorizer(ngram_range=(ngram_min, ngram_max),
/// min_df=min_df, max_features=max_features or None)` on each training fold — lowercase, `(?u)\b\w\w+\b`
/// tokens, smooth idf ln((1+n)/(1+df))+1, raw counts, L2 rows — and build sparse (CSR) fold matrices.
public struct TextFeaturesKind: NodeKind {
    public static let name = "features.text"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "transcripts for tf-idf (word n-grams, scikit-learn defaults), fitted per training fold by classify",
            inputs: [InputSignature("split", "the items", types: [Split.artifactType])],
            outputs: [OutputSignature("features", type: FeatureTable.artifactType, "text layout: ids, transcripts and tf-idf settings")],
            params: Params.signatures)
    }

    struct Params: KindParams {
        @Param("smallest word n-gram", in: 1...16) var ngramMin = 1
        @Param("largest word n-gram", in: 1...16) var ngramMax = 2
        @Param("keep terms in at least this many training documents", in: 1...100_000_000) var minDF = 1
        @Param("keep the most frequent terms only (0: all)", in: 0...100_000_000) var maxFeatures = 0
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let split = try Phase1Inputs.split(context, input: "split")
        let p = try context.decodeParams(Params.self)
        let settings = FeatureTable.TextSettings(
            ngramMin: p.ngramMin, ngramMax: p.ngramMax, minDocumentFrequency: p.minDF,
            maxFeatures: p.maxFeatures > 0 ? p.maxFeatures : nil)
        guard settings.ngramMin <= settings.ngramMax else {
            throw NodeError("node '\(context.node.id)': ngram_min \(settings.ngramMin) exceeds ngram_max \(settings.ngramMax); use e.g. ngram_min: 1, ngram_max: 2")
        }
        let table = FeatureTable(name: "text", ids: split.items.map(\.id),
                                 content: .text(documents: split.items.map(\.text), settings: settings))
        return ["features": try table.artifact(labels: split.items.map(\.label))]
    }
}
