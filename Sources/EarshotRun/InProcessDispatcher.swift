import EarshotGraph
import EarshotSpec
import EarshotStore
import Foundation

/// Computes missing nodes in this process.
///
/// A miss is computed under the store's per-key lock (`ArtifactStore.lock`): after taking it, the store is looked up
/// again (another run sharing the store may have finished the key meanwhile) and what the resolver found is repaired
/// (a corrupt object quarantined), then the remote cache is asked (read-through), and only then is the node computed
/// and its result pushed (write-through). Outputs are published only after the node finishes, by atomic rename, so
/// nothing partial is ever cached.
///
/// For a shardable node (`ShardableKind`) with a remote cache, the shards a collaborator pushed are pulled before the
/// node runs, and when it does not complete, the shards it finished are pushed. `prepare`, run under the lock once the
/// result is known to be missing, computes elsewhere what the node's run then only assembles (the shards of a Slurm
/// job array, `SlurmArrayDispatch`); an outcome it returns ends the node there.
public struct InProcessDispatcher: NodeDispatcher {
    public typealias Prepare = @Sendable (NodeJob, RunContext) async -> DispatchOutcome?
    let prepare: Prepare?

    public init(prepare: Prepare? = nil) { self.prepare = prepare }

    public func dispatch(_ job: NodeJob, in run: RunContext) async -> DispatchResult {
        let key = job.key
        let held: ActionLock
        do {
            held = try await run.store.lock(key) { holder in
                job.progress.update(done: 0, total: 0, note: "waiting for \(holder.map(\.description) ?? "another process") to compute it")
            }
        } catch is CancellationError {
            return DispatchResult(.cancelled)
        } catch {
            return DispatchResult(.failed("\(error)"))
        }
        var warnings: [String] = []
        let shards = run.options.remote == nil ? nil : try? run.shardCount(of: job)
        let outcome = await computeHolding(job, in: run, shards: shards, warnings: &warnings)
        held.release()
        if let remote = run.options.remote, !remote.options.readOnly, !remote.isDown {
            if case .ran(let record) = outcome {
                do {
                    _ = try await remote.push(record, from: run.store)
                } catch {
                    if remote.claimWarning() {
                        warnings.append("write-through to the remote cache failed (the local result stands): \(error)\(Self.quietAfterwards(remote))")
                    }
                }
            } else if case .reused = outcome {
            } else if shards != nil {
                // The node did not complete: share the shards it finished (also after Ctrl-C, hence a new task).
                let partial = run.store.partialResults(for: key)
                warnings += await Task { await remote.pushShardsReporting(partial.shards(), key: key, from: partial) }.value
            }
        }
        return DispatchResult(outcome, warnings: warnings)
    }

    /// The tail of the one warning a run gives about a failing remote (a remote that keeps failing is marked down
    /// and not asked again: `RemoteCache.isDown`).
    static func quietAfterwards(_ remote: RemoteCache) -> String {
        "; further remote failures in this run are not reported, and after \(remote.options.downAfter) failed tries in a row the remote is not asked again"
    }

    /// The part under the key's lock: look again, repair, ask the remote, compute.
    func computeHolding(_ job: NodeJob, in run: RunContext, shards: Int?, warnings: inout [String]) async -> DispatchOutcome {
        let node = job.node, key = job.key
        switch run.resolver.lookup(node: node, ResolvedKey(keyInputs: job.keyInputs, key: key)) {
        case .hit(_, let record):
            return .reused(record, note: "computed by another run sharing the store")
        case .miss(_, let reason):
            run.store.repair(reason, key: key)
        case .unknown:
            break
        }
        if let remote = run.options.remote, !remote.isDown {
            job.progress.update(done: 0, total: 0, note: "asking the remote cache")
            do {
                switch try await remote.fetch(key: key, into: run.store) {
                case .hit(let record, let transfer):
                    return .reused(record, note: "pulled from the remote cache (\(transfer.objects) objects, \(transfer.bytes) bytes)")
                case .absent:
                    break
                case .rejected(let problems):
                    warnings += problems.map { "\($0); recomputing the node" }
                }
            } catch is CancellationError {
                return .cancelled
            } catch {
                if remote.claimWarning() {
                    warnings.append("remote cache lookup failed, computing locally: \(error)\(Self.quietAfterwards(remote))")
                }
            }
            if let shards, shards > 0 {
                let partial = run.store.partialResults(for: key)
                let have = Set(partial.shards())
                warnings += await remote.pullShardsReporting((0..<shards).filter { !have.contains($0) }, key: key, into: partial)
            }
        }
        if let prepare, let early = await prepare(job, run) { return early }
        return await execute(job, in: run)
    }

