import Foundation

/// The report's figures as standalone SVG: ROC curves on linear and log-log axes, the cross-dataset AUC heatmap
/// and blind-vs-MIA score scatter plots. They draw the points their inputs hold; nothing is estimated here.
public enum SVGFigures {
    /// Plot geometry: a square plot area with room for axis labels and a legend below.
    struct Frame {
        var left = 64.0, top = 40.0, size = 360.0
        var right: Double { left + size }
        var bottom: Double { top + size }
    }

    /// ROC curves of `series` (TPR against FPR). `logScale` draws both axes logarithmic from 10⁻³ to 1, where
    /// TPR at low FPR is legible; points below 10⁻³ sit on the axis.
    public static func roc(_ series: [ROCSeries], logScale: Bool, id: String) -> String {
        let frame = Frame()
        let legendHeight = Double(series.count) * 18 + 12
        var c = SVGCanvas(width: frame.right + 24, height: frame.bottom + 48 + legendHeight)
        let lowest = 1e-3
        func sx(_ v: Double) -> Double {
            logScale ? frame.left + (log10(max(v, lowest)) - log10(lowest)) / -log10(lowest) * frame.size : frame.left + v * frame.size
        }
        func sy(_ v: Double) -> Double {
            logScale ? frame.bottom - (log10(max(v, lowest)) - log10(lowest)) / -log10(lowest) * frame.size : frame.bottom - v * frame.size
        }
        let ticks: [(Double, String)] = logScale
            ? [(0.001, "0.001"), (0.01, "0.01"), (0.1, "0.1"), (1, "1")]
            : stride(from: 0.0, through: 1.0001, by: 0.2).map { ($0, FixedDecimal.format($0, digits: 1)) }
        axes(&c, frame: frame, xTicks: ticks.map { (sx($0.0), $0.1) }, yTicks: ticks.map { (sy($0.0), $0.1) },
             xLabel: "False positive rate" + (logScale ? " (log)" : ""), yLabel: "True positive rate" + (logScale ? " (log)" : ""))
        if logScale {
            for minor in [0.002, 0.005, 0.02, 0.05, 0.2, 0.5] {
                c.line(sx(minor), frame.top, sx(minor), frame.bottom, stroke: "#f0f0f0")
                c.line(frame.left, sy(minor), frame.right, sy(minor), stroke: "#f0f0f0")
            }
        }
        c.line(sx(logScale ? lowest : 0), sy(logScale ? lowest : 0), sx(1), sy(1), stroke: "#999999", dash: "5 4")
        for (i, s) in series.enumerated() {
            c.polyline(zip(s.fpr, s.tpr).map { (sx($0), sy($1)) }, stroke: Palette.color(i))
        }
        c.text(frame.left, 24, logScale ? "ROC curves, log-log (low-FPR regime)" : "ROC curves", size: 15, weight: "600")
        var y = frame.bottom + 58
        for (i, s) in series.enumerated() {
            c.line(frame.left, y - 4, frame.left + 22, y - 4, stroke: Palette.color(i), width: 3)
            let ci = s.ciLower == nil ? "" : " [\(FixedDecimal.format(s.ciLower, digits: 3)), \(FixedDecimal.format(s.ciUpper, digits: 3))]"
            c.text(frame.left + 30, y, "\(clipped(s.label, 36)): AUC \(FixedDecimal.format(s.auc, digits: 3))\(ci)", size: 12)
            y += 18
        }
        return c.svg(id: id, figure: logScale ? "roc-log" : "roc-linear", title: logScale ? "ROC curves on log-log axes" : "ROC curves")
    }

    /// The cross-dataset AUC matrix: rows are positives, columns negatives; cells coloured from blue (0) through
    /// white (0.5) to red (1) and annotated with the AUC; the tooltip adds the interval.
    public static func heatmap(_ h: AUCHeatmap, id: String) -> String {
        let k = max(1, h.datasets.count)
        let cell = max(44, min(90, 520 / Double(k)))
        let labelWidth = min(180, 14 + 7.2 * Double(h.datasets.map(\.count).max() ?? 4))
        let left = labelWidth + 40, top = 64 + labelWidth * 0.75
        var c = SVGCanvas(width: left + cell * Double(k) + 110, height: top + cell * Double(k) + 40)
        c.text(16, 24, "Cross-dataset AUC: \(h.label)", size: 15, weight: "600")
        c.text(left + cell * Double(k) / 2, 46, "negatives (members of; diagonal: non-members)", size: 12, anchor: .middle, fill: "#555")
        c.text(18, top + cell * Double(k) / 2, "positives (members of)", size: 12, anchor: .middle, fill: "#555", rotate: -90)
        for (j, name) in h.datasets.enumerated() {
            c.text(left + (Double(j) + 0.5) * cell, top - 8, name, size: 12, anchor: .start, rotate: -45)
        }
        for (i, rowName) in h.datasets.enumerated() {
            c.text(left - 8, top + (Double(i) + 0.5) * cell + 4, rowName, size: 12, anchor: .end)
            for j in h.datasets.indices {
                let v = h.auc[i][j]
                var tip = "\(rowName) vs \(h.datasets[j]): AUC \(FixedDecimal.format(v, digits: 3))"
                if let lo = h.ciLower?[i][j], let hi = h.ciUpper?[i][j] {
                    tip += " [\(FixedDecimal.format(lo, digits: 3)), \(FixedDecimal.format(hi, digits: 3))]"
                }
                c.rect(left + Double(j) * cell, top + Double(i) * cell, cell, cell, fill: Palette.auc(v), stroke: "#ffffff", title: tip)
                c.text(left + (Double(j) + 0.5) * cell, top + (Double(i) + 0.5) * cell + 4, FixedDecimal.format(v, digits: 2),
                       size: 13, anchor: .middle, fill: Palette.textOn(v))
            }
        }
        // Colour bar.
        let barX = left + cell * Double(k) + 28, barH = cell * Double(k)
        for step in 0..<20 {
            let v = 1 - (Double(step) + 0.5) / 20
            c.rect(barX, top + Double(step) * barH / 20, 16, barH / 20 + 0.5, fill: Palette.auc(v))
        }
        c.rect(barX, top, 16, barH, fill: "none", stroke: "#888888")
        for (v, label) in [(1.0, "1.0"), (0.75, "0.75"), (0.5, "0.5 chance"), (0.25, "0.25"), (0.0, "0.0")] {
            c.text(barX + 22, top + (1 - v) * barH + 4, label, size: 11)
        }
        return c.svg(id: id, figure: "heatmap", title: "Cross-dataset AUC matrix \(h.label)")
    }

