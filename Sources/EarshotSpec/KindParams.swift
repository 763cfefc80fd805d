import Synchronization

/// A kind's params, declared once: every stored property is a `@Param` that carries the param's summary, type,
/// bounds and default (its initial value). The signature's `params` are read from a default instance
/// (`signatures`); a validated node's params decode into a value of the type (`init(decoding:)`), so the code
/// reads typed fields and never repeats a default.
///
///     struct Params: KindParams {
///         @Param("number of stratified folds", in: 2...1_000) var folds = 10
///         @Param("inverse l2 strength", in: 1e-12...1e12, name: "C") var c = 1.0
///         @Param("what to do with a missing row") var missing: Missing = .error
///         @Param("the scorer (required)") var scorer: Value
///     }
///
/// A property's param name is its name in snake case (`maxNewTokens` → `max_new_tokens`, `nFFT` → `n_fft`)
/// unless `name:` says otherwise. Numeric params (`Int`, `Double`) must be declared with bounds: there is no
/// declaration without `in:` for them.
public protocol KindParams: Decodable, Sendable {
    /// Every param at its default (required params at a placeholder).
    init()
}

extension KindParams {
    /// The params' signatures, in declaration order.
    public static var signatures: [ParamSignature] { declarations.map(\.signature) }

    /// The params' values as validated params hold them (`.null` for a required param's placeholder).
    public var values: [String: Value] {
        var out: [String: Value] = [:]
        for child in Mirror(reflecting: self).children {
            if let nested = child.value as? any KindParams { out.merge(nested.values) { a, _ in a } }
            guard let label = child.label, let p = child.value as? any ParamDeclaring else { continue }
            out[p.signature(property: Self.property(label)).name] = p.currentValue
        }
        return out
    }

    /// Decodes a validated node's params (every declared param present, typed and within bounds). With `lenient`,
    /// a param that is absent (a param with an error, during validation) takes its default.
    public init(decoding params: [String: Value], lenient: Bool = false) throws {
        self = try Self(decoding: params, lenient: lenient, declarations: Self.directDeclarations)
    }

    init(decoding params: [String: Value], lenient: Bool, declarations: [(property: String, signature: ParamSignature)]) throws {
        var names: [String: String] = [:]
        var fallback: [String: Value] = [:]
        for d in declarations {
            names[d.property] = d.signature.name
            fallback[d.signature.name] = d.signature.defaultValue ?? ParamsDecoder.placeholder(d.signature.type)
        }
        self = try Self(from: ParamsDecoder(params: params, names: names, fallback: lenient ? fallback : [:], lenient: lenient))
    }

    /// This type's own `@Param` properties (not those of nested `KindParams`); read once per type.
    static var directDeclarations: [(property: String, signature: ParamSignature)] {
        let id = ObjectIdentifier(Self.self)
        if let known = declarationCache.withLock({ $0[id] }) { return known }
        let found = Mirror(reflecting: Self()).children.compactMap { child -> (property: String, signature: ParamSignature)? in
            guard let label = child.label, let p = child.value as? any ParamDeclaring else { return nil }
            let property = property(label)
            return (property, p.signature(property: property))
        }
        declarationCache.withLock { $0[id] = found }
        return found
    }

    /// The `@Param` properties in declaration order; a nested `KindParams` property (params several kinds share)
    /// contributes its own, in place.
    static var declarations: [(property: String, signature: ParamSignature)] {
        Mirror(reflecting: Self()).children.flatMap { child -> [(property: String, signature: ParamSignature)] in
            if let nested = child.value as? any KindParams { return type(of: nested).declarations }
            guard let label = child.label, let p = child.value as? any ParamDeclaring else { return [] }
            let property = property(label)
            return [(property, p.signature(property: property))]
        }
    }

    static func property(_ label: String) -> String { label.hasPrefix("_") ? String(label.dropFirst()) : label }
}

private let declarationCache = Mutex<[ObjectIdentifier: [(property: String, signature: ParamSignature)]]>([:])