    /// Runs one node and publishes its outputs; never throws (failures become outcomes).
    func execute(_ job: NodeJob, in run: RunContext) async -> DispatchOutcome {
        let node = job.node, key = job.key, store = run.store
        guard let kind = run.registry[node.signature.name] else {
            return .failed("no implementation for kind '\(node.signature.name)'")
        }
        let work = store.workDirectoryURL(label: String(key.hex.prefix(16)))
        defer { try? FileManager.default.removeItem(at: work) }
        let t0 = Date()
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let attachments = AttachmentLog()
            let context = NodeContext(node: node, key: key, seed: run.graph.seed, experiment: run.graph.experiment,
                                      specDirectory: run.graph.specDirectory, inputs: job.inputs, store: store,
                                      workDirectory: work, progress: job.progress, settings: run.options.settings,
                                      attachments: attachments)
            let artifacts = try await withTaskExecutorPreference(NodeTaskExecutor(label: "earshot.node.\(node.id)")) {
                try await kind.run(context)
            }
            try Task.checkCancellation()
            let expected = Set(node.outputs)
            if let missing = expected.subtracting(artifacts.keys).sorted().first {
                return .failed("kind '\(node.signature.name)' produced no output '\(missing)' (a bug in the kind)")
            }
            var published: [String: OutputObject] = [:]
            for name in artifacts.keys.sorted() where expected.contains(name) {
                var artifact = artifacts[name]!
                let type = Self.outputType(node: node, name: name, artifact: artifact)
                artifact.attributes[Artifact.Provenance.type] = .string(type)
                let content = artifact.contentDigest()
                artifact.attributes[Artifact.Provenance.node] = .string(node.id)
                artifact.attributes[Artifact.Provenance.kind] = .string(node.signature.name)
                artifact.attributes[Artifact.Provenance.kindVersion] = .int(Int64(node.signature.version))
                artifact.attributes[Artifact.Provenance.key] = .string(key.hex)
                artifact.attributes[Artifact.Provenance.producer] = .string(run.options.producer)
                let object = try store.putObject(ext: "h5") { try ArtifactFile.write(artifact, to: $0) }
                store.rememberProvenance(of: object, key: key)
                let size = (try? FileManager.default.attributesOfItem(atPath: store.objectURL(object).path)[.size] as? Int) ?? 0
                published[name] = OutputObject(object: object, content: content, type: type, bytes: size)
            }
            try Task.checkCancellation()
            let record = ActionRecord(key: key, experiment: run.graph.experiment, node: node.id, kind: node.signature.name,
                                      outputs: published, attachments: attachments.all.isEmpty ? nil : attachments.all,
                                      keyInputs: try job.keyInputs.canonical(),
                                      inputSources: node.inputs.mapValues { $0.map(\.description) },
                                      createdAt: Date(), seconds: Date().timeIntervalSince(t0), producer: run.options.producer)
            try store.record(record)
            // Shards a long node persisted for resumption are no longer needed once its result is recorded.
            store.partialResults(for: key).remove()
            return .ran(record)
        } catch is CancellationError {
            return .cancelled
        } catch {
            if Task.isCancelled { return .cancelled }
            return .failed("\(error)")
        }
    }

    /// The artifact type: what the artifact says, else the signature's declared type, else "file".
    static func outputType(node: ValidatedNode, name: String, artifact: Artifact) -> String {
        if case .string(let t)? = artifact.attributes[Artifact.Provenance.type] { return t }
        return node.signature.outputs.first { $0.name == name }?.type ?? "file"
    }
}
