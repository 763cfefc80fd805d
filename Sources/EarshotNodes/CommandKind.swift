import EarshotGraph
import EarshotRun
import EarshotSpec
import EarshotStore
import Foundation

/// `command`: runs an external program (argv, never a shell) and imports the files it writes.
///
/// In `run`, `{out}` becomes a fresh output folder, `{in.NAME}` the read-only path of input NAME (for an
/// upstream `command` output, the file as its program wrote it; for other artifacts, the HDF5 object), and
/// `{file.N}` the N-th entry of `files`. The key includes the program as written and the SHA-256 of the program
/// file and of every `files` entry (not the path found on this machine, so a moved checkout keeps its keys), so
/// editing a script re-runs the node. The program runs in the
/// experiment file's folder with the caller's environment. Each declared output becomes an artifact of type
/// `file` (its bytes and its name); a non-zero exit or a missing output fails the node with the tail of stderr.
public struct CommandKind: NodeKind {
    public static let name = "command"

    public init() {}

    public var paramsType: any KindParams.Type { Params.self }

    public var signature: KindSignature {
        var sig = KindSignature(
            name: Self.name, version: 1,
            summary: "run an external program (argv array, no shell) and import the files it writes",
            outputs: [],
            params: Params.signatures,
            dynamicOutputs: { params in Self.declaredOutputs((try? Params(decoding: params, lenient: true))?.outputs).map(\.name) })
        sig.acceptsAnyInputs = true
        return sig
    }

    struct Params: KindParams {
        @Param("program and arguments; placeholders {out}, {in.NAME}, {file.N}") var run: [String]
        @Param("files the program writes under {out}: a list of names, or a mapping output-name: file") var outputs: Value
        @Param("external files the program reads; their content enters the key", type: .list(.path)) var files: [String] = []
        @Param("seconds before the program is killed (0: no limit)", in: 0...604_800) var timeout = 0.0
    }

    /// Output name → file name under `{out}`.
    static func declaredOutputs(_ outputs: Value?) -> [(name: String, file: String)] {
        switch outputs {
        case .array(let items)?: return items.compactMap(\.stringValue).map { ($0, $0) }
        case .string(let s)?: return [(s, s)]
        case .object(let o)?: return o.keys.sorted().compactMap { k in o[k]!.stringValue.map { (k, $0) } }
        default: return []
        }
    }

    public func keyExtras(for node: ValidatedNode, context: KeyExtrasContext) async throws -> KeyExtras {
        let params = try node.decodeParams(Params.self)
        let argv = params.run
        guard let program = argv.first else { throw NodeError("node '\(node.id)': 'run' is empty; give [program, arg, …]") }
        let resolved = try ProgramResolver.locate(program, specDirectory: context.specDirectory, what: "node '\(node.id)': program")
        var files: [String: Digest] = ["program": try ProgramResolver.identity(of: resolved, what: "node '\(node.id)': program")]
        for (i, path) in params.files.enumerated() {
            files["file.\(i)"] = try ProgramResolver.identity(of: URL(fileURLWithPath: path), what: "node '\(node.id)': files[\(i)]")
        }
        // Portable: the program enters the key by its content and the name as written in `run` (a param),
        // never by the path found on this machine.
        return KeyExtras(files: files)
    }

    public func run(_ context: NodeContext) async throws -> [String: Artifact] {
        let node = context.node
        let params = try context.decodeParams(Params.self)
        let argv = params.run
        guard let first = argv.first else { throw NodeError("node '\(node.id)': 'run' is empty; give [program, arg, …]") }
        let program = try ProgramResolver.locate(first, specDirectory: context.specDirectory, what: "node '\(node.id)': program")
        let out = context.workDirectory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let inputPaths = try materialiseInputs(context)
        let files = params.files
        var args: [String] = []
        for arg in argv.dropFirst() {
            args.append(contentsOf: try substitute(arg, out: out.path, inputs: inputPaths, files: files, node: node.id))
        }
        let result = try await ProcessRunner.run(program: program, arguments: args,
                                                 directory: URL(fileURLWithPath: context.specDirectory),
                                                 logDirectory: context.workDirectory,
                                                 timeout: params.timeout)
        guard result.status == 0 else {
            throw NodeError("command '\(argv[0])' of node '\(node.id)' \(result.describeExit)\(result.stderrTail.isEmpty ? "" : "; stderr ends with:\n" + result.stderrTail)")
        }
        var artifacts: [String: Artifact] = [:]
        for (name, file) in Self.declaredOutputs(params.outputs) {
            let url = out.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw NodeError("command '\(argv[0])' of node '\(node.id)' exited 0 but did not write its declared output '\(file)' under {out}\(result.stderrTail.isEmpty ? "" : "; stderr ends with:\n" + result.stderrTail)")
            }
            var a = Artifact()
            a.setBytes("content", [UInt8](data))
            a.attributes["filename"] = .string(file)
            a.attributes[Artifact.Provenance.type] = .string("file")
            artifacts[name] = a
        }
        return artifacts
    }

    /// Input name → paths: file artifacts are written back as the file they wrap (read-only); other artifacts
    /// are passed as their HDF5 object.
    func materialiseInputs(_ context: NodeContext) throws -> [String: [String]] {
        var paths: [String: [String]] = [:]
        for (name, list) in context.inputs {
            paths[name] = try list.enumerated().map { i, input in
                guard input.output.type == "file" else { return input.url.path }
                let artifact = try input.load()
                let filename: String
                if case .string(let f)? = artifact.attributes["filename"] { filename = f } else { filename = "input" }
                let dir = context.workDirectory.appendingPathComponent("in/\(name)/\(i)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let url = dir.appendingPathComponent((filename as NSString).lastPathComponent)
                guard FileManager.default.createFile(atPath: url.path, contents: Data(try artifact.bytes("content")),
                                                     attributes: [.posixPermissions: 0o444]) else {
                    throw NodeError("cannot write input '\(name)' to '\(url.path)'")
                }
                return url.path
            }
        }
        return paths
    }

    /// Replaces placeholders in one argument. An argument that is exactly `{in.NAME}` of a list input expands
    /// to one argument per file.
    func substitute(_ arg: String, out: String, inputs: [String: [String]], files: [String], node: String) throws -> [String] {
        if arg.hasPrefix("{in."), arg.hasSuffix("}"), !arg.dropFirst().contains("{") {
            let name = String(arg.dropFirst(4).dropLast())
            guard let list = inputs[name] else {
                throw NodeError("node '\(node)': '\(arg)' names no input\(Suggestion.hint(for: name, in: inputs.keys)); inputs: \(inputs.keys.sorted().joined(separator: ", "))")
            }
            return list
        }
        var result = ""
        var rest = Substring(arg)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { result += rest[open...]; rest = ""; break }
            let name = String(rest[rest.index(after: open)..<close])
            if name == "out" {
                result += out
            } else if name.hasPrefix("in.") {
                let input = String(name.dropFirst(3))
                guard let list = inputs[input], list.count == 1 else {
                    throw NodeError("node '\(node)': '{\(name)}' must name an input bound to exactly one node; inputs: \(inputs.keys.sorted().joined(separator: ", "))")
                }
                result += list[0]
            } else if name.hasPrefix("file."), let n = Int(name.dropFirst(5)) {
                guard n >= 0 && n < files.count else {
                    throw NodeError("node '\(node)': '{\(name)}' but 'files' has \(files.count) entries")
                }
                result += files[n]
            } else {
                result += "{\(name)}"
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return [result]
    }
}
