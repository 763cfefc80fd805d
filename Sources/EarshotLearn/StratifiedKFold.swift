/// Seeded stratified k-fold assignment: every fold has (up to one item) the class proportions of the whole.
///
/// Algorithm: classes in ascending label order; each class's item indices (ascending) are shuffled with one
/// `SplitMix64(seed:)` stream (Fisher–Yates), then dealt round-robin to folds, the deal continuing where the
/// previous class stopped. So per class the fold counts differ by at most 1, and so do the fold sizes.
/// Deterministic and platform-independent for a given seed, but *not* scikit-learn's `StratifiedKFold`
/// shuffle: to reproduce scikit-learn's folds, pass its fold ids as explicit `foldAssignments`.
public struct StratifiedKFold: Sendable, Equatable {
    public let folds: Int
    public let seed: UInt64

    /// `folds` must be at least 2.
    public init(folds: Int = 10, seed: UInt64) throws {
        guard folds >= 2 else {
            throw LearnError.invalidParameter(name: "fold count", value: "\(folds)", expected: "at least 2")
        }
        self.folds = folds
        self.seed = seed
    }

    /// The fold id (`0..<folds`) of each item; throws when a class has fewer items than folds.
    public func assignments(labels: [Int]) throws -> [Int] {
        var members: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { members[label, default: []].append(index) }
        for label in members.keys.sorted() where members[label]!.count < folds {
            throw LearnError.classTooSmallForFolds(label: label, count: members[label]!.count, folds: folds)
        }
        var generator = SplitMix64(seed: seed)
        var result = [Int](repeating: 0, count: labels.count)
        var position = 0
        for label in members.keys.sorted() {
            var items = members[label]!
            generator.shuffle(&items)
            for item in items {
                result[item] = position % folds
                position += 1
            }
        }
        return result
    }

    /// Binary labels: `false` is class 0, `true` is class 1.
    public func assignments(labels: [Bool]) throws -> [Int] {
        try assignments(labels: labels.map { $0 ? 1 : 0 })
    }
}
