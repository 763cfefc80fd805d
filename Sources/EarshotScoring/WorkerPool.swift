import Foundation
import Synchronization

/// The result of scoring one item: its statistics, or why it could not be scored.
public enum ItemOutcome: Sendable, Equatable {
    case scored(ItemScores)
    /// The scorer refused the item (a worker `error` reply, a per-item timeout, an unreadable file).
    case failed(id: String, message: String)
}

/// Settings of a `WorkerPool`.
public struct WorkerPoolOptions: Sendable {
    /// Worker processes run at once (`earshot run --workers N`).
    public var workers: Int
    /// Seconds one item may take before its worker is killed and restarted (0: no limit).
    public var itemTimeout: Double
    /// Seconds a starting worker may take to send its hello (model loading).
    public var helloTimeout: Double
    /// Crashes tolerated per pool run (each restarts the worker and retries the item in flight).
    public var maxRestarts: Int
    /// The identity the node key was computed with: a worker reporting another model or weights fails the run.
    public var expectedHello: WorkerHello?
    /// Folder for the workers' stderr files.
    public var logDirectory: URL
    /// GPUs to spread the workers over: worker slot i runs with `CUDA_VISIBLE_DEVICES` = `devices[i % count]`
    /// (empty: the environment is left as it is).
    public var devices: [String]

    /// Items sent to a worker at once (`score_batch`), capped by the worker's hello `max_batch`; 1 sends
    /// `score` requests one by one. Workers promise equal results either way, so it is not part of any key.
    public var batchSize: Int

    public init(workers: Int = 1, itemTimeout: Double = 0, helloTimeout: Double = 600, maxRestarts: Int = 3,
                expectedHello: WorkerHello? = nil, logDirectory: URL, devices: [String] = [], batchSize: Int = 1) {
        self.workers = max(1, workers)
        self.batchSize = max(1, batchSize)
        self.itemTimeout = itemTimeout
        self.helloTimeout = helloTimeout
        self.maxRestarts = max(0, maxRestarts)
        self.expectedHello = expectedHello
        self.logDirectory = logDirectory
        self.devices = devices
    }
}

/// Long-lived worker processes scoring a list of requests.
///
/// Each of `workers` slots runs on its own thread (worker I/O blocks) and takes the next request — or the
/// next `batchSize` requests, as one `score_batch`, when the worker's hello allows it — from a shared
/// queue, so items finish in any order; `record` is called once per finished item, on the slot's
/// thread, with the request's index. Failure handling:
/// - a worker `error` reply or a per-item timeout → `.failed` for that item (a timed-out worker is killed and
///   restarted; with batches, every item of the batch fails, the deadline being `itemTimeout` × batch size);
///   the caller decides (`on_error`);
/// - a worker that dies → its stderr tail is kept, it is restarted and the item in flight is retried; after
///   `maxRestarts` crashes the run fails with `ScoringError.workerFailed` quoting the stderr tail;
/// - a malformed reply (bad JSON, wrong id, non-finite or mismatched statistics) → the run fails at once and
///   the item is not recorded;
/// - `record` throwing → the run fails with that error;
/// - cancelling the calling task kills every worker and throws `CancellationError`.
/// Thread-safety: `@unchecked Sendable` because every mutable field is guarded by `lock`.
public final class WorkerPool: @unchecked Sendable {
    public let command: WorkerCommand
    public let options: WorkerPoolOptions

    private let lock = NSLock()
    private var queue: [Int] = []
    private var failure: (any Error)?
    private var cancelled = false
    private var restarts = 0
    private var live: [Int: WorkerProcess] = [:]
    private var startedWorkers = 0

    public init(command: WorkerCommand, options: WorkerPoolOptions) {
        self.command = command
        self.options = options
    }

    /// Worker processes started so far (first starts and restarts).
    public var workersStarted: Int { lock.withLock { startedWorkers } }

    /// The hello of the first worker this pool started (nil before any).
    public var firstHello: WorkerHello? { lock.withLock { seenHello } }
    private var seenHello: WorkerHello?

