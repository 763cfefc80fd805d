/// The one error type of `EarshotLearn`.
///
/// Messages are lowercase, quote the offending value and say how to fix it.
public enum LearnError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two inputs that must have the same length (or shape) do not.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// An input is empty or too short for the statistic (`minimum` items are needed).
    case tooFewItems(what: String, minimum: Int, actual: Int)
    /// A value is NaN or infinite where a finite value is required.
    case nonFinite(what: String, index: Int)
    /// A binary task needs both classes; only one is present.
    case singleClass(what: String, positives: Int, negatives: Int)
    /// A class has fewer items than the requested number of folds.
    case classTooSmallForFolds(label: Int, count: Int, folds: Int)
    /// A parameter is outside its valid range.
    case invalidParameter(name: String, value: String, expected: String)
    /// An input vector is constant, so a correlation is undefined.
    case constantInput(what: String)
    /// A fold assignment is malformed (fold id out of range, or a fold with no items).
    case invalidFolds(detail: String)
    /// A matrix is malformed (CSR invariants, shape, index out of range).
    case malformedMatrix(detail: String)
    /// Fitting TF-IDF left no terms (no document has a token of two or more word characters, or
    /// `minDocumentFrequency` pruned them all); scikit-learn raises "empty vocabulary" here too.
    case emptyVocabulary(documents: Int, minimumDocumentFrequency: Int)
    /// Standardisation was requested for sparse features, which would densify them.
    case standardizeSparse

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, actual):
            return "\(what): expected length \(expected), got \(actual); pass inputs of matching length"
        case let .tooFewItems(what, minimum, actual):
            return "\(what): needs at least \(minimum) items, got \(actual)"
        case let .nonFinite(what, index):
            return "\(what): value at index \(index) is not finite (nan or inf); remove or impute it first"
        case let .singleClass(what, positives, negatives):
            return "\(what): needs both classes, got \(positives) positives and \(negatives) negatives"
        case let .classTooSmallForFolds(label, count, folds):
            return "class '\(label)' has \(count) items, fewer than the \(folds) folds; "
                + "use at most \(count) folds or add items to that class"
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) '\(value)': expected \(expected)"
        case let .constantInput(what):
            return "\(what) is constant, so the correlation is undefined; drop the constant variable"
        case let .invalidFolds(detail):
            return "invalid fold assignment: \(detail)"
        case let .malformedMatrix(detail):
            return "malformed matrix: \(detail)"
        case let .emptyVocabulary(documents, minimumDocumentFrequency):
            return "tf-idf vocabulary is empty after fitting \(documents) documents with minimum document frequency "
                + "\(minimumDocumentFrequency); pass documents with words of two or more characters or lower the minimum"
        case .standardizeSparse:
            return "standardize is not supported for sparse features (it would densify them); "
                + "pass standardize: false or dense features"
        }
    }
}
