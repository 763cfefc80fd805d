import EarshotData
import EarshotRun
import EarshotSpec
import Foundation

/// Reads a `{format: …, path: …, columns: {…}}` param into a `DatasetSource`; a relative `path` resolves
/// against the experiment file's folder.
enum DatasetSourceParam {
    static let keys: Set<String> = ["format", "path", "columns"]

    static func parse(_ value: Value, name: String, node: String, specDirectory: String) throws -> DatasetSource {
        guard let object = value.objectValue else {
            throw NodeError("node '\(node)': '\(name)' must be a mapping like {format: librispeech, path: /data/LibriSpeech/test-clean}, got \(value)")
        }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw NodeError("node '\(node)': '\(name)' has an unknown key '\(unknown)' (expected format, path, columns)")
        }
        guard let formatName = object["format"]?.stringValue else {
            throw NodeError("node '\(node)': '\(name)' needs 'format' (one of \(DatasetSource.Format.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let rawPath = object["path"]?.stringValue, !rawPath.isEmpty else {
            throw NodeError("node '\(node)': '\(name)' needs 'path' (the manifest file or dataset folder)")
        }
        var given: [String: String] = [:]
        if let columns = object["columns"] {
            guard let mapping = columns.objectValue else {
                throw NodeError("node '\(node)': '\(name).columns' must be a mapping like {audio: path, text: sentence}, got \(columns)")
            }
            for (role, column) in mapping {
                guard let text = column.stringValue else {
                    throw NodeError("node '\(node)': '\(name).columns.\(role)' must be a column name, got \(column)")
                }
                given[role] = text
            }
        }
        do {
            let path = rawPath.hasPrefix("/") ? URL(fileURLWithPath: rawPath).standardizedFileURL.path
                : URL(fileURLWithPath: rawPath, relativeTo: URL(fileURLWithPath: specDirectory, isDirectory: true)).standardizedFileURL.path
            return DatasetSource(format: try DatasetSource.format(formatName), path: path, columns: try ColumnMapping(given))
        } catch {
            throw NodeError("node '\(node)': '\(name)': \(error)")
        }
    }
}
