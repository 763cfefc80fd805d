import EarshotData
import EarshotRun
import EarshotSpec
import EarshotStore

/// `match_cohort`: the paper's "clean dataset" step — a distribution-matched subset of a split.
///
/// The blind classifier's out-of-fold scores are propensity scores (P(member | data-intrinsic features));
/// members and non-members are paired 1:1 by `PropensityMatcher` (greedy nearest neighbour on the logit,
/// without replacement, within `caliper` pooled standard deviations). The output is a split with the same
/// layout holding the matched items in their original order (so members and non-members are balanced),
/// the input's skipped list and attributes, and `cohort_*` attributes saying how it was made and how many
/// items were dropped. Re-run a blind `classify` on it (features joined by id) to check it is near chance.
public struct MatchCohortKind: NodeKind {
    public static let name = "match_cohort"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        KindSignature(
            name: Self.name, version: 1,
            summary: "propensity-score matching on blind-classifier scores: a balanced, distribution-matched sub-split",
            inputs: [
                InputSignature("scores", "a blind classifier's out-of-fold scores (joined to the split by item id)",
                               types: [ScoreTable.artifactType]),
                InputSignature("split", "the split to subset", types: [Split.artifactType]),
            ],
            outputs: [OutputSignature("split", type: Split.artifactType, "the matched items (same layout), with cohort_* attributes")],
            params: Params.signatures)
    }

    struct Params: KindParams {
        @Param("largest logit distance of a pair, in pooled standard deviations of the logit (0: no caliper)", in: 0...100)
        var caliper = 0.2
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node.id
        let split = try Phase1Inputs.split(context, input: "split")
        let labels = try Phase1Inputs.binaryLabels(split, node: node)
        let scores = try ScoreTable(artifact: context.input("scores").load(), what: "input 'scores' of node '\(node)'")
        var scoreOf: [String: Double] = [:]
        for (id, score) in zip(scores.ids, scores.scores) {
            guard scoreOf.updateValue(score, forKey: id) == nil else {
                throw NodeError("node '\(node)': the scores list item '\(id)' twice; ids must be unique")
            }
        }
        var itemScores: [Double] = []
        for item in split.items {
            guard let s = scoreOf[item.id] else {
                throw NodeError("node '\(node)': the scores have no entry for item '\(item.id)'; score the same split (classify with labels: this split)")
            }
            guard s.isFinite else { throw NodeError("node '\(node)': the score of item '\(item.id)' is \(s); scores must be finite") }
            itemScores.append(s)
        }
        let caliper = try context.decodeParams(Params.self).caliper
        let result = PropensityMatcher(caliper: caliper).match(scores: itemScores, labels: labels)
        guard !result.pairs.isEmpty else {
            throw NodeError("node '\(node)': no member/non-member pair lies within the caliper (\(caliper) sd = \(result.width) logit); the classes do not overlap, so no matched cohort exists (raise 'caliper' or use other data)")
        }
        var matched = Split(items: result.matchedItems.map { split.items[$0] }, skipped: split.skipped,
                            attributes: split.attributes)
        matched.attributes["cohort_method"] = .string("propensity score matching: greedy 1:1 nearest neighbour on logit(score) without replacement, smaller class first in decreasing score, within a caliper")
        matched.attributes["cohort_caliper_sd"] = .double(caliper)
        matched.attributes["cohort_caliper_logit"] = .double(result.width)
        matched.attributes["cohort_pairs"] = .int(Int64(result.pairs.count))
        matched.attributes["cohort_source_items"] = .int(Int64(split.items.count))
        matched.attributes["cohort_dropped_members"] = .int(Int64(split.memberCount - result.pairs.count))
        matched.attributes["cohort_dropped_nonmembers"] = .int(Int64(split.nonMemberCount - result.pairs.count))
        return ["split": matched.artifact()]
    }
}