    /// Per-item scores (x: blind baseline, y: MIA), members orange, non-members blue, with r in the subtitle.
    /// Axes span the data with 5% padding. Points that would be drawn at the same place are drawn once.
    public static func scatter(_ s: ScoreScatter, id: String) -> String {
        var frame = Frame()
        frame.top = 72
        var c = SVGCanvas(width: frame.right + 24, height: frame.bottom + 84)
        let (x0, x1) = padded(s.points.map(\.x)), (y0, y1) = padded(s.points.map(\.y))
        func sx(_ v: Double) -> Double { frame.left + (v - x0) / (x1 - x0) * frame.size }
        func sy(_ v: Double) -> Double { frame.bottom - (v - y0) / (y1 - y0) * frame.size }
        axes(&c, frame: frame, xTicks: niceTicks(x0, x1).map { (sx($0), tickText($0)) },
             yTicks: niceTicks(y0, y1).map { (sy($0), tickText($0)) }, xLabel: s.xLabel, yLabel: s.yLabel)
        c.text(frame.left, 22, s.label, size: 15, weight: "600")
        for (i, line) in CellFormat.correlationLines(s.correlation, points: s.points.count).enumerated() {
            c.text(frame.left, 42 + Double(i) * 16, line, size: 12, fill: "#444")
        }
        var drawn = Set<String>()
        // Non-members first, members on top; each group in item order.
        for group in [0, nil, 1] as [Int?] {
            for p in s.points where p.label == group {
                let key = "\(group.map(String.init) ?? "?")@\(SVGCanvas.n(sx(p.x))),\(SVGCanvas.n(sy(p.y)))"
                guard drawn.insert(key).inserted else { continue }
                let color = group == 1 ? Palette.member : group == 0 ? Palette.nonMember : Palette.unknown
                c.circle(sx(p.x), sy(p.y), r: 3, fill: color, opacity: 0.55)
            }
        }
        let ly = frame.bottom + 70
        c.circle(frame.left + 6, ly - 4, r: 5, fill: Palette.member, opacity: 0.8)
        c.text(frame.left + 16, ly, "member", size: 12)
        c.circle(frame.left + 96, ly - 4, r: 5, fill: Palette.nonMember, opacity: 0.8)
        c.text(frame.left + 106, ly, "non-member", size: 12)
        return c.svg(id: id, figure: "scatter", title: "Scores: \(s.label)")
    }

    /// Frame, grid lines, tick labels and axis titles.
    static func axes(_ c: inout SVGCanvas, frame: Frame, xTicks: [(Double, String)], yTicks: [(Double, String)],
                     xLabel: String, yLabel: String) {
        for (x, label) in xTicks {
            c.line(x, frame.top, x, frame.bottom, stroke: "#e6e6e6")
            c.text(x, frame.bottom + 16, label, size: 11, anchor: .middle, fill: "#444")
        }
        for (y, label) in yTicks {
            c.line(frame.left, y, frame.right, y, stroke: "#e6e6e6")
            c.text(frame.left - 6, y + 4, label, size: 11, anchor: .end, fill: "#444")
        }
        c.rect(frame.left, frame.top, frame.size, frame.size, fill: "none", stroke: "#555555")
        c.text(frame.left + frame.size / 2, frame.bottom + 36, xLabel, size: 12, anchor: .middle)
        c.text(frame.left - 44, frame.top + frame.size / 2, yLabel, size: 12, anchor: .middle, rotate: -90)
    }

    /// `text` cut to `limit` characters with an ellipsis (legend entries must fit the figure).
    static func clipped(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// The data range widened by 5% each side; a degenerate range becomes ±0.5 around its value.
    static func padded(_ values: [Double]) -> (Double, Double) {
        guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
        guard hi > lo else { return (lo - 0.5, hi + 0.5) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    /// Ticks at multiples of 1, 2 or 5 × 10ⁿ, about five across the range.
    static func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var t = ceil(lo / step) * step
        while t <= hi + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    /// Tick text with as many decimals as the tick spacing needs (at most 4).
    static func tickText(_ v: Double) -> String {
        for digits in 0...4 {
            let text = FixedDecimal.format(v, digits: digits)
            if abs((Double(text) ?? v) - v) < 1e-9 * max(1, abs(v)) { return text }
        }
        return FixedDecimal.format(v, digits: 4)
    }
}
