/// An interning table from byte strings (UTF-8 terms) to dense ids `0, 1, 2, …` in insertion order.
///
/// Open addressing with linear probing over a power-of-two slot array, FNV-1a 64-bit hashes, load ≤ 1/2.
/// Terms live back to back in one byte arena, so interning allocates nothing per term. Bytes, not `String`,
/// are compared, so two terms are equal exactly when their code points are (Python `str` semantics).
struct TermTable: Sendable {
    private(set) var arena: [UInt8] = []
    /// `starts[id]..<starts[id + 1]` is the term's byte range in `arena`.
    private(set) var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { hashes.count }

    static func hash(_ term: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in term { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// The id of `term`, or nil when absent.
    func find(_ term: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = Self.hash(term)
        var slot = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slotBuffer in
            while true {
                let id = Int(slotBuffer[slot])
                if id < 0 { return nil }
                if hashes[id] == h && equals(id, term) { return id }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The id of `term`, inserting it with the next id when absent.
    mutating func insert(_ term: UnsafeBufferPointer<UInt8>) -> Int {
        let h = Self.hash(term)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = Int(slots[slot])
            if id < 0 { break }
            if hashes[id] == h && equals(id, term) { return id }
            slot = (slot + 1) & mask
        }
        let id = hashes.count
        hashes.append(h)
        arena.append(contentsOf: term)
        starts.append(arena.count)
        slots[slot] = Int32(id)
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    private func equals(_ id: Int, _ term: UnsafeBufferPointer<UInt8>) -> Bool {
        let begin = starts[id]
        let length = starts[id + 1] - begin
        guard length == term.count else { return false }
        return arena.withUnsafeBufferPointer { bytes in
            for k in 0..<length where bytes[begin + k] != term[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for id in 0..<hashes.count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    /// Calls `body` with the bytes of term `id`.
    func withTerm<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { bytes in
            body(UnsafeBufferPointer(rebasing: bytes[starts[id]..<starts[id + 1]]))
        }
    }

    /// Term `id` decoded as a `String`.
    func string(_ id: Int) -> String {
        String(decoding: arena[starts[id]..<starts[id + 1]], as: UTF8.self)
    }

    /// True when term `a` sorts before term `b` by bytes (= by code points, Python's `str` order).
    func precedes(_ a: Int, _ b: Int) -> Bool {
        arena.withUnsafeBufferPointer { bytes in
            var i = starts[a], j = starts[b]
            let endA = starts[a + 1], endB = starts[b + 1]
            while i < endA && j < endB {
                if bytes[i] != bytes[j] { return bytes[i] < bytes[j] }
                i += 1
                j += 1
            }
            return (endA - starts[a]) < (endB - starts[b])
        }
    }
}
