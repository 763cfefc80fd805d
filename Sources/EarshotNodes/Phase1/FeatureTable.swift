import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation

/// The `features` artifact: one row per item, keyed by item id, in one of two layouts.
///
/// - `dense`: a float64 matrix `X` (rows = items, `columns` attribute = column names). `features.metadata`,
///   `features.acoustic` and MIA indicator tables use it; any artifact with an `id` column and a 2-d float
///   dataset `X` is accepted by `classify`.
/// - `text`: the documents themselves (`text` column) plus the TF-IDF settings. Nothing is fitted when the
///   artifact is made: `classify` fits the vocabulary and idf on each training fold and transforms that
///   fold's test items with it, so no test-fold document ever shapes its own features.
/// Layout details: `schemas/artifacts.md`, section `features`.
public struct FeatureTable: Sendable, Equatable {
    /// TF-IDF settings of a `text` table (scikit-learn's `TfidfVectorizer` arguments).
    public struct TextSettings: Sendable, Equatable {
        public var ngramMin: Int
        public var ngramMax: Int
        /// `min_df` as a document count.
        public var minDocumentFrequency: Int
        /// `max_features`; nil keeps every term.
        public var maxFeatures: Int?

        public init(ngramMin: Int = 1, ngramMax: Int = 2, minDocumentFrequency: Int = 1, maxFeatures: Int? = nil) {
            self.ngramMin = ngramMin
            self.ngramMax = ngramMax
            self.minDocumentFrequency = minDocumentFrequency
            self.maxFeatures = maxFeatures
        }

        var vectorizer: TfidfVectorizer {
            TfidfVectorizer(ngramRange: ngramMin...ngramMax, minDocumentFrequency: minDocumentFrequency,
                            maxFeatures: maxFeatures)
        }
    }

    public enum Content: Sendable, Equatable {
        /// Row-major `ids.count × columns.count` values.
        case dense(columns: [String], values: [Double])
        /// One document per item.
        case text(documents: [String], settings: TextSettings)
    }

    public static let artifactType = "features"

    /// A short name of what the table describes (`metadata`, `text`, `acoustic`, `indicators`, …).
    public var name: String
    public var ids: [String]
    public var content: Content

    public init(name: String, ids: [String], content: Content) {
        self.name = name
        self.ids = ids
        self.content = content
    }

    /// Number of columns of a dense table (0 for text).
    public var columnCount: Int {
        if case .dense(let columns, _) = content { return columns.count }
        return 0
    }

    /// The artifact layout documented in `schemas/artifacts.md` (`features`); `labels` (optional, aligned
    /// with `ids`) are stored as a convenience for readers and ignored by `classify`.
    public func artifact(labels: [Int]? = nil) throws -> Artifact {
        var a = Artifact()
        a.setColumn("id", ids)
        if let labels { a.setColumn("label", labels.map(Int64.init)) }
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        a.attributes["feature_set"] = .string(name)
        switch content {
        case let .dense(columns, values):
            try a.setMatrix("X", rows: ids.count, cols: columns.count, values: values, columns: columns)
            a.attributes["layout"] = .string("dense")
        case let .text(documents, settings):
            a.setColumn("text", documents)
            a.attributes["layout"] = .string("text")
            a.attributes["vectorizer"] = .string("tfidf")
            a.attributes["ngram_min"] = .int(Int64(settings.ngramMin))
            a.attributes["ngram_max"] = .int(Int64(settings.ngramMax))
            a.attributes["min_df"] = .int(Int64(settings.minDocumentFrequency))
            a.attributes["max_features"] = .int(Int64(settings.maxFeatures ?? 0))
        }
        return a
    }

