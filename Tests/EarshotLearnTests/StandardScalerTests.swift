import Testing
@testable import EarshotLearn

struct ScalerFixture: Decodable {
    let x: [[Double]]
    let mean: [Double]
    let `var`: [Double]
    let scale: [Double]
    let transformed: [[Double]]
}

@Suite("StandardScaler")
struct StandardScalerTests {
    @Test("matches scikit-learn's StandardScaler, constant column scaled by 1")
    func matchesScikitLearn() throws {
        let golden: ScalerFixture = try Fixture.load("scaler.json")
        let x = try Matrix(rowArrays: golden.x)
        let scaler = try StandardScaler(fitting: x)
        #expect(maxRelativeDifference(scaler.mean, golden.mean) <= 1e-12)
        for j in golden.var.indices {
            #expect(abs(scaler.variance[j] - golden.var[j]) <= 1e-12 * max(golden.var[j], 1e-300) + 1e-300)
            #expect(relativeDifference(scaler.scale[j], golden.scale[j]) <= 1e-12)
        }
        #expect(scaler.scale[3] == 1)
        let transformed = try scaler.transform(x)
        #expect(maxAbsoluteDifference(transformed.values, golden.transformed.flatMap { $0 }) <= 1e-10)
    }

    @Test("one row scales every column by 1; zero rows and column mismatch throw")
    func edges() throws {
        let scaler = try StandardScaler(fitting: try Matrix(rowArrays: [[1, 2]]))
        #expect(scaler.scale == [1, 1])
        #expect(throws: LearnError.self) { try StandardScaler(fitting: Matrix(rows: 0, columns: 2)) }
        #expect(throws: LearnError.self) { try scaler.transform(Matrix(rows: 1, columns: 3)) }
        #expect(throws: LearnError.self) { try StandardScaler(fitting: Matrix(rowArrays: [[.nan], [1]])) }
    }
}
