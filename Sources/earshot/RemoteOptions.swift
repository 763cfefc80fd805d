import ArgumentParser
import EarshotStore
import Foundation

/// `--remote URL` and `--remote-read-only`, shared by `run`, `exec-node` and `cache push|pull`.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("HTTP remote cache (Bazel layout: /cas/<sha256>, /ac/<key>) to read through and write through (default: $EARSHOT_REMOTE). Credentials: $EARSHOT_REMOTE_TOKEN or a netrc entry.", valueName: "URL"))
    var remote: String?

    @Flag(help: "Only read from the remote cache; never upload.")
    var remoteReadOnly = false

    var url: String? {
        let u = remote ?? ProcessInfo.processInfo.environment["EARSHOT_REMOTE"]
        return u?.isEmpty == false ? u : nil
    }

    /// The remote cache, or nil when none is configured.
    func open() throws -> RemoteCache? {
        guard let url else { return nil }
        guard let parsed = URL(string: url) else { throw ValidationError("--remote: '\(url)' is not a URL") }
        return try RemoteCache(url: parsed, options: .init(readOnly: remoteReadOnly))
    }

    /// The same options as arguments, for a batch job's `exec-node`.
    var arguments: [String] {
        guard let url else { return [] }
        return ["--remote", url] + (remoteReadOnly ? ["--remote-read-only"] : [])
    }
}
