import Testing
@testable import EarshotSpec

/// A tiny kind catalogue for validation tests.
let testKinds: [KindSignature] = [
    KindSignature(name: "const", version: 1, summary: "a constant",
                  outputs: [OutputSignature("value", type: "vector", "the value")],
                  params: [ParamSignature("value", .double(), default: .double(1), "the constant"),
                           ParamSignature("mode", .choice(["fast", "slow"]), default: .string("fast"), "speed")]),
    KindSignature(name: "features.acoustic", version: 1, summary: "acoustic features",
                  inputs: [InputSignature("split", "the split")],
                  outputs: [OutputSignature("features", type: "matrix", "features")],
                  params: [ParamSignature("n_mfcc", .int(min: 1), default: .int(20), "coefficients"),
                           ParamSignature("fmin", .double(min: 0), default: .double(0), "lowest frequency"),
                           ParamSignature("root", .path, default: .string("."), "a path")]),
    KindSignature(name: "sum", version: 1, summary: "sum",
                  inputs: [InputSignature("terms", "terms", multiple: true)],
                  outputs: [OutputSignature("value", type: "vector", "sum")]),
]

func parse(_ yaml: String, overrides: [String] = []) throws -> ExperimentSpec {
    let o = try overrides.enumerated().map { try Override.parse($0.element, index: $0.offset + 1) }
    return try SpecReader(overrides: o).parse(yaml, file: "exp.yaml", directory: "/data/exp")
}

func firstError(_ body: () throws -> Void) -> SpecError? {
    do { try body() } catch let e as SpecError { return e } catch { return nil }
    return nil
}

@Suite struct SpecReaderTests {
    @Test func parsesNodesParamsAndInputs() throws {
        let spec = try parse("""
        experiment: demo
        seed: 13
        params: {sample_rate: 16000}
        nodes:
          a:
            kind: const
            params: {value: 2}
          b:
            kind: sum
            inputs: {terms: [a, a.value]}
        """)
        #expect(spec.name == "demo")
        #expect(spec.seed == 13)
        #expect(spec.params["sample_rate"]?.value == .int(16000))
        #expect(spec.nodes.map(\.id) == ["a", "b"])
        #expect(spec.nodes[0].params["value"]?.value == .int(2))
        #expect(spec.nodes[0].params["value"]?.location == SourceLocation(file: "exp.yaml", line: 7, column: 21))
        #expect(spec.nodes[1].inputs["terms"]?.refs.map(\.description) == ["a", "a.value"])
    }

    @Test func foreachMatrixExpandsInOrderWithTypedInterpolation() throws {
        let spec = try parse("""
        experiment: m
        params: {base: 4}
        nodes:
          c_${item.ds}_${item.k}:
            foreach: {ds: [libri, giga], k: [1, 2]}
            kind: const
            params: {value: "${item.k}", label: "${experiment}-${item.ds}", b: "${params.base}"}
        """)
        #expect(spec.nodes.map(\.id) == ["c_libri_1", "c_libri_2", "c_giga_1", "c_giga_2"])
        #expect(spec.nodes[1].params["value"]?.value == .int(2))
        #expect(spec.nodes[2].params["label"]?.value == .string("m-giga"))
        #expect(spec.nodes[0].params["b"]?.value == .int(4))
        #expect(spec.nodes[3].template == "c_${item.ds}_${item.k}")
    }

    @Test func foreachListOfItems() throws {
        let spec = try parse("""
        experiment: m
        nodes:
          f_${item.name}:
            foreach: [{name: x, v: 1.5}, {name: y, v: 2.5}]
            kind: const
            params: {value: "${item.v}"}
        """)
        #expect(spec.nodes.map(\.id) == ["f_x", "f_y"])
        #expect(spec.nodes[1].params["value"]?.value == .double(2.5))
    }

    @Test func foreachWithoutPlaceholderInIDIsAnError() {
        let e = firstError { _ = try parse("""
        experiment: m
        nodes:
          same:
            foreach: {k: [1, 2]}
            kind: const
        """) }
        #expect(e?.location?.line == 3)
        #expect(e?.message.contains("placeholder") == true)
    }

