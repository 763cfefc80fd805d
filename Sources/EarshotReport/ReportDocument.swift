import Foundation

/// Everything a report shows, read from its inputs and nothing else: the value every renderer (Markdown,
/// CSV, JSON, HTML) draws from. Its JSON form is described by `schemas/report.schema.json`.
public struct ReportDocument: Sendable, Equatable, Codable {
    /// Where the report came from: the experiment, the report node and its key.
    public struct Header: Sendable, Equatable, Codable {
        public var title: String
        public var experiment: String
        public var node: String
        public var nodeKey: String

        enum CodingKeys: String, CodingKey {
            case title, experiment, node
            case nodeKey = "node_key"
        }

        public init(title: String, experiment: String, node: String, nodeKey: String) {
            self.title = title
            self.experiment = experiment
            self.node = node
            self.nodeKey = nodeKey
        }
    }

    /// One bound input, for the provenance table.
    public struct Input: Sendable, Equatable, Codable {
        public var ref: String
        public var type: String
        public var kind: String
        public var nodeKey: String
        public var content: String

        enum CodingKeys: String, CodingKey {
            case ref, type, kind, content
            case nodeKey = "node_key"
        }

        public init(_ source: ReportSource) {
            ref = source.ref
            type = source.type
            kind = source.kind
            nodeKey = source.nodeKey
            content = source.content
        }
    }

    /// A blind baseline cell of Table 1: the classifier's AUC and the correlation of its scores with the MIA's.
    public struct BlindCell: Sendable, Equatable, Codable {
        public var features: String
        public var auc: AUCEstimate?
        public var r: CorrelationEstimate?

        public init(features: String, auc: AUCEstimate?, r: CorrelationEstimate?) {
            self.features = features
            self.auc = auc
            self.r = r
        }

        /// The blind classifier separates members from non-members without the model: its AUC interval lies
        /// entirely above chance (lower bound > 0.5), so MIA AUCs on this data are confounded.
        public var flagged: Bool { (auc?.ciLower).map { $0 > 0.5 } ?? false }
    }

    public struct Table1Row: Sendable, Equatable, Codable {
        public var dataset: String
        public var model: String
        public var mia: AUCEstimate?
        /// One cell per column of `ReportDocument.table1Features`, in that order.
        public var blind: [BlindCell]

        public init(dataset: String, model: String, mia: AUCEstimate?, blind: [BlindCell]) {
            self.dataset = dataset
            self.model = model
            self.mia = mia
            self.blind = blind
        }
    }

    public struct ConditionCell: Sendable, Equatable, Codable {
        public var condition: String
        public var auc: AUCEstimate?
        public init(condition: String, auc: AUCEstimate?) {
            self.condition = condition
            self.auc = auc
        }
    }

    public struct Table2Row: Sendable, Equatable, Codable {
        public var dataset: String
        public var model: String
        /// One cell per column of `ReportDocument.table2Conditions`, in that order.
        public var conditions: [ConditionCell]
        public init(dataset: String, model: String, conditions: [ConditionCell]) {
            self.dataset = dataset
            self.model = model
            self.conditions = conditions
        }
    }

    /// Identifies the format of the JSON form.
    public var format: String = "earshot-report"
    public var version: Int = 1
    public var header: Header
    public var inputs: [Input]
    /// Table 1's blind feature-set columns.
    public var table1Features: [String]
    public var table1: [Table1Row]
    /// Table 2's condition columns.
    public var table2Conditions: [String]
    public var table2: [Table2Row]
    public var heatmaps: [AUCHeatmap]
    public var roc: [ROCSeries]
    public var scatter: [ScoreScatter]

    enum CodingKeys: String, CodingKey {
        case format, version, header, inputs, table1, table2, heatmaps, roc, scatter
        case table1Features = "table1_features", table2Conditions = "table2_conditions"
    }

    public init(header: Header, inputs: [Input], table1Features: [String] = [], table1: [Table1Row] = [],
                table2Conditions: [String] = [], table2: [Table2Row] = [], heatmaps: [AUCHeatmap] = [],
                roc: [ROCSeries] = [], scatter: [ScoreScatter] = []) {
        self.header = header
        self.inputs = inputs
        self.table1Features = table1Features
        self.table1 = table1
        self.table2Conditions = table2Conditions
        self.table2 = table2
        self.heatmaps = heatmaps
        self.roc = roc
        self.scatter = scatter
    }

    /// The JSON form: UTF-8, keys sorted, two-space indentation, a final newline. Doubles are written in
    /// Swift's shortest round-trip form, so equal documents give equal bytes.
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(self))
        bytes.append(0x0A)
        return bytes
    }
}
