import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTP transfers on libcurl multi handles, each driven by a thread of its own: requests from any task wait in one
/// queue (in order) and run concurrently, at most `maxTransfers` at once, over connections each multi handle keeps
/// open and reuses. Callers `await` a request; the threads resume them as their transfers end.
///
/// Response bodies stream through `CurlTransfer`'s callbacks into a file, hashed as written (or into a small
/// buffer); upload bodies are read from their file as they are sent. Nothing holds a whole object in memory.
/// There is one thread per core (at most one per transfer slot), because receiving, hashing and writing a
/// download keeps a core busy: one thread would be the bottleneck of a pull.
///
/// Thread-safety: `@unchecked Sendable` because `queue` and `closed` are guarded by `lock`; each multi handle and
/// its `active` transfers belong to its thread alone (curl_multi_wakeup, the only multi call made elsewhere, is
/// thread-safe).
final class CurlTransport: @unchecked Sendable {
    let maxTransfers: Int
    /// Seconds a request may stall (connecting, or moving less than a byte a second) before it fails as timed out.
    let timeout: Double
    private let multis: [UnsafeMutableRawPointer]
    private let lock = NSLock()
    private var queue: [CurlTransfer] = []
    private var closed = false
    private var stalls = 0

    /// Polls that ran to their full timeout while a queued transfer waited for a free slot of that thread: each is a
    /// lost wakeup (a request delayed by up to a second). Tests expect none.
    var stalledPolls: Int { lock.withLock { stalls } }

    /// `curl_global_init`, run once per process (a `static let` initializer runs exactly once, thread-safely).
    private static let globalInit: CURLcode = earshot_curl_global_init()

    init(maxTransfers: Int, timeout: Double) throws {
        guard Self.globalInit == CURLE_OK else {
            throw StoreError.remote(url: "", message: "libcurl failed to initialise: \(String(cString: curl_easy_strerror(Self.globalInit)))")
        }
        self.maxTransfers = max(1, maxTransfers)
        self.timeout = timeout
        let threads = min(self.maxTransfers, max(1, ProcessInfo.processInfo.activeProcessorCount))
        var multis: [UnsafeMutableRawPointer] = []
        for _ in 0..<threads {
            guard let multi = curl_multi_init() else {
                multis.forEach { curl_multi_cleanup($0) }
                throw StoreError.remote(url: "", message: "libcurl could not create a multi handle (out of memory)")
            }
            multis.append(multi)
        }
        self.multis = multis
        for (i, multi) in self.multis.enumerated() {
            // Slots split as evenly as they go; each keeps one idle connection per slot for reuse.
            let slots = self.maxTransfers / threads + (i < self.maxTransfers % threads ? 1 : 0)
            _ = earshot_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, slots)
            Thread { [self] in run(self.multis[i], slots: slots) }.start()
        }
    }

    /// Stops the threads once their transfers have ended; transfers still queued end as cancelled. Call once, when
    /// the owner goes away.
    func close() {
        lock.withLock { closed = true }
        wakeAll()
    }

    /// Runs `request`: an HTTP response (any status), or the failure that kept it from getting one. Throws
    /// `StoreError.io` for local file errors and `CancellationError` when the task is cancelled.
    func perform(_ request: HTTPRequest) async throws -> Result<HTTPResponse, TransferFailure> {
        let transfer = try CurlTransfer(request, timeout: timeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.awaitCompletion(continuation)
                lock.withLock { queue.append(transfer) }
                wakeAll()
            }
        } onCancel: {
            transfer.cancel()
            wakeAll()
        }
    }

    private func wakeAll() {
        for multi in multis { curl_multi_wakeup(multi) }
    }

    /// A thread's loop: start queued transfers while its slots are free, let libcurl move bytes, finish what ended,
    /// then sleep in `curl_multi_poll` until a socket is ready, a timer fires, or `perform`/`close` wakes it.
    private func run(_ multi: UnsafeMutableRawPointer, slots: Int) {
        Thread.current.name = "earshot-curl"
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (starting, isClosed) = lock.withLock { () -> ([CurlTransfer], Bool) in
                let n = closed ? 0 : min(queue.count, slots - active.count)
                let starting = Array(queue.prefix(n))
                queue.removeFirst(n)
                return (starting, closed)
            }
            for transfer in starting {
                if transfer.isCancelled {
                    transfer.complete(CURLE_ABORTED_BY_CALLBACK)
                } else if !transfer.begin() {
                    transfer.complete(CURLE_FAILED_INIT)
                } else if curl_multi_add_handle(multi, transfer.easy) == CURLM_OK {
                    active[transfer.easy] = transfer
                } else {
                    transfer.complete(CURLE_FAILED_INIT)
                }
            }
            if isClosed && active.isEmpty { break }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                active.removeValue(forKey: easy)?.complete(code)
            }
            // Transfers that waited for a slot freed just now start at once: their wakeups were used up already.
            if active.count < slots, lock.withLock({ !queue.isEmpty && !closed }) { continue }
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            let before = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
            clock_gettime(CLOCK_MONOTONIC, &ts)
            if Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 - before >= 0.95, active.count < slots {
                lock.withLock { if !queue.isEmpty && !closed { stalls += 1 } }
            }
        }
        for transfer in lock.withLock({ () -> [CurlTransfer] in defer { queue.removeAll() }; return queue }) {
            transfer.cancel()
            transfer.complete(CURLE_ABORTED_BY_CALLBACK)
        }
        curl_multi_cleanup(multi)
    }
}
