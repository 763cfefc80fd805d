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
    /// Items per side: the requested count, or with `perClass: nil` (`per_class: all`) the smaller side's
    /// eligible count.
    public let perClass: Int
    /// Whether `perClass` was `all` (the balanced maximum).
    public let takesAll: Bool

    /// `perClass` nil is `per_class: all`. Too few eligible candidates on either side is a
    /// `DataError.tooFewItems` giving both sides' counts after each filter and the largest possible per_class.
    public init(members: [DatasetEntry], nonMembers: [DatasetEntry], perClass requested: Int?, seed: Int,
                constraints: CohortConstraints = CohortConstraints()) throws {
        if let requested, requested < 1 {
            throw DataError.invalidParameter(name: "per_class", value: String(requested), reason: "must be at least 1, or all")
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
        let perClass = requested ?? min(m.count, n.count)
        if perClass < 1 || m.count < perClass || n.count < perClass {
            func detail(_ listed: Int, _ index: Int) -> String {
                var parts = ["\(listed) listed"]
                if constraints.hasDurationRange { parts.append("\(outOfRange[index]) outside the duration range") }
                if constraints.sameSpeakers { parts.append("\(unmatched[index]) whose speaker is not on the other side") }
                return parts.joined(separator: ", ")
            }
            let memberShort = m.count < max(perClass, 1)
            let (side, eligible, index, listed) = memberShort ? ("member", m.count, 0, members.count) : ("non-member", n.count, 1, nonMembers.count)
            let other = memberShort ? "the non-member side has \(n.count) eligible of \(nonMembers.count) listed"
                : "the member side has \(m.count) eligible of \(members.count) listed"
            throw DataError.tooFewItems(
                side: side, eligible: eligible, needed: max(perClass, 1),
                detail: "\(detail(listed, index)); \(other); the most both sides allow is per_class: \(min(m.count, n.count)), which per_class: all takes")
        }
        var root = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        var memberStream = SplitMix64(seed: root.next())
        var nonMemberStream = SplitMix64(seed: root.next())
        // Sorted and shuffled as indices (entries are large to copy); ids are unique, so the order is the same.
        func drawOrder(_ pool: [DatasetEntry], _ stream: inout SplitMix64) -> [DatasetEntry] {
            var order = Array(pool.indices)
            order.sort { pool[$0].id.utf8.lexicographicallyPrecedes(pool[$1].id.utf8) }
            stream.shuffle(&order)
            return order.map { pool[$0] }
        }
        self.members = drawOrder(m, &memberStream)
        self.nonMembers = drawOrder(n, &nonMemberStream)
        self.perClass = perClass
        self.takesAll = requested == nil
    }

    /// Ids are unique across both sides, and no recording (or segment of one) is on both sides.
    static func checkDistinct(members: [DatasetEntry], nonMembers: [DatasetEntry]) throws {
        var byID: [String: String] = [:]  // id → origin
        byID.reserveCapacity(members.count + nonMembers.count)
        for side in [members, nonMembers] {
            for entry in side {
                if let earlier = byID.updateValue(entry.origin, forKey: entry.id) {
                    throw DataError.duplicate("item id '\(entry.id)' is listed twice (\(earlier) and \(entry.origin)); ids must be unique across both sides (map an id column)")
                }
            }
        }
        struct Audio: Hashable { var path: String; var segment: DatasetEntry.Segment?; var channel: Int? }
        var memberAudio: [Audio: Int] = [:]
        memberAudio.reserveCapacity(members.count)
        for (i, entry) in members.enumerated() { memberAudio[Audio(path: entry.audioPath, segment: entry.segment, channel: entry.channel)] = i }
        for entry in nonMembers {
            if let index = memberAudio[Audio(path: entry.audioPath, segment: entry.segment, channel: entry.channel)] {
                let member = members[index]
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

    /// With `allowShort` running out of candidates returns what was accepted instead of throwing
    /// (`per_class: all`, which then balances the sides to the shorter one). `prepare` runs on each batch before
    /// it is checked (hf_parquet extracts the batch's embedded audio in one go).
    public static func select<Accepted: Sendable>(
        side: String, order: [DatasetEntry], count: Int, skipFailures: Bool, concurrency: Int, allowShort: Bool = false,
        prepare: ([DatasetEntry]) throws -> [DatasetEntry] = { $0 },
        check: @Sendable (DatasetEntry) -> CandidateOutcome<Accepted>,
        progress: (Int) -> Void = { _ in }
    ) throws -> Result<Accepted> {
        var result = Result<Accepted>(accepted: [], skipped: [])
        var position = 0
        var ineligible = 0
        while result.accepted.count < count && position < order.count {
            try Task.checkCancellation()
            let need = count - result.accepted.count
            let batch = try prepare(Array(order[position..<min(order.count, position + max(need, concurrency))]))
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
        if result.accepted.count < count && !allowShort {
            throw DataError.tooFewItems(
                side: side, eligible: result.accepted.count, needed: count,
                detail: "\(order.count) candidates, \(result.skipped.count) unusable and skipped, \(ineligible) outside the duration range")
        }
        return result
    }
}
