import EarshotGraph
import EarshotProcess
import EarshotSpec
import EarshotStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an experiment on a Slurm cluster: the same `Scheduler` as `LocalExecutor`, with this type as its
/// `NodeDispatcher`: each node that must be computed is submitted with `sbatch` as a job running `earshot exec-node FILE NODE --store DIR --key KEY`.
///
/// Artifacts travel through the store, which must be on a file system every compute node mounts at the same path
/// (a shared-directory store: per-key locks keep concurrent jobs and runs from computing a key twice). Jobs are
/// tracked with one `squeue` call per poll for all of them, then `scontrol show job` (or `sacct`) for the final
/// state; a failed job is reported with the tail of its log `slurm/<experiment>/slurm-<id>.out` in the store.
/// Cancelling the run (Ctrl-C) cancels its jobs with `scancel`. Resources come from each node's `resources:`,
/// falling back to `--slurm-partition` / `--slurm-account`.
public struct SlurmExecutor: Sendable, NodeDispatcher {
    public struct Options: Sendable {
        /// The experiment file as jobs should read it (made absolute).
        public var specFile: String
        /// `-p` overrides given to the run, passed on to each job.
        public var overrides: [String]
        /// The `earshot` executable jobs run (default: this process's executable).
        public var earshot: String
        public var partition: String?
        public var account: String?
        /// Arguments added to every `exec-node` (remote cache options, --workers).
        public var extraArguments: [String]
        /// Seconds between `squeue` polls.
        public var pollInterval: Double
        /// Times the missing shards of a shardable node are submitted again after its array job ended without them.
        public var arrayRetries: Int

        public init(specFile: String, overrides: [String] = [], earshot: String = SlurmExecutor.currentExecutable,
                    partition: String? = nil, account: String? = nil, extraArguments: [String] = [], pollInterval: Double = 1,
                    arrayRetries: Int = 2) {
            self.specFile = URL(fileURLWithPath: specFile).standardizedFileURL.path
            self.overrides = overrides
            self.earshot = earshot
            self.partition = partition
            self.account = account
            self.extraArguments = extraArguments
            self.pollInterval = pollInterval
            self.arrayRetries = max(0, arrayRetries)
        }
    }

    /// This process's executable (`/proc/self/exe`, symlinks resolved).
    public static var currentExecutable: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    public let graph: ExperimentGraph
    public let registry: KindRegistry
    public let store: ArtifactStore
    public let runOptions: LocalExecutor.Options
    public let options: Options
    public let board: ProgressBoard?
    let tracker: SlurmJobTracker

    public init(graph: ExperimentGraph, registry: KindRegistry, store: ArtifactStore, runOptions: LocalExecutor.Options,
                options: Options, board: ProgressBoard? = nil) {
        self.graph = graph
        self.registry = registry
        self.store = store
        self.runOptions = runOptions
        self.options = options
        self.board = board
        self.tracker = SlurmJobTracker(pollInterval: options.pollInterval)
    }

    /// Runs every node that is not cached as a Slurm job and returns what happened to each.
    public func run() async -> RunSummary {
        await Scheduler(RunContext(graph: graph, registry: registry, store: store, options: runOptions, board: board),
                        dispatcher: self).execute()
    }

    public func finish(_ run: RunContext) async {
        tracker.cancelAll()
        tracker.stop()
    }

    /// Where job scripts and logs go: `slurm/<experiment>/` in the store (so every compute node can write there).
    var logDirectory: URL {
        store.root.appendingPathComponent("slurm/\(FileSystem.safeName(graph.experiment))")
    }

