import Foundation

/// What `ArtifactStore.check(_:)` found wrong with a record, naming the output.
public enum RecordProblem: Sendable, Equatable, CustomStringConvertible {
    /// The object is not in the store.
    case missing(output: String, object: Digest)
    /// The object's bytes do not hash to its name.
    case corrupt(output: String, object: Digest, actual: Digest)
    /// The object is valid but was produced for another key (its `earshot.key` provenance), or carries none:
    /// the record points at another node's result.
    case misdirected(output: String, object: Digest, producedFor: String?)

    /// The object the problem is about.
    public var object: Digest {
        switch self {
        case .missing(_, let object), .corrupt(_, let object, _), .misdirected(_, let object, _): return object
        }
    }

    public var description: String {
        switch self {
        case .missing(let output, let object):
            return "\(output) object \(object.hex.prefix(12)) is missing from the store"
        case .corrupt(let output, let object, let actual):
            return "\(output) object \(object.hex.prefix(12)) failed verification (its bytes hash to \(actual.hex.prefix(12)))"
        case .misdirected(let output, let object, let producedFor):
            let whose = producedFor.map { "was produced for key \($0.prefix(12))" } ?? "carries no earshot.key provenance"
            return "\(output) object \(object.hex.prefix(12)) \(whose), not for this record's key; the record is not trusted"
        }
    }
}

extension ArtifactStore {
    /// Verifies every object a record names before it is trusted: each exists and hashes to its name
    /// (`verifyObject`), and each HDF5 output's `earshot.key` attribute names the record's key, so a record that
    /// points at another node's valid object (a misdirected or tampered record, locally or from a remote) is
    /// caught. Attachments (audio clips, shared between keys by design) are checked by hash only. Returns the
    /// first problem, or nil when the record can be used. The provenance of an object is read once per process.
    public func check(_ record: ActionRecord) -> RecordProblem? {
        let named = record.outputs.keys.sorted().map { ("output '\($0)'", record.outputs[$0]!, true) }
        for (name, out, isOutput) in named + (record.attachments ?? []).map({ ("attachment", $0, false) }) {
            switch verifyObject(out.object, ext: out.ext) {
            case .ok: break
            case .missing: return .missing(output: name, object: out.object)
            case .corrupt(let actual): return .corrupt(output: name, object: out.object, actual: actual)
            }
            guard isOutput, out.ext == "h5" else { continue }
            let producedFor = provenanceKey(of: out.object)
            if producedFor != record.key.hex {
                return .misdirected(output: name, object: out.object, producedFor: producedFor)
            }
        }
        return nil
    }

    /// Remembers that `object`, just published with `key` as its `earshot.key` attribute, carries it (so that no
    /// process has to open the object to check a record that names it).
    public func rememberProvenance(of object: Digest, key: Digest) {
        verified.setProvenance(key.hex, of: object)
        fingerprints.remember(fact: Self.provenanceFact(object), key)
    }

    /// The fingerprint-table fact naming an object's provenance.
    static func provenanceFact(_ object: Digest) -> String { "provenance:\(object.hex)" }

    /// The `earshot.key` attribute of an HDF5 object in the store (nil when absent or unreadable). Call it on a
    /// verified object only: the attribute is then a function of the object's name, remembered in this process and
    /// as a fact of the fingerprint table (`provenance:<object>`), so a later process need not open the file.
    func provenanceKey(of object: Digest) -> String? {
        if let known = verified.provenance(of: object) { return known }
        if let key = fingerprints.fact(Self.provenanceFact(object))?.hex {
            verified.setProvenance(key, of: object)
            return key
        }
        guard case .string(let key)?? = try? ArtifactFile.readAttribute(Artifact.Provenance.key, from: objectURL(object, ext: "h5"))
        else { return nil }
        verified.setProvenance(key, of: object)
        if let digest = Digest(hex: key) { fingerprints.remember(fact: Self.provenanceFact(object), digest) }
        return key
    }
}
