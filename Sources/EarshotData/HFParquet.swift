import EarshotStore
import EarshotProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hugging Face Hub parquet shards (`format: hf_parquet`): a folder of shards (`data/{split}-NNNNN-of-NNNNN.parquet`,
/// the Hub's layout; `split` picks the prefix), one shard, or a glob (`data/test-*.parquet`).
///
/// Parquet is read by a small adapter process (`HFParquet.adapterSource`, run with `python`, which needs
/// pyarrow: `scripts/install.sh` puts it in the project venv); the adapter's code digest enters node keys.
/// Listing reads every column but the audio bytes; each row is an entry whose fields map through
/// `ColumnMapping` (defaults for this format: audio `audio`, text `text`, speaker `speaker`, id `id`). The
/// audio column is the `Audio` feature's struct `{bytes, path}`: its embedded bytes are the item's audio
/// (`DatasetEntry.embedded`), extracted for the drawn items only and stored in the split as `cas:` attachments,
/// so a split never depends on a Hub cache path. A row whose struct has no bytes (audio stored beside the
/// parquet) gets a `defect`. The default id is the struct's `path` without extension, else `SHARD:ROW`.
public struct HFParquet: Sendable {
    public let path: String
    public let split: String
    public let columns: ColumnMapping
    public let python: String
    public var cache: ListingCache?

    public init(path: String, split: String, columns: ColumnMapping, python: String, cache: ListingCache? = nil) {
        self.path = path
        self.split = split
        self.columns = columns
        self.python = python
        self.cache = cache
    }

    /// Where the adapter's listings are kept, by the shards' content digests, the adapter's digest and the audio
    /// column, so a re-run with unchanged shards starts no Python (a cache: deleting the folder only costs time).
    /// With `write` false (planning) a listing is read from it but never added.
    public struct ListingCache: Sendable, Equatable {
        public var directory: URL
        public var digest: @Sendable (String) throws -> Digest
        public var write: Bool

        public init(directory: URL, write: Bool, digest: @escaping @Sendable (String) throws -> Digest) {
            self.directory = directory
            self.write = write
            self.digest = digest
        }

        public static func == (a: ListingCache, b: ListingCache) -> Bool { a.directory == b.directory && a.write == b.write }
    }

    /// The adapter's listing of `shards`: from the cache when it has it, else by running the adapter.
    func listing(_ shards: [String], audioColumn: String) throws -> Data {
        guard let cache else { return try Self.runAdapter(python: python, arguments: ["list", audioColumn] + shards, input: nil) }
        var identity = "earshot hf_parquet listing 1\n\(Self.adapterDigest.hex)\n\(audioColumn)\n"
        for shard in shards { identity += "\(shard)\t\(try cache.digest(shard).hex)\n" }
        // Verify before trust: a cached listing is named `<identity hash>.<SHA-256 of its bytes>.jsonl`, and one whose
        // bytes do not hash to its name (a flipped bit, a truncated copy) is removed and the adapter runs again.
        let prefix = SHA256.hash(identity).hex + "."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cache.directory.path)) ?? []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".jsonl") {
            let file = cache.directory.appendingPathComponent(name)
            let claimed = String(name.dropFirst(prefix.count).dropLast(".jsonl".count))
            if let data = FileManager.default.contents(atPath: file.path), SHA256.hash(data).hex == claimed { return data }
            if cache.write { try? FileManager.default.removeItem(at: file) }
        }
        let output = try Self.runAdapter(python: python, arguments: ["list", audioColumn] + shards, input: nil)
        if cache.write {
            // Written whole under a unique name, then renamed: a reader sees the complete listing or none.
            let file = cache.directory.appendingPathComponent(prefix + SHA256.hash(output).hex + ".jsonl")
            let tmp = cache.directory.appendingPathComponent(".\(UUID().uuidString).tmp")
            if (try? FileManager.default.createDirectory(at: cache.directory, withIntermediateDirectories: true)) != nil,
               (try? output.write(to: tmp)) != nil, rename(tmp.path, file.path) != 0 {
                try? FileManager.default.removeItem(at: tmp)
            }
        }
        return output
    }

    /// The shards, sorted: a file, every `.parquet` in a folder (with `split`: those named `{split}-…` or
    /// `{split}.parquet`, also in a `data/` sub-folder), or the matches of a `*`/`?` glob in the last component.
    public func shards() throws -> [String] {
        var isDirectory: ObjCBool = false
        let last = (path as NSString).lastPathComponent
        if last.contains("*") || last.contains("?") {
            let folder = (path as NSString).deletingLastPathComponent
            let matches = try CorpusLayout.files(in: folder, suffix: "").filter { fnmatch(last, $0, 0) == 0 }.map { folder + "/" + $0 }
            guard !matches.isEmpty else { throw DataError.unreadable(path: path, reason: "no parquet shard matches") }
            return matches
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.unreadable(path: path, reason: "no such file or folder; give a parquet shard, a folder of shards or a glob")
        }
        if !isDirectory.boolValue { return [path] }
        var folder = path
        if !split.isEmpty, FileManager.default.fileExists(atPath: path + "/data") { folder = path + "/data" }
        let all = try CorpusLayout.files(in: folder, suffix: ".parquet")
        let chosen = split.isEmpty ? all : all.filter { $0.hasPrefix(split + "-") || $0 == split + ".parquet" }
        guard !chosen.isEmpty else {
            throw DataError.unreadable(path: folder, reason: split.isEmpty ? "no .parquet shards" : "no shard named \(split)-*.parquet (the Hub's data/{split}-NNNNN-of-NNNNN.parquet)")
        }
        return chosen.map { folder + "/" + $0 }
    }

    public func load() throws -> DatasetListing {
        let shards = try shards()
        let audioColumn = columns.column("audio") ?? "audio"
        let output = try listing(shards, audioColumn: audioColumn)
        var entries: [DatasetEntry] = []
        var checked = false
        let lines = ListingLines(path: "hf_parquet listing", data: output)
        for line in lines.lines where !line.isBlank {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.text.utf8))) as? [String: Any],
                  let shardIndex = (object["_shard"] as? NSNumber)?.intValue, let row = (object["_row"] as? NSNumber)?.intValue,
                  shards.indices.contains(shardIndex) else {
                throw DataError.unreadable(path: path, reason: "the parquet adapter wrote an unexpected line: \(line.text.prefix(200))")
            }
            let shard = shards[shardIndex]
            if let error = object["_error"] as? String { throw DataError.unreadable(path: shard, reason: error) }
            var fields = (object["fields"] as? [String: Any] ?? [:]).compactMapValues(JSONLinesManifest.text(of:))
            if !checked {
                var available = Set(fields.keys)
                available.formUnion(object["_columns"] as? [String] ?? [])
                try columns.check(available: available.union([audioColumn]), path: shard, sample: available.sorted())
                checked = true
            }
            let audioName = object["_audio_path"] as? String ?? ""
            let hasBytes = object["_has_bytes"] as? Bool ?? false
            let origin = "\(shard): row \(row)"
            if (columns.column("id").flatMap { fields[$0] } ?? "").isEmpty {
                let stem = (audioName as NSString).deletingPathExtension
                fields[columns.column("id") ?? "id"] = stem.isEmpty ? "\(CorpusLayout.stem(shard)):\(row)" : stem
            }
            var entry = try JSONLinesManifest.entry(
                fields: fields, columns: columns, audio: "\(shard)#\(row)", directory: "/", origin: origin,
                defect: hasBytes ? nil : "\(origin): the '\(audioColumn)' struct has no embedded bytes (audio kept outside the parquet is not read, so a split never depends on a cache path)",
                path: shard, line: row + 1)
            entry.audioPath = "\(shard)#\(row)"
            entry.embedded = .init(shard: shard, row: row, column: audioColumn,
                                   ext: Self.extensionOf(audioName))
            entries.append(entry)
        }
        return DatasetListing(entries: entries, files: shards)
    }

    static func extensionOf(_ name: String) -> String {
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")), !name.utf8[dot...].contains(UInt8(ascii: "/")) else { return "bin" }
        let ext = String(name[name.index(after: dot)...]).lowercased()
        return ext.isEmpty || ext.count > 5 || !ext.allSatisfy({ $0.isLetter || $0.isNumber }) ? "bin" : ext
    }

    /// Writes the embedded audio of `entries` into `folder` (one adapter run) and returns the entries with
    /// `audioPath` set to the written files; an entry whose bytes could not be written gets a `defect`.
    public static func extract(_ entries: [DatasetEntry], into folder: URL, python: String) throws -> [DatasetEntry] {
        let pending = entries.enumerated().filter { $0.element.embedded != nil && $0.element.defect == nil }
        if pending.isEmpty { return entries }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var request = Data()
        var names: [Int: String] = [:]
        for (i, entry) in pending {
            let e = entry.embedded!
            let name = "embedded-\(UUID().uuidString).\(e.ext)"
            names[i] = name
            let line = try JSONSerialization.data(withJSONObject: ["shard": e.shard, "row": e.row, "column": e.column, "out": folder.appendingPathComponent(name).path])
            request.append(line)
            request.append(0x0A)
        }
        let output = try runAdapter(python: python, arguments: ["extract"], input: request)
        var failures: [String: String] = [:]
        for line in ListingLines(path: "hf_parquet extract", data: output).lines where !line.isBlank {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line.text.utf8))) as? [String: Any],
               let out = object["out"] as? String, let error = object["error"] as? String {
                failures[out] = error
            }
        }
        var result = entries
        for (i, _) in pending {
            let out = folder.appendingPathComponent(names[i]!).path
            if let error = failures[out] {
                result[i].defect = "\(result[i].origin): \(error)"
            } else {
                result[i].audioPath = out
            }
        }
        return result
    }

    /// The adapter's code digest (enters the keys of nodes reading parquet).
    public static var adapterDigest: Digest { SHA256.hash(adapterSource) }

    /// Runs the adapter and returns its standard output; a failure quotes its standard error.
    static func runAdapter(python: String, arguments: [String], input: Data?) throws -> Data {
        let hint = "give python: with the interpreter of a venv holding pyarrow (scripts/install.sh makes .venv)"
        let program: String
        do { program = try ProgramLocator.locate(python, base: FileManager.default.currentDirectoryPath).path } catch {
            throw DataError.unreadable(path: python, reason: "cannot start the parquet adapter with python '\(python)' (\(error)); \(hint)")
        }
        let result: (termination: Termination, stdout: Data, stderr: Data)
        do {
            result = try ChildProcess.output(program: program, arguments: ["-c", adapterSource] + arguments, input: input ?? Data())
        } catch {
            throw DataError.unreadable(path: program, reason: "cannot start the parquet adapter with python '\(python)' (\(error)); \(hint)")
        }
        guard result.termination.succeeded else {
            let tail = String(decoding: result.stderr.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DataError.unreadable(path: arguments.last ?? "parquet", reason: "the parquet adapter (\(program)) \(result.termination): \(tail)")
        }
        return result.stdout
    }

    /// The adapter (Python 3, pyarrow). `list AUDIO SHARD…`: one JSON line per row with its shard index, row,
    /// the scalar fields, the audio struct's path and whether it holds bytes (the bytes are not read).
    /// `extract`: reads JSON lines {shard, row, column, out} on stdin and writes each row's bytes to `out`,
    /// reading only the row groups and the bytes column needed; a line {out, error} reports a row it could
    /// not write.
    public static let adapterSource = #"""
import json, sys
import pyarrow as pa
import pyarrow.parquet as pq

def leaf(table, index, field):
    # A nested column read by its dotted path comes back either as the leaf or as a struct holding it.
    col = table.column(index)
    if pa.types.is_struct(col.type):
        col = pa.chunked_array([c.field(field) for c in col.chunks], type=col.type.field(field).type)
    return col

def scalar(v):
    return v if v is None or isinstance(v, (str, int, float, bool)) else None

def list_rows(audio, shards):
    out = sys.stdout
    for i, shard in enumerate(shards):
        f = pq.ParquetFile(shard)
        schema = f.schema_arrow
        names = schema.names
        if audio not in names:
            out.write(json.dumps({"_shard": i, "_row": 0, "_error": "no column '%s' (columns: %s); map the audio column with columns: {audio: ...}" % (audio, ", ".join(names))}) + "\n")
            return
        at = schema.field(audio).type
        if not (pa.types.is_struct(at) and at.get_field_index("bytes") >= 0):
            out.write(json.dumps({"_shard": i, "_row": 0, "_error": "column '%s' is %s, not the Audio feature's struct {bytes, path}" % (audio, at)}) + "\n")
            return
        others = [n for n in names if n != audio and not pa.types.is_binary(schema.field(n).type)
                  and not pa.types.is_large_binary(schema.field(n).type)]
        cols = others + [audio + ".path"] if at.get_field_index("path") >= 0 else list(others)
        row = 0
        for g in range(f.metadata.num_row_groups):
            t = f.read_row_group(g, columns=cols)
            data = {n: t.column(n).to_pylist() for n in others}
            paths = leaf(t, t.num_columns - 1, "path").to_pylist() if at.get_field_index("path") >= 0 else [None] * t.num_rows
            nulls = leaf(f.read_row_group(g, columns=[audio + ".bytes"]), 0, "bytes").is_null().to_pylist()
            for r in range(t.num_rows):
                fields = {n: scalar(data[n][r]) for n in others}
                out.write(json.dumps({"_shard": i, "_row": row, "_columns": names if row == 0 else None, "fields": fields,
                                      "_audio_path": paths[r] or "", "_has_bytes": not nulls[r]}) + "\n")
                row += 1

def extract():
    wanted = {}
    for line in sys.stdin:
        if line.strip():
            req = json.loads(line)
            wanted.setdefault((req["shard"], req["column"]), []).append(req)
    for (shard, column), reqs in wanted.items():
        f = pq.ParquetFile(shard)
        starts, total = [], 0
        for g in range(f.metadata.num_row_groups):
            starts.append(total)
            total += f.metadata.row_group(g).num_rows
        by_group = {}
        for req in reqs:
            g = max(i for i, s in enumerate(starts) if s <= req["row"])
            by_group.setdefault(g, []).append(req)
        for g, group in sorted(by_group.items()):
            values = leaf(f.read_row_group(g, columns=[column + ".bytes"]), 0, "bytes")
            for req in group:
                value = values[req["row"] - starts[g]].as_py()
                if value is None:
                    print(json.dumps({"out": req["out"], "error": "row %d has no embedded bytes" % req["row"]}))
                    continue
                with open(req["out"], "wb") as w:
                    w.write(value)

if __name__ == "__main__":
    if sys.argv[1] == "list":
        list_rows(sys.argv[2], sys.argv[3:])
    else:
        extract()
"""#
}