    @Test func unknownPlaceholderSuggests() {
        let e = firstError { _ = try parse("""
        experiment: m
        nodes:
          n_${item.dataset}:
            foreach: {dataset: [a]}
            kind: const
            params: {value: "${item.datset}"}
        """) }
        #expect(e?.message.contains("did you mean 'item.dataset'") == true)
        #expect(e?.location == SourceLocation(file: "exp.yaml", line: 6, column: 21))
    }

    @Test func unknownTopLevelAndNodeKeysPointAtTheKey() {
        let top = firstError { _ = try parse("experiment: m\nnodez: {}\n") }
        #expect(top?.description == "exp.yaml:2:1: error: unknown top-level key 'nodez' (did you mean 'nodes'?); allowed: experiment, seed, description, params, nodes")
        let node = firstError { _ = try parse("experiment: m\nnodes:\n  a:\n    kind: const\n    parms: {}\n") }
        #expect(node?.location == SourceLocation(file: "exp.yaml", line: 5, column: 5))
        #expect(node?.message.contains("did you mean 'params'") == true)
    }

    @Test func malformedYAMLHasAPosition() {
        let e = firstError { _ = try parse("experiment: m\nnodes:\n  a: [unclosed\n") }
        #expect(e?.location?.file == "exp.yaml")
        #expect((e?.location?.line ?? 0) >= 3)
        #expect(e?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func duplicateKeysAreRefused() {
        let e = firstError { _ = try parse("experiment: m\nnodes:\n  a: {kind: const}\n  a: {kind: const}\n") }
        #expect(e?.message.contains("duplicate") == true)
    }

    @Test func billionLaughsIsRefusedQuickly() {
        var yaml = "experiment: m\nlol: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            yaml += "l\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml = yaml.replacingOccurrences(of: "lol:", with: "params:\n  lol:").replacingOccurrences(of: "\nl", with: "\n  l")
        yaml += "nodes: {}\n"
        let e = firstError { _ = try parse(yaml) }
        #expect(e?.message.contains("aliases expand beyond") == true)
    }

    @Test func smallAliasesAreFine() throws {
        let spec = try parse("""
        experiment: m
        nodes:
          a: {kind: const, params: &p {value: 3}}
          b: {kind: const, params: *p}
        """)
        #expect(spec.nodes[1].params["value"]?.value == .int(3))
    }

    @Test func overridesSetNodeAndExperimentParams() throws {
        let spec = try parse("""
        experiment: m
        params: {folds: 10}
        nodes:
          a: {kind: const, params: {value: 2}}
        """, overrides: ["a.value=0.5", "folds=5", "a.extra.inner=[1, 2]"])
        #expect(spec.nodes[0].params["value"]?.value == .double(0.5))
        #expect(spec.params["folds"]?.value == .int(5))
        #expect(spec.nodes[0].params["extra"]?.value == .object(["inner": .array([.int(1), .int(2)])]))
        #expect(spec.nodes[0].params["value"]?.location.file == "<command line -p #1>")
    }

    @Test func overrideOfUnknownNodeSuggests() {
        let e = firstError { _ = try parse("experiment: m\nnodes:\n  acoustic: {kind: const}\n", overrides: ["acoustc.value=1"]) }
        #expect(e?.message.contains("did you mean 'acoustic'") == true)
        #expect(firstError { _ = try Override.parse("novalue") }?.message.contains("KEY=VALUE") == true)
    }

    @Test func invalidNodeIDs() {
        let e = firstError { _ = try parse("experiment: m\nnodes:\n  a.b: {kind: const}\n") }
        #expect(e?.message.contains("invalid node id 'a.b'") == true)
    }
}

@Suite struct SpecValidatorTests {
    let validator = SpecValidator(kinds: testKinds)

    @Test func fillsDefaultsInheritsExperimentParamsAndNormalises() throws {
        let spec = try parse("""
        experiment: m
        params: {n_mfcc: 13}
        nodes:
          s: {kind: const}
          f:
            kind: features.acoustic
            inputs: {split: s}
            params: {fmin: 50, root: data/libri}
        """)
        let nodes = try validator.validate(spec)
        #expect(nodes[1].params["n_mfcc"] == .int(13))
        #expect(nodes[1].params["fmin"] == .double(50))
        #expect(nodes[1].params["root"] == .string("/data/exp/data/libri"))
        #expect(nodes[1].inputs["split"] == [OutputRef(node: "s", output: "value")])
        #expect(nodes[0].params["mode"] == .string("fast"))
    }

