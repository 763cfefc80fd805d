import EarshotLearn
import EarshotStore
import Foundation

/// Matching constraints on a cohort (`same_speakers`, `min_duration`, `max_duration`).
public struct CohortConstraints: Sendable, Equatable {
    /// Keep only speakers present on both sides (entries with an empty speaker never match).
    public var sameSpeakers: Bool
    /// Seconds, inclusive bounds; nil: unbounded.
    public var minDuration: Double?
    public var maxDuration: Double?

    public init(sameSpeakers: Bool = false, minDuration: Double? = nil, maxDuration: Double? = nil) {
        self.sameSpeakers = sameSpeakers
        self.minDuration = minDuration
        self.maxDuration = maxDuration
    }

    public var hasDurationRange: Bool { minDuration != nil || maxDuration != nil }

    public func admits(duration: Double) -> Bool {
        if let lo = minDuration, duration < lo { return false }
        if let hi = maxDuration, duration > hi { return false }
        return true
    }
}

/// The eligible candidates of each side of a member/non-member split, in the order they are drawn.
///
/// Eligibility: a candidate whose listing states a duration outside the range is dropped; with
/// `sameSpeakers`, so is one whose speaker has no candidate on the other side. Draw order: each side's eligible
/// entries sorted by id (UTF-8 byte order, so listing order does not matter), then Fisher–Yates shuffled with
/// `SplitMix64`. The two side streams are seeded with the first two outputs of `SplitMix64(seed)` (members
/// first), so the experiment seed alone fixes the draw. A cohort takes the first `perClass` usable
/// candidates of each side's order (see `CohortSelection`); the split then lists its items sorted by id.
public struct CohortPlan: Sendable {
    public let members: [DatasetEntry]
    public let nonMembers: [DatasetEntry]
    public let perClass: Int

    public init(members: [DatasetEntry], nonMembers: [DatasetEntry], perClass: Int, seed: Int,
                constraints: CohortConstraints = CohortConstraints()) throws {
        guard perClass >= 1 else {
            throw DataError.invalidParameter(name: "per_class", value: String(perClass), reason: "must be at least 1")
        }
        try Self.checkDistinct(members: members, nonMembers: nonMembers)
        var m = members, n = nonMembers
        var outOfRange = [0, 0]
        if constraints.hasDurationRange {
            let keep: (DatasetEntry) -> Bool = { $0.duration.map(constraints.admits(duration:)) ?? true }
            outOfRange = [m.count { !keep($0) }, n.count { !keep($0) }]
            m = m.filter(keep)
            n = n.filter(keep)
        }
        var unmatched = [0, 0]
        if constraints.sameSpeakers {
            let shared = Set(m.map(\.speaker)).intersection(n.map(\.speaker)).subtracting([""])
            unmatched = [m.count { !shared.contains($0.speaker) }, n.count { !shared.contains($0.speaker) }]
            m = m.filter { shared.contains($0.speaker) }
            n = n.filter { shared.contains($0.speaker) }
        }
        for (side, pool, listed, index) in [("member", m, members.count, 0), ("non-member", n, nonMembers.count, 1)]
        where pool.count < perClass {
            var detail = ["\(listed) listed"]
            if constraints.hasDurationRange { detail.append("\(outOfRange[index]) outside the duration range") }
            if constraints.sameSpeakers { detail.append("\(unmatched[index]) whose speaker is not on the other side") }
            throw DataError.tooFewItems(side: side, eligible: pool.count, needed: perClass, detail: detail.joined(separator: ", "))
        }
        var root = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        var memberStream = SplitMix64(seed: root.next())
        var nonMemberStream = SplitMix64(seed: root.next())
        m.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        n.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        memberStream.shuffle(&m)
        nonMemberStream.shuffle(&n)
        self.members = m
        self.nonMembers = n
        self.perClass = perClass
    }

    /// Ids are unique across both sides, and no recording (or segment of one) is on both sides.
    static func checkDistinct(members: [DatasetEntry], nonMembers: [DatasetEntry]) throws {
        var byID: [String: DatasetEntry] = [:]
        for entry in members + nonMembers {
            if let earlier = byID[entry.id] {
                throw DataError.duplicate("item id '\(entry.id)' is listed twice (\(earlier.origin) and \(entry.origin)); ids must be unique across both sides (map an id column)")
            }
            byID[entry.id] = entry
        }
        struct Audio: Hashable { var path: String; var segment: DatasetEntry.Segment? }
        var memberAudio: [Audio: DatasetEntry] = [:]
        for entry in members { memberAudio[Audio(path: entry.audioPath, segment: entry.segment)] = entry }
        for entry in nonMembers {
            if let member = memberAudio[Audio(path: entry.audioPath, segment: entry.segment)] {
                throw DataError.duplicate("audio '\(entry.audioPath)' is both a member (\(member.origin)) and a non-member (\(entry.origin)); an item can be on one side only")
            }
        }
    }
}

/// What checking one candidate gave.
public enum CandidateOutcome<Accepted: Sendable>: Sendable {
    case accepted(Accepted)
    /// Unusable (missing, undecodable, empty, non-finite, non-UTF-8 text): the reason names the file or line.
    case failed(String)
    /// Usable but outside the matching constraints (a measured duration out of range): drawn past, not reported.
    case ineligible
}

/// Walks a draw order and keeps the first `count` accepted candidates.
///
/// Candidates are checked in batches of the number still needed (at least `concurrency`), in parallel, with
/// results placed by index and consumed in draw order, so the outcome does not depend on scheduling. With
/// `skipFailures` false the first failure in draw order is thrown; otherwise failures before the last kept
/// candidate are returned as skipped and later candidates replace them. Running out of candidates is a
/// `DataError.tooFewItems` with the counts.
public enum CohortSelection {
    public struct Result<Accepted: Sendable>: Sendable {
        public var accepted: [Accepted]
        public var skipped: [(entry: DatasetEntry, reason: String)]
    }

    public static func select<Accepted: Sendable>(
        side: String, order: [DatasetEntry], count: Int, skipFailures: Bool, concurrency: Int,
        check: @Sendable (DatasetEntry) -> CandidateOutcome<Accepted>,
        progress: (Int) -> Void = { _ in }
    ) throws -> Result<Accepted> {
        var result = Result<Accepted>(accepted: [], skipped: [])
        var position = 0
        var ineligible = 0
        while result.accepted.count < count && position < order.count {
            try Task.checkCancellation()
            let need = count - result.accepted.count
            let batch = Array(order[position..<min(order.count, position + max(need, concurrency))])
            let outcomes = IndexedSlots<CandidateOutcome<Accepted>>(count: batch.count)
            DispatchQueue.concurrentPerform(iterations: batch.count) { i in outcomes[i] = check(batch[i]) }
            for (entry, outcome) in zip(batch, outcomes.values) {
                position += 1
                switch outcome {
                case .accepted(let value): result.accepted.append(value)
                case .ineligible: ineligible += 1
                case .failed(let reason):
                    if !skipFailures { throw DataError.unusable(reason) }
                    result.skipped.append((entry, reason))
                }
                if result.accepted.count == count { break }
            }
            progress(result.accepted.count)
        }
        if result.accepted.count < count {
            throw DataError.tooFewItems(
                side: side, eligible: result.accepted.count, needed: count,
                detail: "\(order.count) candidates, \(result.skipped.count) unusable and skipped, \(ineligible) outside the duration range")
        }
        return result
    }
}
