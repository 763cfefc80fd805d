import EarshotAudio
import EarshotGraph
import EarshotRun

/// The espeak-ng version that enters the keys of kinds synthesizing with it (`synth_corpus`, `resynthesize` tts).
enum EspeakIdentity {
    /// The first line of `espeak-ng --version`: read by starting the program once per run, remembered in the store
    /// (`IdentityCache`, keyed by the program file's size and time) so a plan knows it without starting anything;
    /// nil when planning and no run has read it yet.
    static func version(node: String, context: KeyExtrasContext) throws -> String? {
        let program = (try? EspeakSynthesizer.program())?.path ?? "espeak-ng"
        let identity = try IdentityCache.identity(fingerprint: "espeak-ng --version", paths: [program], context: context) {
            do { return ["version": .string(try EspeakSynthesizer.version())] } catch {
                throw NodeError("node '\(node)': synthesis needs the espeak-ng program: \(error)")
            }
        }
        return identity?["version"]?.stringValue
    }

    /// What to say in a plan while the version is not known.
    static let unknown = "the espeak-ng version, read when a run starts it"
}
