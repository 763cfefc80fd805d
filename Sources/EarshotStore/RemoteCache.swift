import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP remote cache with the layout Bazel's HTTP caches use, so nginx (WebDAV `PUT`) or bazel-remote can serve
/// it: `GET/PUT/HEAD <base>/cas/<sha256>` for objects (named by the SHA-256 of their bytes, no extension) and
/// `GET/PUT <base>/ac/<key>` for action records (Earshot's JSON record of a node key: outputs, attachments and
/// key inputs; bazel-remote needs `--disable_http_ac_validation` to accept JSON there).
///
/// Verify before trust: every object pulled streams into a temporary file of the store while it is hashed, and is
/// renamed into place only if its bytes hash to its name; an object that does not (tampered, truncated) is rejected,
/// remembered, and re-uploaded by write-through once the node is recomputed. An action record must carry the key it
/// was fetched under. Transient failures (HTTP 5xx, 408, 429, timeouts, refused or dropped connections) are retried
/// with exponential backoff; `readOnly` never writes. Transfers run on libcurl (`CurlTransport`), at most
/// `parallelTransfers` at once over reused connections; uploads stream from the object file.
///
/// A dead remote: after `Options.downAfter` tries in a row have failed (across all requests, retries included), it is
/// marked down for the rest of the process: every later request fails at once without touching the network, and
/// the executor stops asking it (`isDown`), so a run goes on locally at local speed. `claimWarning()` lets the
/// caller report a failing remote once per run instead of once per node.
///
public final class RemoteCache: Sendable {
    public struct Options: Sendable {
        /// Pull only; never PUT.
        public var readOnly: Bool
        /// Tries per request, counting the first (transient failures only).
        public var attempts: Int
        /// Seconds before the first retry; doubled before each further one.
        public var backoff: Double
        /// Seconds a request may stall before it counts as timed out.
        public var timeout: Double
        /// Objects transferred at once.
        public var parallelTransfers: Int
        /// Failed tries in a row, across all requests (a success in between resets the count), after which the remote
        /// is marked down for the rest of the run.
        public var downAfter: Int

        public init(readOnly: Bool = false, attempts: Int = 3, backoff: Double = 0.25, timeout: Double = 120, parallelTransfers: Int = 8,
                    downAfter: Int = 3) {
            self.readOnly = readOnly
            self.attempts = max(1, attempts)
            self.backoff = backoff
            self.timeout = timeout
            self.parallelTransfers = max(1, parallelTransfers)
            self.downAfter = max(1, downAfter)
        }
    }

    /// What looking up one node key on the remote found.
    public enum Fetch: Sendable {
        /// The record and every object it names are now in the local store, verified.
        case hit(ActionRecord, transfer: TransferReport)
        /// The remote has no record for the key.
        case absent
        /// The remote's record or objects failed verification; one line per problem. Nothing was stored.
        case rejected([String])
    }

    /// Objects and bytes moved (or found already in place) by a transfer.
    public struct TransferReport: Sendable, Equatable {
        public var objects = 0
        public var bytes = 0
        public var skipped = 0
        public var actions = 0
        public init() {}
        public mutating func add(_ other: TransferReport) {
            objects += other.objects
            bytes += other.bytes
            skipped += other.skipped
            actions += other.actions
        }
    }

    public let base: URL
    public let options: Options
    public let credentials: RemoteCredentials?
    let transport: CurlTransport
    /// Where `fetch` and `fetchObjects` run, so their flushes and renames block no cooperative thread.
    let fileWork = BlockingWorkExecutor(label: "earshot.remote.files")
    private let rejected = Mutex(Set<Digest>())
    /// Dead-remote bookkeeping: failed tries in a row, marked down, warned once, requests sent.
    private struct Health { var failuresInARow = 0, down = false, warned = false, requests = 0 }
    private let health = Mutex(Health())