/// A value a param can hold: how it reads from a validated `Value` and writes back.
public protocol ParamValue: Sendable {
    init(param value: Value) throws(ParamDecodingError)
    var paramValue: Value { get }
    /// What a required param holds in the default instance (never seen by a running kind).
    static var placeholder: Self { get }
}

/// A param value declared without bounds (strings, bools, choices, lists of them, any value).
public protocol UnboundedParamValue: ParamValue {
    static var paramType: ParamType { get }
}

/// A numeric param value, declared with its bounds.
public protocol BoundedParamValue: ParamValue, Comparable {
    static func paramType(in bounds: ClosedRange<Self>) -> ParamType
}

/// A fixed set of strings as a Swift enum: `enum Mode: String, ParamChoice { case fail, skip }`.
public protocol ParamChoice: UnboundedParamValue, RawRepresentable<String>, CaseIterable {}

extension ParamChoice {
    public static var paramType: ParamType { .choice(allCases.map(\.rawValue)) }
    public init(param value: Value) throws(ParamDecodingError) {
        guard let s = value.stringValue, let v = Self(rawValue: s) else { throw ParamDecodingError(value: value, expected: "\(Self.paramType)") }
        self = v
    }
    public var paramValue: Value { .string(rawValue) }
    public static var placeholder: Self { allCases.first! }
}

/// A validated param value that does not decode as its declared type: a bug (validation checks types), or a
/// param the kind reads with another type than it declares.
public struct ParamDecodingError: Error, Sendable, CustomStringConvertible {
    public var value: Value
    public var expected: String
    public var name = ""
    public init(value: Value, expected: String) {
        self.value = value
        self.expected = expected
    }
    public var description: String { "param '\(name)' must be \(expected), got \(value.typeName) \(value)" }
}

extension Int: BoundedParamValue {
    public static func paramType(in bounds: ClosedRange<Int>) -> ParamType { .int(min: bounds.lowerBound, max: bounds.upperBound) }
    public init(param value: Value) throws(ParamDecodingError) {
        guard case .int(let i) = value else { throw ParamDecodingError(value: value, expected: "an int") }
        self = i
    }
    public var paramValue: Value { .int(self) }
    public static var placeholder: Int { 0 }
}

extension Double: BoundedParamValue {
    public static func paramType(in bounds: ClosedRange<Double>) -> ParamType { .double(min: bounds.lowerBound, max: bounds.upperBound) }
    public init(param value: Value) throws(ParamDecodingError) {
        guard let d = value.doubleValue else { throw ParamDecodingError(value: value, expected: "a number") }
        self = d
    }
    public var paramValue: Value { .double(self) }
    public static var placeholder: Double { 0 }
}

/// A number or null (`snr_db: null` means "not set").
extension Optional: ParamValue where Wrapped: ParamValue {
    public init(param value: Value) throws(ParamDecodingError) {
        self = value == .null ? nil : try Wrapped(param: value)
    }
    public var paramValue: Value { map(\.paramValue) ?? .null }
    public static var placeholder: Self { nil }
}


extension Bool: UnboundedParamValue {
    public static var paramType: ParamType { .bool }
    public init(param value: Value) throws(ParamDecodingError) {
        guard case .bool(let b) = value else { throw ParamDecodingError(value: value, expected: "true or false") }
        self = b
    }
    public var paramValue: Value { .bool(self) }
    public static var placeholder: Bool { false }
}

extension String: UnboundedParamValue {
    public static var paramType: ParamType { .string }
    public init(param value: Value) throws(ParamDecodingError) {
        guard case .string(let s) = value else { throw ParamDecodingError(value: value, expected: "a string") }
        self = s
    }
    public var paramValue: Value { .string(self) }
    public static var placeholder: String { "" }
}

extension Array: ParamValue where Element: ParamValue {
    public init(param value: Value) throws(ParamDecodingError) {
        guard case .array(let items) = value else { throw ParamDecodingError(value: value, expected: "a list") }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try Element(param: item)) }
        self = out
    }
    public var paramValue: Value { .array(map(\.paramValue)) }
    public static var placeholder: [Element] { [] }
}

