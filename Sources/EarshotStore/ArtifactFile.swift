import Foundation

/// Reads and writes `Artifact`s as HDF5 files.
///
/// `write` is deterministic: the same artifact value gives byte-identical files whatever the dictionary order,
/// the time or the process (see `ArtifactWriter` for how), with the same HDF5 release. It writes to `url` directly;
/// callers wanting atomicity write to a temporary path in the same directory, fsync and rename.
/// Thread-safety: every call takes one process-wide lock around all HDF5 calls (see `HDF5Library`).
public enum ArtifactFile {
    /// Writes `artifact` to `url`, replacing any file there. Throws `StoreError.artifact` when the artifact is
    /// invalid (`Artifact.validate()`), `StoreError.hdf5` with HDF5's message when writing fails.
    public static func write(_ artifact: Artifact, to url: URL) throws {
        try HDF5Library.withLock { try ArtifactWriter(path: url.path).write(artifact) }
    }

    /// Reads the whole file at `url`. Throws `StoreError` naming the path when it is missing, not HDF5, truncated
    /// or holds an object `ArtifactReader` does not support.
    public static func read(from url: URL) throws -> Artifact {
        try HDF5Library.withLock { try ArtifactReader(path: url.path).read() }
    }

    /// Reads one root attribute (nil when absent), without touching the others or any dataset.
    public static func readAttribute(_ name: String, from url: URL) throws -> AttributeValue? {
        try HDF5Library.withLock { try ArtifactReader(path: url.path).readRootAttribute(name) }
    }

    /// Reads only the root attributes (provenance and others), without touching dataset payloads.
    public static func readAttributes(from url: URL) throws -> [String: AttributeValue] {
        try HDF5Library.withLock { try ArtifactReader(path: url.path).readRootAttributes() }
    }
}
