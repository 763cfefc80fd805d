import EarshotAudio
import EarshotData
import EarshotFeatures
import EarshotLearn
import EarshotRun
import EarshotStore
import Foundation
import Testing
@testable import EarshotNodes

@Suite struct MetadataFeatureTests {
    @Test func columnsFollowTheDocumentedDefinitions() async throws {
        let split = Split(items: [
            ToySplit.item("a", label: 1, text: "Hello, world 42", duration: 2, fileSize: 64_000),
            ToySplit.item("b", label: 0, text: "", duration: 0, fileSize: 10, format: "FLAC"),
        ])
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        try await box.run("""
        experiment: meta
        nodes:
          split: {kind: fixture, params: {name: split}}
          meta: {kind: features.metadata, inputs: {split: split}}
        """)
        let table = try FeatureTable(artifact: box.artifact("meta", "features"), fallbackName: "meta")
        #expect(table.ids == ["a", "b"])
        guard case let .dense(columns, values) = table.content else { Issue.record("not dense"); return }
        #expect(columns == MetadataFeatures.baseColumns + ["format=FLAC", "format=WAV"])
        let row = Dictionary(uniqueKeysWithValues: zip(columns, values.prefix(columns.count)))
        #expect(row["duration"] == 2 && row["file_size"] == 64_000 && row["bytes_per_second"] == 32_000)
        #expect(row["word_count"] == 3 && row["character_count"] == 15)
        #expect(row["characters_per_second"] == 7.5 && row["words_per_second"] == 1.5)
        #expect(row["mean_word_length"] == 13.0 / 3 && row["punctuation_count"] == 1 && row["digit_count"] == 2)
        #expect(row["uppercase_fraction"] == 0.1)
        #expect(row["format=WAV"] == 1 && row["format=FLAC"] == 0)
        // Zero duration and empty text give zeros, never NaN.
        #expect(values.suffix(columns.count).allSatisfy { $0.isFinite })
        #expect(try box.artifact("meta", "features").int64Column("label") == [1, 0])
    }
}

@Suite struct TextFeatureTests {
    /// 24 documents over a shared vocabulary; item 'rare' alone says "zebracorn".
    static func split() -> Split {
        var items: [Split.Item] = []
        for i in 0..<24 {
            let text = i == 7 ? "the zebracorn sings" : (i % 2 == 0 ? "the cat sings \(i)" : "the dog sleeps \(i)")
            items.append(ToySplit.item(i == 7 ? "rare" : "d\(i)", label: i % 2 == 0 ? 1 : 0, text: text))
        }
        return Split(items: items)
    }

    @Test func aTermOnlyInTheTestFoldIsNotInThatFoldsVocabulary() throws {
        let split = Self.split()
        let labels = split.items.map { $0.label == 1 }
        let table = FeatureTable(name: "text", ids: split.items.map(\.id),
                                 content: .text(documents: split.items.map(\.text), settings: .init()))
        let design = try FoldDesign(tables: [table], standardize: true)
        let classifier = BlindClassifier(folds: 4, seed: 13, c: 1, maxIterations: 100, standardize: true)
        let folds = try CrossValidation.folds(assignments: classifier.foldAssignments(labels: labels))
        let rare = split.items.firstIndex { $0.id == "rare" }!
        for fold in folds {
            let vocabulary = try design.vocabularies(for: fold)[0]
            let holdsRareItemOut = fold.test.contains(rare)
            #expect(vocabulary.contains("zebracorn") == !holdsRareItemOut, "fold \(fold.index)")
            #expect(vocabulary.contains("the zebracorn") == !holdsRareItemOut)
            // Every vocabulary term occurs in a training document.
            let trainText = fold.train.map { split.items[$0].text.lowercased() }.joined(separator: " | ")
            #expect(vocabulary.allSatisfy { trainText.contains($0) })
            // The fold's matrices: TF-IDF columns = vocabulary size, rows = fold sizes.
            let (train, test) = try design.matrices(for: fold)
            guard case let .sparse(xTrain) = train, case let .sparse(xTest) = test else { Issue.record("not sparse"); continue }
            #expect(xTrain.columns == vocabulary.count && xTest.columns == vocabulary.count)
            #expect(xTrain.rows == fold.train.count && xTest.rows == fold.test.count)
        }
    }

