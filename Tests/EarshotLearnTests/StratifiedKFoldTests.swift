import Testing
@testable import EarshotLearn

@Suite("StratifiedKFold")
struct StratifiedKFoldTests {
    static let labels: [Int] = (0..<103).map { $0 % 3 == 0 ? 1 : ($0 % 7 == 0 ? 2 : 0) }

    @Test("every fold keeps the class proportions: per class, fold counts differ by at most 1")
    func balanced() throws {
        for folds in [2, 5, 10] {
            let assignment = try StratifiedKFold(folds: folds, seed: 42).assignments(labels: Self.labels)
            for label in Set(Self.labels) {
                let counts = (0..<folds).map { k in
                    assignment.indices.filter { assignment[$0] == k && Self.labels[$0] == label }.count
                }
                #expect(counts.max()! - counts.min()! <= 1)
            }
            let sizes = (0..<folds).map { k in assignment.filter { $0 == k }.count }
            #expect(sizes.max()! - sizes.min()! <= 1)
        }
    }

    @Test("the same seed gives the same folds; another seed gives other folds")
    func seeded() throws {
        let a = try StratifiedKFold(folds: 10, seed: 7).assignments(labels: Self.labels)
        let b = try StratifiedKFold(folds: 10, seed: 7).assignments(labels: Self.labels)
        let c = try StratifiedKFold(folds: 10, seed: 8).assignments(labels: Self.labels)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("the fold sequence is pinned (platform-independent SplitMix64)")
    func pinned() throws {
        var generator = SplitMix64(seed: 0)
        // Reference values of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
        let folds = try StratifiedKFold(folds: 3, seed: 1).assignments(labels: [0, 0, 0, 1, 1, 1])
        #expect(folds.sorted() == [0, 0, 1, 1, 2, 2])
        #expect(try StratifiedKFold(folds: 3, seed: 1).assignments(labels: [0, 0, 0, 1, 1, 1]) == folds)
    }

    @Test("a class smaller than the fold count is an error that names the counts")
    func tooSmallClass() throws {
        let error = LearnError.classTooSmallForFolds(label: 1, count: 3, folds: 5)
        #expect(throws: error) {
            try StratifiedKFold(folds: 5, seed: 0).assignments(labels: [0, 0, 0, 0, 0, 1, 1, 1])
        }
        #expect(error.description.contains("3 items") && error.description.contains("5 folds"))
        #expect(throws: LearnError.self) { try StratifiedKFold(folds: 1, seed: 0) }
    }
}