    @Test func reportsEveryProblemWithPositionAndSuggestion() {
        let spec = try! parse("""
        experiment: m
        nodes:
          a:
            kind: featurs.acoustic
          b:
            kind: const
            params: {valeu: 1, mode: fsat}
          c:
            kind: features.acoustic
            inputs: {split: bb, splt: a}
            params: {n_mfcc: 0}
          d:
            kind: features.acoustic
            inputs: {split: b.nope}
        """)
        let e = firstError { _ = try validator.validate(spec) }
        let lines = e?.all.map(\.description) ?? []
        #expect(lines.contains("exp.yaml:4:11: error: unknown node kind 'featurs.acoustic' (did you mean 'features.acoustic'?); `earshot kinds` lists them"))
        #expect(lines.contains { $0.hasPrefix("exp.yaml:7:14: error: unknown param 'valeu' for kind 'const' (did you mean 'value'?)") })
        #expect(lines.contains { $0.hasPrefix("exp.yaml:7:30: error: param 'mode' must be one of 'fast'|'slow', got 'fsat' (did you mean 'fast'?)") })
        #expect(lines.contains { $0.hasPrefix("exp.yaml:10:21: error: input 'split' of node 'c' refers to no node 'bb' (did you mean 'b'?)") })
        #expect(lines.contains { $0.contains("unknown input 'splt'") && $0.contains("did you mean 'split'") })
        #expect(lines.contains { $0.hasPrefix("exp.yaml:11:22: error: param 'n_mfcc' must be ≥ 1, got 0") })
        #expect(lines.contains { $0.contains("node 'b' has no output 'nope'") })
        let positions = e?.all.compactMap { $0.location.map { [$0.line, $0.column] } } ?? []
        #expect(positions == positions.sorted { $0.lexicographicallyPrecedes($1) }, "diagnostics come in file order")
    }

    @Test func missingRequiredInputAndMistypedParam() {
        let spec = try! parse("""
        experiment: m
        nodes:
          f: {kind: features.acoustic, params: {n_mfcc: thirteen}}
        """)
        let lines = firstError { _ = try validator.validate(spec) }?.all.map(\.message) ?? []
        #expect(lines.contains { $0.contains("missing required input 'split'") })
        #expect(lines.contains("param 'n_mfcc' must be an int, got string 'thirteen'"))
    }

    @Test func singleInputRejectsLists() {
        let spec = try! parse("""
        experiment: m
        nodes:
          a: {kind: const}
          f: {kind: features.acoustic, inputs: {split: [a, a]}}
        """)
        #expect(firstError { _ = try validator.validate(spec) }?.message.contains("takes exactly one node, got 2") == true)
    }
}

@Suite struct CanonicalJSONTests {
    @Test func sortedCompactAndTyped() throws {
        let v: Value = .object(["b": .int(1), "a": .array([.double(13), .string("x\"\n\u{1}"), .null, .bool(true)]), "é": .double(0.1)])
        #expect(try CanonicalJSON.string(v) == #"{"a":[13.0,"x\"\n\u0001",null,true],"b":1,"é":0.1}"#)
    }

    @Test func nonFiniteIsRefused() {
        #expect(throws: SpecError.self) { try CanonicalJSON.encode(.double(.nan)) }
    }
}

@Suite struct JSONReaderTests {
    @Test func roundTripsCanonicalJSONKeepingIntsAndDoublesApart() throws {
        let v: Value = .object(["a": .array([.double(0), .int(0), .double(-1.5e-7), .string("é\"\\\n\u{1}"), .null, .bool(false)]),
                                "b": .object([:]), "c": .array([])])
        #expect(try JSONReader.parse(CanonicalJSON.string(v)) == v)
        #expect(try JSONReader.parse(" {\"x\" : [1, 2.0 ]} ") == .object(["x": .array([.int(1), .double(2)])]))
        #expect(try JSONReader.parse("\"\\ud83d\\ude00\"") == .string("😀"))
        #expect(throws: SpecError.self) { try JSONReader.parse("{\"x\": }") }
        #expect(throws: SpecError.self) { try JSONReader.parse("[1] 2") }
    }
}
