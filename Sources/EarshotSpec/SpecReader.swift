import Foundation

/// Reads an experiment file: YAML → `ExperimentSpec`, keeping every value's source position.
///
/// Expands `foreach` templates (`${item.x}`, `${params.x}`, `${experiment}`, `${seed}` interpolation), applies
/// `-p` overrides, and refuses alias expansions that grow beyond a bound proportional to the file's size
/// (billion-laughs documents), so a hostile file cannot exhaust memory. `foreach` is bounded by the nodes it makes
/// (`maxNodes` in the whole experiment), not by the alias bound: a template's expansion is charged to the alias
/// budget once, for its first item.
public struct SpecReader: Sendable {
    /// Most nodes an experiment may have, `foreach` expansions included.
    public static let maxNodes = 1_000_000

    public static let topLevelKeys = ["experiment", "seed", "description", "params", "nodes"]
    public static let nodeKeys = ["kind", "inputs", "params", "foreach", "description", "resources"]

    public var overrides: [Override]

    public init(overrides: [Override] = []) {
        self.overrides = overrides
    }

    /// Reads and parses the file at `path`.
    public func read(path: String) throws -> ExperimentSpec {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SpecError("cannot read experiment file '\(path)': \((error as NSError).localizedDescription)", at: nil)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError("experiment file '\(path)' is not valid UTF-8", at: SourceLocation(file: path, line: 0, column: 0))
        }
        return try parse(text, file: path, directory: url.deletingLastPathComponent().standardizedFileURL.path)
    }

    /// Parses YAML text; `file` names it in diagnostics, `directory` anchors relative paths.
    public func parse(_ text: String, file: String, directory: String) throws -> ExperimentSpec {
        var context = ReadContext(file: file, budget: 10 * text.utf8.count + 100_000)
        let root: YAMLTree
        do {
            guard let node = try YAMLTree.parse(text) else {
                throw SpecError("experiment file is empty; it needs at least 'experiment:' and 'nodes:'",
                                at: SourceLocation(file: file, line: 1, column: 1))
            }
            root = node
        } catch let error as YAMLTree.ParseError {
            throw context.yamlError(error)
        }
        guard case .mapping(let top, _) = root else {
            throw SpecError("the top level must be a mapping with 'experiment:' and 'nodes:'", at: context.loc(root))
        }
        try context.checkKeys(top, allowed: Self.topLevelKeys, what: "top-level key")

        guard let nameNode = root["experiment"] else {
            throw SpecError("missing 'experiment:' (the experiment's name)", at: context.loc(root))
        }
        guard let name = nameNode.scalarText, !name.isEmpty else {
            throw SpecError("'experiment' must be a non-empty string", at: context.loc(nameNode))
        }
        var seed = 0
        if let seedNode = root["seed"] {
            guard case .scalar(let text, let plain, _) = seedNode, case .int(let s) = YAMLTree.typed(text, plain: plain) else {
                throw SpecError("'seed' must be an integer, got '\(seedNode.scalarText ?? "a collection")'", at: context.loc(seedNode))
            }
            seed = s
        }
        var description: String?
        if let d = root["description"] {
            guard let s = d.scalarText else { throw SpecError("'description' must be a string", at: context.loc(d)) }
            description = s
        }

        var params: [String: ParamEntry] = [:]
        if let p = root["params"] {
            guard case .mapping(let map, _) = p else {
                throw SpecError("'params' must be a mapping of name: value", at: context.loc(p))
            }
            for (k, v) in map {
                params[try context.key(k)] = ParamEntry(try context.value(v), at: context.loc(v), nameAt: context.loc(k))
            }
        }
        for o in overrides where o.node == nil {
            params[o.path[0]] = ParamEntry(o.applied(to: params[o.path[0]]?.value), at: o.location)
        }

        guard let nodesNode = root["nodes"] else {
            throw SpecError("missing 'nodes:' (the mapping of node id to node)", at: context.loc(root))
        }
        guard case .mapping(let nodesMap, _) = nodesNode else {
            throw SpecError("'nodes' must be a mapping of node id to node", at: context.loc(nodesNode))
        }
        let interpolationBase = Interpolation(experiment: name, seed: seed, params: params.mapValues(\.value))
        var nodes: [NodeSpec] = []
        var seen: [String: SourceLocation] = [:]
        for (idNode, body) in nodesMap {
            let template = try context.key(idNode)
            for node in try context.expand(template: template, idNode: idNode, body: body, base: interpolationBase,
                                           room: Self.maxNodes - nodes.count) {
                if let first = seen[node.id] {
                    throw SpecError("duplicate node id '\(node.id)' (first defined at \(first))", at: node.location)
                }
                seen[node.id] = node.location
                nodes.append(node)
            }
        }
        var spec = ExperimentSpec(file: file, directory: directory, name: name,
                                  nameLocation: context.loc(nameNode), seed: seed, description: description,
                                  params: params, nodes: nodes)
        try applyNodeOverrides(&spec)
        return spec
    }

    /// The whole YAML document as a plain value (no expansion or validation), e.g. to check it against the JSON Schema.
    public static func document(_ text: String, file: String = "<yaml>") throws -> Value {
        var context = ReadContext(file: file, budget: 10 * text.utf8.count + 100_000)
        do {
            guard let node = try YAMLTree.parse(text) else { return .null }
            return try context.value(node)
        } catch let error as YAMLTree.ParseError {
            throw context.yamlError(error)
        }
    }

    func applyNodeOverrides(_ spec: inout ExperimentSpec) throws {
        var index: [String: Int] = [:]
        for (i, n) in spec.nodes.enumerated() { index[n.id] = i }
        for o in overrides {
            guard let node = o.node else { continue }
            guard let i = index[node] else {
                throw SpecError("-p \(o.text): no node '\(node)' in the experiment\(Suggestion.hint(for: node, in: index.keys))",
                                at: o.location)
            }
            let name = o.path[0]
            spec.nodes[i].params[name] = ParamEntry(o.applied(to: spec.nodes[i].params[name]?.value), at: o.location)
        }
    }
}

