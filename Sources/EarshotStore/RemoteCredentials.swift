import Foundation

/// How requests to a remote cache authenticate: never from the experiment file, only from the environment.
///
/// Resolution order: `EARSHOT_REMOTE_TOKEN` (sent as `Authorization: Bearer <token>`), else the first entry of the
/// netrc file (`$NETRC`, else `~/.netrc`) whose `machine` is the remote's host, else its `default` entry (sent as
/// HTTP Basic `login:password`), else none.
public struct RemoteCredentials: Sendable, Equatable {
    /// The `Authorization` header value.
    public let authorization: String
    /// Where it came from, for messages (`EARSHOT_REMOTE_TOKEN`, `/home/u/.netrc`); never the secret itself.
    public let source: String

    public init(authorization: String, source: String) {
        self.authorization = authorization
        self.source = source
    }

    /// The credentials for `url` from `environment` (the process environment by default).
    public static func resolve(for url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> RemoteCredentials? {
        if let token = environment["EARSHOT_REMOTE_TOKEN"], !token.isEmpty {
            return RemoteCredentials(authorization: "Bearer \(token)", source: "EARSHOT_REMOTE_TOKEN")
        }
        let path = environment["NETRC"] ?? environment["HOME"].map { "\($0)/.netrc" }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8), let host = url.host else { return nil }
        guard let entry = Netrc.parse(text).entry(for: host) else { return nil }
        let basic = Data("\(entry.login):\(entry.password)".utf8).base64EncodedString()
        return RemoteCredentials(authorization: "Basic \(basic)", source: path)
    }
}

/// A parsed netrc file (the format curl, git and Bazel read): `machine HOST login USER password SECRET`, an
/// optional `default` entry, `macdef` blocks skipped, tokens separated by any whitespace.
public struct Netrc: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// nil for the `default` entry.
        public var machine: String?
        public var login: String
        public var password: String

        public init(machine: String?, login: String, password: String) {
            self.machine = machine
            self.login = login
            self.password = password
        }
    }

    public var entries: [Entry]

    /// The first entry for `host` (case-insensitive), else the `default` entry.
    public func entry(for host: String) -> Entry? {
        entries.first { $0.machine?.lowercased() == host.lowercased() } ?? entries.first { $0.machine == nil }
    }

    public static func parse(_ text: String) -> Netrc {
        var entries: [Entry] = []
        var current: Entry?
        var tokens = tokenize(text)[...]
        func flush() {
            if let c = current { entries.append(c) }
            current = nil
        }
        while let token = tokens.popFirst() {
            switch token {
            case "machine":
                flush()
                current = Entry(machine: tokens.popFirst() ?? "", login: "", password: "")
            case "default":
                flush()
                current = Entry(machine: nil, login: "", password: "")
            case "login":
                current?.login = tokens.popFirst() ?? ""
            case "password":
                current?.password = tokens.popFirst() ?? ""
            case "account":
                _ = tokens.popFirst()
            case "macdef":
                // A macro runs to the next blank line; its body was tokenized, so skip to the next keyword.
                _ = tokens.popFirst()
                while let next = tokens.first, !["machine", "default"].contains(next) { tokens.removeFirst() }
            default:
                continue
            }
        }
        flush()
        return Netrc(entries: entries)
    }

    /// Whitespace-separated tokens; `"…"` quotes a token containing spaces (as curl accepts); `#` starts a comment
    /// at the beginning of a line.
    static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#") { continue }
            var current = ""
            var quoted = false
            var inToken = false
            for ch in line {
                if quoted {
                    if ch == "\"" { quoted = false } else { current.append(ch) }
                } else if ch == "\"" {
                    quoted = true
                    inToken = true
                } else if ch == " " || ch == "\t" || ch == "\r" {
                    if inToken { out.append(current); current = ""; inToken = false }
                } else {
                    current.append(ch)
                    inToken = true
                }
            }
            if inToken { out.append(current) }
        }
        return out
    }
}
