/// Which manifest column holds each field of an item (`columns: {audio: path, text: sentence, …}`).
///
/// Roles: `audio` (required), `text`, `speaker`, `id`, `label`, `duration`, `offset`. Unmapped roles default to
/// NeMo's names (`audio_filepath`, `text`, `speaker`, `id`, `duration`, `offset`; no label). The audio and text
/// columns must exist in the manifest, and so must any column named explicitly; a defaulted optional column may
/// be absent (the speaker is then empty, the id is derived from the audio path, the duration is measured when
/// the audio is decoded, the item is the whole file). A dataset without transcripts says so with `text: ""`
/// (then every item's text is empty); text is never silently empty.
public struct ColumnMapping: Sendable, Equatable {
    public static let roles = ["audio", "text", "speaker", "id", "label", "duration", "offset"]
    public static let defaults = ["audio": "audio_filepath", "text": "text", "speaker": "speaker", "id": "id",
                                  "duration": "duration", "offset": "offset"]

    /// Role → column name.
    public private(set) var columns: [String: String]
    /// Roles the user named (their columns must exist).
    public private(set) var explicit: Set<String>

    /// NeMo's column names.
    public init() {
        columns = Self.defaults
        explicit = []
        mappedColumns = Set(Self.defaults.values)
    }

    public init(_ given: [String: String]) throws {
        for role in given.keys where !Self.roles.contains(role) {
            throw DataError.invalidParameter(name: "column role", value: role,
                                             reason: "expected one of \(Self.roles.joined(separator: ", "))")
        }
        for (role, column) in given where column.isEmpty && role != "text" {
            throw DataError.invalidParameter(name: "column for \(role)", value: column,
                                             reason: "only text may be mapped to \"\" (a dataset without transcripts)")
        }
        columns = Self.defaults.merging(given) { _, new in new }
        explicit = Set(given.keys)
        mappedColumns = Set(columns.values.filter { !$0.isEmpty })
    }

    /// The column of `role`; nil when unmapped or mapped to `""` (none).
    public func column(_ role: String) -> String? { columns[role].flatMap { $0.isEmpty ? nil : $0 } }

    /// The column names the roles map to (the other columns are kept as extra fields); kept with `columns`
    /// because listings consult it once per row.
    public private(set) var mappedColumns: Set<String>

    /// Whether the listing has transcripts (`text` not mapped to `""`).
    public var hasText: Bool { column("text") != nil }

    /// With `role` mapped to `column` unless the user named it (a format's own default, e.g. hf_parquet's `audio`).
    public func withDefault(_ role: String, _ column: String) -> ColumnMapping {
        var copy = self
        if !explicit.contains(role) { copy.columns[role] = column }
        copy.mappedColumns = Set(copy.columns.values.filter { !$0.isEmpty })
        return copy
    }

    /// With the label role mapped to `column` (the `label_column` param).
    public func withLabel(_ column: String) -> ColumnMapping {
        var copy = self
        copy.columns["label"] = column
        copy.explicit.insert("label")
        copy.mappedColumns = Set(copy.columns.values.filter { !$0.isEmpty })
        return copy
    }

    /// Throws when an explicitly mapped column (or the audio or text column) is not among `available`.
    func check(available: Set<String>, path: String, sample: [String]) throws {
        for role in Self.roles {
            guard let name = column(role), role == "audio" || role == "text" || explicit.contains(role) else { continue }
            if !available.contains(name) {
                throw DataError.missingColumn(path: path, column: name, available: sample)
            }
        }
    }
}
