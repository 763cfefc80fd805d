import EarshotRun
import EarshotScoring
import EarshotSpec
import EarshotStore
import Foundation
import Synchronization

/// The `scorer` param of a `score` node, parsed.
///
/// Forms:
/// - `{command: [program, arg, …]}` — a worker process (protocol v1); a relative program or argument path
///   resolves against the experiment file's folder, and the worker runs there.
/// - `reference` or `{reference: {memorize: members|other|text|none, strength, neighbours, temperature,
///   bandwidth, discount}}` — the built-in reference target (`ReferenceTarget`).
/// - `{import: path}` — precomputed statistics (`.jsonl` worker replies or a `.h5` token_scores artifact).
enum ScorerSpec: Sendable, Equatable {
    case command([String])
    case reference(ReferenceSetup)
    case importFile(String)

    init(_ value: Value?, node: String) throws {
        let usage = "give {command: [program, args…]}, reference, {reference: {memorize: members}} or {import: path}"
        switch value {
        case .string("reference")?:
            self = .reference(try ReferenceSetup(nil, node: node))
        case .object(let o)? where o.count == 1:
            let (name, body) = o.first!
            switch name {
            case "command":
                let argv = body.arrayValue?.compactMap(\.stringValue) ?? []
                guard !argv.isEmpty, argv.count == body.arrayValue?.count else {
                    throw NodeError("node '\(node)': scorer.command must be a non-empty list of strings, got \(body)")
                }
                self = .command(argv)
            case "reference":
                self = .reference(try ReferenceSetup(body, node: node))
            case "import":
                guard let path = body.stringValue, !path.isEmpty else {
                    throw NodeError("node '\(node)': scorer.import must be a file path, got \(body)")
                }
                self = .importFile(path)
            default:
                throw NodeError("node '\(node)': unknown scorer '\(name)'; \(usage)")
            }
        default:
            throw NodeError("node '\(node)': scorer \(value.map { "\($0)" } ?? "is missing"); \(usage)")
        }
    }

    /// A path from the experiment file, made absolute against its folder.
    static func resolve(_ path: String, specDirectory: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path).standardizedFileURL
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: specDirectory, isDirectory: true)).standardizedFileURL
    }
}

/// What the reference target memorises and how strongly.
struct ReferenceSetup: Sendable, Equatable {
    /// `members`: the audited members (label 1) are in the kNN memory — voice–text binding (from the
    /// `memory` input when bound: the original recordings of a resynthesized split).
    /// `other`: the `memory` input's members are in the memory, the audited ones are not.
    /// `text`: the audited members' transcripts are in the LM's training text (and the `memory` input, if
    /// bound, in the kNN memory). `none`: LM only.
    enum Memorize: String, Sendable, CaseIterable { case members, other, text, none }

    var memorize: Memorize
    var settings: ReferenceTarget.Settings

    init(_ value: Value?, node: String) throws {
        var settings = ReferenceTarget.Settings()
        var memorize = Memorize.members
        let body: [String: Value]
        switch value {
        case nil, .null?: body = [:]
        case .object(let o)?: body = o
        case let other?: throw NodeError("node '\(node)': scorer.reference must be a mapping of settings, got \(other)")
        }
        for (key, v) in body {
            func number() throws -> Double {
                guard let d = v.doubleValue else { throw NodeError("node '\(node)': scorer.reference.\(key) must be a number, got \(v)") }
                return d
            }
            switch key {
            case "memorize":
                guard let s = v.stringValue, let m = Memorize(rawValue: s) else {
                    throw NodeError("node '\(node)': scorer.reference.memorize is \(v); use one of \(Memorize.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                memorize = m
            case "strength": settings.strength = try number()
            case "neighbours": settings.neighbours = Int(try number())
            case "temperature": settings.temperature = try number()
            case "bandwidth": settings.bandwidth = try number()
            case "discount": settings.discount = try number()
            default:
                throw NodeError("node '\(node)': unknown scorer.reference setting '\(key)'; known: memorize, strength, neighbours, temperature, bandwidth, discount")
            }
        }
        do { try settings.validate() } catch { throw NodeError("node '\(node)': \(error)") }
        self.memorize = memorize
        self.settings = settings
    }
}

/// Worker handshakes already done in this process, by argv and the hashes of the files it names, so that
/// planning and running start each worker once for its identity.
final class WorkerIdentityCache: Sendable {
    static let shared = WorkerIdentityCache()
    private let hellos = Mutex<[String: WorkerHello]>([:])

    /// The worker's hello: from the cache, else by starting it, reading its hello and shutting it down.
    func hello(for command: WorkerCommand, fingerprint: String) throws -> WorkerHello {
        if let known = hellos.withLock({ $0[fingerprint] }) { return known }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-handshake-\(UUID().uuidString).stderr")
        defer { try? FileManager.default.removeItem(at: log) }
        let worker = try WorkerProcess(command: command, stderrURL: log)
        let hello: WorkerHello
        do {
            hello = try worker.readHello(timeout: 600)
        } catch {
            worker.kill()
            throw error
        }
        worker.shutdown()
        hellos.withLock { $0[fingerprint] = hello }
        return hello
    }

    func cached(_ fingerprint: String) -> WorkerHello? { hellos.withLock { $0[fingerprint] } }
}

/// A worker command resolved against the experiment folder, with the hashes of the files it names.
struct ResolvedWorker: Sendable {
    var command: WorkerCommand
    /// "program" and, when the first argument names an existing regular file (the script an interpreter
    /// runs: `python3 workers/whisper_ct2.py`), "script" → SHA-256. Other files (weights folders, logs) are
    /// not hashed: the worker's hello identifies the model.
    var files: [String: Digest]

    /// The handshake cache key: argv as run, the file hashes, and the size and modification time of every file
    /// the arguments name or hold (a model folder: `IdentityCache.stamps`), so that editing e.g. a model's
    /// generation_config.json makes a run ask the worker again instead of reusing this process's stale hello.
    var fingerprint: String

    init(argv: [String], specDirectory: String) throws {
        let resolved = try ProgramResolver.command(argv, specDirectory: specDirectory, what: "worker program",
                                                   hint: "; for the whisper worker run: python3 -m venv .venv && .venv/bin/pip install -r workers/requirements-whisper.txt")
        self.command = WorkerCommand(program: resolved.program, arguments: resolved.arguments, directory: URL(fileURLWithPath: specDirectory))
        self.files = resolved.files
        self.fingerprint = resolved.fingerprint + "\u{1F}" + IdentityCache.stamps(of: resolved.arguments, specDirectory: specDirectory)
    }
}
