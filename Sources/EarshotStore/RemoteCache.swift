import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP remote cache with the layout Bazel's HTTP caches use, so nginx (WebDAV `PUT`) or bazel-remote can serve
/// it: `GET/PUT/HEAD <base>/cas/<sha256>` for objects (named by the SHA-256 of their bytes, no extension) and
/// `GET/PUT <base>/ac/<key>` for action records (Earshot's JSON record of a node key: outputs, attachments and
/// key inputs; bazel-remote needs `--disable_http_ac_validation` to accept JSON there).
///
/// Verify before trust: every object pulled is hashed before it enters the store; an object whose bytes do not
/// hash to its name (tampered, truncated) is rejected, remembered, and re-uploaded by write-through once the node
/// is recomputed. An action record must carry the key it was fetched under. Transient failures (HTTP 5xx, 408,
/// 429, timeouts, refused or dropped connections) are retried with exponential backoff; `readOnly` never writes.
///
/// Thread-safety: `@unchecked Sendable` because the only mutable state, `rejected`, is guarded by `lock`;
/// `URLSession` is safe to use from any thread.
public final class RemoteCache: @unchecked Sendable {
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

        public init(readOnly: Bool = false, attempts: Int = 3, backoff: Double = 0.25, timeout: Double = 120, parallelTransfers: Int = 8) {
            self.readOnly = readOnly
            self.attempts = max(1, attempts)
            self.backoff = backoff
            self.timeout = timeout
            self.parallelTransfers = max(1, parallelTransfers)
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
    let session: URLSession
    private let lock = NSLock()
    private var rejected = Set<Digest>()

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
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = options.timeout
        config.httpMaximumConnectionsPerHost = options.parallelTransfers
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        // Without a delegate that refuses authentication challenges, swift-corelibs-foundation never completes a
        // request answered 401 with WWW-Authenticate; refused, the request fails as cancelled (see `send`).
        session = URLSession(configuration: config, delegate: ChallengeRefusal(), delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func casURL(_ digest: Digest) -> URL { base.appendingPathComponent("cas/\(digest.hex)") }
    public func acURL(_ key: Digest) -> URL { base.appendingPathComponent("ac/\(key.hex)") }

    /// Digests whose remote copy failed verification in this process (write-through re-uploads them).
    public var rejectedObjects: Set<Digest> { lock.withLock { rejected } }

    // MARK: read

    /// The remote's record for `key`, or nil when it has none.
    public func fetchAction(_ key: Digest) async throws -> ActionRecord? {
        let url = acURL(key)
        let response = try await send(request("GET", url), expect: .data)
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
        let record: ActionRecord?
        do {
            record = try await fetchAction(key)
        } catch StoreError.remote(let url, let message) where message.hasPrefix("the action record") {
            return .rejected(["\(url): \(message)"])
        }
        guard let record else { return .absent }
        let (transfer, problems) = try await fetchObjects(of: record, into: store)
        guard problems.isEmpty else { return .rejected(problems) }
        try store.record(record)
        var report = transfer
        report.actions = 1
        return .hit(record, transfer: report)
    }

    /// Downloads the objects of `record` that the store lacks, verifying each against its SHA-256 before
    /// publishing it. Returns what moved and one line per object that failed verification.
    public func fetchObjects(of record: ActionRecord, into store: ArtifactStore) async throws -> (TransferReport, [String]) {
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

    /// Downloads one object into the store's temp folder, hashes it, and publishes it only if the hash matches.
    func download(_ object: OutputObject, into store: ArtifactStore) async throws -> Result<Int, Rejection> {
        let url = casURL(object.object)
        let tmp = store.temporaryURL(ext: object.ext)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let size: Int
        let actual: Digest
        if object.bytes > 0 && object.bytes <= Self.inMemoryLimit {
            // Small enough to hold: hash the bytes received and write them with one call (swift-corelibs-foundation's
            // download-to-file writes in small pieces, which costs more than the transfer on loopback).
            let response = try await send(request("GET", url), expect: .data)
            guard response.status != 404 else { return .failure(missing(object, url)) }
            size = response.data.count
            actual = SHA256.hash(response.data)
            if actual == object.object {
                try FileSystem.atomicWrite(response.data, to: tmp, temporary: store.temporaryURL(ext: object.ext))
            }
        } else {
            let response = try await send(request("GET", url), expect: .file)
            guard response.status != 404, let file = response.file else { return .failure(missing(object, url)) }
            defer { try? FileManager.default.removeItem(at: file) }
            do {
                try FileManager.default.moveItem(at: file, to: tmp)
            } catch {
                throw StoreError.io(path: tmp.path, message: "cannot move a downloaded object into the store: \(error.localizedDescription)")
            }
            size = (try? FileManager.default.attributesOfItem(atPath: tmp.path)[.size] as? Int) ?? 0
            actual = try SHA256.hash(fileAt: tmp)
            if actual == object.object { try FileSystem.fsync(tmp) }
        }
        guard actual == object.object else {
            lock.withLock { _ = rejected.insert(object.object) }
            let truncated = object.bytes > 0 && size < object.bytes ? " (truncated: \(size) of \(object.bytes) bytes)" : ""
            return .failure(Rejection(message: "remote object \(object.object.hex) failed verification\(truncated): its bytes hash to \(actual.hex); it was not used"))
        }
        try store.publish(tmp, as: actual, ext: object.ext)
        return .success(size)
    }

    /// Objects up to this size are received in memory; larger ones stream to a file.
    static let inMemoryLimit = 64 << 20

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
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? -1
            guard size >= 0, object.bytes <= 0 || size == object.bytes else {
                return .failure(Rejection(message: "local object \(object.object.hex) is missing or has the wrong size; `earshot cache verify` names it"))
            }
            let known = self.lock.withLock { self.rejected.contains(object.object) }
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
        lock.withLock { for o in objects { rejected.remove(o.object) } }
        report.actions = records.count
        return report
    }

    /// The size the remote reports for an object (HEAD), or nil when it has none.
    func remoteSize(_ digest: Digest) async throws -> Int? {
        let response = try await send(request("HEAD", casURL(digest)), expect: .data)
        guard response.status != 404 else { return nil }
        return response.contentLength
    }

    func upload(file: URL, to url: URL) async throws {
        var r = request("PUT", url)
        r.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        _ = try await send(r, body: .file(file), expect: .data)
    }

    func upload(data: Data, to url: URL) async throws {
        var r = request("PUT", url)
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        _ = try await send(r, body: .data(data), expect: .data)
    }

    // MARK: HTTP

    enum Body { case none, data(Data), file(URL) }
    enum Expect { case data, file }

    struct Response {
        var status: Int
        var data = Data()
        var file: URL?
        var contentLength: Int?
    }

    func request(_ method: String, _ url: URL) -> URLRequest {
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: options.timeout)
        r.httpMethod = method
        if let credentials { r.setValue(credentials.authorization, forHTTPHeaderField: "Authorization") }
        r.setValue("earshot", forHTTPHeaderField: "User-Agent")
        return r
    }

    /// Sends a request, retrying transient failures with exponential backoff. Returns 2xx and 404 responses;
    /// throws for everything else, with a message that says what to do.
    func send(_ request: URLRequest, body: Body = .none, expect: Expect) async throws -> Response {
        let url = request.url!.absoluteString
        var lastProblem = ""
        for attempt in 0..<options.attempts {
            if attempt > 0 {
                try await Task.sleep(nanoseconds: UInt64(options.backoff * pow(2, Double(attempt - 1)) * 1e9))
            }
            try Task.checkCancellation()
            let response: Response
            do {
                response = try await perform(request, body: body, expect: expect)
            } catch let error as URLError where Self.isTransient(error.code) {
                lastProblem = "\(Self.describe(error)) (attempt \(attempt + 1) of \(options.attempts))"
                continue
            } catch let error as URLError {
                try Task.checkCancellation()
                if error.code == .cancelled || error.code == .userCancelledAuthentication {
                    // Not cancelled by us: the server asked for credentials (HTTP 401) and `ChallengeRefusal` declined.
                    throw StoreError.remote(url: url, message: "access denied (HTTP 401): \(credentialHint(request))")
                }
                throw StoreError.remote(url: url, message: Self.describe(error))
            }
            switch response.status {
            case 200..<300, 404:
                return response
            case 401, 403:
                if let file = response.file { try? FileManager.default.removeItem(at: file) }
                throw StoreError.remote(url: url, message: "access denied (HTTP \(response.status)): \(credentialHint(request))")
            case 408, 429, 500..<600:
                if let file = response.file { try? FileManager.default.removeItem(at: file) }
                lastProblem = "HTTP \(response.status) (attempt \(attempt + 1) of \(options.attempts))"
                continue
            default:
                if let file = response.file { try? FileManager.default.removeItem(at: file) }
                let hint = request.httpMethod == "PUT" && response.status == 405
                    ? "; the server does not accept PUT (nginx needs `dav_methods PUT;`)" : ""
                throw StoreError.remote(url: url, message: "\(request.httpMethod ?? "") answered HTTP \(response.status)\(hint)")
            }
        }
        throw StoreError.remote(url: url, message: "gave up after \(options.attempts) attempts: \(lastProblem)")
    }

    func credentialHint(_ request: URLRequest) -> String {
        credentials.map { "the credentials from \($0.source) were refused" }
            ?? "set EARSHOT_REMOTE_TOKEN or add a netrc entry for '\(request.url?.host ?? "")'"
    }

    func perform(_ request: URLRequest, body: Body, expect: Expect) async throws -> Response {
        let raw: URLResponse
        var response = Response(status: 0)
        switch (body, expect) {
        case (.file(let file), _):
            // A memory-mapped body: swift-corelibs-foundation streams a file body in small reads, several times
            // slower than handing libcurl the mapped bytes.
            let body: Data
            do {
                body = try Data(contentsOf: file, options: .alwaysMapped)
            } catch {
                throw StoreError.io(path: file.path, message: "cannot read for upload: \(error.localizedDescription)")
            }
            (response.data, raw) = try await session.upload(for: request, from: body)
        case (.data(let data), _):
            (response.data, raw) = try await session.upload(for: request, from: data)
        case (.none, .file):
            let file: URL
            (file, raw) = try await session.download(for: request)
            response.file = file
        case (.none, .data):
            (response.data, raw) = try await session.data(for: request)
        }
        guard let http = raw as? HTTPURLResponse else {
            throw StoreError.remote(url: request.url?.absoluteString ?? "", message: "not an HTTP response")
        }
        response.status = http.statusCode
        response.contentLength = http.value(forHTTPHeaderField: "Content-Length").flatMap { Int($0) }
        return response
    }

    static func isTransient(_ code: URLError.Code) -> Bool {
        [.timedOut, .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet, .cannotLoadFromNetwork,
         .dnsLookupFailed, .badServerResponse].contains(code)
    }

    static func describe(_ error: URLError) -> String {
        let detail = (error as NSError).userInfo[NSLocalizedDescriptionKey] as? String
            ?? ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
        switch error.code {
        case .cannotConnectToHost: return "connection refused\(detail.map { " (\($0))" } ?? "")"
        case .timedOut: return "timed out"
        default: return detail ?? "network error \(error.code.rawValue)"
        }
    }

    /// Runs `body` for every item with at most `parallelTransfers` at once; results in item order. An error does not
    /// cancel the other transfers (cancelling in-flight URLSession tasks while another one is failing can deadlock
    /// swift-corelibs-foundation); the first error is thrown once every transfer has ended.
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

/// Declines every authentication challenge: credentials go in the `Authorization` header of each request, so a
/// challenge means the server refused them (or wanted some and got none).
final class ChallengeRefusal: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    // Thread-safety: no state.
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}
