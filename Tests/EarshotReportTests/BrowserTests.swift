import EarshotReport
import Foundation
import Testing

/// Renders the HTML report in headless Chromium: the page must paint (a screenshot that is not blank, with
/// coloured plot marks) and the parsed DOM must hold every expected figure.
///
/// Runs when a `chromium` (or `chromium-browser`, `google-chrome`) program is on PATH; with
/// `EARSHOT_REQUIRE_BROWSER=1` a missing browser fails the test instead of skipping it. With
/// `EARSHOT_BROWSER_OUTPUT=DIR` the page and its screenshot are kept in DIR for a person to look at.
@Suite struct BrowserTests {
    static let required = ProcessInfo.processInfo.environment["EARSHOT_REQUIRE_BROWSER"] == "1"

    static var browser: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in path.split(separator: ":") {
                let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }

    /// Runs the browser with `arguments`, killing it after `timeout` seconds; returns stdout.
    static func run(_ browser: URL, _ arguments: [String], timeout: TimeInterval = 90) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = browser
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=\(NSTemporaryDirectory())earshot-chromium-\(UUID().uuidString)"] + arguments
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("earshot-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw PNGImage.Failure(description: "\(browser.lastPathComponent) did not finish within \(Int(timeout)) s")
        }
        return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test func theReportPaintsWithEveryFigure() throws {
        guard let browser = Self.browser else {
            if Self.required { Issue.record("EARSHOT_REQUIRE_BROWSER=1 but no chromium on PATH; install it (Debian: apt-get install -y chromium)") }
            return
        }
        let html = HTMLRenderer.render(try ReportRenderingTests.document())
        let keep = ProcessInfo.processInfo.environment["EARSHOT_BROWSER_OUTPUT"].map { URL(fileURLWithPath: $0) }
        let dir = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("earshot-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
        let page = dir.appendingPathComponent("report.html"), png = dir.appendingPathComponent("report.png")
        try html.write(to: page, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(at: png)

        // The DOM as the browser parsed it: every figure is an <svg> element with its id and data-figure.
        let dom = try Self.run(browser, ["--dump-dom", page.absoluteString])
        #expect(dom.status == 0, "dump-dom failed: \(dom.stderr.suffix(800))")
        let expected = [("roc-linear", "roc-linear"), ("roc-log", "roc-log"), ("heatmap-0", "heatmap"), ("scatter-0", "scatter"), ("scatter-1", "scatter")]
        for (id, figure) in expected {
            #expect(dom.stdout.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" data-figure=\"\(figure)\""), "figure \(id) missing from the dom")
        }
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == expected.count)
        #expect(dom.stdout.contains("<table") && dom.stdout.contains("Table 2: modality disentanglement"))

        // The screenshot: not blank, with the plots' colours present.
        let shot = try Self.run(browser, ["--screenshot=\(png.path)", "--window-size=1200,3000", page.absoluteString])
        #expect(shot.status == 0, "screenshot failed: \(shot.stderr.suffix(800))")
        let image = try PNGImage(data: try Data(contentsOf: png))
        #expect(image.width == 1200 && image.height == 3000)
        var nonWhite = 0, colourful = 0, total = 0
        var sum = 0.0, sumSquares = 0.0
        for y in stride(from: 0, to: image.height, by: 3) {
            for x in stride(from: 0, to: image.width, by: 3) {
                let (r, g, b) = image.rgb(x, y)
                let grey = Double(r + g + b) / 3
                sum += grey
                sumSquares += grey * grey
                total += 1
                if r < 240 || g < 240 || b < 240 { nonWhite += 1 }
                if max(r, g, b) - min(r, g, b) > 60 { colourful += 1 }
            }
        }
        let mean = sum / Double(total), variance = sumSquares / Double(total) - mean * mean
        #expect(Double(nonWhite) / Double(total) > 0.05, "only \(nonWhite) of \(total) sampled pixels are not white")
        #expect(variance > 100, "pixel variance \(variance) looks blank")
        #expect(colourful > 200, "only \(colourful) saturated pixels: the figures did not paint")
    }
}
