import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// A kind that publishes the artifact stored as a file at its `path` param under one output; the file's SHA-256
/// enters the key. Tests and benchmarks register it under their own names (`fixture.split`, `bench.split`, …).
public struct ArtifactFileKind: NodeKind {
    public let name: String
    public let output: String
    public let type: String

    public init(name: String, output: String, type: String) {
        self.name = name
        self.output = output
        self.type = type
    }

    public var signature: KindSignature {
        KindSignature(name: name, version: 1, summary: "a \(type) artifact read from a file",
                      outputs: [OutputSignature(output, type: type, "the artifact")],
                      params: [ParamSignature("path", .path, "artifact file")])
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        KeyExtras(files: [output: try SHA256.hash(fileAt: URL(fileURLWithPath: node.params["path"]!.stringValue!))])
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        [output: try ArtifactFile.read(from: URL(fileURLWithPath: context.string("path")!))]
    }
}
