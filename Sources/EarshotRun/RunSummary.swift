import EarshotStore
import Foundation

/// The outcome of one node in a run.
public struct NodeReport: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case ran, cached, failed, cancelled
    }

    public var id: String
    public var kind: String
    public var status: Status
    /// The node key (absent when the node never got that far).
    public var key: String?
    /// Output name → SHA-256 of the object file.
    public var outputs: [String: String]
    public var seconds: Double?
    /// Why it ran, failed or was cancelled.
    public var reason: String?
    /// Problems that did not stop the node (a remote object that failed verification, a failed upload).
    public var warnings: [String]?

    public init(id: String, kind: String, status: Status, key: String? = nil, outputs: [String: String] = [:],
                seconds: Double? = nil, reason: String? = nil) {
        self.id = id
        self.kind = kind
        self.status = status
        self.key = key
        self.outputs = outputs
        self.seconds = seconds
        self.reason = reason
    }
}

/// What `earshot run --json` prints and what the run record stores.
public struct RunSummary: Sendable, Codable {
    public var experiment: String
    public var ran: Int
    public var cached: Int
    public var failed: Int
    public var cancelled: Int
    public var seconds: Double
    public var nodes: [NodeReport]

    public init(experiment: String, nodes: [NodeReport], seconds: Double) {
        self.experiment = experiment
        self.nodes = nodes
        self.seconds = seconds
        ran = nodes.count { $0.status == .ran }
        cached = nodes.count { $0.status == .cached }
        failed = nodes.count { $0.status == .failed }
        cancelled = nodes.count { $0.status == .cancelled }
    }

    public var succeeded: Bool { failed == 0 && cancelled == 0 }

    public func json(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