    /// Submits the node as a job, waits for it to leave the queue, and reads its result from the store.
    /// A node whose kind splits into shards (`score`) becomes job arrays over its shards (`SlurmArrayDispatch`).
    public func dispatch(_ job: NodeJob, in run: RunContext) async -> DispatchResult {
        let node = job.node, key = job.key, progress = job.progress
        let shards: Int?
        do {
            shards = try run.shardCount(of: job)
        } catch {
            return DispatchResult(.failed("\(error)"))
        }
        if let shards, shards > 0 {
            let array = SlurmArrayDispatch(executor: self, node: node, key: key, shardCount: shards)
            return await InProcessDispatcher(prepare: { _, _ in await array.run() }).dispatch(job, in: run)
        }
        let jobID: String
        do {
            jobID = try submit(node: node, key: key)
        } catch {
            return DispatchResult(.failed("\(error)"))
        }
        progress.update(done: 0, total: 0, note: "slurm job \(jobID) submitted")
        var final: SlurmJobTracker.State
        var lastNote = ""
        while true {
            do {
                try await Task.sleep(nanoseconds: 200_000_000)
            } catch {
                tracker.cancel(jobID)
                return DispatchResult(.cancelled)
            }
            guard let state = tracker.state(of: jobID) else { continue }
            if state.isFinal {
                final = state
                break
            }
            let note = "slurm job \(jobID) \(state.name.lowercased())"
            if note != lastNote { progress.update(done: 0, total: 0, note: note); lastNote = note }
        }
        tracker.forget(jobID)
        let log = logDirectory.appendingPathComponent("slurm-\(jobID).out")
        if final.name == "COMPLETED", case .hit(_, let record) = run.resolver.lookup(node: node, ResolvedKey(keyInputs: job.keyInputs, key: key)) {
            return DispatchResult(.ran(record))
        }
        let tail = Self.tail(of: log, lines: 20)
        let what = final.name == "COMPLETED" ? "completed but left no verified result in the store"
            : "ended \(final.name)\(final.exitCode.map { " (exit code \($0))" } ?? "")"
        return DispatchResult(.failed("slurm job \(jobID) \(what); \(log.path)\(tail.isEmpty ? " is empty" : " ends with:\n\(tail)")"))
    }