    /// Reads a `features` artifact (either layout). A dense table is read from `X`, or, for artifacts of other
    /// producers, from their only 2-d float dataset; ids from `id` (or `ids`). `fallbackName` names the table
    /// when the artifact has no `feature_set` attribute.
    public init(artifact a: Artifact, fallbackName: String) throws {
        var ids: [String]
        do { ids = try a.stringColumn("id") } catch {
            guard let alternative = try? a.stringColumn("ids") else {
                throw NodeError("features '\(fallbackName)' have no 'id' string column; a features artifact needs one id per row")
            }
            ids = alternative
        }
        self.ids = ids
        if case .string(let s)? = a.attributes["feature_set"] { name = s } else { name = fallbackName }
        let layout: String
        if case .string(let s)? = a.attributes["layout"] { layout = s } else { layout = "dense" }
        switch layout {
        case "text":
            let documents = try a.stringColumn("text")
            guard documents.count == ids.count else {
                throw NodeError("features '\(name)' have \(ids.count) ids but \(documents.count) texts")
            }
            func int(_ key: String, _ fallback: Int) -> Int {
                if case .int(let v)? = a.attributes[key] { return Int(v) }
                return fallback
            }
            let maxFeatures = int("max_features", 0)
            content = .text(documents: documents, settings: TextSettings(
                ngramMin: int("ngram_min", 1), ngramMax: int("ngram_max", 2),
                minDocumentFrequency: int("min_df", 1), maxFeatures: maxFeatures > 0 ? maxFeatures : nil))
        case "dense":
            let matrixName: String
            if a.datasets["X"] != nil {
                matrixName = "X"
            } else {
                let candidates = a.datasets.filter { entry in
                    guard entry.value.shape.count == 2 else { return false }
                    switch entry.value.storage {
                    case .float64, .float32: return true
                    default: return false
                    }
                }.keys.sorted()
                guard candidates.count == 1 else {
                    throw NodeError("features '\(name)' have no matrix 'X' and \(candidates.count) other 2-d float datasets (\(candidates.joined(separator: ", "))); store the matrix as 'X'")
                }
                matrixName = candidates[0]
            }
            let m = try a.matrix(matrixName)
            guard m.rows == ids.count else {
                throw NodeError("features '\(name)' have \(ids.count) ids but matrix '\(matrixName)' has \(m.rows) rows")
            }
            content = .dense(columns: m.columns ?? (0..<m.cols).map { "\(matrixName)_\($0)" }, values: m.values)
        default:
            throw NodeError("features '\(name)' have unknown layout '\(layout)'; expected 'dense' or 'text'")
        }
    }

    /// The rows of `wanted` ids, in that order. Throws when an id is missing or the table repeats an id.
    public func aligned(to wanted: [String]) throws -> FeatureTable {
        var rowOf: [String: Int] = [:]
        rowOf.reserveCapacity(ids.count)
        for (row, id) in ids.enumerated() {
            guard rowOf.updateValue(row, forKey: id) == nil else {
                throw NodeError("features '\(name)' list item id '\(id)' twice; ids must be unique")
            }
        }
        var rows: [Int] = []
        rows.reserveCapacity(wanted.count)
        var missing: [String] = []
        for id in wanted {
            if let row = rowOf[id] { rows.append(row) } else { missing.append(id) }
        }
        guard missing.isEmpty else {
            throw NodeError("features '\(name)' have no row for \(missing.count) of \(wanted.count) items (first: '\(missing[0])'); compute the features on the same split (or a superset of it)")
        }
        return selecting(rows: rows)
    }

    /// The rows at `rows`, in that order.
    public func selecting(rows: [Int]) -> FeatureTable {
        let newIDs = rows.map { ids[$0] }
        switch content {
        case let .dense(columns, values):
            let p = columns.count
            var out = [Double]()
            out.reserveCapacity(rows.count * p)
            for r in rows { out.append(contentsOf: values[(r * p)..<((r + 1) * p)]) }
            return FeatureTable(name: name, ids: newIDs, content: .dense(columns: columns, values: out))
        case let .text(documents, settings):
            return FeatureTable(name: name, ids: newIDs, content: .text(documents: rows.map { documents[$0] }, settings: settings))
        }
    }

    /// This table's rows followed by `other`'s; both must have the same layout, columns and settings.
    public func appending(_ other: FeatureTable) throws -> FeatureTable {
        switch (content, other.content) {
        case let (.dense(c1, v1), .dense(c2, v2)):
            guard c1 == c2 else {
                throw NodeError("features '\(name)' and '\(other.name)' have different columns (\(c1.count) vs \(c2.count)); compute both with the same kind and params")
            }
            return FeatureTable(name: name, ids: ids + other.ids, content: .dense(columns: c1, values: v1 + v2))
        case let (.text(d1, s1), .text(d2, s2)):
            guard s1 == s2 else {
                throw NodeError("text features '\(name)' and '\(other.name)' use different tf-idf settings; use the same params")
            }
            return FeatureTable(name: name, ids: ids + other.ids, content: .text(documents: d1 + d2, settings: s1))
        default:
            throw NodeError("features '\(name)' and '\(other.name)' have different layouts (dense and text); pair like with like")
        }
    }

    /// Throws naming the first non-finite value (item id and column) of a dense table.
    func checkFinite() throws {
        guard case let .dense(columns, values) = content, !columns.isEmpty else { return }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let row = bad / columns.count, column = bad % columns.count
            throw NodeError("features '\(name)' column '\(columns[column])' is \(values[bad]) for item '\(ids[row])'; logistic regression needs finite values")
        }
    }
}