/// What `${…}` placeholders may refer to while a node is being expanded.
struct Interpolation {
    var experiment: String
    var seed: Int
    var params: [String: Value]
    var item: [String: Value] = [:]

    func lookup(_ name: String) -> Value? {
        if name == "experiment" { return .string(experiment) }
        if name == "seed" { return .int(seed) }
        if name.hasPrefix("item.") { return item[String(name.dropFirst(5))] }
        if name.hasPrefix("params.") { return params[String(name.dropFirst(7))] }
        return nil
    }
}

/// Mutable state of one read: the file name and the remaining alias-expansion budget.
struct ReadContext {
    let file: String
    var budget: Int

    func loc(_ node: YAMLTree) -> SourceLocation {
        SourceLocation(file: file, line: node.mark.line, column: node.mark.column)
    }

    func yamlError(_ error: YAMLTree.ParseError) -> SpecError {
        let prefix = error.message.hasPrefix("duplicate key") || error.message.hasPrefix("a second YAML document") ? "" : "invalid YAML: "
        return SpecError(prefix + error.message, at: SourceLocation(file: file, line: error.mark.line, column: error.mark.column))
    }

    func key(_ node: YAMLTree) throws -> String {
        guard case .scalar(let s, _, _) = node else {
            throw SpecError("mapping keys must be plain strings", at: loc(node))
        }
        return s
    }

    func checkKeys(_ map: [(key: YAMLTree, value: YAMLTree)], allowed: [String], what: String) throws {
        for (k, _) in map {
            let name = try key(k)
            if !allowed.contains(name) {
                throw SpecError("unknown \(what) '\(name)'\(Suggestion.hint(for: name, in: allowed)); allowed: \(allowed.joined(separator: ", "))",
                                at: loc(k))
            }
        }
    }

