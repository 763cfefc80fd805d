import EarshotSpec

/// What a report shows, as the `report` node's params describe it, with every artifact named by the id of
/// one of the report's inputs (`mia_orig`, or `mia_orig.metrics` when a node has several outputs bound).
///
/// ```yaml
/// title: "Quickstart audit"
/// table1: [{dataset: shifted, model: reference-a, mia: mia_shifted,
///           blind: {metadata: blind_meta, text: blind_text, acoustic: blind_ac},
///           r: {metadata: corr_meta, text: corr_text, acoustic: corr_ac}}]
/// table2: [{dataset: matched, model: reference-a, original: mia_orig, silence: mia_sil, noise: mia_noise,
///           synthesized: mia_tts_agg}]
/// heatmap: cross_ds                      # or a list; entries may be {matrix: id, label: "…"}
/// roc: [mia_orig, {metrics: blind_ac, label: "acoustic blind baseline"}]
/// scatter: [corr_ac, {x: blind_ac, y: mia_orig, r: corr_ac, label: "…", x_label: "…", y_label: "…"}]
/// ```
public struct ReportLayout: Sendable, Equatable {
    /// A reference to an input as written, with the param path it was written at (for messages).
    public struct Ref: Sendable, Equatable {
        public var name: String
        public var param: String
        public init(_ name: String, param: String) {
            self.name = name
            self.param = param
        }
    }

    /// One row of Table 1: the MIA AUC and the blind baselines (feature set → classifier), each with the
    /// correlation of its scores to the MIA scores.
    public struct Table1Entry: Sendable, Equatable {
        public var dataset: String
        public var model: String
        public var mia: Ref?
        public var blind: [(features: String, ref: Ref)]
        public var r: [(features: String, ref: Ref)]

        public static func == (a: Self, b: Self) -> Bool {
            a.dataset == b.dataset && a.model == b.model && a.mia == b.mia
                && a.blind.map(\.features) == b.blind.map(\.features) && a.blind.map(\.ref) == b.blind.map(\.ref)
                && a.r.map(\.features) == b.r.map(\.features) && a.r.map(\.ref) == b.r.map(\.ref)
        }
    }

    /// One row of Table 2: the MIA AUC under each condition.
    public struct Table2Entry: Sendable, Equatable {
        public var dataset: String
        public var model: String
        public var conditions: [(condition: String, ref: Ref)]

        public static func == (a: Self, b: Self) -> Bool {
            a.dataset == b.dataset && a.model == b.model
                && a.conditions.map(\.condition) == b.conditions.map(\.condition) && a.conditions.map(\.ref) == b.conditions.map(\.ref)
        }
    }

    /// A figure drawn from one input, with an optional caption label.
    public struct Figure: Sendable, Equatable {
        public var ref: Ref
        public var label: String?
    }

    public enum Scatter: Sendable, Equatable {
        /// A `correlation` artifact's joined scores.
        case correlation(Ref, label: String?, xLabel: String?, yLabel: String?)
        /// Two `scores` artifacts matched by id, r from an optional `correlation` artifact.
        case scores(x: Ref, y: Ref, r: Ref?, label: String?, xLabel: String?, yLabel: String?)
    }

    /// Table 2's columns, in this order; a row names any subset.
    public static let conditions = ["original", "silence", "noise", "synthesized"]
    /// Table 1's blind feature sets come first in this order; other names follow in first-use order.
    public static let featureSets = ["metadata", "text", "acoustic"]

    public var title: String
    public var table1: [Table1Entry]
    public var table2: [Table2Entry]
    public var heatmaps: [Figure]
    public var roc: [Figure]
    public var scatter: [Scatter]

    public init(title: String, table1: [Table1Entry] = [], table2: [Table2Entry] = [], heatmaps: [Figure] = [],
                roc: [Figure] = [], scatter: [Scatter] = []) {
        self.title = title
        self.table1 = table1
        self.table2 = table2
        self.heatmaps = heatmaps
        self.roc = roc
        self.scatter = scatter
    }

    /// Every reference in the layout, in the order written.
    public var refs: [Ref] {
        var out: [Ref] = []
        for row in table1 { out += (row.mia.map { [$0] } ?? []) + row.blind.map(\.ref) + row.r.map(\.ref) }
        for row in table2 { out += row.conditions.map(\.ref) }
        out += heatmaps.map(\.ref) + roc.map(\.ref)
        for s in scatter {
            switch s {
            case .correlation(let ref, _, _, _): out.append(ref)
            case .scores(let x, let y, let r, _, _, _): out += [x, y] + (r.map { [$0] } ?? [])
            }
        }
        return out
    }

    /// Parses the params `title` (required), `table1`, `table2`, `heatmap`, `roc`, `scatter` (missing or null: none).
    public init(params: [String: Value]) throws {
        guard let title = params["title"]?.stringValue else { throw ReportError("param 'title' must be a string") }
        self.title = title
        table1 = try Self.list(params["table1"], param: "table1").enumerated().map { i, v in
            try Self.table1Entry(v, param: "table1[\(i)]")
        }
        table2 = try Self.list(params["table2"], param: "table2").enumerated().map { i, v in
            try Self.table2Entry(v, param: "table2[\(i)]")
        }
        heatmaps = try Self.list(params["heatmap"], param: "heatmap").enumerated().map { i, v in
            try Self.figure(v, param: "heatmap[\(i)]", key: "matrix")
        }
        roc = try Self.list(params["roc"], param: "roc").enumerated().map { i, v in
            try Self.figure(v, param: "roc[\(i)]", key: "metrics")
        }
        scatter = try Self.list(params["scatter"], param: "scatter").enumerated().map { i, v in
            try Self.scatter(v, param: "scatter[\(i)]")
        }
    }

