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
        guard (0...Bootstrap.maxResamples).contains(permutations) else {
            throw NodeError("permutations \(permutations) is beyond \(Bootstrap.maxResamples); use fewer")
        }
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

    /// The refit bootstrap: the out-of-fold AUC of `resamples` bootstrap resamples of the items, each re-folded
    /// and re-fitted from scratch, so that its percentile interval covers the variability of the fitted models as
    /// well as that of the sample (the percentile bootstrap of fixed out-of-fold scores covers only the latter,
    /// and under-covers 0.5 on null data).
    ///
    /// Resample r draws, from one `SplitMix64(seed:)` stream, as many members from the members and as many
    /// non-members from the non-members as the sample has (with replacement, members first), then assigns folds
    /// by *item*, so that copies of one item share a fold and never train the model that scores them: per class
    /// (non-members first), the distinct drawn items (ascending) are shuffled with the same stream, stably ordered
    /// by decreasing copy count, and each goes to the fold with the fewest rows of its class (then the fewest
    /// rows, then the lowest index). Folds thus keep the class balance of `StratifiedKFold` wherever the copy
    /// counts allow it — which matters: a fold whose training part holds relatively fewer members scores its
    /// items lower through the intercept alone, and that pulls the AUC below 0.5 on label-free features.
    /// Cost: `resamples` cross-validations.
    public func refitBootstrapAUCs(tables: [FeatureTable], labels: [Bool], resamples: Int, seed: UInt64,
                                   progress: (Int) -> Void = { _ in }) throws -> [Double] {
        guard (1...Bootstrap.maxResamples).contains(resamples) else {
            throw NodeError("bootstrap \(resamples) is not in 1...\(Bootstrap.maxResamples)")
        }
        let members = labels.indices.filter { labels[$0] }, nonMembers = labels.indices.filter { !labels[$0] }
        guard members.count >= 2, nonMembers.count >= 2, members.count + nonMembers.count >= 2 * folds else {
            throw NodeError("the refit bootstrap needs at least 2 members, 2 non-members and 2 × folds (\(2 * folds)) items; have \(members.count) members and \(nonMembers.count) non-members (use ci: oof, or fewer folds)")
        }
        let design = try FoldDesign(tables: tables, standardize: standardize)
        var generator = SplitMix64(seed: seed)
        var aucs: [Double] = []
        aucs.reserveCapacity(resamples)
        for r in 0..<resamples {
            try Task.checkCancellation()
            let (rows, foldAssignments) = Self.bootstrapResample(members: members, nonMembers: nonMembers, folds: folds,
                                                                 generator: &generator)
            let resampledLabels = rows.map { labels[$0] }
            let scores = try outOfFold(design: design.selecting(rows: rows), labels: resampledLabels,
                                       foldAssignments: foldAssignments)
            aucs.append(try learn { try ROC.rocAUC(scores: scores, labels: resampledLabels) })
            progress(r + 1)
        }
        return aucs
    }

    /// One resample of `refitBootstrapAUCs`: the drawn item indices (members' draws, then non-members') and the
    /// fold of each drawn row.
    static func bootstrapResample(members: [Int], nonMembers: [Int], folds: Int,
                                  generator: inout SplitMix64) -> (rows: [Int], folds: [Int]) {
        let drawnMembers = members.map { _ in members[generator.next(below: members.count)] }
        let drawnNonMembers = nonMembers.map { _ in nonMembers[generator.next(below: nonMembers.count)] }
        var foldOfItem: [Int: Int] = [:]
        var foldRows = [Int](repeating: 0, count: folds)
        for drawn in [drawnNonMembers, drawnMembers] {
            var copies: [Int: Int] = [:]
            for item in drawn { copies[item, default: 0] += 1 }
            var distinct = copies.keys.sorted()
            generator.shuffle(&distinct)
            distinct = distinct.enumerated().sorted { a, b in
                copies[a.element]! != copies[b.element]! ? copies[a.element]! > copies[b.element]! : a.offset < b.offset
            }.map(\.element)
            var classRows = [Int](repeating: 0, count: folds)
            for item in distinct {
                let fold = (0..<folds).min { a, b in (classRows[a], foldRows[a], a) < (classRows[b], foldRows[b], b) }!
                foldOfItem[item] = fold
                classRows[fold] += copies[item]!
                foldRows[fold] += copies[item]!
            }
        }
        let rows = drawnMembers + drawnNonMembers
        return (rows, rows.map { foldOfItem[$0]! })
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
