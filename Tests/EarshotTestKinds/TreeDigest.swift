import EarshotStore
import Foundation

/// Every entry under a folder: relative path and, for files, the SHA-256 of the bytes (to show that a command left a
/// store byte-identical).
public enum TreeDigest {
    public static func of(_ root: URL) throws -> [String] {
        let base = root.standardizedFileURL.path
        var out: [String] = []
        let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = walk?.nextObject() as? URL {
            let path = String(url.standardizedFileURL.path.dropFirst(base.count))
            let isDirectory = (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory ?? false
            out.append(isDirectory ? "\(path)/" : "\(path) \(try SHA256.hash(fileAt: url).hex)")
        }
        return out.sorted()
    }
}
