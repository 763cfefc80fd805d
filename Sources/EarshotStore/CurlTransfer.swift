import CCurl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP request for `CurlTransport`: what it sends and where the body of a 2xx response goes.
struct HTTPRequest: Sendable {
    enum Method: String, Sendable { case get = "GET", head = "HEAD", put = "PUT" }

    /// What a `PUT` sends.
    enum Body: Sendable {
        case none
        case data(Data)
        /// The bytes of a file, read as they are sent (never held in memory whole).
        case file(URL)
    }

    /// Where the body of a 2xx response goes; other responses' bodies are discarded.
    enum Sink: Sendable {
        case discard
        case memory
        /// Streamed into a file created (or truncated) at this path, SHA-256-hashed as it is written.
        case hashedFile(URL)
    }

    var method: Method
    var url: String
    /// Complete header lines, e.g. `Authorization: Bearer …`.
    var headers: [String] = []
    var body: Body = .none
    var sink: Sink = .discard
}

/// What a server answered.
struct HTTPResponse: Sendable {
    var status: Int
    /// The `Content-Length` the server sent (for `HEAD`, the size of what a `GET` would return).
    var contentLength: Int?
    /// The body of a 2xx response for `Sink.memory`.
    var data = Data()
    /// Bytes written to a `Sink.hashedFile`.
    var received = 0
    /// SHA-256 of the bytes written to a `Sink.hashedFile` (nil for the other sinks and for non-2xx responses).
    var digest: Digest?
}

/// Why a request got no HTTP response: libcurl's error, phrased for a message, and whether a retry may succeed.
struct TransferFailure: Sendable, Error {
    var message: String
    var transient: Bool
}