extension Array: UnboundedParamValue where Element: UnboundedParamValue {
    public static var paramType: ParamType { .list(Element.paramType) }
}

/// Any YAML value; the kind interprets it (and reports its mistakes with the node's name).
extension Value: UnboundedParamValue {
    public static var paramType: ParamType { .any }
    public init(param value: Value) { self = value }
    public var paramValue: Value { self }
    public static var placeholder: Value { .null }
}

/// One declared param of a `KindParams` type. The initial value is the default; a param declared without one
/// (`@Param("…") var scorer: Value`) is required.
@propertyWrapper
public struct Param<T: ParamValue>: Sendable, Decodable {
    public var wrappedValue: T
    let name: String?
    let summary: String
    let type: ParamType
    let required: Bool

    init(value: T, name: String?, summary: String, type: ParamType, required: Bool) {
        self.wrappedValue = value
        self.name = name
        self.summary = summary
        self.type = type
        self.required = required
    }

    /// A param with a default (strings, bools, choices, lists, any value).
    public init(wrappedValue: T, _ summary: String, name: String? = nil) where T: UnboundedParamValue {
        self.init(value: wrappedValue, name: name, summary: summary, type: T.paramType, required: false)
    }

    /// A required param (strings, choices, lists, any value).
    public init(_ summary: String, name: String? = nil) where T: UnboundedParamValue {
        self.init(value: T.placeholder, name: name, summary: summary, type: T.paramType, required: true)
    }

    /// A numeric param with a default, within bounds.
    public init(wrappedValue: T, _ summary: String, in bounds: ClosedRange<T>, name: String? = nil) where T: BoundedParamValue {
        self.init(value: wrappedValue, name: name, summary: summary, type: T.paramType(in: bounds), required: false)
    }

    /// A required numeric param, within bounds.
    public init(_ summary: String, in bounds: ClosedRange<T>, name: String? = nil) where T: BoundedParamValue {
        self.init(value: T.placeholder, name: name, summary: summary, type: T.paramType(in: bounds), required: true)
    }

    /// A number or null, within bounds when a number (`@Param("…", in: -60...120) var snrDB: Double? = nil`).
    public init<W: BoundedParamValue>(wrappedValue: T, _ summary: String, in bounds: ClosedRange<W>, name: String? = nil) where T == W? {
        self.init(value: wrappedValue, name: name, summary: summary, type: .optional(W.paramType(in: bounds)), required: false)
    }

    /// A param whose declared type refines its Swift type: `.path` or `.list(.path)` for strings (made absolute
    /// by validation).
    public init(wrappedValue: T, _ summary: String, type: ParamType, name: String? = nil) {
        self.init(value: wrappedValue, name: name, summary: summary, type: type, required: false)
    }

    /// A required param whose declared type refines its Swift type.
    public init(_ summary: String, type: ParamType, name: String? = nil) {
        self.init(value: T.placeholder, name: name, summary: summary, type: type, required: true)
    }

    public init(from decoder: Decoder) throws {
        guard let d = decoder as? ParamValueDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "params decode from validated params only"))
        }
        do {
            self.init(value: try T(param: d.value), name: d.name, summary: "", type: .any, required: false)
        } catch {
            var e = error
            e.name = d.name
            throw e
        }
    }
}

/// What `KindParams` reads from a property's wrapper.
protocol ParamDeclaring {
    func signature(property: String) -> ParamSignature
    var currentValue: Value { get }
}

extension Param: ParamDeclaring {
    func signature(property: String) -> ParamSignature {
        ParamSignature(name ?? ParamNames.snakeCase(property), type, default: required ? nil : wrappedValue.paramValue, summary)
    }
    var currentValue: Value { wrappedValue.paramValue }
}

