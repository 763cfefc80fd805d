import EarshotRun
import EarshotScoring
import EarshotStore
import Foundation
import Synchronization

/// An external TTS/TTA program for the `command` condition, speaking the JSON-lines protocol of
/// `schemas/synthesis-protocol.md`: a hello line `{protocol, model_id, weights_sha256}`, then one request
/// `{type: "synthesize", id, text, voice?, seed, sample_rate, out_path}` and one reply `{id, ok: true}` or
/// `{id, error}` per item, then `{type: "shutdown"}`.
///
/// The program is `argv[0]`: a name without '/' is looked up on PATH, a relative path resolves against the
/// experiment file's folder (symlinks are kept, so a virtual environment's `bin/python` selects it). When the
/// first argument names an existing file (the script an interpreter runs) it is made absolute. The program's
/// and the script's SHA-256, and the hello's model id and weights hash, enter the node key.
/// Thread-safety: one thread drives a worker at a time (blocking pipe I/O with deadlines).
final class SynthesisWorker: @unchecked Sendable {
    static let protocolName = "earshot-synthesis/1"

    struct Hello: Sendable, Equatable {
        var modelID: String
        var weightsSHA256: String
    }

    /// A resolved program with the hashes of the files it names.
    struct Resolved: Sendable {
        var command: WorkerCommand
        var files: [String: Digest]
        /// Identifies the command for the hello cache: argv and file hashes.
        var fingerprint: String
    }

    static func resolve(argv: [String], specDirectory: String, node: String) throws -> Resolved {
        guard let first = argv.first, !first.isEmpty else {
            throw NodeError("node '\(node)': condition 'command' needs 'command': [program, args…] (see schemas/synthesis-protocol.md)")
        }
        let resolved = try ProgramResolver.command(argv, specDirectory: specDirectory, what: "node '\(node)': synthesis program")
        return Resolved(command: WorkerCommand(program: resolved.program, arguments: resolved.arguments, directory: URL(fileURLWithPath: specDirectory, isDirectory: true)),
                        files: resolved.files, fingerprint: resolved.fingerprint)
    }

    let process: WorkerProcess
    let hello: Hello
    let name: String

    /// Starts the program and reads its hello within `helloTimeout` seconds.
    /// `started` sees the process before the hello is awaited (to kill it on cancellation).
    init(_ resolved: Resolved, stderr: URL, helloTimeout: Double = 600, started: (WorkerProcess) -> Void = { _ in }) throws {
        name = resolved.command.name
        do {
            process = try WorkerProcess(command: resolved.command, stderrURL: stderr)
        } catch {
            throw NodeError("synthesis program \(resolved.command.name) cannot be started: \(error)")
        }
        started(process)
        switch process.readLine(timeout: helloTimeout) {
        case .line(let line):
            do { hello = try Self.parseHello(line) } catch {
                process.kill()
                throw NodeError("synthesis program \(name): \(error)\(Self.tail(process))")
            }
        case .ended:
            throw NodeError("synthesis program \(name) \(process.exitDescription()) before sending its hello\(Self.tail(process))")
        case .timedOut:
            process.kill()
            throw NodeError("synthesis program \(name) sent no hello within \(Int(helloTimeout)) s (killed)\(Self.tail(process))")
        }
    }

    deinit { process.shutdown() }

    static func tail(_ process: WorkerProcess) -> String {
        let t = process.stderrTail()
        return t.isEmpty ? "" : "; stderr ends with:\n" + t
    }

    static func object(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    static func parseHello(_ line: String) throws -> Hello {
        guard let o = object(line) else { throw NodeError("its first line is not a json object (got '\(line.prefix(120))')") }
        guard let proto = o["protocol"] as? String, proto == protocolName else {
            throw NodeError("its hello names protocol '\(o["protocol"] ?? "nothing")'; expected '\(protocolName)'")
        }
        guard let model = o["model_id"] as? String, !model.isEmpty else { throw NodeError("its hello has no 'model_id' string") }
        guard let weights = o["weights_sha256"] as? String, Digest(hex: weights) != nil else {
            throw NodeError("its hello's 'weights_sha256' must be 64 lowercase hex digits, got '\(o["weights_sha256"] ?? "nothing")'")
        }
        return Hello(modelID: model, weightsSHA256: weights)
    }

    /// One request as canonical JSON (sorted keys); `voice` is left out when nil.
    static func request(id: String, text: String, voice: String?, seed: Int, sampleRate: Int, outPath: String) -> String {
        var o: [String: Any] = ["type": "synthesize", "id": id, "text": text, "seed": seed, "sample_rate": sampleRate, "out_path": outPath]
        if let voice { o["voice"] = voice }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Asks for one clip; throws with the worker's message, or its stderr when it died or timed out.
    func synthesize(id: String, text: String, voice: String?, seed: Int, sampleRate: Int, out: URL, timeout: Double) throws {
        let line = Self.request(id: id, text: text, voice: voice, seed: seed, sampleRate: sampleRate, outPath: out.path)
        switch process.exchange(line, timeout: timeout) {
        case .line(let reply):
            guard let o = Self.object(reply) else {
                throw NodeError("synthesis program \(name) replied to item '\(id)' with a line that is not a json object: '\(reply.prefix(120))'")
            }
            guard (o["id"] as? String) == id else {
                throw NodeError("synthesis program \(name) replied for id '\(o["id"] ?? "nothing")' to the request for item '\(id)'")
            }
            if let error = o["error"] as? String { throw NodeError("synthesis program \(name) failed on item '\(id)': \(error)") }
            guard (o["ok"] as? Bool) == true else {
                throw NodeError("synthesis program \(name) replied to item '\(id)' with neither \"ok\": true nor an \"error\" string")
            }
            guard FileManager.default.fileExists(atPath: out.path) else {
                throw NodeError("synthesis program \(name) said ok for item '\(id)' but wrote nothing at '\(out.path)'")
            }
        case .ended:
            throw NodeError("synthesis program \(name) \(process.exitDescription()) while synthesizing item '\(id)'\(Self.tail(process))")
        case .timedOut:
            process.kill()
            throw NodeError("synthesis program \(name) did not answer item '\(id)' within \(Int(timeout)) s (killed)\(Self.tail(process))")
        }
    }

    /// Hellos by command fingerprint, so the key of a node costs one program start per process.
    final class IdentityCache: Sendable {
        static let shared = IdentityCache()
        private let hellos = Mutex<[String: Hello]>([:])

        func hello(for resolved: Resolved) throws -> Hello {
            if let known = hellos.withLock({ $0[resolved.fingerprint] }) { return known }
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-synthesis-hello-\(UUID().uuidString).stderr")
            defer { try? FileManager.default.removeItem(at: log) }
            let hello = try SynthesisWorker(resolved, stderr: log).hello
            hellos.withLock { $0[resolved.fingerprint] = hello }
            return hello
        }
    }
}