    /// Writes the job script and submits it; returns the job id.
    func submit(node: ValidatedNode, key: Digest) throws -> String {
        try store.makeDirectory(logDirectory)
        let script = logDirectory.appendingPathComponent("\(node.id)-\(key.hex.prefix(12)).sh")
        var command = [options.earshot, "exec-node", options.specFile, node.id, "--store", store.root.path, "--key", key.hex]
        for o in options.overrides { command += ["-p", o] }
        command += options.extraArguments
        let text = "#!/bin/sh\n# earshot node '\(node.id)' of experiment '\(graph.experiment)', key \(key.hex)\n"
            + "exec " + command.map(Self.shellQuote).joined(separator: " ") + "\n"
        try FileSystem.atomicWrite(Data(text.utf8), to: script, temporary: store.temporaryURL(ext: "sh"), sync: false,
                                   mode: store.configuration.groupWritable ? 0o775 : 0o755)
        let arguments = sbatchArguments(for: node) + [script.path]
        let result = try SlurmCommand.run("sbatch", arguments)
        guard result.status == 0 else {
            throw NodeError("sbatch failed for node '\(node.id)' (exit \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // --parsable prints "id" or "id;cluster".
        guard let id = result.stdout.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init), Int(id) != nil else {
            throw NodeError("sbatch printed no job id for node '\(node.id)': '\(result.stdout)'")
        }
        tracker.track(id)
        return id
    }

    /// `sbatch` options for a node: its `resources:`, else the run-wide partition and account.
    public func sbatchArguments(for node: ValidatedNode, output: String = "slurm-%j.out") -> [String] {
        let r = node.spec.resources ?? NodeResources()
        var args = ["--parsable", "--job-name=earshot:\(graph.experiment):\(node.id)",
                    "--output=\(logDirectory.path)/\(output)", "--chdir=\(graph.specDirectory)"]
        if let p = r.partition ?? options.partition { args.append("--partition=\(p)") }
        if let a = r.account ?? options.account { args.append("--account=\(a)") }
        if let c = r.cpus { args.append("--cpus-per-task=\(c)") }
        if let m = r.memory { args.append("--mem=\(m)") }
        if let g = r.gpus, g > 0 { args.append("--gres=gpu:\(g)") }
        if let t = r.time { args.append("--time=\(t)") }
        return args
    }

    static func shellQuote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func tail(of url: URL, lines: Int) -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else { return "" }
        let text = String(decoding: data.suffix(16_384), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs a Slurm client command to completion, capturing its output.
enum SlurmCommand {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ program: String, _ arguments: [String]) throws -> Result {
        let located: URL
        do { located = try ProgramLocator.locate(program, base: FileManager.default.currentDirectoryPath) } catch {
            throw NodeError("'\(program)' not found on PATH; is Slurm installed? (--executor slurm needs sbatch, squeue, scontrol, scancel)")
        }
        let r: (termination: Termination, stdout: Data, stderr: Data)
        do { r = try ChildProcess.output(program: located.path, arguments: arguments) } catch {
            throw NodeError("cannot run '\(program)': \(error); is Slurm installed and on PATH?")
        }
        let status: Int32 = switch r.termination {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
        return Result(status: status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: String(decoding: r.stderr, as: UTF8.self))
    }
}

/// The states of a run's Slurm jobs, refreshed by one `squeue` call per poll for all of them (on a Dispatch timer,
/// so polling never blocks the cooperative pool). A job that has left the queue is looked up once with
/// `scontrol show job`, then `sacct` (which needs accounting storage).
///
/// Thread-safety: `@unchecked Sendable` because `states`, `active` and `timer` are guarded by `lock`.
final class SlurmJobTracker: @unchecked Sendable {
    struct State: Equatable {
        var name: String
        var exitCode: String?
        /// Slurm's terminal job states.
        var isFinal: Bool {
            !["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING",
              "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "REQUEUE_FED", "REQUEUE_HOLD"].contains(name)
        }
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]
    private var active = Set<String>()
    /// Array jobs in flight (waited on by `SlurmArrayDispatch`, cancelled with the run).
    private var arrays = Set<String>()
    /// Polls in a row in which Slurm knew nothing of a job; after `giveUpAfter` the job counts as lost.
    private var unknown: [String: Int] = [:]
    private let giveUpAfter = 30
    private var timer: DispatchSourceTimer?
    private let pollInterval: Double
    private let queue = DispatchQueue(label: "earshot.slurm")

    init(pollInterval: Double) { self.pollInterval = pollInterval }

    func track(_ id: String) {
        lock.withLock {
            active.insert(id)
            if timer == nil {
                let t = DispatchSource.makeTimerSource(queue: queue)
                t.schedule(deadline: .now() + min(0.5, pollInterval), repeating: pollInterval)
                t.setEventHandler { [weak self] in self?.poll() }
                t.resume()
                timer = t
            }
        }
    }

    func state(of id: String) -> State? { lock.withLock { states[id] } }

    func forget(_ id: String) {
        lock.withLock {
            active.remove(id)
            states[id] = nil
        }
    }

    /// `scancel` one job (when its node is cancelled).
    func cancel(_ id: String) {
        let tracked = lock.withLock { active.remove(id) != nil }
        if tracked { _ = try? SlurmCommand.run("scancel", [id]) }
    }

    func trackArray(_ id: String) { lock.withLock { _ = arrays.insert(id) } }
    func forgetArray(_ id: String) { lock.withLock { _ = arrays.remove(id) } }

    /// `scancel` an array job (every task).
    func cancelArray(_ id: String) {
        let tracked = lock.withLock { arrays.remove(id) != nil }
        if tracked { _ = try? SlurmCommand.run("scancel", [id]) }
    }

    /// `scancel` every job still tracked (Ctrl-C, or the run stopped after a failure).
    func cancelAll() {
        let ids = lock.withLock { () -> [String] in
            defer { active.removeAll(); arrays.removeAll() }
            return active.union(arrays).sorted()
        }
        if !ids.isEmpty { _ = try? SlurmCommand.run("scancel", ids) }
    }

    func stop() {
        lock.withLock {
            timer?.cancel()
            timer = nil
        }
    }

    private func poll() {
        let ids = lock.withLock { active.sorted() }
        guard !ids.isEmpty else { return }
        var seen: [String: State] = [:]
        if let r = try? SlurmCommand.run("squeue", ["-h", "-t", "all", "-j", ids.joined(separator: ","), "-o", "%i|%T"]), r.status == 0 {
            for line in r.stdout.split(separator: "\n") {
                let parts = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { seen[parts[0]] = State(name: parts[1]) }
            }
        }
        for id in ids {
            if let s = seen[id], !s.isFinal {
                lock.withLock { states[id] = s }
                continue
            }
            let final = Self.finalState(id) ?? seen[id]
            lock.withLock {
                if let final {
                    states[id] = final
                    unknown[id] = nil
                } else {
                    unknown[id, default: 0] += 1
                    if unknown[id]! >= giveUpAfter { states[id] = State(name: "LOST (unknown to squeue, scontrol and sacct)") }
                }
            }
        }
    }

    /// A finished job's state and exit code from `scontrol show job` or, once Slurm has purged it, `sacct`.
    static func finalState(_ id: String) -> State? {
        if let r = try? SlurmCommand.run("scontrol", ["show", "job", id, "-o"]), r.status == 0 {
            var fields: [String: String] = [:]
            for token in r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                if let eq = token.firstIndex(of: "=") { fields[String(token[..<eq])] = String(token[token.index(after: eq)...]) }
            }
            if let state = fields["JobState"] { return State(name: state, exitCode: fields["ExitCode"]) }
        }
        if let r = try? SlurmCommand.run("sacct", ["-j", id, "-X", "-n", "-P", "-o", "State,ExitCode"]), r.status == 0,
           let line = r.stdout.split(separator: "\n").first {
            let parts = line.split(separator: "|").map(String.init)
            if let state = parts.first?.split(separator: " ").first {
                return State(name: String(state), exitCode: parts.count > 1 ? parts[1] : nil)
            }
        }
        return nil
    }
}
