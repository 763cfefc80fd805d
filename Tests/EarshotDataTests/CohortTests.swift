import EarshotData
import Testing

@Suite struct CohortTests {
    static func entries(_ prefix: String, _ n: Int, speakers: Int = 4) -> [DatasetEntry] {
        (0..<n).map { DatasetEntry(id: "\(prefix)\($0)", audioPath: "/x/\(prefix)\($0).wav", text: "", speaker: "s\($0 % speakers)",
                                   duration: Double($0 % 10), origin: "test:\($0)") }
    }

    @Test func theSameSeedDrawsTheSameOrderAndAnotherSeedAnother() throws {
        let m = Self.entries("m", 50), n = Self.entries("n", 50)
        let a = try CohortPlan(members: m, nonMembers: n, perClass: 10, seed: 13)
        let b = try CohortPlan(members: m.reversed(), nonMembers: n.shuffled(), perClass: 10, seed: 13)
        let c = try CohortPlan(members: m, nonMembers: n, perClass: 10, seed: 14)
        #expect(a.members.map(\.id) == b.members.map(\.id))
        #expect(a.nonMembers.map(\.id) == b.nonMembers.map(\.id))
        #expect(a.members.prefix(10).map(\.id) != c.members.prefix(10).map(\.id))
        #expect(Set(a.members.map(\.id)) == Set(m.map(\.id)))
    }

    @Test func sameSpeakersAndDurationRangeFilterThePools() throws {
        let m = Self.entries("m", 40, speakers: 4)
        let n = Self.entries("n", 40, speakers: 2)
        let plan = try CohortPlan(members: m, nonMembers: n, perClass: 5, seed: 1,
                                  constraints: CohortConstraints(sameSpeakers: true, minDuration: 2, maxDuration: 7))
        #expect(Set(plan.members.map(\.speaker)) == ["s0", "s1"])
        #expect(plan.members.allSatisfy { ($0.duration ?? 0) >= 2 && ($0.duration ?? 0) <= 7 })
        #expect(plan.nonMembers.allSatisfy { ($0.duration ?? 0) >= 2 && ($0.duration ?? 0) <= 7 })
    }

    @Test func tooFewItemsSaysHowManyAndWhy() throws {
        #expect {
            _ = try CohortPlan(members: Self.entries("m", 30), nonMembers: Self.entries("n", 8), perClass: 10, seed: 1,
                               constraints: CohortConstraints(maxDuration: 100))
        } throws: { error in
            "\(error)" == "too few non-member items: 8 eligible, per_class needs 10 (8 listed, 0 outside the duration range; the member side has 30 eligible of 30 listed; the most both sides allow is per_class: 8, which per_class: all takes); lower per_class or relax the constraints"
        }
    }

    @Test func anItemOnBothSidesOrAnIDListedTwiceIsRefused() throws {
        let m = Self.entries("m", 3)
        var n = Self.entries("n", 3)
        n[0].audioPath = m[1].audioPath
        #expect { _ = try CohortPlan(members: m, nonMembers: n, perClass: 1, seed: 1) } throws: { "\($0)".contains("both a member") }
        #expect { _ = try CohortPlan(members: m, nonMembers: m, perClass: 1, seed: 1) } throws: { "\($0)".contains("listed twice") }
    }

    @Test func selectionReplacesFailuresInDrawOrder() throws {
        let order = Self.entries("e", 10)
        let result = try CohortSelection.select(
            side: "member", order: order, count: 4, skipFailures: true, concurrency: 3,
            check: { entry in entry.id == "e1" || entry.id == "e3" ? .failed("bad \(entry.id)") : .accepted(entry.id) })
        #expect(result.accepted == ["e0", "e2", "e4", "e5"])
        #expect(result.skipped.map(\.reason) == ["bad e1", "bad e3"])
        #expect {
            _ = try CohortSelection.select(side: "member", order: order, count: 4, skipFailures: false, concurrency: 3,
                                           check: { entry in entry.id == "e3" ? .failed("bad e3") : .accepted(entry.id) })
        } throws: { "\($0)" == "bad e3" }
    }
}
