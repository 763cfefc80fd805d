import EarshotRun

/// Every node kind Earshot ships, by name.
public enum Registry {
    public static func standard() -> KindRegistry {
        KindRegistry([
            CommandKind(),
        ])
    }
}
