import Dispatch

/// Runs tasks that block on the file system (fsync, rename, hashing files already in the store) on a concurrent
/// dispatch queue instead of Swift's cooperative pool.
///
/// A pull spends most of its non-transfer time waiting in `fsync` (each object and record is flushed before it is
/// renamed into place). On the cooperative pool (one thread per core) only that many flushes wait at once and
/// nothing else runs meanwhile; a dispatch queue of its own targets Dispatch's overcommitting global queue, which
/// gives a blocked queue another thread, so the flushes of concurrent transfers overlap (the file system commits
/// them together).
final class BlockingWorkExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
