import EarshotRun
import EarshotStore
import Foundation
import Testing

/// A remote that cannot be reached is marked down after a few failed requests: one warning, no further requests,
/// and the run completes locally (issue 13).
@Suite struct DeadRemoteTests {
    /// A loopback URL where nothing listens (the port was free a moment ago; connections are refused).
    static func deadURL() throws -> URL {
        URL(string: "http://127.0.0.1:\(try NginxRemote.freePort())/earshot")!
    }

    @Test func aDeadRemoteIsMarkedDownWithOneWarningAndTheRunGoesOnLocally() async throws {
        let box = try Sandbox()
        let path = try box.write(twentyNodeExperiment())
        let remote = try RemoteCache(url: try Self.deadURL(), options: .init(attempts: 2, backoff: 0.01, timeout: 30, downAfter: 3),
                                     credentials: .some(nil))
        let jobs = 2
        let executor = LocalExecutor(graph: try box.graph(path), registry: box.registry, store: box.store,
                                     options: .init(jobs: jobs, remote: remote), board: nil)
        let summary = await executor.run()
        #expect(summary.succeeded)
        #expect(summary.ran == 20)
        #expect(remote.isDown)
        let warnings = summary.nodes.flatMap { $0.warnings ?? [] }
        #expect(warnings.count == 1, "one warning for the whole run: \(warnings)")
        #expect(warnings.first?.contains("further remote failures in this run are not reported") == true)
        // Requests stop once the remote is down: the 3 failed tries that mark it down, plus tries already in flight
        // on the other job slot (20 nodes would make 40+ lookups and pushes, each tried twice, otherwise).
        #expect(remote.requestCount <= 3 + jobs, "\(remote.requestCount) requests")
        let before = remote.requestCount
        // A second run in the same process does not ask the remote at all.
        let again = await LocalExecutor(graph: try box.graph(path, ["c0.value=[9, 9]"]), registry: box.registry, store: box.store,
                                        options: .init(jobs: jobs, remote: remote), board: nil).run()
        #expect(again.succeeded && again.ran > 0)
        #expect(remote.requestCount == before)
        #expect(again.nodes.allSatisfy { ($0.warnings ?? []).isEmpty })
    }

    @Test func failuresInARowMarkTheRemoteDownAndStopRequests() async throws {
        let remote = try RemoteCache(url: try Self.deadURL(), options: .init(attempts: 1, backoff: 0, timeout: 30, downAfter: 2),
                                     credentials: .some(nil))
        await #expect(throws: StoreError.self) { _ = try await remote.fetchAction(SHA256.hash("x")) }
        #expect(!remote.isDown, "one failure is not enough")
        await #expect(throws: StoreError.self) { _ = try await remote.fetchAction(SHA256.hash("y")) }
        #expect(remote.isDown)
        let count = remote.requestCount
        await #expect { _ = try await remote.fetchAction(SHA256.hash("z")) } throws: { "\($0)".contains("marked down for the rest of this run") }
        #expect(remote.requestCount == count, "no request is sent once the remote is down")
    }
}