/// A request on its own libcurl easy handle: owns the handle, its header list, and the file descriptors it reads
/// the body from and writes the response to, all released in `deinit`.
///
/// Thread-safety: `@unchecked Sendable` because it is built on the caller's thread, then used only by
/// `CurlTransport`'s thread until `complete` resumes the caller (the transport's lock hands it over); only
/// `cancelled` is touched from other threads, and it is atomic.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let request: HTTPRequest
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let cancelled = Atomic<Bool>(false)
    private var continuation: CheckedContinuation<Result<HTTPResponse, TransferFailure>, any Error>?

    private var uploadFD: Int32 = -1
    private var uploadData = Data()
    private var uploadOffset = 0

    private var sinkFD: Int32 = -1
    private var hasher: SHA256?
    private var data = Data()
    private var received = 0
    /// A local I/O error (reading the upload, writing the download); it fails the request as `StoreError.io`.
    private var ioError: StoreError?

    /// Size of libcurl's receive buffer: larger than its 16 KiB default so that each read from the socket moves more.
    static let receiveBufferSize = 512 << 10
    /// Size of libcurl's upload buffer (its default is 64 KiB).
    static let uploadBufferSize = 512 << 10

    /// Prepares `request` with a stall timeout of `timeout` seconds (connecting, or receiving/sending less than
    /// one byte per second for that long). Throws `StoreError.io` when the file to upload cannot be read.
    init(_ request: HTTPRequest, timeout: Double) throws {
        guard let easy = curl_easy_init() else {
            throw StoreError.remote(url: request.url, message: "libcurl could not create a request handle (out of memory)")
        }
        self.easy = easy
        self.request = request
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        let me = Unmanaged.passUnretained(self).toOpaque()

        var ok = earshot_curl_easy_setopt_string(easy, CURLOPT_URL, request.url) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 5) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_string(easy, CURLOPT_USERAGENT, "earshot") == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(timeout * 1000)) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout.rounded(.up)))) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, Self.receiveBufferSize) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_write_function(easy) { buffer, size, count, me in
            Unmanaged<CurlTransfer>.fromOpaque(me!).takeUnretainedValue().receive(buffer, size * count)
        } == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_NOPROGRESS, 0) == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_xferinfo_function(easy) { me, _, _, _, _ in
            Unmanaged<CurlTransfer>.fromOpaque(me!).takeUnretainedValue().isCancelled ? 1 : 0
        } == CURLE_OK
        ok = ok && earshot_curl_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, me) == CURLE_OK
        for line in request.headers { headerList = curl_slist_append(headerList, line) }
        if headerList != nil { ok = ok && earshot_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList) == CURLE_OK }

        switch request.method {
        case .get:
            ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1) == CURLE_OK
        case .head:
            ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1) == CURLE_OK
        case .put:
            let size: Int
            switch request.body {
            case .none:
                size = 0
            case .data(let bytes):
                uploadData = bytes
                size = bytes.count
            case .file(let file):
                var st = stat()
                guard stat(file.path, &st) == 0 else {
                    throw StoreError.io(path: file.path, message: "cannot upload: \(StoreError.posixMessage(errno))")
                }
                size = Int(st.st_size)
            }
            ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1) == CURLE_OK
            ok = ok && earshot_curl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(size)) == CURLE_OK
            ok = ok && earshot_curl_easy_setopt_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, Self.uploadBufferSize) == CURLE_OK
            ok = ok && earshot_curl_easy_setopt_read_function(easy) { buffer, size, count, me in
                Unmanaged<CurlTransfer>.fromOpaque(me!).takeUnretainedValue().send(buffer, size * count)
            } == CURLE_OK
            ok = ok && earshot_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, me) == CURLE_OK
            // Rewinds the body when a redirect or an authentication retry sends it again.
            ok = ok && earshot_curl_easy_setopt_seek_function(easy) { me, offset, origin in
                Unmanaged<CurlTransfer>.fromOpaque(me!).takeUnretainedValue().seek(to: offset, origin: origin)
            } == CURLE_OK
            ok = ok && earshot_curl_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, me) == CURLE_OK
        }
        guard ok else {
            throw StoreError.remote(url: request.url, message: "libcurl refused an option (\(String(cString: errorBuffer)))")
        }
    }

    /// Opens the files the transfer reads and writes, when the transport starts it (so that queued transfers hold
    /// no descriptors). False, with `ioError` set, when one cannot be opened.
    func begin() -> Bool {
        if case .file(let file) = request.body {
            uploadFD = open(file.path, O_RDONLY | O_CLOEXEC)
            guard uploadFD >= 0 else {
                ioError = .io(path: file.path, message: "cannot open for upload: \(StoreError.posixMessage(errno))")
                return false
            }
        }
        if case .hashedFile(let file) = request.sink {
            sinkFD = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard sinkFD >= 0 else {
                ioError = .io(path: file.path, message: "cannot create: \(StoreError.posixMessage(errno))")
                return false
            }
            hasher = SHA256()
        }
        return true
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
        if uploadFD >= 0 { close(uploadFD) }
        if sinkFD >= 0 { close(sinkFD) }
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Makes the transfer end as soon as libcurl next reports progress (or not start, when still queued).
    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Called once, before the transfer is handed to the transport's thread.
    func awaitCompletion(_ continuation: CheckedContinuation<Result<HTTPResponse, TransferFailure>, any Error>) {
        self.continuation = continuation
    }

    // MARK: callbacks (on the transport's thread)

    /// The write callback: keeps the body of a 2xx response and drops any other (an error page; the body of a
    /// redirect). Returns `count` to go on, anything else to fail the transfer.
    private func receive(_ buffer: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let buffer, count > 0 else { return count }
        var status = 0
        _ = earshot_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        guard (200..<300).contains(status) else { return count }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: count)
        switch request.sink {
        case .discard:
            break
        case .memory:
            data.append(contentsOf: bytes)
        case .hashedFile(let file):
            // Written as libcurl hands it over (at most 16 KiB at a time), as the curl tool does. Measured on Linux
            // 6.18 ext4: gathering pieces into 128 KiB-1 MiB writes made the kernel's page-cache copies of a fresh
            // pull up to twice as slow (likely the larger page-cache folios that larger writes get).
            hasher!.update(bytes)
            var offset = 0
            while offset < count {
                let n = write(sinkFD, buffer + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ioError = .io(path: file.path, message: "write failed while downloading: \(StoreError.posixMessage(errno))")
                    return 0
                }
                offset += n
            }
            received += count
        }
        return count
    }

    /// The read callback: the next bytes of the upload body, 0 at its end, `CURL_READFUNC_ABORT` on a read error.
    private func send(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
        guard let buffer, capacity > 0 else { return 0 }
        if uploadFD >= 0 {
            while true {
                let n = read(uploadFD, buffer, capacity)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                if case .file(let file) = request.body {
                    ioError = .io(path: file.path, message: "read failed while uploading: \(StoreError.posixMessage(errno))")
                }
                return Int(CURL_READFUNC_ABORT)
            }
        }
        let n = min(capacity, uploadData.count - uploadOffset)
        guard n > 0 else { return 0 }
        uploadData.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + uploadOffset, byteCount: n)
        }
        uploadOffset += n
        return n
    }

    /// The seek callback: libcurl only ever rewinds to resend a body.
    private func seek(to offset: curl_off_t, origin: Int32) -> Int32 {
        guard origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
        if uploadFD >= 0 { return lseek(uploadFD, off_t(offset), SEEK_SET) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK }
        guard offset >= 0, Int(offset) <= uploadData.count else { return CURL_SEEKFUNC_FAIL }
        uploadOffset = Int(offset)
        return CURL_SEEKFUNC_OK
    }

    /// Ends the transfer with libcurl's result `code` and resumes its caller (on the transport's thread, after the
    /// handle left the multi handle).
    func complete(_ code: CURLcode) {
        if sinkFD >= 0 {
            close(sinkFD)
            sinkFD = -1
        }
        if uploadFD >= 0 {
            close(uploadFD)
            uploadFD = -1
        }
        guard let continuation else { return }
        self.continuation = nil
        if isCancelled { return continuation.resume(throwing: CancellationError()) }
        if let ioError { return continuation.resume(throwing: ioError) }
        guard code == CURLE_OK else { return continuation.resume(returning: .failure(failure(code))) }
        var status = 0
        _ = earshot_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var length: curl_off_t = -1
        _ = earshot_curl_easy_getinfo_off(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
        var response = HTTPResponse(status: status, contentLength: length >= 0 ? Int(length) : nil)
        if (200..<300).contains(status) {
            response.data = data
            response.received = received
            if hasher != nil { response.digest = hasher.take()!.finalize() }
        }
        continuation.resume(returning: .success(response))
    }

    /// libcurl's error as a message (its own text, first letter lowercased) and whether retrying may help.
    private func failure(_ code: CURLcode) -> TransferFailure {
        var osErrno = 0
        _ = earshot_curl_easy_getinfo_long(easy, CURLINFO_OS_ERRNO, &osErrno)
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let lowered = detail.prefix(1).lowercased() + detail.dropFirst()
        let message: String
        switch code {
        case CURLE_COULDNT_CONNECT where osErrno == Int(ECONNREFUSED): message = "connection refused (\(lowered))"
        case CURLE_OPERATION_TIMEDOUT: message = "timed out (\(lowered))"
        default: message = lowered
        }
        return TransferFailure(message: message, transient: Self.transientCodes.contains(code.rawValue))
    }

    /// Failures a retry may get past: no connection, a timeout, a connection dropped or answered with garbage.
    static let transientCodes: Set<UInt32> = Set([
        CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_SEND_ERROR,
        CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR,
    ].map(\.rawValue))
}
