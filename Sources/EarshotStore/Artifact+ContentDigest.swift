extension Artifact {
    /// SHA-256 of the artifact's payload, ignoring provenance: what downstream node keys hash, so that two runs
    /// producing the same payload under different provenance give the same digest (early cutoff).
    ///
    /// Canonical serialization, version 1. `u64` is 8 bytes little-endian; `str(s)` is `u64(utf8 byte count)`
    /// followed by the UTF-8 bytes; names sort by their UTF-8 bytes.
    /// ```
    /// str("earshot.artifact.content.v1")
    /// u64(dataset count), then per dataset in name order:
    ///     str(name) str(dtype) u64(rank) u64(dim)…  payload  attrs(dataset attributes)
    ///     payload: float64/float32/int64/uint8 → the elements' little-endian bytes (IEEE-754 bit patterns, so NaN
    ///              payloads and -0.0 count); string → str(element) for each element
    /// u64(count of groups with attributes), then per group in path order: str(path) attrs(group attributes)
    /// attrs(root attributes whose names do not start with "earshot.")
    /// attrs(a) = u64(count), then per attribute in name order: str(name) str(tag) value, where tag is
    ///     string|int|double|strings|ints|doubles and value is str(s) | 8 LE bytes | 8 LE bit-pattern bytes |
    ///     u64(n) str(s)… | u64(n) 8-byte elements… | u64(n) 8-byte bit patterns…
    /// ```
    /// dtype is `Dataset.Storage.dtype` (`float64`, `float32`, `int64`, `uint8`, `string`). The digest does not
    /// depend on HDF5 or its version, unlike the file's own SHA-256.
    public func contentDigest() -> Digest {
        var sink = CanonicalSink()
        sink.string("earshot.artifact.content.v1")
        let names = datasets.keys.sorted(by: utf8Precedes)
        sink.integer(UInt64(names.count))
        for name in names {
            let dataset = datasets[name]!
            sink.string(name)
            sink.string(dataset.storage.dtype)
            sink.integer(UInt64(dataset.shape.count))
            for dimension in dataset.shape { sink.integer(UInt64(dimension)) }
            switch dataset.storage {
            case .float64(let values): sink.floats(values)
            case .float32(let values): sink.floats(values)
            case .int64(let values): sink.littleEndian(values)
            case .uint8(let values): sink.hasher.update(values)
            case .strings(let values): for value in values { sink.string(value) }
            }
            sink.attributes(dataset.attributes)
        }
        let groups = groupAttributes.keys.sorted(by: utf8Precedes)
        sink.integer(UInt64(groups.count))
        for path in groups {
            sink.string(path)
            sink.attributes(groupAttributes[path]!)
        }
        sink.attributes(attributes.filter { !$0.key.hasPrefix(Self.provenancePrefix) })
        return sink.hasher.finalize()
    }
}

/// Byte-wise UTF-8 order, independent of Swift's Unicode-aware `String <`.
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

/// Feeds the canonical serialization of `contentDigest()` into a SHA-256 hasher.
private struct CanonicalSink: ~Copyable {
    var hasher = SHA256()

    mutating func integer(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { hasher.update($0) }
    }

    mutating func string(_ value: String) {
        integer(UInt64(value.utf8.count))
        hasher.update(value)
    }

    mutating func littleEndian<T: FixedWidthInteger>(_ values: [T]) {
        if T(1).littleEndian == T(1) {
            values.withUnsafeBytes { hasher.update($0) }
        } else {
            values.map(\.littleEndian).withUnsafeBytes { hasher.update($0) }
        }
    }

    /// IEEE-754 bit patterns, little-endian (on little-endian hosts, the array's own bytes).
    mutating func floats(_ values: [Double]) {
        if UInt16(1).littleEndian == 1 { values.withUnsafeBytes { hasher.update($0) } } else { littleEndian(values.map(\.bitPattern)) }
    }

    mutating func floats(_ values: [Float]) {
        if UInt16(1).littleEndian == 1 { values.withUnsafeBytes { hasher.update($0) } } else { littleEndian(values.map(\.bitPattern)) }
    }

    mutating func attributes(_ attributes: [String: AttributeValue]) {
        let names = attributes.keys.sorted(by: utf8Precedes)
        integer(UInt64(names.count))
        for name in names {
            let value = attributes[name]!
            string(name)
            string(value.tag)
            switch value {
            case .string(let v): string(v)
            case .int(let v): integer(UInt64(bitPattern: v))
            case .double(let v): integer(v.bitPattern)
            case .strings(let v):
                integer(UInt64(v.count))
                for s in v { string(s) }
            case .ints(let v):
                integer(UInt64(v.count))
                littleEndian(v)
            case .doubles(let v):
                integer(UInt64(v.count))
                floats(v)
            }
        }
    }
}
