import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finished shards of unfinished nodes on the remote cache, so collaborators (or the tasks of an array job on
/// another cluster) reuse each other's partial work: `PUT <base>/shards/<key>/<shard, 6 digits>.json` holds a
/// small manifest `{"key", "shard", "sha256", "bytes"}` naming the shard file, which is stored like any object at
/// `<base>/cas/<sha256>`. Verify before trust, as for results: a pulled shard must hash to its manifest's digest
/// (else it is rejected and computed again), and the scoring kind still checks that its rows are the node's items.
extension RemoteCache {
    struct ShardManifest: Codable {
        var key: String
        var shard: Int
        var sha256: String
        var bytes: Int
    }

    public func shardURL(_ key: Digest, shard: Int) -> URL {
        base.appendingPathComponent("shards/\(key.hex)/" + String(format: "%06d.json", shard))
    }

    /// Uploads the listed finished shards of `key` (objects the remote already holds at the same size are not
    /// sent again), each followed by its manifest. Returns the number of shards published.
    public func pushShards(_ shards: [Int], key: Digest, from partial: PartialResults) async throws -> Int {
        guard !options.readOnly else { return 0 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sent = try await concurrentMap(shards) { shard -> Bool in
            guard let (file, digest) = partial.verifiedFile(shard: shard) else { return false }
            let size = ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? Int) ?? 0
            if try await self.remoteSize(digest) != size { try await self.upload(file: file, to: self.casURL(digest)) }
            let manifest = ShardManifest(key: key.hex, shard: shard, sha256: digest.hex, bytes: size)
            try await self.upload(data: try encoder.encode(manifest), to: self.shardURL(key, shard: shard))
            return true
        }
        return sent.filter { $0 }.count
    }

    /// Downloads the listed shards of `key` that the remote holds, verifying each against its manifest's digest
    /// before it enters `partial`. Returns the shards installed and one line per shard that failed verification.
    public func pullShards(_ shards: [Int], key: Digest, into partial: PartialResults) async throws -> (pulled: [Int], problems: [String]) {
        let results = try await concurrentMap(shards) { shard -> Result<Int?, Rejection> in
            let url = self.shardURL(key, shard: shard)
            let response = try await self.send(HTTPRequest(method: .get, url: url.absoluteString, sink: .memory))
            guard response.status != 404 else { return .success(nil) }
            guard let manifest = try? JSONDecoder().decode(ShardManifest.self, from: response.data),
                  manifest.key == key.hex, manifest.shard == shard, let digest = Digest(hex: manifest.sha256) else {
                return .failure(Rejection(message: "\(url.absoluteString): not a shard manifest for shard \(shard) of key \(key.hex.prefix(12)); it was not used"))
            }
            let tmp = partial.store.temporaryURL(ext: "h5")
            defer { unlink(tmp.path) }
            let object = OutputObject(object: digest, content: digest, type: "token_scores", bytes: manifest.bytes)
            switch try await self.download(object, to: tmp, publish: { try partial.install(tmp, shard: shard, digest: digest) }) {
            case .success: return .success(shard)
            case .failure(let rejection): return .failure(rejection)
            }
        }
        var pulled: [Int] = [], problems: [String] = []
        for r in results {
            switch r {
            case .success(let shard?): pulled.append(shard)
            case .success(nil): break
            case .failure(let rejection): problems.append(rejection.message)
            }
        }
        return (pulled.sorted(), problems)
    }

    /// `pullShards` for a run: problems and unreachable remotes become warnings (the shards are computed here).
    public func pullShardsReporting(_ shards: [Int], key: Digest, into partial: PartialResults) async -> [String] {
        guard !shards.isEmpty else { return [] }
        do {
            let (_, problems) = try await pullShards(shards, key: key, into: partial)
            return problems.map { "\($0); computing that shard here" }
        } catch is CancellationError {
            return []
        } catch {
            return ["pulling finished shards from the remote cache failed, computing them here: \(error)"]
        }
    }

    /// `pushShards` for a run: a failure becomes a warning (the shards stay in the local store).
    public func pushShardsReporting(_ shards: [Int], key: Digest, from partial: PartialResults) async -> [String] {
        guard !shards.isEmpty else { return [] }
        do {
            _ = try await pushShards(shards, key: key, from: partial)
            return []
        } catch {
            return ["pushing finished shards to the remote cache failed (they stay in the local store): \(error)"]
        }
    }
}
