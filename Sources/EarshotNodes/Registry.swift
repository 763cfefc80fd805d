import EarshotRun

/// Every node kind Earshot ships, by name.
public enum Registry {
    public static func standard() -> KindRegistry {
        KindRegistry([CommandKind(), LoadSplitKind(), SynthCorpusKind(), SubsetKind()] + Phase1Kinds.all() + Phase2Kinds.all() + Phase3Kinds.all())
    }
}
