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

    public init(workers: Int = 1, itemTimeout: Double = 0, helloTimeout: Double = 600, maxRestarts: Int = 3,
                expectedHello: WorkerHello? = nil, logDirectory: URL, devices: [String] = []) {
        self.workers = max(1, workers)
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
/// Each of `workers` slots runs on its own thread (worker I/O blocks) and takes the next request from a
/// shared queue, so items finish in any order; `record` is called once per finished item, on the slot's
/// thread, with the request's index. Failure handling:
/// - a worker `error` reply or a per-item timeout → `.failed` for that item (a timed-out worker is killed and
///   restarted); the caller decides (`on_error`);
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

    private func next() -> Int? {
        lock.withLock {
            guard !cancelled, failure == nil, !queue.isEmpty else { return nil }
            return queue.removeFirst()
        }
    }

    private func retry(_ index: Int) { lock.withLock { queue.insert(index, at: 0) } }

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
        while let index = next() {
            let request = requests[index]
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
                switch worker.exchange(try WorkerRequest.score(request).jsonLine(), timeout: options.itemTimeout) {
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
                    if stopping { return }
                    let exit = worker.exitDescription()
                    let tail = worker.stderrTail()
                    worker.kill()
                    current = nil
                    let (allowed, count) = countCrash()
                    guard allowed else {
                        throw ScoringError.workerFailed(program: command.name, reason: "\(exit) while scoring item '\(request.id)' and has crashed \(count) times (limit \(options.maxRestarts) restarts); giving up", stderrTail: tail)
                    }
                    retry(index)
                case .timedOut:
                    worker.kill()
                    current = nil
                    if stopping { return }
                    try record(index, .failed(id: request.id, message: ScoringError.itemTimedOut(id: request.id, seconds: options.itemTimeout).description))
                }
            } catch {
                if !stopping { fail(error) }
                return
            }
        }
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
