import Foundation
import Testing
@testable import EarshotStore

private func throughFile(_ artifact: Artifact) throws -> Artifact {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-conventions-\(UUID().uuidString).h5")
    defer { try? FileManager.default.removeItem(at: url) }
    try ArtifactFile.write(artifact, to: url)
    return try ArtifactFile.read(from: url)
}

@Suite struct ArtifactConventionsTests {
    @Test func matrixWithColumnsRoundTrips() throws {
        var artifact = Artifact()
        let values: [Double] = [1, 2, 3, 4, 5, 6]
        try artifact.setMatrix("features/values", rows: 2, cols: 3, values: values, columns: ["mfcc_1", "zcr", "rms"])
        try artifact.setMatrix("compact", rows: 3, cols: 1, values: [Float(0.5), 1.5, 2.5])
        try artifact.setMatrix("none", rows: 0, cols: 4, values: [Double]())
        let back = try throughFile(artifact)

        let matrix = try back.matrix("features/values")
        #expect(matrix.rows == 2 && matrix.cols == 3)
        #expect(matrix.values == values)
        #expect(matrix.columns == ["mfcc_1", "zcr", "rms"])
        #expect(back.datasets["compact"]?.storage == .float32([0.5, 1.5, 2.5]))
        let compact = try back.matrix("compact")
        #expect(compact.values == [0.5, 1.5, 2.5] && compact.columns == nil)
        let none = try back.matrix("none")
        #expect(none.rows == 0 && none.cols == 4 && none.values.isEmpty)
    }