    /// Converts a YAML node to a `Value`, charging the alias-expansion budget for every node visited.
    mutating func value(_ node: YAMLTree) throws -> Value {
        budget -= 1
        if budget < 0 {
            throw SpecError("YAML aliases expand beyond a sane size (billion-laughs pattern?); write the values out or use fewer nested aliases",
                            at: loc(node))
        }
        switch node {
        case .scalar(let s, let plain, _):
            return YAMLTree.typed(s, plain: plain)
        case .sequence(let seq, _):
            var out: [Value] = []
            out.reserveCapacity(seq.count)
            for n in seq { out.append(try value(n)) }
            return .array(out)
        case .mapping(let map, _):
            var out: [String: Value] = [:]
            for (k, v) in map { out[try key(k)] = try value(v) }
            return .object(out)
        }
    }

    /// Expands one entry of `nodes:` into one node, or one per `foreach` item.
    mutating func expand(template: String, idNode: YAMLTree, body: YAMLTree, base: Interpolation, room: Int) throws -> [NodeSpec] {
        guard case .mapping(let map, _) = body else {
            throw SpecError("node '\(template)' must be a mapping with at least 'kind:'", at: loc(body))
        }
        try checkKeys(map, allowed: SpecReader.nodeKeys, what: "node key")
        var items: [[String: Value]] = [[:]]
        var isTemplate = false
        if let foreach = body["foreach"] {
            isTemplate = true
            items = try foreachItems(foreach, room: room, template: template)
            if items.count > 1 && !template.contains("${") {
                throw SpecError("node '\(template)' has a foreach of \(items.count) items but its id has no ${item.…} placeholder, so the ids would collide",
                                at: loc(idNode))
            }
        }
        guard items.count <= room else { throw tooManyNodes(template, count: items.count, at: loc(idNode)) }
        var nodes: [NodeSpec] = []
        nodes.reserveCapacity(items.count)
        var budgetAfterFirst = budget
        for (index, item) in items.enumerated() {
            // Every copy of the template costs what the first did: charge the alias budget once (the count is bounded
            // by maxNodes).
            if index == 1 { budgetAfterFirst = budget }
            if index > 0 { budget = budgetAfterFirst }
            var env = base
            env.item = item
            let id = try interpolate(template, env, at: loc(idNode)).asText
            try checkID(id, at: loc(idNode))
            guard let kindNode = body["kind"] else {
                throw SpecError("node '\(id)' has no 'kind:'", at: loc(idNode))
            }
            guard let kindText = kindNode.scalarText else {
                throw SpecError("'kind' of node '\(id)' must be a string", at: loc(kindNode))
            }
            let kind = try interpolate(kindText, env, at: loc(kindNode)).asText
            var node = NodeSpec(id: id, location: loc(idNode), kind: kind, kindLocation: loc(kindNode),
                                template: isTemplate ? template : nil)
            if let d = body["description"] { node.description = try interpolate(d.scalarText ?? "", env, at: loc(d)).asText }
            if let r = body["resources"] { node.resources = try NodeResources(try interpolated(r, env), at: loc(r), node: id) }
            if let p = body["params"] {
                guard case .mapping(let pm, _) = p else {
                    throw SpecError("'params' of node '\(id)' must be a mapping", at: loc(p))
                }
                for (k, v) in pm {
                    node.params[try key(k)] = ParamEntry(try interpolated(v, env), at: loc(v), nameAt: loc(k))
                }
            }
            if let i = body["inputs"] {
                guard case .mapping(let im, _) = i else {
                    throw SpecError("'inputs' of node '\(id)' must be a mapping of input name to node id", at: loc(i))
                }
                for (k, v) in im {
                    node.inputs[try key(k)] = try binding(v, env)
                }
            }
            nodes.append(node)
        }
        return nodes
    }

