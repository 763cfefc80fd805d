import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A node's way to report progress; cheap to call often (updates are coalesced by the board).
public struct ProgressHandle: Sendable {
    let board: ProgressBoard?
    let node: String

    public init(board: ProgressBoard?, node: String) {
        self.board = board
        self.node = node
    }

    /// `done` of `total` items (total 0: unknown), with an optional short note.
    public func update(done: Int, total: Int, note: String = "") {
        board?.update(node: node, done: done, total: total, note: note)
    }

    public static let none = ProgressHandle(board: nil, node: "")
}

/// The run's progress display.
///
/// On a terminal: one live line per running node (redrawn ten times a second, at most) above a summary line.
/// Otherwise: plain lines, one when a node starts and one when it ends, so logs stay readable.
/// Thread-safety: `@unchecked Sendable` because all state is guarded by `lock`.
public final class ProgressBoard: @unchecked Sendable {
    struct Running {
        var kind: String
        var started: Date
        var done = 0
        var total = 0
        var note = ""
    }

    private let lock = NSLock()
    private let live: Bool
    private let output: FileHandle
    private let quiet: Bool
    private var running: [String: Running] = [:]
    private var order: [String] = []
    private var finished = 0
    private var total = 0
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var timer: DispatchSourceTimer?

    /// `live` draws a live display (use when stderr is a terminal); `quiet` prints nothing.
    public init(total: Int, live: Bool = isatty(STDERR_FILENO) == 1, quiet: Bool = false, output: FileHandle = .standardError) {
        self.total = total
        self.live = live && !quiet
        self.quiet = quiet
        self.output = output
        if self.live {
            // Redraw a few times a second so elapsed times move while nodes run.
            let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "earshot.progress"))
            t.schedule(deadline: .now() + 0.25, repeating: 0.25)
            t.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { if !self.order.isEmpty { self.drawLocked(force: true) } }
            }
            t.resume()
            timer = t
        }
    }

    public func started(node: String, kind: String) {
        lock.withLock {
            running[node] = Running(kind: kind, started: Date())
            order.append(node)
            if live { drawLocked(force: true) } else if !quiet { write("[\(pad(finished))/\(total)] start  \(node) (\(kind))\n") }
        }
    }

    public func update(node: String, done: Int, total: Int, note: String) {
        lock.withLock {
            guard running[node] != nil else { return }
            running[node]!.done = done
            running[node]!.total = total
            running[node]!.note = note
            if live { drawLocked(force: false) }
        }
    }

    /// A node ended: `status` is ran, cached, failed or cancelled; `detail` is shown after it.
    public func finished(node: String, status: String, seconds: Double?, detail: String = "") {
        lock.withLock {
            running[node] = nil
            order.removeAll { $0 == node }
            finished += 1
            guard !quiet else { return }
            if status == "cached" && live { drawLocked(force: false); return }
            if status == "cached" { return }
            let time = seconds.map { String(format: " %.2fs", $0) } ?? ""
            let line = "[\(pad(finished))/\(total)] \(status.padding(toLength: 6, withPad: " ", startingAt: 0)) \(node)\(time)\(detail.isEmpty ? "" : ": " + detail)\n"
            if live { clearLocked() }
            write(line)
            if live { drawLocked(force: true) }
        }
    }

    /// Removes the live lines (call before printing the final summary).
    public func close() {
        timer?.cancel()
        timer = nil
        lock.withLock { if live { clearLocked() } }
    }

    deinit { timer?.cancel() }

    private func pad(_ n: Int) -> String {
        let width = String(total).count
        let s = String(n)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }

    private func clearLocked() {
        guard drawnLines > 0 else { return }
        write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines))
        drawnLines = 0
    }

    private func drawLocked(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        clearLocked()
        var text = ""
        for id in order.prefix(12) {
            guard let r = running[id] else { continue }
            let elapsed = String(format: "%5.1fs", now.timeIntervalSince(r.started))
            var bar = ""
            if r.total > 0 {
                let width = 20
                let filled = min(width, r.done * width / max(1, r.total))
                bar = " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(r.done)/\(r.total)"
            }
            text += "  ▸ \(id) (\(r.kind)) \(elapsed)\(bar)\(r.note.isEmpty ? "" : " " + r.note)\n"
        }
        if order.count > 12 { text += "  … and \(order.count - 12) more running\n" }
        text += "  \(finished)/\(total) nodes done\n"
        drawnLines = text.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
        write(text)
    }

    private func write(_ s: String) {
        output.write(Data(s.utf8))
    }
}
