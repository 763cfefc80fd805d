import EarshotRun

/// The Phase 1 (blind baseline) node kinds: feature extractors, the classifier, correlation, the
/// cross-dataset matrix and cohort matching.
public enum Phase1Kinds {
    public static func all() -> [any NodeKind] {
        [
            MetadataFeaturesKind(), TextFeaturesKind(), AcousticFeaturesKind(),
            ClassifyKind(), CorrelateKind(), CrossDatasetKind(), MatchCohortKind(),
        ]
    }
}