    func checkID(_ id: String, at location: SourceLocation) throws {
        let ok = !id.isEmpty && id.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }
        if !ok {
            throw SpecError("invalid node id '\(id)': use letters, digits, '_' and '-' (no dots, which separate node and output)",
                            at: location)
        }
    }

    func tooManyNodes(_ template: String, count: Int, at location: SourceLocation) -> SpecError {
        SpecError("node '\(template)' expands to \(count) nodes; an experiment holds at most \(SpecReader.maxNodes) nodes (split it into several experiments)",
                  at: location)
    }

    mutating func foreachItems(_ node: YAMLTree, room: Int, template: String) throws -> [[String: Value]] {
        switch node {
        case .mapping(let map, _):
            // Matrix: the cross product of the lists, first key varying slowest.
            var items: [[String: Value]] = [[:]]
            for (k, v) in map {
                let name = try key(k)
                guard case .array(let values) = try value(v), !values.isEmpty else {
                    throw SpecError("foreach '\(name)' must be a non-empty list", at: loc(v))
                }
                let (count, overflow) = items.count.multipliedReportingOverflow(by: values.count)
                guard !overflow, count <= room else {
                    throw tooManyNodes(template, count: overflow ? Int.max : count, at: loc(node))
                }
                items = items.flatMap { item in values.map { var next = item; next[name] = $0; return next } }
            }
            return items
        case .sequence(let seq, _):
            guard !seq.isEmpty else { throw SpecError("foreach must not be empty", at: loc(node)) }
            return try seq.map { entry in
                guard case .object(let obj) = try value(entry) else {
                    throw SpecError("foreach list items must be mappings of name: value", at: loc(entry))
                }
                return obj
            }
        default:
            throw SpecError("foreach must be a mapping of name: [values] (a matrix) or a list of mappings", at: loc(node))
        }
    }

    mutating func interpolated(_ node: YAMLTree, _ env: Interpolation) throws -> Value {
        switch node {
        case .scalar(let s, _, _) where s.contains("${"):
            let result = try interpolate(s, env, at: loc(node))
            if case .whole(let v) = result { return v }
            return .string(result.asText)
        case .sequence(let seq, _):
            budget -= 1
            return .array(try seq.map { try interpolated($0, env) })
        case .mapping(let map, _):
            budget -= 1
            var out: [String: Value] = [:]
            for (k, v) in map { out[try key(k)] = try interpolated(v, env) }
            return .object(out)
        default:
            return try value(node)
        }
    }

    mutating func binding(_ node: YAMLTree, _ env: Interpolation) throws -> InputBinding {
        switch node {
        case .scalar(let s, _, _):
            let text = try interpolate(s, env, at: loc(node)).asText
            return InputBinding(refs: [NodeRef.parse(text, at: loc(node))], isList: false, location: loc(node))
        case .sequence(let seq, _):
            var refs: [NodeRef] = []
            for entry in seq {
                guard let s = entry.scalarText else {
                    throw SpecError("input lists hold node ids (strings)", at: loc(entry))
                }
                refs.append(NodeRef.parse(try interpolate(s, env, at: loc(entry)).asText, at: loc(entry)))
            }
            return InputBinding(refs: refs, isList: true, location: loc(node))
        default:
            throw SpecError("an input is a node id, 'node.output', or a list of them", at: loc(node))
        }
    }

    enum Interpolated {
        case whole(Value)
        case text(String)
        var asText: String {
            switch self {
            case .text(let s): s
            case .whole(.string(let s)): s
            case .whole(let v): Self.render(v)
            }
        }
        static func render(_ v: Value) -> String {
            switch v {
            case .string(let s): s
            case .int(let i): String(i)
            case .double(let d): d.description
            case .bool(let b): b ? "true" : "false"
            default: (try? CanonicalJSON.string(v)) ?? v.description
            }
        }
    }

    /// Replaces `${name}` placeholders; a string that is exactly one placeholder keeps the value's type.
    func interpolate(_ text: String, _ env: Interpolation, at location: SourceLocation) throws -> Interpolated {
        guard text.contains("${") else { return .text(text) }
        var out = ""
        var rest = Substring(text)
        var wholeValue: Value?
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw SpecError("unterminated placeholder in '\(text)'", at: location)
            }
            let name = String(rest[start.upperBound..<end])
            guard let v = env.lookup(name) else {
                let known = ["experiment", "seed"] + env.item.keys.map { "item.\($0)" } + env.params.keys.map { "params.\($0)" }
                throw SpecError("unknown placeholder '${\(name)}'\(Suggestion.hint(for: name, in: known))", at: location)
            }
            if start.lowerBound == text.startIndex && rest.index(after: end) == rest.endIndex && out.isEmpty {
                wholeValue = v
            }
            out += Interpolated.render(v)
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        if let v = wholeValue { return .whole(v) }
        return .text(out)
    }
}
