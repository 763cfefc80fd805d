import EarshotLearn
import EarshotRun

/// The Phase 1 classifier: seeded stratified k-fold, per fold (standardisation +) L2 logistic regression,
/// out-of-fold membership probabilities for every item. `classify` and `cross_dataset` run it.
///
/// Folds: `StratifiedKFold(folds:seed:)` over the labels (members = class 1). Per fold, every fitted step
/// sees the training rows only (`FoldDesign`). Solver: `LogisticRegression(c:maxIterations:)` with
/// scikit-learn's defaults otherwise (L-BFGS, tol 1e-4, unpenalised intercept).
public struct BlindClassifier: Sendable {
    public var folds: Int
    public var seed: UInt64
    public var c: Double
    public var maxIterations: Int
    public var standardize: Bool

    public init(folds: Int = 10, seed: UInt64, c: Double = 1, maxIterations: Int = 100, standardize: Bool = true) {
        self.folds = folds
        self.seed = seed
        self.c = c
        self.maxIterations = maxIterations
        self.standardize = standardize
    }

    /// Fold id and out-of-fold P(member) of each row of the (aligned) `tables`.
    public func outOfFold(tables: [FeatureTable], labels: [Bool]) throws -> (folds: [Int], scores: [Double]) {
        let assignments = try foldAssignments(labels: labels)
        return (assignments, try outOfFold(tables: tables, labels: labels, foldAssignments: assignments))
    }

    /// Out-of-fold P(member) with explicit fold ids (e.g. scikit-learn's, to compare with it).
    public func outOfFold(tables: [FeatureTable], labels: [Bool], foldAssignments: [Int]) throws -> [Double] {
        try outOfFold(design: FoldDesign(tables: tables, standardize: standardize), labels: labels,
                      foldAssignments: foldAssignments)
    }

    func outOfFold(design: FoldDesign, labels: [Bool], foldAssignments: [Int]) throws -> [Double] {
        let classifier = LogisticRegression(c: c, maxIterations: maxIterations)
        return try learn {
            try CrossValidation.outOfFoldScores(labels: labels, foldAssignments: foldAssignments, classifier: classifier,
                                                standardize: design.standardizesInCrossValidation) { fold in
                try design.matrices(for: fold)
            }
        }
    }

    /// The out-of-fold AUC of `permutations` label permutations (each re-folded and re-fitted like the
    /// real labels): the exact null distribution of the whole pipeline's AUC when items are exchangeable.
    /// Permutations come from one `SplitMix64(seed:)` stream (Fisher–Yates on the label vector).
    public func permutationAUCs(tables: [FeatureTable], labels: [Bool], permutations: Int, seed: UInt64,
                                progress: (Int) -> Void = { _ in }) throws -> [Double] {
        let design = try FoldDesign(tables: tables, standardize: standardize)
        var generator = SplitMix64(seed: seed)
        var shuffled = labels
        var aucs: [Double] = []
        aucs.reserveCapacity(permutations)
        for r in 0..<permutations {
            try Task.checkCancellation()
            generator.shuffle(&shuffled)
            let scores = try outOfFold(design: design, labels: shuffled, foldAssignments: foldAssignments(labels: shuffled))
            aucs.append(try learn { try ROC.rocAUC(scores: scores, labels: shuffled) })
            progress(r + 1)
        }
        return aucs
    }

    /// The stratified fold id of each item.
    public func foldAssignments(labels: [Bool]) throws -> [Int] {
        try learn { try StratifiedKFold(folds: folds, seed: seed).assignments(labels: labels) }
    }

    /// Runs `body`, turning `LearnError`s into `NodeError`s with the same message.
    func learn<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as LearnError { throw NodeError("\(error)") }
    }
}
