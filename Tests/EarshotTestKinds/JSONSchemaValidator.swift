import EarshotSpec
import Foundation

/// Test support shared by the engine and report tests.
/// A small JSON Schema (2020-12) validator covering the keywords `schemas/*.schema.json` use: type, enum, const,
/// properties, required, additionalProperties, propertyNames, items, minItems, minimum, maximum, minLength,
/// pattern, anyOf, oneOf, allOf, if/then and local `$ref`s. Returns one message per violation.
public struct JSONSchemaValidator {
    public let root: Value

    public init(root: Value) { self.root = root }

    public func validate(_ instance: Value) -> [String] {
        var errors: [String] = []
        check(instance, against: root, at: "$", into: &errors)
        return errors
    }

    func resolve(_ ref: String) -> Value? {
        guard ref.hasPrefix("#/") else { return nil }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node.objectValue?[String(part)] else { return nil }
            node = next
        }
        return node
    }

    static func typeMatches(_ v: Value, _ type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): true
        case ("integer", .int): true
        case ("integer", .double(let d)): d == d.rounded()
        case ("number", .int), ("number", .double): true
        default: false
        }
    }

    func check(_ v: Value, against schema: Value, at path: String, into errors: inout [String]) {
        if case .bool(let b) = schema { if !b { errors.append("\(path): not allowed") }; return }
        guard let s = schema.objectValue else { return }
        if let ref = s["$ref"]?.stringValue {
            if let target = resolve(ref) { check(v, against: target, at: path, into: &errors) } else { errors.append("\(path): unresolvable $ref \(ref)") }
        }
        if let t = s["type"]?.stringValue, !Self.typeMatches(v, t) { errors.append("\(path): expected \(t), got \(v.typeName)"); return }
        if let options = s["enum"]?.arrayValue, !options.contains(v) { errors.append("\(path): \(v) is not one of \(options)") }
        if let c = s["const"], c != v { errors.append("\(path): expected \(c)") }
        if let min = s["minimum"]?.doubleValue, let d = v.doubleValue, d < min { errors.append("\(path): \(d) < minimum \(min)") }
        if let max = s["maximum"]?.doubleValue, let d = v.doubleValue, d > max { errors.append("\(path): \(d) > maximum \(max)") }
        if case .string(let str) = v {
            if let n = s["minLength"]?.intValue, str.count < n { errors.append("\(path): shorter than \(n)") }
            if let p = s["pattern"]?.stringValue, str.range(of: p, options: .regularExpression) == nil {
                errors.append("\(path): '\(str)' does not match \(p)")
            }
        }
        if case .array(let items) = v {
            if let n = s["minItems"]?.intValue, items.count < n { errors.append("\(path): fewer than \(n) items") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { check(item, against: itemSchema, at: "\(path)[\(i)]", into: &errors) }
            }
        }
        if case .object(let obj) = v {
            let props = s["properties"]?.objectValue ?? [:]
            for r in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where obj[r] == nil {
                errors.append("\(path): missing required '\(r)'")
            }
            for (k, value) in obj {
                if let names = s["propertyNames"] { check(.string(k), against: names, at: "\(path).\(k) (name)", into: &errors) }
                if let p = props[k] {
                    check(value, against: p, at: "\(path).\(k)", into: &errors)
                } else if let extra = s["additionalProperties"] {
                    if case .bool(false) = extra { errors.append("\(path): unknown property '\(k)'") } else { check(value, against: extra, at: "\(path).\(k)", into: &errors) }
                }
            }
        }
        if let all = s["allOf"]?.arrayValue { for sub in all { check(v, against: sub, at: path, into: &errors) } }
        if let any = s["anyOf"]?.arrayValue {
            if !any.contains(where: { sub in var e: [String] = []; check(v, against: sub, at: path, into: &e); return e.isEmpty }) {
                errors.append("\(path): matches none of anyOf")
            }
        }
        if let one = s["oneOf"]?.arrayValue {
            let n = one.count { sub in var e: [String] = []; check(v, against: sub, at: path, into: &e); return e.isEmpty }
            if n != 1 { errors.append("\(path): matches \(n) of oneOf") }
        }
        if let cond = s["if"] {
            var e: [String] = []
            check(v, against: cond, at: path, into: &e)
            if e.isEmpty, let then = s["then"] { check(v, against: then, at: path, into: &errors) }
        }
    }
}