    /// Scores `requests`, calling `record(index, outcome)` once per request.
    public func score(_ requests: [ScoreRequest], record: @escaping @Sendable (Int, ItemOutcome) throws -> Void) async throws {
        guard !requests.isEmpty else { return }
        lock.withLock {
            queue = Array(requests.indices)
            failure = nil
            restarts = 0
        }
        let slots = min(options.workers, requests.count)
        try await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let remaining = Countdown(slots) { continuation.resume() }
                for slot in 0..<slots {
                    let thread = Thread { [self] in
                        runSlot(slot, requests: requests, record: record)
                        remaining.tick()
                    }
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            }
            let (wasCancelled, error) = lock.withLock { (cancelled, failure) }
            if wasCancelled { throw CancellationError() }
            if let error { throw error }
        } onCancel: {
            cancel()
        }
    }

    /// Stops the run: kills every worker; slots exit after their current item.
    public func cancel() {
        let workers = lock.withLock { () -> [WorkerProcess] in
            cancelled = true
            return Array(live.values)
        }
        for w in workers { w.kill() }
    }

    private func fail(_ error: any Error) {
        let workers = lock.withLock { () -> [WorkerProcess] in
            if failure == nil { failure = error }
            return Array(live.values)
        }
        for w in workers { w.kill() }
    }

    private var stopping: Bool { lock.withLock { cancelled || failure != nil } }

    private func next() -> Int? { next(upTo: 1).first }

    /// Up to `count` queued request indices (empty when stopping or done).
    private func next(upTo count: Int) -> [Int] {
        lock.withLock {
            guard !cancelled, failure == nil, !queue.isEmpty else { return [] }
            let taken = Array(queue.prefix(count))
            queue.removeFirst(taken.count)
            return taken
        }
    }

    private func retry(_ indices: [Int]) { lock.withLock { queue.insert(contentsOf: indices, at: 0) } }

    /// Counts a crash; false when the restart budget is spent.
    private func countCrash() -> (allowed: Bool, count: Int) {
        lock.withLock {
            restarts += 1
            return (restarts <= options.maxRestarts, restarts)
        }
    }

    private func start(slot: Int) throws -> (WorkerProcess, WorkerHello) {
        let n = lock.withLock { () -> Int in startedWorkers += 1; return startedWorkers }
        let log = options.logDirectory.appendingPathComponent("worker-\(slot)-\(n).stderr")
        var command = command
        if !options.devices.isEmpty { command.environment["CUDA_VISIBLE_DEVICES"] = options.devices[slot % options.devices.count] }
        let worker = try WorkerProcess(command: command, stderrURL: log)
        lock.withLock { live[slot] = worker }
        if stopping { worker.kill() }
        let hello = try worker.readHello(timeout: options.helloTimeout)
        lock.withLock { if seenHello == nil { seenHello = hello } }
        if let expected = options.expectedHello,
           expected.modelID != hello.modelID || expected.weightsSHA256 != hello.weightsSHA256 {
            throw ScoringError.workerFailed(
                program: command.name,
                reason: "reports model '\(hello.modelID)' (weights \(hello.weightsSHA256.prefix(12))…) but the node key was computed for '\(expected.modelID)' (weights \(expected.weightsSHA256.prefix(12))…); the model changed during the run, run again",
                stderrTail: "")
        }
        return (worker, hello)
    }

    private func runSlot(_ slot: Int, requests: [ScoreRequest], record: @Sendable (Int, ItemOutcome) throws -> Void) {
        var current: (worker: WorkerProcess, hello: WorkerHello)?
        defer {
            current?.worker.shutdown()
            lock.withLock { _ = live.removeValue(forKey: slot) }
        }
        while let first = next() {
            var batch = [first]
            do {
                if current == nil {
                    do {
                        current = try start(slot: slot)
                    } catch {
                        if stopping { return }
                        throw error
                    }
                }
                let (worker, hello) = current!
                batch += next(upTo: min(options.batchSize, hello.maxBatch) - 1)
                let line = batch.count == 1
                    ? try WorkerRequest.score(requests[first]).jsonLine()
                    : try WorkerRequest.scoreBatch(batch.map { requests[$0] }).jsonLine()
                guard worker.send(line) else {
                    try restart(after: worker, batch: batch, requests: requests, current: &current)
                    continue
                }
                let deadline = options.itemTimeout > 0 ? Date().addingTimeInterval(options.itemTimeout * Double(batch.count)) : nil
                for (position, index) in batch.enumerated() {
                    let request = requests[index]
                    let timeout = deadline.map { max($0.timeIntervalSinceNow, 0.001) } ?? 0
                    switch worker.readLine(timeout: timeout) {
                    case .line(let line):
                        let message: WorkerMessage
                        do {
                            message = try WorkerMessage.decode(line: line, expectedID: request.id, vocabularySize: hello.vocabularySize)
                        } catch {
                            throw ScoringError.workerFailed(program: command.name, reason: "sent a malformed reply to item '\(request.id)': \(error); nothing from this item is kept, fix the worker", stderrTail: worker.stderrTail())
                        }
                        switch message {
                        case .result(let scores): try record(index, .scored(scores))
                        case .error(let reply): try record(index, .failed(id: request.id, message: "worker error: \(reply.message)"))
                        case .hello: throw ScoringError.workerFailed(program: command.name, reason: "sent a second hello in reply to item '\(request.id)'", stderrTail: worker.stderrTail())
                        }
                    case .ended:
                        try restart(after: worker, batch: Array(batch[position...]), requests: requests, current: &current)
                    case .timedOut:
                        worker.kill()
                        current = nil
                        if stopping { return }
                        for late in batch[position...] {
                            try record(late, .failed(id: requests[late].id, message: ScoringError.itemTimedOut(id: requests[late].id, seconds: options.itemTimeout).description))
                        }
                    }
                    if current == nil { break }
                }
            } catch {
                if !stopping { fail(error) }
                return
            }
        }
    }

    /// A worker that died with `batch` unanswered: counts the crash and requeues them, or throws once the
    /// restart budget is spent. Returns quietly (leaving `current` nil) when the pool is stopping.
    private func restart(after worker: WorkerProcess, batch: [Int], requests: [ScoreRequest],
                         current: inout (worker: WorkerProcess, hello: WorkerHello)?) throws {
        current = nil
        if stopping { return }
        let exit = worker.exitDescription()
        let tail = worker.stderrTail()
        worker.kill()
        let (allowed, count) = countCrash()
        guard allowed else {
            throw ScoringError.workerFailed(program: command.name, reason: "\(exit) while scoring item '\(requests[batch[0]].id)' and has crashed \(count) times (limit \(options.maxRestarts) restarts); giving up", stderrTail: tail)
        }
        retry(batch)
    }
}

/// Calls `done` once after `count` ticks.
private final class Countdown: Sendable {
    private let left: Mutex<Int>
    private let done: @Sendable () -> Void

    init(_ count: Int, done: @escaping @Sendable () -> Void) {
        left = Mutex(count)
        self.done = done
    }

    func tick() {
        let finished = left.withLock { left -> Bool in left -= 1; return left == 0 }
        if finished { done() }
    }
}
