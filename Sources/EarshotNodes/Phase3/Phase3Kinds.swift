import EarshotRun

/// The Phase 3 node kinds (resynthesis conditions, aggregation over realizations, the report).
public enum Phase3Kinds {
    public static func all() -> [any NodeKind] {
        [ResynthesizeKind(), AggregateKind(), ReportKind()]
    }
}