    /// A list param; a single value counts as a list of one.
    static func list(_ value: Value?, param: String) throws -> [Value] {
        switch value {
        case nil, .null?: []
        case .array(let items)?: items
        case let v?: [v]
        }
    }

    static func mapping(_ value: Value, param: String, keys allowed: [String]) throws -> [String: Value] {
        guard case .object(let o) = value else {
            throw ReportError("report param '\(param)' must be a mapping with keys \(allowed.joined(separator: ", ")); got \(value.typeName) \(value)")
        }
        for key in o.keys.sorted() where !allowed.contains(key) {
            throw ReportError("report param '\(param)' has an unknown key '\(key)'\(Suggestion.hint(for: key, in: allowed)); allowed: \(allowed.joined(separator: ", "))")
        }
        return o
    }

    static func text(_ value: Value?, param: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case let v?: throw ReportError("report param '\(param)' must be a string; got \(v.typeName) \(v)")
        }
    }

    static func ref(_ value: Value?, param: String) throws -> Ref? {
        guard let name = try text(value, param: param) else { return nil }
        guard !name.isEmpty else { throw ReportError("report param '\(param)' is empty; name one of the report's inputs") }
        return Ref(name, param: param)
    }

    /// A mapping name → input id, in the canonical order first, then by name.
    static func named(_ value: Value?, param: String, order: [String]) throws -> [(String, Ref)] {
        guard let value, value != .null else { return [] }
        guard case .object(let o) = value else {
            throw ReportError("report param '\(param)' must be a mapping of name: input id; got \(value.typeName) \(value)")
        }
        let names = order.filter { o[$0] != nil } + o.keys.filter { !order.contains($0) }.sorted()
        return try names.map { ($0, try ref(o[$0], param: "\(param).\($0)")!) }
    }

    static func table1Entry(_ value: Value, param: String) throws -> Table1Entry {
        let o = try mapping(value, param: param, keys: ["dataset", "model", "mia", "blind", "r"])
        guard let dataset = try text(o["dataset"], param: "\(param).dataset") else {
            throw ReportError("report param '\(param)' needs a 'dataset' name")
        }
        let blind = try named(o["blind"], param: "\(param).blind", order: featureSets)
        let r = try named(o["r"], param: "\(param).r", order: featureSets)
        for (features, ref) in r where !blind.contains(where: { $0.0 == features }) {
            throw ReportError("report param '\(ref.param)' gives r for '\(features)' but '\(param).blind' has no '\(features)'\(Suggestion.hint(for: features, in: blind.map(\.0)))")
        }
        return Table1Entry(dataset: dataset, model: try text(o["model"], param: "\(param).model") ?? "",
                           mia: try ref(o["mia"], param: "\(param).mia"), blind: blind, r: r)
    }

    static func table2Entry(_ value: Value, param: String) throws -> Table2Entry {
        let o = try mapping(value, param: param, keys: ["dataset", "model"] + conditions)
        guard let dataset = try text(o["dataset"], param: "\(param).dataset") else {
            throw ReportError("report param '\(param)' needs a 'dataset' name")
        }
        let cells = try conditions.compactMap { c in try ref(o[c], param: "\(param).\(c)").map { (c, $0) } }
        return Table2Entry(dataset: dataset, model: try text(o["model"], param: "\(param).model") ?? "", conditions: cells)
    }

    static func figure(_ value: Value, param: String, key: String) throws -> Figure {
        if case .object = value {
            let o = try mapping(value, param: param, keys: [key, "label"])
            guard let r = try ref(o[key], param: "\(param).\(key)") else {
                throw ReportError("report param '\(param)' needs '\(key)': the id of an input")
            }
            return Figure(ref: r, label: try text(o["label"], param: "\(param).label"))
        }
        guard let r = try ref(value, param: param) else { throw ReportError("report param '\(param)' is null") }
        return Figure(ref: r, label: nil)
    }

    static func scatter(_ value: Value, param: String) throws -> Scatter {
        guard case .object(let raw) = value else {
            guard let r = try ref(value, param: param) else { throw ReportError("report param '\(param)' is null") }
            return .correlation(r, label: nil, xLabel: nil, yLabel: nil)
        }
        let labels = ["label", "x_label", "y_label"]
        if raw["correlation"] != nil {
            let o = try mapping(value, param: param, keys: ["correlation"] + labels)
            return .correlation(try ref(o["correlation"], param: "\(param).correlation")!,
                                label: try text(o["label"], param: "\(param).label"),
                                xLabel: try text(o["x_label"], param: "\(param).x_label"),
                                yLabel: try text(o["y_label"], param: "\(param).y_label"))
        }
        let o = try mapping(value, param: param, keys: ["x", "y", "r"] + labels)
        guard let x = try ref(o["x"], param: "\(param).x"), let y = try ref(o["y"], param: "\(param).y") else {
            throw ReportError("report param '\(param)' needs 'x' and 'y' (scores inputs) or 'correlation' (a correlation input)")
        }
        return .scores(x: x, y: y, r: try ref(o["r"], param: "\(param).r"), label: try text(o["label"], param: "\(param).label"),
                       xLabel: try text(o["x_label"], param: "\(param).x_label"),
                       yLabel: try text(o["y_label"], param: "\(param).y_label"))
    }
}
