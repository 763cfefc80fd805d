import CHDF5
import Foundation

/// Process-wide serialisation of every HDF5 call made by `EarshotStore`.
///
/// Why one lock: the thread-safe HDF5 build (Debian's, here) already takes a single global lock per API call, so
/// concurrent callers gain nothing, and non-thread-safe builds (other distributions' defaults) corrupt state without
/// it. HDF5's automatic error printing and its error stack are per thread, so each locked region silences the
/// printing and reads the stack on the thread that made the failing call.
enum HDF5Library {
    private static let lock = NSLock()

    /// Runs `body` holding the lock, with HDF5's automatic stderr error printing turned off for this thread.
    /// All `HDF5Handle`s must be created and released inside one such region.
    static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        H5Eset_auto2(earshot_h5e_default(), nil, nil)
        return try body()
    }

    /// HDF5's description of the most recent failure on this thread, outermost call first then the innermost cause,
    /// and clears the stack. Returns "no hdf5 error message" when the stack is empty.
    static func takeErrorMessage() -> String {
        final class Collector { var lines: [String] = [] }
        let collector = Collector()
        let walker: H5E_walk2_t = { _, error, clientData in
            guard let error, let clientData else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(clientData).takeUnretainedValue()
            let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
            let text = error.pointee.desc.map { String(cString: $0) } ?? ""
            collector.lines.append("\(function): \(text)")
            return 0
        }
        withExtendedLifetime(collector) {
            _ = H5Ewalk2(earshot_h5e_default(), H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(collector).toOpaque())
        }
        H5Eclear2(earshot_h5e_default())
        var lines: [String] = []
        if let first = collector.lines.first { lines.append(first) }
        if let last = collector.lines.last, collector.lines.count > 1 { lines.append(last) }
        return lines.isEmpty ? "no hdf5 error message" : lines.joined(separator: "; ")
    }
}

/// Owner of one HDF5 identifier (file, group, dataset, dataspace, datatype, attribute or property list),
/// closed with the matching `H5?close` in `deinit` or by `close()`.
///
/// Not `Sendable`: it lives and dies inside one `HDF5Library.withLock` region.
final class HDF5Handle {
    enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList }

    let kind: Kind
    private(set) var id: hid_t

    /// Takes ownership of `id`, or throws `StoreError.hdf5` with HDF5's message when `id` is negative
    /// (the failure value of every HDF5 create/open call).
    init(_ kind: Kind, _ id: hid_t, operation: @autoclosure () -> String, path: String) throws {
        guard id >= 0 else {
            throw StoreError.hdf5(operation: operation(), path: path, message: HDF5Library.takeErrorMessage())
        }
        self.kind = kind
        self.id = id
    }

    /// Closes now, reporting a failure (closing a file flushes it, which can fail).
    func close(path: String) throws {
        guard id >= 0 else { return }
        let status = Self.close(kind, id)
        id = -1
        if status < 0 {
            throw StoreError.hdf5(operation: "close \(kind)", path: path, message: HDF5Library.takeErrorMessage())
        }
    }

    deinit {
        if id >= 0 { _ = Self.close(kind, id) }
    }

    private static func close(_ kind: Kind, _ id: hid_t) -> herr_t {
        switch kind {
        case .file: return H5Fclose(id)
        case .group: return H5Gclose(id)
        case .dataset: return H5Dclose(id)
        case .dataspace: return H5Sclose(id)
        case .datatype: return H5Tclose(id)
        case .attribute: return H5Aclose(id)
        case .propertyList: return H5Pclose(id)
        }
    }
}

/// Throws `StoreError.hdf5` with HDF5's message when an `herr_t`/`htri_t` status is negative; returns it otherwise.
@discardableResult
func checkHDF5<Status: BinaryInteger>(_ status: Status, _ operation: @autoclosure () -> String, path: String) throws -> Status {
    guard status >= 0 else {
        throw StoreError.hdf5(operation: operation(), path: path, message: HDF5Library.takeErrorMessage())
    }
    return status
}
