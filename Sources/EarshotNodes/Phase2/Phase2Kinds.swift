import EarshotRun

/// The phase-2 node kinds (target-model scoring and MIA indicators), for `Registry.standard()`.
public enum Phase2Kinds {
    public static func all() -> [any NodeKind] { [ScoreKind(), IndicatorsKind()] }
}
