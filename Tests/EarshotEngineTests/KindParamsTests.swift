import EarshotNodes
import EarshotRun
import EarshotSpec
import Foundation
import Testing

/// Typed params (issue 14): the signature `earshot kinds` prints and the value a kind's code reads come from one
/// declaration, so they cannot disagree; every numeric param is bounded (issue 13).
@Suite struct KindParamsTests {
    @Test func kindsJSONDefaultsAreTheDecodedParams() throws {
        let dir = FileManager.default.temporaryDirectory
        let result = try runEarshot(["kinds", "--json"], in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        guard case .array(let kinds) = try JSONReader.parse(result.stdout) else {
            Issue.record("earshot kinds --json is not a list")
            return
        }
        let registry = Registry.standard()
        #expect(kinds.count == registry.signatures.count)
        for entry in kinds {
            let name = entry.objectValue?["name"]?.stringValue ?? ""
            guard let kind = registry[name] else {
                Issue.record("earshot kinds lists '\(name)', which the registry does not have")
                continue
            }
            var defaults: [String: Value] = [:]
            var names = Set<String>()
            for p in entry.objectValue?["params"]?.arrayValue ?? [] {
                let paramName = p.objectValue?["name"]?.stringValue ?? ""
                names.insert(paramName)
                if p.objectValue?["required"] == .bool(false) { defaults[paramName] = p.objectValue?["default"] ?? .null }
            }
            // What the kind's code reads when the node gives no params: the decoded value of the declared defaults.
            let decoded = try kind.paramsType.init(decoding: defaults, lenient: true).values
            #expect(Set(decoded.keys) == names, "kind '\(name)': the params its code reads differ from those `earshot kinds` lists")
            for (param, listed) in defaults {
                // JSON prints 1.0 as 1: read the listed default as its declared type, as validation does.
                let type = kind.signature.params.first { $0.name == param }?.type ?? .any
                let value = (try? SpecValidator.check(listed, as: type, name: param, directory: "/")) ?? listed
                #expect(decoded[param] == value, "kind '\(name)' param '\(param)': `earshot kinds` says default \(value), the code reads \(decoded[param] ?? .null)")
            }
        }
    }

    @Test func everyNumericParamIsBoundedAndShown() throws {
        for sig in Registry.standard().signatures {
            for p in sig.params {
                #expect(p.type.isBounded, "kind '\(sig.name)' param '\(p.name)' (\(p.type)) has no upper or lower bound")
            }
        }
        let shown = try runEarshot(["kinds", "features.acoustic"], in: FileManager.default.temporaryDirectory)
        #expect(shown.stdout.contains("n_fft: int in [2, 65536], default 512"), "\(shown.stdout)")
    }

    /// No kind reads a param by name with a fallback of its own (`context.int("folds") ?? 10`).
    @Test func nodeKindsReadNoParamByName() throws {
        let root = repositoryRoot.appendingPathComponent("Sources/EarshotNodes")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(!files.isEmpty)
        let patterns = [#"context\.(int|double|string|bool|strings)\("#, #"params\[""#, #"(context|params)[^?]*\?\?\s*(-?[0-9]|"|true\b|false\b)"#]
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for pattern in patterns where line.range(of: pattern, options: .regularExpression) != nil {
                    Issue.record("Sources/EarshotNodes/\(file):\(n + 1) reads a param by name or falls back to a literal: \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
    }

    @Test func outOfBoundsValuesAreRefusedWithTheirLocation() throws {
        let text = """
        experiment: bounds
        nodes:
          a:
            kind: synth_corpus
            params: {per_class: 9223372036854775807, sample_rate: 4611686018427387904}
        """
        #expect {
            _ = try Registry.standard().graph(try SpecReader().parse(text, file: "bounds.yaml", directory: "/"))
        } throws: { error in
            let message = "\(error)"
            return message.contains("bounds.yaml:5:25: error: param 'per_class' must be ≤ 100000, got 9223372036854775807")
                && message.contains("bounds.yaml:5:59: error: param 'sample_rate' must be ≤ 192000")
        }
    }
}
