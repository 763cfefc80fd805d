import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Computes one shardable node (`score`) on Slurm as a job array: the missing shards are grouped
/// (`resources: {shards_per_task: N}`, default 1), one array task per group, at most `max_parallel` running at once
/// (`sbatch --array=0-(T-1)%max_parallel`). Each task runs `earshot exec-node … --shards LIST`, which writes its
/// shards into the shared store under the node key exactly as a local run does. When the array has left the queue,
/// the shards still missing (a failed, pre-empted or cancelled task) are submitted again as a new, smaller array, at
/// most `arrayRetries` times; then the submitting process runs the node, which finds every shard finished and only
/// assembles the artifact (the same code as a local run, so the same bytes). It holds the store's lock on the key
/// meanwhile, so two runs never submit the same node twice; cancelling the run `scancel`s the array and leaves the
/// finished shards for the next run.
///
/// Every submission is appended to `slurm/<experiment>/<node>-<key prefix>.arrays.json` in the store: job id, the
/// shards of each task, and the seconds spent submitting and waiting (what `Benchmarks/slurm-scaling.sh` reads).
struct SlurmArrayDispatch: Sendable {
    let executor: SlurmExecutor
    let node: ValidatedNode
    let key: Digest
    let shardCount: Int

    /// One array job as the ledger records it.
    struct Submission: Codable, Sendable {
        var job: String
        var tasks: [[Int]]
        var submitSeconds: Double
        var waitSeconds: Double?
        /// Shards still missing when the array left the queue.
        var missingAfter: [Int]?
    }

    var store: ArtifactStore { executor.store }
    var partial: PartialResults { store.partialResults(for: key) }
    var resources: NodeResources { node.spec.resources ?? NodeResources() }
    var base: String { "\(node.id)-\(key.hex.prefix(12))" }
    var ledgerURL: URL { executor.logDirectory.appendingPathComponent("\(base).arrays.json") }

    /// Groups shards into array tasks of `perTask` shards each, in order.
    static func tasks(for shards: [Int], perTask: Int) -> [[Int]] {
        stride(from: 0, to: shards.count, by: max(1, perTask)).map { Array(shards[$0..<min($0 + max(1, perTask), shards.count)]) }
    }

    /// Submits arrays until every shard is finished; nil then (the caller assembles), else the outcome that ends
    /// the node (retries spent, sbatch failed, run cancelled).
    func run() async -> DispatchOutcome? {
        let progress = ProgressHandle(board: executor.board, node: node.id)
        var ledger = (try? JSONDecoder().decode([Submission].self, from: Data(contentsOf: ledgerURL))) ?? []
        var previous: Submission?
        var attempt = 0
        while true {
            let missing = Set(0..<shardCount).subtracting(partial.shards()).sorted()
            if missing.isEmpty { return nil }
            guard attempt <= executor.options.arrayRetries else {
                return .failed(failureMessage(missing: missing, last: previous, attempts: attempt))
            }
            attempt += 1
            let groups = Self.tasks(for: missing, perTask: resources.shardsPerTask ?? 1)
            let t0 = Date()
            var submission: Submission
            do {
                submission = Submission(job: try submit(groups, number: ledger.count + 1), tasks: groups, submitSeconds: 0)
            } catch {
                return .failed("\(error)")
            }
            submission.submitSeconds = Date().timeIntervalSince(t0)
            executor.tracker.trackArray(submission.job)
            progress.update(done: shardCount - missing.count, total: shardCount,
                            note: "slurm array job \(submission.job): \(groups.count) tasks for \(missing.count) shards")
            let t1 = Date()
            while true {
                do {
                    try await Task.sleep(nanoseconds: UInt64(max(0.05, executor.options.pollInterval) * 1e9))
                } catch {
                    executor.tracker.cancelArray(submission.job)
                    return .cancelled
                }
                guard let active = Self.activeTasks(submission.job) else { continue }
                let done = partial.shards().count
                progress.update(done: done, total: shardCount, note: "slurm array job \(submission.job): \(active) tasks queued or running")
                if active == 0 { break }
            }
            executor.tracker.forgetArray(submission.job)
            submission.waitSeconds = Date().timeIntervalSince(t1)
            submission.missingAfter = Set(missing).subtracting(partial.shards()).sorted()
            ledger.append(submission)
            writeLedger(ledger)
            previous = submission
        }
    }

