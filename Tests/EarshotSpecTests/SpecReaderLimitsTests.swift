import Testing
@testable import EarshotSpec

/// What the reader refuses from a hostile or mistaken file, and what it must not refuse (issue 13).
@Suite struct SpecReaderLimitsTests {
    static func matrix(_ a: Int, _ b: Int) -> String {
        """
        experiment: m
        nodes:
          n_${item.a}_${item.b}:
            foreach: {a: [\((0..<a).map(String.init).joined(separator: ", "))], b: [\((0..<b).map(String.init).joined(separator: ", "))]}
            kind: const
            params: {value: "${item.a}", mode: fast}
        """
    }

    @Test func aPlainLargeForeachIsAccepted() throws {
        let yaml = Self.matrix(150, 150)
        #expect(yaml.utf8.count < 2_000)
        let spec = try parse(yaml)
        #expect(spec.nodes.count == 22_500)
        #expect(spec.nodes.last?.id == "n_149_149")
        #expect(spec.nodes.last?.params["value"]?.value == .int(149))
    }

    @Test func aForeachBeyondTheNodeLimitIsRefusedWithItsLocation() {
        let e = firstError { _ = try parse(Self.matrix(1_001, 1_000)) }
        #expect(e?.message.contains("expands to 1001000 nodes; an experiment holds at most 1000000 nodes") == true, "\(String(describing: e))")
        #expect(e?.location?.line == 4)
    }

    @Test func aliasBombsInsideAForeachTemplateAreStillRefused() {
        var yaml = "experiment: m\nparams:\n  l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...7 {
            yaml += "  l\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "nodes:\n  n_${item.k}:\n    foreach: {k: [1, 2]}\n    kind: const\n    params: {value: 1, mode: fast, big: *a7}\n"
        let e = firstError { _ = try parse(yaml) }
        #expect(e?.message.contains("aliases expand beyond") == true, "\(String(describing: e))")
    }

    @Test func aSecondDocumentIsAnErrorWithItsLocation() {
        let yaml = "experiment: m\nnodes:\n  a: {kind: const}\n---\nexperiment: other\nnodes: {}\n"
        let e = firstError { _ = try parse(yaml) }
        #expect(e?.message.contains("a second YAML document starts here") == true, "\(String(describing: e))")
        #expect(e?.location?.line == 4 && e?.location?.file == "exp.yaml")
        // An explicit start of the one document, and an explicit end, are fine.
        #expect((try? parse("---\nexperiment: m\nnodes: {}\n...\n")) != nil)
        #expect(firstError { _ = try SpecReader.document("a: 1\n---\nb: 2\n") }?.location?.line == 2)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let depth = 100_000
        let yaml = "experiment: m\nnodes: {}\nparams:\n  x: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let e = firstError { _ = try parse(yaml) }
        // libyaml's own nesting limit (1,000) or the reader's (256), whichever a build has: an error with a location.
        #expect(e?.message.lowercased().contains("nest") == true, "\(String(describing: e))")
        #expect(e?.location?.line == 4)
    }
}
