import Synchronization

/// Fixed-size slots written by index from concurrent iterations (`DispatchQueue.concurrentPerform`), each slot
/// written once, then read in order.
public final class IndexedSlots<T: Sendable>: Sendable {
    private let slots: Mutex<[T?]>

    public init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    public subscript(i: Int) -> T {
        get { slots.withLock { $0[i]! } }
        set { slots.withLock { $0[i] = newValue } }
    }

    /// The slot's value; nil while it is not written (an iteration skipped on cancellation).
    public func value(at i: Int) -> T? { slots.withLock { $0[i] } }

    /// Every slot, in order (all must be filled).
    public var values: [T] { slots.withLock { $0.map { $0! } } }
}