    @Test func matrixRejectsMismatchedSizes() {
        var artifact = Artifact()
        #expect { try artifact.setMatrix("m", rows: 2, cols: 2, values: [1.0, 2, 3]) } throws: { "\($0)".contains("dataset 'm'") }
        #expect { try artifact.setMatrix("m", rows: 1, cols: 2, values: [1.0, 2], columns: ["a"]) } throws: {
            "\($0)".contains("2 columns but 1 column names")
        }
        #expect(artifact.datasets.isEmpty)
    }

    @Test func columnsOfEachTypeRoundTrip() throws {
        var artifact = Artifact()
        artifact.setColumn("ids", ["utt-001", "ütt-002", "発話-003", ""])
        artifact.setColumn("labels", [Int64(1), 0, 1, -7])
        artifact.setColumn("scores", [0.25, -1e300, .infinity, 0])
        artifact.setColumn("empty", [String]())
        let back = try throughFile(artifact)
        #expect(try back.stringColumn("ids") == ["utt-001", "ütt-002", "発話-003", ""])
        #expect(try back.int64Column("labels") == [1, 0, 1, -7])
        #expect(try back.doubleColumn("scores") == [0.25, -1e300, .infinity, 0])
        #expect(try back.stringColumn("empty") == [])
    }

    @Test func gettersNameTheMissingOrMistypedDataset() throws {
        var artifact = Artifact()
        artifact.setColumn("labels", [Int64(1)])
        try artifact.setMatrix("m", rows: 1, cols: 1, values: [1.0])
        #expect { try artifact.doubleColumn("labels") } throws: {
            "\($0)" == "dataset 'labels' holds int64 values; expected float64"
        }
        #expect { try artifact.stringColumn("ids") } throws: {
            "\($0)".contains("artifact has no dataset 'ids'") && "\($0)".contains("'labels'")
        }
        #expect { try artifact.matrix("labels") } throws: { "\($0)".contains("dataset 'labels' has shape [1]; a matrix must be 2-d") }
        #expect { try artifact.int64Column("m") } throws: { "\($0)".contains("dataset 'm' has shape [1, 1]") }
        #expect { try artifact.ragged("labels") } throws: { "\($0)".contains("'labels/values'") }
        #expect { try artifact.csr("labels") } throws: { "\($0)".contains("csr 'labels'") }
    }

    @Test func raggedRowsIncludingEmptyOnesRoundTrip() throws {
        var artifact = Artifact()
        let rows: [[Double]] = [[], [1, 2, 3], [], [4], []]
        artifact.setRagged("tokens", rows)
        artifact.setRagged("nothing", [])
        artifact.setRagged("blank", [[], []])
        let back = try throughFile(artifact)
        #expect(try back.ragged("tokens") == rows)
        #expect(try back.int64Column("tokens/offsets") == [0, 0, 3, 3, 4, 4])
        #expect(try back.ragged("nothing") == [])
        #expect(try back.int64Column("nothing/offsets") == [0])
        #expect(try back.ragged("blank") == [[], []])
        #expect(back.groupAttributes["tokens"] == ["encoding": .string("ragged")])
    }

    @Test func raggedRejectsInconsistentOffsets() {
        var artifact = Artifact()
        artifact.setRagged("r", [[1, 2], [3]])
        artifact.datasets["r/offsets"] = Dataset(.int64([0, 2, 1]))
        #expect { try artifact.ragged("r") } throws: { "\($0)".contains("ragged 'r' offsets") }
        artifact.datasets["r/offsets"] = Dataset(.int64([0, 2, 3, 1, 3]))
        #expect { try artifact.ragged("r") } throws: { "\($0)".contains("decrease at index 3") }
    }

    @Test func csrWithEmptyRowsRoundTrips() throws {
        var artifact = Artifact()
        // [[0, 5, 0], [0, 0, 0], [1, 0, 2], [0, 0, 0]]
        try artifact.setCSR("tfidf", rows: 4, cols: 3, indptr: [0, 1, 1, 3, 3], indices: [1, 0, 2], data: [5, 1, 2])
        try artifact.setCSR("zero", rows: 2, cols: 0, indptr: [0, 0, 0], indices: [], data: [])
        let back = try throughFile(artifact)
        let matrix = try back.csr("tfidf")
        #expect(matrix.rows == 4 && matrix.cols == 3)
        #expect(matrix.indptr == [0, 1, 1, 3, 3] && matrix.indices == [1, 0, 2] && matrix.data == [5, 1, 2])
        #expect(back.groupAttributes["tfidf"] == ["encoding": .string("csr"), "shape": .ints([4, 3])])
        let zero = try back.csr("zero")
        #expect(zero.rows == 2 && zero.cols == 0 && zero.data.isEmpty)
    }

    @Test func csrRejectsBrokenStructure() {
        var artifact = Artifact()
        #expect { try artifact.setCSR("s", rows: 2, cols: 2, indptr: [0, 1], indices: [0], data: [1]) } throws: {
            "\($0)".contains("indptr has 2 entries; expected rows + 1 = 3")
        }
        #expect { try artifact.setCSR("s", rows: 1, cols: 2, indptr: [0, 1], indices: [2], data: [1]) } throws: {
            "\($0)".contains("column index 2 outside 0..<2")
        }
        #expect { try artifact.setCSR("s", rows: 1, cols: 2, indptr: [1, 1], indices: [0], data: [1]) } throws: {
            "\($0)".contains("must start at 0")
        }
        #expect { try artifact.setCSR("s", rows: 1, cols: 2, indptr: [0, 1], indices: [0, 1], data: [1]) } throws: {
            "\($0)".contains("2 indices but 1 values")
        }
        #expect(artifact.datasets.isEmpty)
    }

    @Test func bytesRoundTrip() throws {
        var artifact = Artifact()
        let payload = Array("{\"auc\": 0.71}\n".utf8) + [0, 255, 10]
        artifact.setBytes("report.json", payload)
        artifact.setBytes("nothing", [])
        let back = try throughFile(artifact)
        #expect(try back.bytes("report.json") == payload)
        #expect(try back.bytes("nothing") == [])
    }

    @Test func settersReplaceWhateverWasAtTheName() throws {
        var artifact = Artifact()
        try artifact.setCSR("x", rows: 1, cols: 1, indptr: [0, 1], indices: [0], data: [1])
        artifact.setColumn("x", [Int64(3)])
        #expect(Set(artifact.datasets.keys) == ["x"])
        #expect(artifact.groupAttributes.isEmpty)
        artifact.setRagged("x", [[1]])
        #expect(Set(artifact.datasets.keys) == ["x/values", "x/offsets"])
        artifact.remove("x")
        #expect(artifact.datasets.isEmpty && artifact.groupAttributes.isEmpty)
    }
}
