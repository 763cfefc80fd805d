/// Accumulates SVG markup with coordinates written at a fixed precision (two decimals), so equal figures are
/// equal bytes. Text is XML-escaped.
struct SVGCanvas {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func n(_ x: Double) -> String { FixedDecimal.format(x, digits: 2, missing: "0") }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    mutating func raw(_ s: String) { body += s + "\n" }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        raw("<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil, title: String? = nil) {
        let attrs = "x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\" fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "")"
        if let title { raw("<rect \(attrs)><title>\(Self.escape(title))</title></rect>") } else { raw("<rect \(attrs)/>") }
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, opacity: Double = 1) {
        raw("<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(fill)\" fill-opacity=\"\(Self.n(opacity))\"/>")
    }

    /// A polyline through `points`, dropping points that land on the same 0.01-unit position as the previous one.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
        var text: [String] = []
        var last = ""
        for (x, y) in points {
            let p = "\(Self.n(x)),\(Self.n(y))"
            if p != last { text.append(p) }
            last = p
        }
        raw("<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\" points=\"\(text.joined(separator: " "))\"/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ s: String, size: Double = 12, anchor: Anchor = .start, weight: String? = nil,
                       fill: String = "#222", rotate: Double? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(Self.n($0)) \(Self.n(x)) \(Self.n(y)))\"" } ?? ""
        raw("<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\" text-anchor=\"\(anchor.rawValue)\"\(weight.map { " font-weight=\"\($0)\"" } ?? "") fill=\"\(fill)\"\(transform)>\(Self.escape(s))</text>")
    }

    /// The `<svg>` element with an id, a `data-figure` kind, an accessible title and the accumulated body.
    func svg(id: String, figure: String, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escape(id))\" data-figure=\"\(figure)\" role=\"img\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" font-family=\"system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif\">\n<title>\(Self.escape(title))</title>\n<rect x=\"0\" y=\"0\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" fill=\"#ffffff\"/>\n\(body)</svg>"
    }
}

/// A colour-blind-safe palette (Okabe & Ito 2008) for series, in order.
enum Palette {
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static func color(_ i: Int) -> String { series[i % series.count] }
    static let member = "#D55E00"
    static let nonMember = "#0072B2"
    static let unknown = "#777777"

    /// Diverging colour for an AUC: 0.5 white, 1 dark red, 0 dark blue (linear in sRGB); nil grey.
    static func auc(_ value: Double?) -> String {
        guard let v = value, v.isFinite else { return "#dddddd" }
        let t = min(1, abs(v - 0.5) * 2)
        let target: (Double, Double, Double) = v >= 0.5 ? (178, 24, 43) : (33, 102, 172)
        func channel(_ c: Double) -> Int { Int((255 + (c - 255) * t).rounded()) }
        return hex(channel(target.0), channel(target.1), channel(target.2))
    }

    static func hex(_ r: Int, _ g: Int, _ b: Int) -> String {
        let digits = Array("0123456789abcdef")
        return "#" + [r, g, b].map { String([digits[($0 >> 4) & 15], digits[$0 & 15]]) }.joined()
    }

    /// Dark text on light cells, white on dark ones.
    static func textOn(_ value: Double?) -> String {
        guard let v = value, v.isFinite else { return "#222" }
        return abs(v - 0.5) > 0.3 ? "#ffffff" : "#222222"
    }
}
