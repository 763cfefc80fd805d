import Foundation

/// A node whose kind exists, whose params are typed and complete, and whose inputs point at real outputs.
public struct ValidatedNode: Sendable {
    public var spec: NodeSpec
    public var signature: KindSignature
    /// Every declared param: the node's value, else the experiment's, else the default (normalised).
    public var params: [String: Value]
    /// Input name → upstream (node id, output name), in the order written.
    public var inputs: [String: [OutputRef]]
    /// Output names this node produces.
    public var outputs: [String]
    /// `params` as they enter the node key: `path` params as written in the experiment file (relative to its
    /// folder), not made absolute, so that moving a checkout keeps its keys; nil when equal to `params`.
    public var keyParams: [String: Value]? = nil

    public var id: String { spec.id }
}

/// An upstream node's named output.
public struct OutputRef: Sendable, Hashable, Codable, CustomStringConvertible {
    public var node: String
    public var output: String
    public init(node: String, output: String) {
        self.node = node
        self.output = output
    }
    public var description: String { "\(node).\(output)" }
}

/// Checks an `ExperimentSpec` against the node kinds and reports every problem with its file:line:col.
public struct SpecValidator: Sendable {
    public var kinds: [String: KindSignature]

    public init(kinds: [KindSignature]) {
        self.kinds = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Validates all nodes; throws one `SpecError` carrying every diagnostic found.
    public func validate(_ spec: ExperimentSpec) throws -> [ValidatedNode] {
        var errors: [SpecError] = []
        var validated: [ValidatedNode] = []
        var outputsByNode: [String: [String]] = [:]
        // First pass: kinds and params (outputs can depend on params).
        for node in spec.nodes {
            guard let sig = kinds[node.kind] else {
                errors.append(SpecError("unknown node kind '\(node.kind)'\(Suggestion.hint(for: node.kind, in: kinds.keys)); `earshot kinds` lists them",
                                        at: node.kindLocation))
                continue
            }
            var params: [String: Value] = [:]
            var keyParams: [String: Value] = [:]
            let declared = Set(sig.params.map(\.name))
            for (name, entry) in node.params where !declared.contains(name) {
                let names = sig.params.map(\.name)
                errors.append(SpecError("unknown param '\(name)' for kind '\(sig.name)'\(Suggestion.hint(for: name, in: names))" +
                                        (names.isEmpty ? "; it takes no params" : "; it takes: \(names.joined(separator: ", "))"),
                                        at: entry.nameLocation))
            }
            for p in sig.params {
                let entry = node.params[p.name] ?? spec.params[p.name]
                guard let entry else {
                    if let d = p.defaultValue {
                        params[p.name] = d
                    } else {
                        errors.append(SpecError("node '\(node.id)' (\(sig.name)) is missing required param '\(p.name)' (\(p.type)): \(p.summary)",
                                                at: node.location))
                    }
                    continue
                }
                do {
                    params[p.name] = try Self.check(entry.value, as: p.type, name: p.name, directory: spec.directory)
                    if let written = Self.asWritten(entry.value, checked: params[p.name]!, as: p.type) { keyParams[p.name] = written }
                } catch let message as ParamMismatch {
                    errors.append(SpecError(message.text, at: entry.location))
                }
            }
            outputsByNode[node.id] = sig.outputNames(params: params)
            validated.append(ValidatedNode(spec: node, signature: sig, params: params, inputs: [:], outputs: outputsByNode[node.id]!,
                                           keyParams: keyParams.isEmpty ? nil : params.merging(keyParams) { $1 }))
        }
        // Second pass: inputs.
        let allIDs = spec.nodes.map(\.id)
        func resolve(_ ref: NodeRef, input: String, of node: NodeSpec) -> OutputRef? {
            guard let outputs = outputsByNode[ref.node] else {
                let reason = allIDs.contains(ref.node) ? "node '\(ref.node)' is invalid (see its error)"
                    : "no node '\(ref.node)'\(Suggestion.hint(for: ref.node, in: allIDs))"
                errors.append(SpecError("input '\(input)' of node '\(node.id)' refers to \(reason)", at: ref.location))
                return nil
            }
            let output = ref.output ?? outputs.first ?? ""
            guard outputs.contains(output) else {
                errors.append(SpecError("node '\(ref.node)' has no output '\(output)'\(Suggestion.hint(for: output, in: outputs)); it has: \(outputs.joined(separator: ", "))",
                                        at: ref.location))
                return nil
            }
            if ref.node == node.id {
                errors.append(SpecError("node '\(node.id)' uses its own output as input '\(input)'", at: ref.location))
                return nil
            }
            return OutputRef(node: ref.node, output: output)
        }
        for i in validated.indices {
            let node = validated[i].spec
            let sig = validated[i].signature
            let inputNames = sig.inputs.map(\.name)
            for (name, binding) in node.inputs where !inputNames.contains(name) {
                if sig.acceptsAnyInputs {
                    validated[i].inputs[name] = binding.refs.compactMap { resolve($0, input: name, of: node) }
                    continue
                }
                errors.append(SpecError("unknown input '\(name)' for kind '\(sig.name)'\(Suggestion.hint(for: name, in: inputNames))" +
                                        (inputNames.isEmpty ? "; it takes no inputs" : "; it takes: \(inputNames.joined(separator: ", "))"),
                                        at: binding.location))
            }
            for input in sig.inputs {
                guard let binding = node.inputs[input.name] else {
                    if input.required {
                        errors.append(SpecError("node '\(node.id)' (\(sig.name)) is missing required input '\(input.name)': \(input.summary)",
                                                at: node.location))
                    }
                    continue
                }
                if !input.multiple && (binding.refs.count != 1) {
                    errors.append(SpecError("input '\(input.name)' of kind '\(sig.name)' takes exactly one node, got \(binding.refs.count)",
                                            at: binding.location))
                    continue
                }
                validated[i].inputs[input.name] = binding.refs.compactMap { resolve($0, input: input.name, of: node) }
            }
        }
        // A foreach template's mistake shows once, not once per expanded node.
        var seen = Set<String>()
        let unique = errors.sorted(by: SpecError.fileOrder).filter { seen.insert($0.description).inserted }
        if let error = SpecError.combined(unique) { throw error }
        return validated
    }

    struct ParamMismatch: Error { var text: String }

    /// Checks and normalises one param value against its type.
    /// The value of a param holding paths as written (strings kept, other values as checked); nil when it holds no path.
    static func asWritten(_ written: Value, checked: Value, as type: ParamType) -> Value? {
        switch (type, written, checked) {
        case (.path, .string, _): return written
        case (.list(let element), .array(let items), .array(let done)) where items.count == done.count:
            let mapped = zip(items, done).map { asWritten($0, checked: $1, as: element) }
            return mapped.allSatisfy { $0 == nil } ? nil : .array(zip(mapped, done).map { $0 ?? $1 })
        case (.map(let element), .object(let items), .object(let done)):
            var out = done, any = false
            for (k, v) in items { if let d = done[k], let w = asWritten(v, checked: d, as: element) { out[k] = w; any = true } }
            return any ? .object(out) : nil
        default: return nil
        }
    }

    public static func check(_ value: Value, as type: ParamType, name: String, directory: String) throws -> Value {
        func fail(_ expected: String) -> ParamMismatch {
            ParamMismatch(text: "param '\(name)' must be \(expected), got \(value.typeName) \(value)")
        }
        switch type {
        case .int(let lo, let hi):
            guard case .int(let i) = value else { throw fail("an int") }
            if let lo, i < lo { throw ParamMismatch(text: "param '\(name)' must be ≥ \(lo), got \(i)") }
            if let hi, i > hi { throw ParamMismatch(text: "param '\(name)' must be ≤ \(hi), got \(i)") }
            return value
        case .double(let lo, let hi):
            guard let d = value.doubleValue else { throw fail("a number") }
            guard d.isFinite else { throw ParamMismatch(text: "param '\(name)' must be finite, got \(d)") }
            if let lo, d < lo { throw ParamMismatch(text: "param '\(name)' must be ≥ \(lo), got \(d)") }
            if let hi, d > hi { throw ParamMismatch(text: "param '\(name)' must be ≤ \(hi), got \(d)") }
            return .double(d)
        case .bool:
            guard case .bool = value else { throw fail("true or false") }
            return value
        case .string:
            switch value {
            case .string: return value
            case .int(let i): return .string(String(i))
            default: throw fail("a string")
            }
        case .choice(let options):
            guard case .string(let s) = value else { throw fail("one of \(type)") }
            guard options.contains(s) else {
                throw ParamMismatch(text: "param '\(name)' must be one of \(type), got '\(s)'\(Suggestion.hint(for: s, in: options))")
            }
            return value
        case .path:
            guard case .string(let s) = value, !s.isEmpty else { throw fail("a path (string)") }
            if s.hasPrefix("/") { return .string(URL(fileURLWithPath: s).standardizedFileURL.path) }
            return .string(URL(fileURLWithPath: s, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path)
        case .list(let element):
            guard case .array(let items) = value else { throw fail("a list of \(element)") }
            return .array(try items.enumerated().map { try check($0.element, as: element, name: "\(name)[\($0.offset)]", directory: directory) })
        case .map(let element):
            guard case .object(let items) = value else { throw fail("a mapping of string to \(element)") }
            var out: [String: Value] = [:]
            for (k, v) in items { out[k] = try check(v, as: element, name: "\(name).\(k)", directory: directory) }
            return .object(out)
        case .any:
            return value
        case .optional(let inner):
            if value == .null { return value }
            do { return try check(value, as: inner, name: name, directory: directory) } catch let m as ParamMismatch {
                throw ParamMismatch(text: m.text + " (or null)")
            }
        }
    }
}