    /// A remote cache at `url` (http or https); credentials default to those in the environment.
    public init(url: URL, options: Options = Options(), credentials: RemoteCredentials?? = nil) throws {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw StoreError.remote(url: url.absoluteString, message: "not an http(s) URL; give e.g. http://cache.example.org:8080/earshot")
        }
        if url.user != nil || url.password != nil {
            throw StoreError.remote(url: url.absoluteString, message: "credentials in the URL are refused (they end up in shell history and logs); use EARSHOT_REMOTE_TOKEN or a netrc entry")
        }
        base = url.absoluteString.hasSuffix("/") ? url : URL(string: url.absoluteString + "/")!
        self.options = options
        self.credentials = credentials ?? RemoteCredentials.resolve(for: url)
        transport = try CurlTransport(maxTransfers: options.parallelTransfers, timeout: options.timeout)
    }

    deinit { transport.close() }

    public func casURL(_ digest: Digest) -> URL { base.appendingPathComponent("cas/\(digest.hex)") }
    public func acURL(_ key: Digest) -> URL { base.appendingPathComponent("ac/\(key.hex)") }

    /// Digests whose remote copy failed verification in this process (write-through re-uploads them).
    public var rejectedObjects: Set<Digest> { rejected.withLock { $0 } }

    /// True once `Options.downAfter` tries in a row have failed: the remote is not used again by this process.
    public var isDown: Bool { health.withLock { $0.down } }

    /// Transport polls that waited out their timeout while a request was queued for a free slot (lost wakeups);
    /// for tests: a request never waits for a poll timeout to start.
    public var stalledPolls: Int { transport.stalledPolls }

    /// HTTP requests sent so far (each try counts), for tests and benchmarks.
    public var requestCount: Int { health.withLock { $0.requests } }

    /// True the first time it is called: whoever gets true reports a failing remote, later failures stay quiet.
    public func claimWarning() -> Bool {
        health.withLock { state in
            defer { state.warned = true }
            return !state.warned
        }
    }

    /// Counts a failed try (a refused or dropped connection, a timeout, HTTP 5xx/408/429) or an answer (resets the
    /// count); marks the remote down once `downAfter` tries in a row, across all requests, have failed.
    private func noteOutcome(failed: Bool) {
        let downAfter = options.downAfter
        health.withLock {
            if failed {
                $0.failuresInARow += 1
                if $0.failuresInARow >= downAfter { $0.down = true }
            } else {
                $0.failuresInARow = 0
            }
        }
    }

    var downMessage: String {
        "the remote cache is marked down for the rest of this run after \(options.downAfter) failed tries in a row"
    }

    // MARK: read

    /// The remote's record for `key`, or nil when it has none.
    public func fetchAction(_ key: Digest) async throws -> ActionRecord? {
        let url = acURL(key)
        let response = try await send(HTTPRequest(method: .get, url: url.absoluteString, sink: .memory))
        guard response.status != 404 else { return nil }
        let record: ActionRecord
        do {
            record = try ActionRecord.decode(response.data)
        } catch {
            throw StoreError.remote(url: url.absoluteString, message: "the action record is not valid earshot JSON (\(error))")
        }
        guard record.key == key else {
            throw StoreError.remote(url: url.absoluteString, message: "the action record is for key \(record.key.hex), not the key it is stored under")
        }
        return record
    }

    /// Looks `key` up and, when found, downloads and verifies every object the record names that the store lacks,
    /// then records the action locally. Throws only when the remote cannot be reached or refuses access.
    public func fetch(key: Digest, into store: ArtifactStore) async throws -> Fetch {
        try await withTaskExecutorPreference(fileWork) { try await self.fetchOnFileWork(key: key, into: store) }
    }

    func fetchOnFileWork(key: Digest, into store: ArtifactStore) async throws -> Fetch {
        let record: ActionRecord?
        do {
            record = try await fetchAction(key)
        } catch StoreError.remote(let url, let message) where message.hasPrefix("the action record") {
            return .rejected(["\(url): \(message)"])
        }
        guard let record else { return .absent }
        let (transfer, problems) = try await fetchObjectsOnFileWork(of: record, into: store)
        guard problems.isEmpty else { return .rejected(problems) }
        // The objects are genuine; the record must also be theirs (each output's earshot.key names this key).
        if let problem = store.check(record) {
            return .rejected(["\(acURL(key).absoluteString): \(problem)"])
        }
        try store.record(record)
        var report = transfer
        report.actions = 1
        return .hit(record, transfer: report)
    }

    /// Downloads the objects of `record` that the store lacks, verifying each against its SHA-256 before
    /// publishing it. Returns what moved and one line per object that failed verification.
    public func fetchObjects(of record: ActionRecord, into store: ArtifactStore) async throws -> (TransferReport, [String]) {
        try await withTaskExecutorPreference(fileWork) { try await self.fetchObjectsOnFileWork(of: record, into: store) }
    }

    func fetchObjectsOnFileWork(of record: ActionRecord, into store: ArtifactStore) async throws -> (TransferReport, [String]) {
        let needed = record.allObjects.filter { store.verifyObject($0.object, ext: $0.ext) != .ok }
        var report = TransferReport()
        report.skipped = record.allObjects.count - needed.count
        var problems: [String] = []
        for result in try await concurrentMap(needed, { object in try await self.download(object, into: store) }) {
            switch result {
            case .success(let bytes):
                report.objects += 1
                report.bytes += bytes
            case .failure(let problem):
                problems.append(problem.message)
            }
        }
        return (report, problems.sorted())
    }

    struct Rejection: Error { var message: String }

    /// Streams one object into the store's temp folder, hashing it as it arrives, and publishes it (fsync, rename)
    /// only if the hash matches its name. Returns its size.
    func download(_ object: OutputObject, into store: ArtifactStore) async throws -> Result<Int, Rejection> {
        let tmp = store.temporaryURL(ext: object.ext)
        defer { unlink(tmp.path) }
        return try await download(object, to: tmp) { try store.publish(tmp, as: object.object, ext: object.ext) }
    }

    /// Streams one object to `tmp`, hashing it as it arrives; calls `publish` (after an fsync) only if the hash
    /// matches its name. Returns its size.
    func download(_ object: OutputObject, to tmp: URL, publish: () throws -> Void) async throws -> Result<Int, Rejection> {
        let url = casURL(object.object)
        let response = try await send(HTTPRequest(method: .get, url: url.absoluteString, sink: .hashedFile(tmp)))
        guard response.status != 404, let actual = response.digest else { return .failure(missing(object, url)) }
        let size = response.received
        guard actual == object.object else {
            rejected.withLock { _ = $0.insert(object.object) }
            let truncated = object.bytes > 0 && size < object.bytes ? " (truncated: \(size) of \(object.bytes) bytes)" : ""
            return .failure(Rejection(message: "remote object \(object.object.hex) failed verification\(truncated): its bytes hash to \(actual.hex); it was not used"))
        }
        try FileSystem.fsync(tmp)
        try publish()
        return .success(size)
    }

    func missing(_ object: OutputObject, _ url: URL) -> Rejection {
        Rejection(message: "remote object \(object.object.hex) is missing from \(url.absoluteString) although an action record names it")
    }

    // MARK: write

    /// Uploads the objects of `record` the remote lacks (or holds a bad copy of), then the record itself.
    /// Objects go first, so a reader never finds a record whose objects are missing.
    public func push(_ record: ActionRecord, from store: ArtifactStore) async throws -> TransferReport {
        try await push([record], from: store)
    }

    /// Pushes many records: every distinct object they name (at most `parallelTransfers` at once; objects the remote
    /// already holds at the same size are skipped, unless a pull found them corrupt), then the records.
    public func push(_ records: [ActionRecord], from store: ArtifactStore) async throws -> TransferReport {
        guard !options.readOnly, !records.isEmpty else { return TransferReport() }
        var seen = Set<Digest>()
        let objects = records.flatMap(\.allObjects).filter { seen.insert($0.object).inserted }
        var report = TransferReport()
        let results = try await concurrentMap(objects) { object -> Result<Int, Rejection> in
            // Existence and size only: hashing every object again would cost more than the upload, and every
            // reader verifies what it pulls (a damaged upload is rejected, recomputed and replaced by write-through).
            let file = store.objectURL(object.object, ext: object.ext)
            var st = stat()
            let size = stat(file.path, &st) == 0 ? Int(st.st_size) : -1
            guard size >= 0, object.bytes <= 0 || size == object.bytes else {
                return .failure(Rejection(message: "local object \(object.object.hex) is missing or has the wrong size; `earshot cache verify` names it"))
            }
            let known = self.rejected.withLock { $0.contains(object.object) }
            if !known, try await self.remoteSize(object.object) == size { return .success(-1) }
            try await self.upload(file: file, to: self.casURL(object.object))
            return .success(size)
        }
        for result in results {
            switch result {
            case .success(-1): report.skipped += 1
            case .success(let bytes):
                report.objects += 1
                report.bytes += bytes
            case .failure(let problem):
                throw StoreError.remote(url: base.absoluteString, message: "not pushing: \(problem.message)")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        _ = try await concurrentMap(records) { record in
            try await self.upload(data: try encoder.encode(record), to: self.acURL(record.key))
        }
        rejected.withLock { for o in objects { $0.remove(o.object) } }
        report.actions = records.count
        return report
    }

    /// The size the remote reports for an object (HEAD), or nil when it has none.
    func remoteSize(_ digest: Digest) async throws -> Int? {
        let response = try await send(HTTPRequest(method: .head, url: casURL(digest).absoluteString))
        guard response.status != 404 else { return nil }
        return response.contentLength
    }

    func upload(file: URL, to url: URL) async throws {
        _ = try await send(HTTPRequest(method: .put, url: url.absoluteString, headers: ["Content-Type: application/octet-stream"],
                                       body: .file(file)))
    }

    func upload(data: Data, to url: URL) async throws {
        _ = try await send(HTTPRequest(method: .put, url: url.absoluteString, headers: ["Content-Type: application/json"],
                                       body: .data(data)))
    }

    // MARK: HTTP

    /// Sends `request` with the credentials' `Authorization` header, retrying transient failures with exponential
    /// backoff. Returns 2xx and 404 responses; throws for everything else, with a message that says what to do.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        if let credentials { request.headers.append("Authorization: \(credentials.authorization)") }
        var lastProblem = ""
        for attempt in 0..<options.attempts {
            // Requests in flight when the remote was marked down stop retrying too.
            if isDown { throw StoreError.remote(url: request.url, message: downMessage) }
            if attempt > 0 {
                try await Task.sleep(nanoseconds: UInt64(options.backoff * pow(2, Double(attempt - 1)) * 1e9))
                if isDown { throw StoreError.remote(url: request.url, message: downMessage) }
            }
            try Task.checkCancellation()
            health.withLock { $0.requests += 1 }
            let response: HTTPResponse
            switch try await transport.perform(request) {
            case .success(let r):
                response = r
            case .failure(let failure) where failure.transient:
                noteOutcome(failed: true)
                lastProblem = "\(failure.message) (attempt \(attempt + 1) of \(options.attempts))"
                continue
            case .failure(let failure):
                noteOutcome(failed: true)
                throw StoreError.remote(url: request.url, message: failure.message)
            }
            // Any HTTP answer shows the remote is alive; 5xx and 408/429 count as failures (retried below).
            noteOutcome(failed: [408, 429].contains(response.status) || response.status >= 500)
            switch response.status {
            case 200..<300, 404:
                return response
            case 401, 403:
                throw StoreError.remote(url: request.url, message: "access denied (HTTP \(response.status)): \(credentialHint)")
            case 408, 429, 500..<600:
                lastProblem = "HTTP \(response.status) (attempt \(attempt + 1) of \(options.attempts))"
                continue
            default:
                let hint = request.method == .put && response.status == 405
                    ? "; the server does not accept PUT (nginx needs `dav_methods PUT;`)" : ""
                throw StoreError.remote(url: request.url, message: "\(request.method.rawValue) answered HTTP \(response.status)\(hint)")
            }
        }
        throw StoreError.remote(url: request.url, message: "gave up after \(options.attempts) attempts: \(lastProblem)")
    }

    var credentialHint: String {
        credentials.map { "the credentials from \($0.source) were refused" }
            ?? "set EARSHOT_REMOTE_TOKEN or add a netrc entry for '\(base.host ?? "")'"
    }

    /// Runs `body` for every item with at most `parallelTransfers` at once; results in item order. After an error no
    /// further item starts, but those in flight run to their end (so none leaves a temporary file or a half-sent
    /// upload behind a cancelled task); the first error is thrown once every started item has ended.
    func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        guard !items.isEmpty else { return [] }
        let results = await withTaskGroup(of: (Int, Result<R, any Error>).self) { group in
            var results = [Result<R, any Error>?](repeating: nil, count: items.count)
            var next = 0
            func start(_ i: Int) {
                group.addTask {
                    do { return (i, .success(try await body(items[i]))) } catch { return (i, .failure(error)) }
                }
            }
            while next < min(items.count, options.parallelTransfers) { start(next); next += 1 }
            while let (i, r) = await group.next() {
                results[i] = r
                if next < items.count, !Task.isCancelled, (try? r.get()) != nil { start(next); next += 1 }
            }
            return results
        }
        return try results.map { result -> R in
            guard let result else { throw CancellationError() }
            return try result.get()
        }
    }
}