enum ParamNames {
    /// `maxNewTokens` → `max_new_tokens`, `nFFT` → `n_fft`, `snrDB` → `snr_db`, `table1` → `table1`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        let chars = Array(name)
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0, chars[i - 1].isLowercase || chars[i - 1].isNumber {
                out.append("_")
            }
            out += c.lowercased()
        }
        return out
    }
}

/// Decodes a `KindParams` type from validated params: each `@Param` property's key maps to its param name.
struct ParamsDecoder: Decoder {
    let params: [String: Value]
    let names: [String: String]
    let fallback: [String: Value]
    let lenient: Bool
    var codingPath: [CodingKey] { [] }

    /// What an absent required param decodes as when decoding leniently.
    static func placeholder(_ type: ParamType) -> Value {
        switch type {
        case .int: .int(0)
        case .double: .double(0)
        case .bool: .bool(false)
        case .string, .path: .string("")
        case .choice(let options): .string(options.first ?? "")
        case .list: .array([])
        case .map: .object([:])
        case .any, .optional: .null
        }
    }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container<Key>(decoder: self))
    }
    func unkeyedContainer() throws -> UnkeyedDecodingContainer { throw Self.unsupported }
    func singleValueContainer() throws -> SingleValueDecodingContainer { throw Self.unsupported }

    static let unsupported = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "KindParams properties must all be @Param"))

    func value(for key: CodingKey) throws -> (String, Value) {
        let name = names[key.stringValue] ?? key.stringValue
        guard let v = params[name] ?? fallback[name] else {
            throw ParamDecodingError(value: .null, expected: "present (validation fills every declared param)").named(name)
        }
        return (name, v)
    }

    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: ParamsDecoder
        var codingPath: [CodingKey] { [] }
        var allKeys: [Key] { decoder.names.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { try decoder.value(for: key).1 == .null }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if let nested = T.self as? any KindParams.Type {
                return try nested.init(decoding: decoder.params, lenient: decoder.lenient, declarations: nested.directDeclarations) as? T ?? { throw ParamsDecoder.unsupported }()
            }
            let (name, value) = try decoder.value(for: key)
            return try T(from: ParamValueDecoder(name: name, value: value))
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { throw ParamsDecoder.unsupported }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { throw ParamsDecoder.unsupported }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { throw ParamsDecoder.unsupported }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw ParamsDecoder.unsupported }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { throw ParamsDecoder.unsupported }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { throw ParamsDecoder.unsupported }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { throw ParamsDecoder.unsupported }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { throw ParamsDecoder.unsupported }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { throw ParamsDecoder.unsupported }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { throw ParamsDecoder.unsupported }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { throw ParamsDecoder.unsupported }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { throw ParamsDecoder.unsupported }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { throw ParamsDecoder.unsupported }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { throw ParamsDecoder.unsupported }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> { throw ParamsDecoder.unsupported }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { throw ParamsDecoder.unsupported }
        func superDecoder() throws -> Decoder { throw ParamsDecoder.unsupported }
        func superDecoder(forKey key: Key) throws -> Decoder { throw ParamsDecoder.unsupported }
    }
}

/// The decoder one `@Param` property reads its value from.
struct ParamValueDecoder: Decoder {
    let name: String
    let value: Value
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { throw ParamsDecoder.unsupported }
    func unkeyedContainer() throws -> UnkeyedDecodingContainer { throw ParamsDecoder.unsupported }
    func singleValueContainer() throws -> SingleValueDecodingContainer { throw ParamsDecoder.unsupported }
}

extension ParamDecodingError {
    func named(_ name: String) -> ParamDecodingError {
        var e = self
        e.name = name
        return e
    }
}

extension ValidatedNode {
    /// The node's params as a kind's typed value; a mismatch (a bug: validation checks every param) names the node.
    public func decodeParams<P: KindParams>(_ type: P.Type = P.self) throws -> P {
        do { return try P(decoding: params) } catch {
            throw SpecError.plain("node '\(id)' (\(signature.name)): \(error)")
        }
    }
}
