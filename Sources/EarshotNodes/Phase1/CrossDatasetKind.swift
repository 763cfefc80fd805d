import EarshotData
import EarshotRun
import EarshotSpec
import EarshotStore

/// `cross_dataset`: the membership-neutral AUC matrix of the paper's Figure 2.
///
/// For splits 0…k−1 (each with its own features, `features[i]` for `splits[i]`), cell (i, j) is the
/// out-of-fold AUC of the blind classifier (`classify`'s pipeline and params) separating
/// - i = j: dataset i's members (positive) from its non-members — the usual intra-dataset blind baseline;
/// - i ≠ j: dataset i's members (positive) from dataset j's members — both are training data, so any AUC
///   away from 0.5 measures domain shift, not membership.
/// Dense features of different datasets must have the same columns (same kind and params); text features
/// the same TF-IDF settings. Dataset names: the split's single `dataset` value, else the split node's name.
public struct CrossDatasetKind: NodeKind {
    public static let name = "cross_dataset"
    static let artifactType = "auc_matrix"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "membership-neutral auc matrix: members of a vs members of b off the diagonal, members vs non-members on it",
            inputs: [
                InputSignature("splits", "the datasets' splits", multiple: true, types: [Split.artifactType]),
                InputSignature("features", "one features artifact per split, in the same order", multiple: true,
                               types: [FeatureTable.artifactType]),
            ],
            outputs: [OutputSignature("matrix", type: Self.artifactType, "auc (with bootstrap ci) for every pair of datasets")],
            params: Params.signatures,
            seeded: true)
    }

    struct Params: KindParams {
        var classifier = ClassifierParams()
        @Param("not used: every cell's interval is the bootstrap of its out-of-fold scores (kept so that existing keys stay)")
        var ci: ClassifyKind.Interval = .oof
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let params = try context.decodeParams(Params.self)
        let node = context.node.id
        let splitInputs = context.inputs["splits"] ?? [], featureInputs = context.inputs["features"] ?? []
        guard !splitInputs.isEmpty, splitInputs.count == featureInputs.count else {
            throw NodeError("node '\(node)' has \(splitInputs.count) splits and \(featureInputs.count) features; give one features node per split, in the same order")
        }
        var names: [String] = []
        var members: [FeatureTable] = [], nonMembers: [FeatureTable] = []
        for (splitInput, featureInput) in zip(splitInputs, featureInputs) {
            let split = try Phase1Inputs.split(splitInput.load(), what: "split '\(splitInput.source.node)' of node '\(node)'")
            let table = try FeatureTable(artifact: featureInput.load(), fallbackName: featureInput.source.node)
                .aligned(to: split.items.map(\.id))
            let datasets = Set(split.items.map(\.dataset))
            var name = datasets.count == 1 && !datasets.first!.isEmpty ? datasets.first! : splitInput.source.node
            if names.contains(name) { name += " (\(splitInput.source.node))" }
            names.append(name)
            members.append(table.selecting(rows: split.items.indices.filter { split.items[$0].label == 1 }))
            nonMembers.append(table.selecting(rows: split.items.indices.filter { split.items[$0].label == 0 }))
        }
        let k = names.count
        let classifier = BlindClassifier(params.classifier, seed: context.seed)
        let resamples = params.classifier.bootstrap
        var auc = [Double](repeating: 0, count: k * k), lower = auc, upper = auc, positives = auc, negatives = auc
        for i in 0..<k {
            for j in 0..<k {
                try Task.checkCancellation()
                context.progress.update(done: i * k + j, total: k * k, note: "\(names[i]) vs \(names[j])")
                let negative = i == j ? nonMembers[i] : members[j]
                let cell = "cell (\(names[i]) members vs \(names[j]) \(i == j ? "non-members" : "members"))"
                guard !members[i].ids.isEmpty, !negative.ids.isEmpty else {
                    throw NodeError("node '\(node)': \(cell) has \(members[i].ids.count) positives and \(negative.ids.count) negatives; every split needs members and non-members")
                }
                let table = try members[i].appending(negative)
                let labels = [Bool](repeating: true, count: members[i].ids.count) + [Bool](repeating: false, count: negative.ids.count)
                let metrics: ClassificationMetrics
                do {
                    let (_, scores) = try classifier.outOfFold(tables: [table], labels: labels)
                    metrics = try ClassificationMetrics(scores: scores, labels: labels, resamples: resamples, seed: classifier.seed &+ 1)
                } catch let error as NodeError {
                    throw NodeError("node '\(node)', \(cell): \(error.message)")
                }
                auc[i * k + j] = metrics.auc
                lower[i * k + j] = metrics.interval.lower
                upper[i * k + j] = metrics.interval.upper
                positives[i * k + j] = Double(metrics.members)
                negatives[i * k + j] = Double(metrics.nonMembers)
            }
        }
        context.progress.update(done: k * k, total: k * k)
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        a.attributes["rows"] = .string("positives: members of the row's dataset")
        a.attributes["columns"] = .string("negatives: members of the column's dataset off the diagonal, non-members of the same dataset on it")
        a.setColumn("dataset", names)
        for (name, values) in [("auc", auc), ("auc_ci_lower", lower), ("auc_ci_upper", upper),
                               ("positives", positives), ("negatives", negatives)] {
            try a.setMatrix(name, rows: k, cols: k, values: values, columns: names)
        }
        return ["matrix": a]
    }
}
