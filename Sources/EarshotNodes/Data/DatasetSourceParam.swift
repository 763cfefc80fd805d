import EarshotData
import EarshotRun
import EarshotSpec
import Foundation

/// Reads a `{format: …, path: …, split: …, columns: {…}}` param into a `DatasetSource`; a relative `path`
/// resolves against the experiment file's folder.
enum DatasetSourceParam {
    static let keys: Set<String> = ["format", "path", "split", "columns", "python"]

    static func parse(_ value: Value, name: String, node: String, specDirectory: String) throws -> DatasetSource {
        guard let object = value.objectValue else {
            throw NodeError("node '\(node)': '\(name)' must be a mapping like {format: librispeech, path: /data/LibriSpeech/test-clean}, got \(value)")
        }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw NodeError("node '\(node)': '\(name)' has an unknown key '\(unknown)' (expected format, path, split, columns, python)")
        }
        guard let formatName = object["format"]?.stringValue else {
            throw NodeError("node '\(node)': '\(name)' needs 'format' (one of \(DatasetSource.Format.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let rawPath = object["path"]?.stringValue, !rawPath.isEmpty else {
            throw NodeError("node '\(node)': '\(name)' needs 'path' (the manifest file or dataset folder)")
        }
        var split = ""
        if let value = object["split"] {
            guard let text = value.stringValue ?? value.intValue.map(String.init), !text.isEmpty else {
                throw NodeError("node '\(node)': '\(name).split' must be a split name like test or XL, got \(value)")
            }
            split = text
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
            let format = try DatasetSource.format(formatName)
            if !given.isEmpty && !format.isManifest {
                throw NodeError("'columns' applies to jsonl, csv and tsv manifests; format \(format.rawValue) has its corpus's own fields")
            }
            var python = "python3"
            if let value = object["python"] {
                guard format == .hf_parquet, let text = value.stringValue, !text.isEmpty else {
                    throw NodeError("'python' applies to hf_parquet sources and must be an interpreter path or name, got \(value)")
                }
                python = text.contains("/") && !text.hasPrefix("/")
                    ? URL(fileURLWithPath: text, relativeTo: URL(fileURLWithPath: specDirectory, isDirectory: true)).standardizedFileURL.path : text
            }
            return DatasetSource(format: format, path: path, split: split, columns: try ColumnMapping(given), python: python)
        } catch {
            throw NodeError("node '\(node)': '\(name)': \(error)")
        }
    }
}
