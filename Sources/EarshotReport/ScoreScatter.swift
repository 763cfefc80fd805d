/// Per-item scores of two classifiers side by side (x: a blind baseline, y: the MIA), coloured by label,
/// with the correlation `correlate` computed. The points come from a `correlation` artifact (its joined `a`,
/// `b`, `label`) or from two `scores` artifacts matched by id (items of x, in x's order, that y also scores);
/// nothing is computed here.
public struct ScoreScatter: Sendable, Equatable, Codable {
    public struct Point: Sendable, Equatable, Codable {
        public var id: String
        public var x: Double
        public var y: Double
        /// 1 member, 0 non-member; nil when unknown.
        public var label: Int?
        public init(id: String, x: Double, y: Double, label: Int?) {
            self.id = id
            self.x = x
            self.y = y
            self.label = label
        }
    }

    public var label: String
    public var xSource: String
    public var ySource: String
    public var xLabel: String
    public var yLabel: String
    public var points: [Point]
    public var correlation: CorrelationEstimate?

    enum CodingKeys: String, CodingKey {
        case label, points, correlation
        case xSource = "x_source", ySource = "y_source", xLabel = "x_label", yLabel = "y_label"
    }

    public init(label: String, xSource: String, ySource: String, xLabel: String, yLabel: String, points: [Point],
                correlation: CorrelationEstimate?) {
        self.label = label
        self.xSource = xSource
        self.ySource = ySource
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.correlation = correlation
    }

    /// The joined scores of a `correlation` artifact (`a` on x, `b` on y).
    public init(correlation input: ReportSource, label: String?, xLabel: String?, yLabel: String?, use: String) throws {
        let estimate = try CorrelationEstimate(input, use: use)
        let a = input.artifact
        let ids: [String], xs: [Double], ys: [Double]
        do {
            ids = try a.stringColumn("id")
            xs = try a.doubleColumn("a")
            ys = try a.doubleColumn("b")
        } catch {
            throw ReportError.malformed(input.ref, type: "correlation", "\(error)")
        }
        let labels = (try? a.int64Column("label")).map { $0.map(Int.init) }
        guard xs.count == ids.count, ys.count == ids.count, labels.map({ $0.count == ids.count }) ?? true else {
            throw ReportError.malformed(input.ref, type: "correlation", "'id', 'a', 'b' and 'label' differ in length")
        }
        let points = ids.indices.map { Point(id: ids[$0], x: xs[$0], y: ys[$0], label: labels?[$0]) }
        self.init(label: label ?? input.ref, xSource: input.ref, ySource: input.ref, xLabel: xLabel ?? "a (blind score)",
                  yLabel: yLabel ?? "b (MIA score)", points: points.filter { $0.x.isFinite && $0.y.isFinite },
                  correlation: estimate)
    }

    /// Two `scores` artifacts matched by id, with an optional `correlation` artifact for r.
    public init(x: ReportSource, y: ReportSource, correlation: ReportSource?, label: String?, xLabel: String?,
                yLabel: String?, use: String) throws {
        try x.expect(["scores"], for: use)
        try y.expect(["scores"], for: use)
        func column(_ s: ReportSource) throws -> (ids: [String], scores: [Double], labels: [Int64]?) {
            do {
                let ids = try s.artifact.stringColumn("id"), scores = try s.artifact.doubleColumn("score")
                guard ids.count == scores.count else { throw ReportError("'id' and 'score' differ in length") }
                let labels = try? s.artifact.int64Column("label")
                return (ids, scores, labels?.count == ids.count ? labels : nil)
            } catch {
                throw ReportError.malformed(s.ref, type: "scores", "\(error)")
            }
        }
        let xs = try column(x), ys = try column(y)
        var yByID: [String: Double] = [:]
        for (id, score) in zip(ys.ids, ys.scores) where yByID[id] == nil { yByID[id] = score }
        var points: [Point] = []
        for i in xs.ids.indices {
            guard let yv = yByID[xs.ids[i]], xs.scores[i].isFinite, yv.isFinite else { continue }
            points.append(Point(id: xs.ids[i], x: xs.scores[i], y: yv, label: xs.labels.map { Int($0[i]) }))
        }
        guard !points.isEmpty else {
            throw ReportError("scatter of '\(x.ref)' against '\(y.ref)': no item id is in both; they must score the same split")
        }
        self.init(label: label ?? "\(x.ref) vs \(y.ref)", xSource: x.ref, ySource: y.ref, xLabel: xLabel ?? x.ref,
                  yLabel: yLabel ?? y.ref, points: points,
                  correlation: try correlation.map { try CorrelationEstimate($0, use: use) })
    }
}