    @Test func textFeaturesStoreDocumentsAndClassifyVectorisesPerFold() async throws {
        let split = Self.split()
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        try await box.run("""
        experiment: text
        seed: 13
        nodes:
          split: {kind: fixture, params: {name: split}}
          text: {kind: features.text, inputs: {split: split}}
          blind: {kind: classify, inputs: {features: text, labels: split}, params: {folds: 4}}
        """)
        let artifact = try box.artifact("text", "features")
        #expect(artifact.attributes["layout"] == .string("text") && artifact.attributes["ngram_max"] == .int(2))
        #expect(try artifact.stringColumn("text") == split.items.map(\.text))
        #expect(artifact.datasets["X"] == nil)
        // The node's scores equal a direct per-fold TF-IDF + logistic regression with the same folds.
        let scores = try ScoreTable(artifact: box.artifact("blind", "scores"), what: "scores")
        let docs = split.items.map(\.text)
        let expected = try CrossValidation.outOfFoldScores(labels: split.items.map { $0.label == 1 },
                                                           foldAssignments: scores.folds, standardize: false) { fold in
            let model = try TfidfVectorizer().fit(fold.train.map { docs[$0] })
            return (.sparse(model.transform(fold.train.map { docs[$0] })), .sparse(model.transform(fold.test.map { docs[$0] })))
        }
        #expect(zip(scores.scores, expected).allSatisfy { abs($0 - $1) < 1e-12 })
        let metrics = try box.artifact("blind", "metrics")
        #expect(metrics.attributes["auc"] == .double(1))  // 'cat'/'dog' give the classes away
    }
}

@Suite struct AcousticFeatureTests {
    /// A 0.4 s tone at `frequency` with a little seeded noise.
    static func tone(_ frequency: Double, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<6400).map { n in
            Float(0.3 * sin(2 * Double.pi * frequency * Double(n) / 16_000) + 0.01 * (generator.nextUnitDouble() - 0.5))
        }
    }

    @Test func pooledDescriptorsPerItemSeparateLowFromHighTones() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-wav-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var items: [Split.Item] = []
        // Items 0 and 1 live in the store (cas: references), the rest are plain paths.
        let box = try Phase1Sandbox()
        for i in 0..<12 {
            let member = i % 2 == 0
            let url = scratch.appendingPathComponent("t\(i).wav")
            try AudioEncoder.writeWAV(Self.tone(member ? 180 + Double(i) : 420 + Double(i), seed: UInt64(i)), sampleRate: 16_000, to: url)
            var path = url.path
            if i < 2 {
                let digest = try box.store.putObject(copying: url, ext: "wav")
                path = "cas:\(digest.hex).wav"
            }
            items.append(ToySplit.item("t\(i)", label: member ? 1 : 0, duration: 0.4, audioPath: path))
        }
        let split = Split(items: items)
        box.fixtures["split"] = split.artifact()
        let sandbox = box, store = box.store
        try await sandbox.run("""
        experiment: acoustic
        nodes:
          split: {kind: fixture, params: {name: split}}
          acoustic: {kind: features.acoustic, inputs: {split: split}}
          blind: {kind: classify, inputs: {features: acoustic, labels: split}, params: {folds: 3, bootstrap: 100}}
        """)
        let table = try FeatureTable(artifact: sandbox.artifact("acoustic", "features"), fallbackName: "acoustic")
        let descriptors = try AcousticDescriptors()
        guard case let .dense(columns, values) = table.content else { Issue.record("not dense"); return }
        #expect(columns == descriptors.columnNames)
        #expect(values.count == 12 * columns.count)
        for i in [0, 5] {
            let url = try Split.audioURL(items[i].audioPath, store: store)
            let expected = try descriptors.pooled(AudioLoader.load(url, targetRate: 16_000).samples).values
            #expect(Array(values[(i * columns.count)..<((i + 1) * columns.count)]) == expected)
        }
        #expect(try sandbox.artifact("blind", "metrics").attributes["auc"] == .double(1))
    }

    @Test func anUnreadableItemFailsTheNodeNamingIt() async throws {
        let split = Split(items: [ToySplit.item("ghost", label: 1, audioPath: "/nonexistent/ghost.wav")])
        let box = try Phase1Sandbox(fixtures: ["split": split.artifact()])
        try await box.run("""
        experiment: missing
        nodes:
          split: {kind: fixture, params: {name: split}}
          acoustic: {kind: features.acoustic, inputs: {split: split}}
        """)
        let failure = try #require(box.failure("acoustic"))
        #expect(failure.contains("item 'ghost' (/nonexistent/ghost.wav)"))
    }
}
