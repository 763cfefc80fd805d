import Dispatch
import Foundation

/// Features of one fold, dense or sparse.
public enum FeatureMatrix: Sendable {
    case dense(Matrix)
    case sparse(CSRMatrix)

    public var rows: Int {
        switch self {
        case let .dense(m): return m.rows
        case let .sparse(m): return m.rows
        }
    }
}

/// One cross-validation split: the items used to fit and the items scored.
public struct Fold: Sendable, Equatable {
    /// Fold id in `0..<k`.
    public let index: Int
    /// Training item indices, ascending.
    public let train: [Int]
    /// Held-out item indices, ascending.
    public let test: [Int]
}

/// Out-of-fold scoring: each item's score comes from a classifier that never saw it.
///
/// For fold `k` the classifier (and the optional `StandardScaler`, and any feature fitting the caller does
/// in `features`) is fitted on the items whose fold id differs from `k`, and scores the items of fold `k`.
/// Folds run in parallel with `DispatchQueue.concurrentPerform` (at most one thread per core); each fold
/// writes only its own items, so the result does not depend on scheduling.
public enum CrossValidation {
    /// Splits from explicit fold ids: ids must cover `0..<k` (k ≥ 2) with no empty fold.
    public static func folds(assignments: [Int]) throws -> [Fold] {
        guard let largest = assignments.max(), let smallest = assignments.min() else {
            throw LearnError.tooFewItems(what: "fold assignments", minimum: 2, actual: 0)
        }
        guard smallest >= 0 else { throw LearnError.invalidFolds(detail: "negative fold id \(smallest)") }
        let k = largest + 1
        guard k >= 2 else { throw LearnError.invalidFolds(detail: "only fold id 0 present; need at least 2 folds") }
        var tests = [[Int]](repeating: [], count: k)
        for (item, fold) in assignments.enumerated() { tests[fold].append(item) }
        if let empty = tests.firstIndex(where: { $0.isEmpty }) {
            throw LearnError.invalidFolds(detail: "fold \(empty) of 0..<\(k) has no items")
        }
        return (0..<k).map { fold in
            Fold(index: fold, train: assignments.indices.filter { assignments[$0] != fold }, test: tests[fold])
        }
    }

    /// Out-of-fold positive-class probabilities for dense `features` (rows = items).
    /// With `standardize`, a `StandardScaler` is fitted on each training fold and applied to both parts.
    public static func outOfFoldScores(features: Matrix, labels: [Bool], foldAssignments: [Int],
                                       classifier: LogisticRegression = LogisticRegression(),
                                       standardize: Bool = true) throws -> [Double] {
        guard features.rows == labels.count else {
            throw LearnError.lengthMismatch(what: "feature rows", expected: labels.count, actual: features.rows)
        }
        return try outOfFoldScores(labels: labels, foldAssignments: foldAssignments, classifier: classifier,
                                   standardize: standardize) { fold in
            (.dense(features.selecting(rows: fold.train)), .dense(features.selecting(rows: fold.test)))
        }
    }

    /// Out-of-fold positive-class probabilities where `features(fold)` builds the training and test matrices
    /// of a fold (rows in `fold.train` / `fold.test` order), e.g. a TF-IDF fitted on the training part only.
    /// `standardize` applies to dense features only (sparse features with it throw `.standardizeSparse`).
    public static func outOfFoldScores(
        labels: [Bool], foldAssignments: [Int], classifier: LogisticRegression = LogisticRegression(),
        standardize: Bool = true,
        features: @Sendable (Fold) throws -> (train: FeatureMatrix, test: FeatureMatrix)
    ) throws -> [Double] {
        guard foldAssignments.count == labels.count else {
            throw LearnError.lengthMismatch(what: "fold assignments", expected: labels.count,
                                            actual: foldAssignments.count)
        }
        let splits = try folds(assignments: foldAssignments)
        let box = FoldResults(count: splits.count)
        DispatchQueue.concurrentPerform(iterations: splits.count) { k in
            let fold = splits[k]
            box.store(k, Result { try score(fold: fold, labels: labels, classifier: classifier,
                                            standardize: standardize, features: features) })
        }
        var scores = [Double](repeating: .nan, count: labels.count)
        for (k, fold) in splits.enumerated() {
            let foldScores = try box.result(k).get()
            for (position, item) in fold.test.enumerated() { scores[item] = foldScores[position] }
        }
        return scores
    }

    private static func score(fold: Fold, labels: [Bool], classifier: LogisticRegression, standardize: Bool,
                              features: (Fold) throws -> (train: FeatureMatrix, test: FeatureMatrix)) throws -> [Double] {
        let (train, test) = try features(fold)
        guard train.rows == fold.train.count, test.rows == fold.test.count else {
            throw LearnError.lengthMismatch(what: "fold \(fold.index) feature rows (train + test)",
                                            expected: fold.train.count + fold.test.count,
                                            actual: train.rows + test.rows)
        }
        let trainLabels = fold.train.map { labels[$0] }
        switch (train, test) {
        case let (.dense(xTrain), .dense(xTest)):
            if standardize {
                let scaler = try StandardScaler(fitting: xTrain)
                let model = try classifier.fit(try scaler.transform(xTrain), labels: trainLabels)
                return try model.predictProbability(try scaler.transform(xTest))
            }
            return try classifier.fit(xTrain, labels: trainLabels).predictProbability(xTest)
        case let (.sparse(xTrain), .sparse(xTest)):
            if standardize { throw LearnError.standardizeSparse }
            return try classifier.fit(xTrain, labels: trainLabels).predictProbability(xTest)
        default:
            throw LearnError.invalidParameter(name: "fold \(fold.index) features", value: "mixed dense and sparse",
                                              expected: "train and test of the same kind")
        }
    }
}

/// Per-fold results written from `concurrentPerform` workers.
/// Thread-safety: `@unchecked Sendable` because every access to `results` holds `lock`.
private final class FoldResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[Double], any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ result: Result<[Double], any Error>) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
    }

    func result(_ index: Int) -> Result<[Double], any Error> {
        lock.lock()
        defer { lock.unlock() }
        return results[index]!
    }
}
