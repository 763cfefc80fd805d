import EarshotStore
import Foundation

/// A wrapped file: the `file` artifact type (`content`: uint8 bytes, root attribute `filename`), as the
/// `command` kind writes its outputs and the `report` kind writes report.md, report.html, report.json and the
/// table CSVs. `write(into:)` puts the file back on disk, e.g. for an export command.
public struct FileArtifact: Sendable, Equatable {
    public static let artifactType = "file"

    public var filename: String
    public var content: [UInt8]

    public init(filename: String, content: [UInt8]) {
        self.filename = filename
        self.content = content
    }

    public init(filename: String, text: String) {
        self.init(filename: filename, content: Array(text.utf8))
    }

    public func artifact() -> Artifact {
        var a = Artifact()
        a.setBytes("content", content)
        a.attributes["filename"] = .string(filename)
        a.attributes[Artifact.Provenance.type] = .string(Self.artifactType)
        return a
    }

    /// Reads a `file` artifact; throws `ReportError` when `content` or `filename` is missing.
    public init(artifact a: Artifact) throws {
        guard case .string(let name)? = a.attributes["filename"] else {
            throw ReportError("artifact is not a file: it has no 'filename' attribute")
        }
        do { content = try a.bytes("content") } catch { throw ReportError("artifact is not a file: \(error)") }
        filename = name
    }

    /// Writes the bytes to `directory/<filename>` (only the last path component of `filename` is used) and
    /// returns the file's URL.
    @discardableResult
    public func write(into directory: URL) throws -> URL {
        let name = (filename as NSString).lastPathComponent
        guard !name.isEmpty, name != ".", name != ".." else { throw ReportError("file artifact has an unusable filename '\(filename)'") }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        do { try Data(content).write(to: url) } catch {
            throw ReportError("cannot write '\(url.path)': \(error.localizedDescription)")
        }
        return url
    }
}
