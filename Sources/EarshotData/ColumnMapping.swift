/// Which manifest column holds each field of an item (`columns: {audio: path, text: sentence, …}`).
///
/// Roles: `audio` (required), `text`, `speaker`, `id`, `label`, `duration`. Unmapped roles default to NeMo's
/// names (`audio_filepath`, `text`, `speaker`, `id`, `duration`; no label). A column named explicitly must exist
/// in the manifest; a defaulted optional column may be absent (the field is then empty, the id is derived from
/// the audio path, the duration is measured when the audio is decoded).
public struct ColumnMapping: Sendable, Equatable {
    public static let roles = ["audio", "text", "speaker", "id", "label", "duration"]
    public static let defaults = ["audio": "audio_filepath", "text": "text", "speaker": "speaker", "id": "id",
                                  "duration": "duration"]

    /// Role → column name.
    public private(set) var columns: [String: String]
    /// Roles the user named (their columns must exist).
    public private(set) var explicit: Set<String>

    /// NeMo's column names.
    public init() {
        columns = Self.defaults
        explicit = []
    }

    public init(_ given: [String: String]) throws {
        for role in given.keys where !Self.roles.contains(role) {
            throw DataError.invalidParameter(name: "column role", value: role,
                                             reason: "expected one of \(Self.roles.joined(separator: ", "))")
        }
        columns = Self.defaults.merging(given) { _, new in new }
        explicit = Set(given.keys)
    }

    public func column(_ role: String) -> String? { columns[role] }

    /// With the label role mapped to `column` (the `label_column` param).
    public func withLabel(_ column: String) -> ColumnMapping {
        var copy = self
        copy.columns["label"] = column
        copy.explicit.insert("label")
        return copy
    }

    /// Throws when an explicitly mapped column (or the audio column) is not among `available`.
    func check(available: Set<String>, path: String, sample: [String]) throws {
        for role in Self.roles {
            guard let name = columns[role], role == "audio" || explicit.contains(role) else { continue }
            if !available.contains(name) {
                throw DataError.missingColumn(path: path, column: name, available: sample)
            }
        }
    }
}
