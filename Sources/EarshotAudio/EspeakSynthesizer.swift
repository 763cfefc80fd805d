import EarshotProcess
import Foundation

/// Text to speech with the `espeak-ng` program (formant synthesis): mono samples at its rate (22,050 Hz),
/// decoded from the WAV it writes (`sample / 32768`).
///
/// A voice is a language voice (`en-us`, `en-gb-x-rp`, …) with an optional variant (`f3`, `m2`, `klatt2`), a
/// speaking rate (words per minute, 80–450), a base pitch (0–100) and a gap between words (units of 10 ms).
/// The program runs as `espeak-ng -v VOICE+VARIANT -s RATE -p PITCH -g GAP -a 100 -b 1 -w OUT.wav TEXT` (argv, no
/// shell). Why a program and not libespeak-ng: the library keeps synthesis state across calls within a
/// process (two identical calls in a row give different samples), and `espeak_Terminate` followed by a new
/// `espeak_Initialize` hangs, so its output would depend on what the process synthesized before. A fresh
/// process per utterance is a deterministic function of (program, text, voice).
/// Thread-safety: stateless; concurrent calls run separate processes.
public enum EspeakSynthesizer {
    public struct Voice: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        public var variant: String?
        /// Words per minute.
        public var rate: Int
        /// Base pitch, 0–100 (eSpeak's default is 50).
        public var pitch: Int
        /// Extra pause between words, in units of 10 ms.
        public var wordGap: Int

        public init(name: String, variant: String? = nil, rate: Int = 175, pitch: Int = 50, wordGap: Int = 0) {
            self.name = name
            self.variant = variant
            self.rate = rate
            self.pitch = pitch
            self.wordGap = wordGap
        }

        /// eSpeak's voice selector, `name+variant`.
        public var selector: String { variant.map { "\(name)+\($0)" } ?? name }
        public var description: String { "\(selector) rate \(rate) pitch \(pitch) gap \(wordGap)" }
    }

    /// The `espeak-ng` program on PATH (found the way every program is, by `ProgramLocator`).
    public static func program() throws -> URL {
        do { return try ProgramLocator.locate("espeak-ng", base: FileManager.default.currentDirectoryPath) } catch {
            throw AudioError.invalidArgument(name: "program", value: "espeak-ng", reason: "not found on PATH; install it (Debian: apt-get install espeak-ng)")
        }
    }

    /// The first line of `espeak-ng --version` (program and data versions), which identifies its output.
    public static func version() throws -> String {
        let result = try run(["--version"])
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Synthesizes `text` (plain UTF-8; SSML is not interpreted) with `voice`, using `scratch` for the WAV file.
    /// Throws `AudioError.invalidArgument` for an unknown voice and `.unreadable` if the program fails.
    public static func synthesize(_ text: String, voice: Voice, scratch: URL) throws -> LoadedAudio {
        let out = scratch.appendingPathComponent("espeak-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = ["-v", voice.selector, "-s", String(voice.rate), "-p", String(voice.pitch), "-g", String(voice.wordGap),
                         "-a", "100", "-b", "1", "-w", out.path, "--", text]
        let result = try run(arguments)
        let stderr = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if stderr.lowercased().contains("voice") && (stderr.contains("not") || stderr.contains("no such")) {
            throw AudioError.invalidArgument(name: "espeak-ng voice", value: voice.selector,
                                             reason: "not installed (\(stderr)); list voices with `espeak-ng --voices=en` and variants with `espeak-ng --voices=variant`")
        }
        guard result.status == 0, FileManager.default.fileExists(atPath: out.path) else {
            throw AudioError.unreadable(path: "espeak-ng", reason: "exit status \(result.status) for '\(text.prefix(60))': \(stderr)")
        }
        return try AudioLoader.decode(out)
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let program = try program()
        do {
            let result = try ChildProcess.output(program: program.path, arguments: arguments)
            let status: Int32 = if case .exited(let code) = result.termination { code } else { -1 }
            return (status, result.stdout, result.stderr)
        } catch {
            throw AudioError.unreadable(path: "espeak-ng", reason: "\(error)")
        }
    }
}
