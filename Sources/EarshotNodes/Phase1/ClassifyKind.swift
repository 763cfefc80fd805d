import EarshotData
import EarshotRun
import EarshotSpec
import EarshotStore

/// `classify`: a blind (or MIA-indicator) membership classifier with out-of-fold scores and ROC metrics.
///
/// Items are the `labels` split's, in split order; each `features` input is joined to them by item id (a
/// features artifact may hold more rows than the split, e.g. after `match_cohort`). Several `features`
/// inputs are concatenated column-wise (see `FoldDesign`). Per fold of a seeded stratified k-fold:
/// TF-IDF fitted on the training fold (text features), `StandardScaler` fitted on the training fold (dense
/// features, `standardize`), L2 logistic regression with inverse strength `C`; the held-out fold is scored.
/// Split items missing from a features input fail the node, or with `missing: drop` are left out (items a
/// scorer skipped, say) and counted in the `dropped_items` attribute of both outputs.
/// Outputs `scores` (id, label, fold, P(member)) and `metrics` (AUC, bootstrap 95 % CI of the AUC with
/// `bootstrap` resamples seeded by experiment seed + 1 — of the out-of-fold scores with `ci: oof`, of the whole
/// re-fitted pipeline with `ci: refit` (see `ClassificationMetrics`) — TPR at 1 % and 0.1 % FPR, counts, ROC points, and with
/// `permutations` > 0 a permutation p-value and null band, permutations seeded by experiment seed + 2).
public struct ClassifyKind: NodeKind {
    public static let name = "classify"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 2,
            summary: "logistic regression with stratified k-fold: out-of-fold membership scores, auc, tpr@low fpr, bootstrap ci",
            inputs: [
                InputSignature("features", "one or more features artifacts (dense or text), joined to the split by item id",
                               multiple: true, types: [FeatureTable.artifactType]),
                InputSignature("labels", "the split whose items are classified (label 1 = member)", types: [Split.artifactType]),
            ],
            outputs: [
                OutputSignature("scores", type: ScoreTable.artifactType, "out-of-fold P(member) per item: id, label, fold, score"),
                OutputSignature("metrics", type: ClassificationMetrics.artifactType, "auc, 95% bootstrap ci, tpr at 1% and 0.1% fpr, roc curve"),
            ],
            params: Params.signatures,
            seeded: true)
    }

    /// How the auc's interval is drawn.
    enum Interval: String, ParamChoice { case oof, refit }
    /// What a split item without a features row does.
    enum Missing: String, ParamChoice { case error, drop }

    struct Params: KindParams {
        var classifier = ClassifierParams()
        @Param("auc interval: oof = bootstrap of the out-of-fold scores (fast; treats the fitted models as fixed, so it is too narrow on null data), refit = bootstrap of the whole cross-validation, re-fitted per resample (honest; costs 'bootstrap' cross-validations)")
        var ci: Interval = .oof
        @Param("label permutations for an exact null distribution of the auc and a p-value (0: none; each re-runs the cross-validation)",
               in: 0...100_000)
        var permutations = 0
        @Param("split items without a features row: fail, or leave them out (counted in 'dropped_items')")
        var missing: Missing = .error
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let params = try context.decodeParams(Params.self)
        var split = try Phase1Inputs.split(context, input: "labels")
        let inputs = try Phase1Inputs.featureTables(context, input: "features")
        let itemCount = split.items.count
        if params.missing == .drop {
            let present = inputs.map { Set($0.ids) }
            split.items = split.items.filter { item in present.allSatisfy { $0.contains(item.id) } }
        }
        let ids = split.items.map(\.id)
        let labels = try Phase1Inputs.binaryLabels(split, node: context.node.id)
        let tables = try inputs.map { try $0.aligned(to: ids) }
        let classifier = BlindClassifier(params.classifier, seed: context.seed)
        context.progress.update(done: 0, total: 1, note: "\(classifier.folds) folds, \(ids.count) items")
        let (folds, scores) = try classifier.outOfFold(tables: tables, labels: labels)
        try Task.checkCancellation()
        let resamples = params.classifier.bootstrap
        var refitAUCs: [Double]?
        if params.ci == .refit {
            refitAUCs = try classifier.refitBootstrapAUCs(tables: tables, labels: labels, resamples: resamples,
                                                          seed: classifier.seed &+ 1) { done in
                context.progress.update(done: done, total: resamples, note: "refit bootstrap")
            }
        }
        var metrics = try ClassificationMetrics(scores: scores, labels: labels, resamples: resamples,
                                                seed: classifier.seed &+ 1, refitAUCs: refitAUCs)
        let permutations = params.permutations
        if permutations > 0 {
            metrics.permutationAUCs = try classifier.permutationAUCs(
                tables: tables, labels: labels, permutations: permutations, seed: classifier.seed &+ 2) { done in
                context.progress.update(done: done, total: permutations, note: "permutations")
            }
        }
        var scoresArtifact = ScoreTable(ids: ids, labels: split.items.map(\.label), folds: folds, scores: scores).artifact()
        var metricsArtifact = try metrics.artifact()
        let names = tables.map(\.name)
        for key in ["features", "dropped_items"] {
            let value: AttributeValue = key == "features" ? .strings(names) : .int(Int64(itemCount - ids.count))
            scoresArtifact.attributes[key] = value
            metricsArtifact.attributes[key] = value
        }
        context.progress.update(done: 1, total: 1, note: "auc \(metrics.auc)")
        return ["scores": scoresArtifact, "metrics": metricsArtifact]
    }
}

/// The params of the classifier that `classify` and `cross_dataset` share.
struct ClassifierParams: KindParams {
    @Param("number of stratified folds", in: 2...1_000) var folds = 10
    @Param("inverse l2 regularisation strength (scikit-learn's C)", in: 1e-12...1e12, name: "C") var c = 1.0
    @Param("l-bfgs iterations at most (scikit-learn's max_iter)", in: 1...100_000) var maxIter = 100
    @Param("standardise dense columns per training fold") var standardize = true
    @Param("bootstrap resamples for the auc confidence interval", in: 1...1_000_000) var bootstrap = 1000
}

extension BlindClassifier {
    /// The classifier configured by a node's `folds`, `C`, `max_iter`, `standardize` params and its seed.
    init(_ params: ClassifierParams, seed: Int) {
        self.init(folds: params.folds, seed: UInt64(bitPattern: Int64(seed)), c: params.c, maxIterations: params.maxIter,
                  standardize: params.standardize)
    }
}