    /// Writes the task map and the job script, then submits the array; returns the array's job id.
    func submit(_ groups: [[Int]], number: Int) throws -> String {
        try store.makeDirectory(executor.logDirectory)
        let script = executor.logDirectory.appendingPathComponent("\(base)-array\(number).sh")
        var command = [executor.options.earshot, "exec-node", executor.options.specFile, node.id, "--store", store.root.path,
                       "--key", key.hex]
        for o in executor.options.overrides { command += ["-p", o] }
        command += executor.options.extraArguments
        var text = "#!/bin/sh\n# earshot node '\(node.id)' of experiment '\(executor.graph.experiment)', key \(key.hex):\n"
            + "# array of \(groups.count) tasks over \(groups.reduce(0) { $0 + $1.count }) of its \(shardCount) shards\n"
            + "case \"$SLURM_ARRAY_TASK_ID\" in\n"
        for (i, g) in groups.enumerated() { text += "  \(i)) shards=\(ShardList.format(g)) ;;\n" }
        text += "  *) echo \"earshot: array task '$SLURM_ARRAY_TASK_ID' has no shards in $0\" >&2; exit 2 ;;\nesac\n"
        text += "exec " + command.map(SlurmExecutor.shellQuote).joined(separator: " ") + " --shards \"$shards\"\n"
        try FileSystem.atomicWrite(Data(text.utf8), to: script, temporary: store.temporaryURL(ext: "sh"), sync: false,
                                   mode: store.configuration.groupWritable ? 0o775 : 0o755)
        var throttle = ""
        if let m = resources.maxParallel { throttle = "%\(m)" }
        let arguments = executor.sbatchArguments(for: node, output: "slurm-%A_%a.out")
            + ["--array=0-\(groups.count - 1)\(throttle)", script.path]
        let result = try SlurmCommand.run("sbatch", arguments)
        guard result.status == 0 else {
            throw NodeError("sbatch --array failed for node '\(node.id)' (exit \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let id = result.stdout.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init), Int(id) != nil else {
            throw NodeError("sbatch printed no job id for node '\(node.id)': '\(result.stdout)'")
        }
        return id
    }

    /// Tasks of the array still queued, running or completing; 0 once it has left the queue; nil when `squeue`
    /// could not say (asked again at the next poll).
    static func activeTasks(_ job: String) -> Int? {
        guard let r = try? SlurmCommand.run("squeue", ["-h", "-r", "-j", job, "-o", "%T"]) else { return nil }
        if r.status != 0 { return r.stderr.contains("Invalid job id") ? 0 : nil }
        return r.stdout.split(separator: "\n").filter { !SlurmJobTracker.State(name: String($0).trimmingCharacters(in: .whitespaces)).isFinal }.count
    }

    func failureMessage(missing: [Int], last: Submission?, attempts: Int) -> String {
        var message = "\(missing.count) of \(shardCount) shards (\(ShardList.format(missing))) are still missing after \(attempts) array jobs"
        guard let last else { return message }
        let failed = last.tasks.enumerated().filter { !Set($0.element).isDisjoint(with: missing) }.map(\.offset)
        if let task = failed.first {
            let log = executor.logDirectory.appendingPathComponent("slurm-\(last.job)_\(task).out")
            let tail = SlurmExecutor.tail(of: log, lines: 20)
            message += "; tasks \(failed.map(String.init).joined(separator: ", ")) of array job \(last.job) left them; \(log.path)"
                + (tail.isEmpty ? " is empty" : " ends with:\n\(tail)")
        }
        return message
    }

    func writeLedger(_ ledger: [Submission]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? encoder.encode(ledger) {
            try? FileSystem.atomicWrite(data, to: ledgerURL, temporary: store.temporaryURL(ext: "json"), sync: false,
                                        mode: store.configuration.groupWritable ? 0o664 : 0o644)
        }
    }
}
