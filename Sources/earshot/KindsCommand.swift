import ArgumentParser
import EarshotNodes
import EarshotSpec
import Foundation

struct KindsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinds",
        abstract: "List node kinds, or show one kind's inputs, outputs, params, defaults and version.")

    @Argument(help: "A kind to describe in full.")
    var kind: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let signatures = Registry.standard().signatures
        var selected = signatures
        if let kind {
            guard let sig = signatures.first(where: { $0.name == kind }) else {
                fail(SpecError("unknown node kind '\(kind)'\(Suggestion.hint(for: kind, in: signatures.map(\.name)))", at: nil))
            }
            selected = [sig]
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(selected.map(KindDescription.init)), as: UTF8.self))
            return
        }
        if kind == nil {
            let width = signatures.map(\.name.count).max() ?? 0
            for s in signatures {
                print("\(s.name.padding(toLength: width, withPad: " ", startingAt: 0))  v\(s.version)  \(s.summary)")
            }
            print("\n`earshot kinds KIND` shows a kind's inputs, outputs and params.")
            return
        }
        let s = selected[0]
        print("\(s.name) (version \(s.version))\(s.seeded ? ", seeded" : "")\n  \(s.summary)\n")
        print("inputs:")
        if s.acceptsAnyInputs { print("  any name: referenced from params as {in.NAME}") }
        if s.inputs.isEmpty && !s.acceptsAnyInputs { print("  (none)") }
        for i in s.inputs {
            print("  \(i.name)\(i.multiple ? " (list)" : "")\(i.required ? "" : " (optional)"): \(i.summary)")
        }
        print("outputs:")
        if s.dynamicOutputs != nil { print("  as declared by the 'outputs' param") }
        for o in s.outputs { print("  \(o.name) [\(o.type)]: \(o.summary)") }
        print("params:")
        for p in s.params {
            let def = p.defaultValue.map { "default \($0)" } ?? "required"
            print("  \(p.name): \(p.type), \(def)\n      \(p.summary)")
        }
    }
}

/// The JSON form of a kind signature.
struct KindDescription: Encodable {
    struct Param: Encodable { var name, type, summary: String; var `default`: Value?; var required: Bool }
    struct Input: Encodable { var name, summary: String; var required, multiple: Bool; var types: [String] }
    struct Output: Encodable { var name, type, summary: String }
    var name: String
    var version: Int
    var summary: String
    var seeded: Bool
    var acceptsAnyInputs: Bool
    var dynamicOutputs: Bool
    var inputs: [Input]
    var outputs: [Output]
    var params: [Param]

    init(_ s: KindSignature) {
        name = s.name
        version = s.version
        summary = s.summary
        seeded = s.seeded
        acceptsAnyInputs = s.acceptsAnyInputs
        dynamicOutputs = s.dynamicOutputs != nil
        inputs = s.inputs.map { Input(name: $0.name, summary: $0.summary, required: $0.required, multiple: $0.multiple, types: $0.types) }
        outputs = s.outputs.map { Output(name: $0.name, type: $0.type, summary: $0.summary) }
        params = s.params.map { Param(name: $0.name, type: $0.type.description, summary: $0.summary, default: $0.defaultValue, required: $0.defaultValue == nil) }
    }
}

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of experiment files (what schemas/experiment.schema.json holds).",
        discussion: "Regenerate the committed copy after adding or changing a node kind:\n  earshot schema > schemas/experiment.schema.json")

    func run() throws {
        print(ExperimentSchema.pretty(ExperimentSchema.generate(kinds: Registry.standard().signatures)))
    }
}
