import EarshotRun
import EarshotStore

/// The `scores` artifact: one out-of-fold score per item with its label and fold.
public struct ScoreTable: Sendable, Equatable {
    public static let artifactType = "scores"

    public var ids: [String]
    public var labels: [Int]
    public var folds: [Int]
    public var scores: [Double]

    public init(ids: [String], labels: [Int], folds: [Int], scores: [Double]) {
        self.ids = ids
        self.labels = labels
        self.folds = folds
        self.scores = scores
    }

    /// Layout: `schemas/artifacts.md`, section `scores`.
    public func artifact() -> Artifact {
        var a = Artifact()
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        a.setColumn("id", ids)
        a.setColumn("label", labels.map(Int64.init))
        a.setColumn("fold", folds.map(Int64.init))
        a.setColumn("score", scores)
        return a
    }

    /// Reads a `scores` artifact; `what` names it in errors.
    public init(artifact a: Artifact, what: String) throws {
        do {
            ids = try a.stringColumn("id")
            scores = try a.doubleColumn("score")
            labels = ((try? a.int64Column("label")) ?? []).map(Int.init)
            folds = ((try? a.int64Column("fold")) ?? []).map(Int.init)
        } catch {
            throw NodeError("\(what) is not a scores artifact (needs 'id' and 'score' columns): \(error)")
        }
        guard scores.count == ids.count else {
            throw NodeError("\(what) has \(ids.count) ids but \(scores.count) scores")
        }
    }
}
