import Foundation

/// An object of the store named inside an artifact (a split's audio clip): written `cas:<sha256>.<ext>`.
/// The one place that builds, parses and resolves these references.
public struct StoreReference: Hashable, Sendable, CustomStringConvertible {
    public static let prefix = "cas:"
    public let digest: Digest
    public let ext: String

    public init(digest: Digest, ext: String) {
        self.digest = digest
        self.ext = ext
    }

    /// Parses `text` when it is a store reference; nil when it is not one (a plain path). Throws when it starts
    /// with `cas:` but is malformed.
    public init?(parsing text: String) throws {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let name = text.dropFirst(Self.prefix.count)
        guard let dot = name.firstIndex(of: "."), let digest = Digest(hex: String(name[..<dot])), name.index(after: dot) < name.endIndex else {
            throw StoreError.artifact("malformed store reference '\(text)' (expected cas:<sha256>.<ext>)")
        }
        self.init(digest: digest, ext: String(name[name.index(after: dot)...]))
    }

    public var description: String { "\(Self.prefix)\(digest.hex).\(ext)" }
}

extension ArtifactStore {
    /// The object file a reference names.
    public func url(of reference: StoreReference) -> URL { objectURL(reference.digest, ext: reference.ext) }
}
