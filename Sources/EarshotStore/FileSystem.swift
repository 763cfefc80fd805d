import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// POSIX file operations with errors that name the path: the durable-write primitives of the store.
public enum FileSystem {
    public static func makeDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw StoreError.io(path: url.path, message: "cannot create directory: \((error as NSError).localizedDescription)")
        }
    }

    /// Creates `url` and any missing parents with exactly `mode` (the umask does not apply: each directory this
    /// call creates is chmod-ed). Directories that already exist are left as they are.
    public static func makeDirectory(_ url: URL, mode: mode_t) throws {
        var st = stat()
        if stat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path && parent.path != "/" { try makeDirectory(parent, mode: mode) }
        if mkdir(url.path, mode) != 0 {
            guard errno == EEXIST else { throw StoreError.io(path: url.path, message: "cannot create directory: \(errnoText())") }
            return
        }
        chmod(url.path, mode)
    }

    /// Flushes a file's data to stable storage.
    public static func fsync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: url.path, message: "cannot open for fsync: \(errnoText())") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw StoreError.io(path: url.path, message: "fsync failed: \(errnoText())") }
    }

    /// Flushes a directory entry (after a rename into it).
    public static func fsyncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = Glibc.fsync(fd)
    }

    public static func rename(_ from: URL, to: URL) throws {
        guard Glibc.rename(from.path, to.path) == 0 else {
            throw StoreError.io(path: to.path, message: "cannot rename '\(from.path)' into place: \(errnoText())")
        }
    }

    /// Writes `data` to a temporary file, fsyncs it (unless `sync` is false), and renames it over `url`.
    /// The file gets exactly `mode` (the umask does not apply).
    public static func atomicWrite(_ data: Data, to url: URL, temporary: URL, sync: Bool = true, mode: mode_t = 0o644) throws {
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.io(path: temporary.path, message: "cannot create: \(errnoText())") }
        if mode != 0o644 { fchmod(fd, mode) }
        var ok = true
        data.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 { if errno == EINTR { continue }; ok = false; break }
                offset += n
            }
        }
        if ok && sync { ok = Glibc.fsync(fd) == 0 }
        let message = errnoText()
        close(fd)
        guard ok else {
            unlink(temporary.path)
            throw StoreError.io(path: url.path, message: "write failed: \(message)")
        }
        do {
            try rename(temporary, to: url)
        } catch {
            unlink(temporary.path)
            throw error
        }
        if sync { try fsyncDirectory(url.deletingLastPathComponent()) }
    }

    /// Regular files below `dir`, recursively.
    public static func files(under dir: URL) -> [URL] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var out: [URL] = []
        for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out.append(url)
        }
        return out
    }

    /// A name safe as one path component (experiment names may contain '/').
    public static func safeName(_ s: String) -> String {
        String(s.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
