import Dispatch

/// Runs one node's work on a serial dispatch queue of its own instead of Swift's cooperative pool.
///
/// Node kinds do long synchronous work (decoding, FFTs, HDF5 I/O, waiting on espeak-ng). On the cooperative pool
/// (one thread per core) a few such nodes would starve the scheduler, the progress display and every other
/// task in the process; with their own queues they only compete for cores, and `--jobs` still bounds how many
/// run at once. A serial queue targets Dispatch's overcommitting global queue, so it gets a thread when it
/// needs one.
final class NodeTaskExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
