import EarshotNodes
import EarshotSpec
import Foundation

/// Text mutations of an experiment file: numbers swapped for boundary values, lines deleted, duplicated, swapped or
/// re-indented, words exchanged, stray YAML syntax, truncation, values of another type, a second document.
enum Mutator {
    static let numbers = ["0", "-1", "1", "2", "4611686018427387904", "9223372036854775807", "-9223372036854775808", "1e308",
                          "-1e308", ".nan", ".inf", "99999999999999999999", "0.5", "1000000", "65537", "0x7fffffffffffffff"]
    static let values = ["[]", "{}", "x", "null", "[1, 2]", "{a: 1}", "\"${item.zz}\"", "*nope", "\"\"", "true", "&a [1]",
                         "\"${params.nope}\"", "[[[[]]]]", "-1", "\"../../../etc/passwd\""]
    static let syntax = ["{", "}", "[", "]", ":", "- ", ",", "&", "*", "!", "|", ">", "'", "\"", "#", "\t", "\n---\n", "${", "%",
                         "\u{0}", "\u{FEFF}", "? ", "@", "`"]

    static func mutate(_ text: String, rng: inout FuzzRandom) -> String {
        var t = text
        for _ in 0...rng.below(3) { t = once(t, rng: &rng) }
        return t
    }

    static func once(_ text: String, rng: inout FuzzRandom) -> String {
        var lines = text.components(separatedBy: "\n")
        let i = rng.below(lines.count), j = rng.below(lines.count)
        switch rng.below(10) {
        case 0, 1:
            let matches = text.matches(of: /-?\b[0-9]+(\.[0-9]+)?\b/)
            guard !matches.isEmpty else { return text }
            let m = matches[rng.below(matches.count)]
            return text.replacingCharacters(in: m.range, with: rng.pick(numbers))
        case 2: lines.remove(at: i)
        case 3: lines.insert(lines[i], at: j)
        case 4: lines.swapAt(i, j)
        case 5:
            let words = text.matches(of: /[A-Za-z_][A-Za-z0-9_]*/)
            guard words.count > 1 else { return text }
            let target = words[rng.below(words.count)], source = words[rng.below(words.count)]
            return text.replacingCharacters(in: target.range, with: String(text[source.range]))
        case 6:
            let chars = Array(text)
            let at = rng.below(chars.count + 1)
            return String(chars[..<at]) + rng.pick(syntax) + String(chars[at...])
        case 7:
            let chars = Array(text)
            return String(chars[..<rng.below(chars.count + 1)])
        case 8:
            lines[i] = rng.below(2) == 0 ? "  " + lines[i] : String(lines[i].drop { $0 == " " }.prefix(1000))
        default:
            guard let colon = lines[i].range(of: ": ") else { return text }
            lines[i] = String(lines[i][..<colon.upperBound]) + rng.pick(values)
        }
        return lines.joined(separator: "\n")
    }
}

/// The tiny corpora and the base experiment the fuzz runs use: one node of every kind, on 0.1-s clips and 6-item
/// synthetic corpora, so that a run takes seconds.
enum FuzzCorpus {
    static let mutantsPerFile = 200
    static let runsPerFile = 6

    struct Node {
        var id: String
        var kind: String
        var inputs: [String]
        var yaml: String
    }

    /// Every kind of `Registry.standard()` appears once (the boundary test checks).
    static let nodes: [Node] = [
        Node(id: "corpus", kind: "synth_corpus", inputs: [], yaml: "{kind: synth_corpus, params: {per_class: 6, speakers: 2}}"),
        Node(id: "load", kind: "load_split", inputs: [],
             yaml: "{kind: load_split, params: {source: {format: csv, path: manifest.csv, columns: {audio: audio}}, label_column: label, per_class: 3}}"),
        Node(id: "sub", kind: "subset", inputs: ["corpus"], yaml: "{kind: subset, inputs: {split: corpus}, params: {per_class: 5}}"),
        Node(id: "meta", kind: "features.metadata", inputs: ["corpus"], yaml: "{kind: features.metadata, inputs: {split: corpus}}"),
        Node(id: "text", kind: "features.text", inputs: ["corpus"], yaml: "{kind: features.text, inputs: {split: corpus}}"),
        Node(id: "acoustic", kind: "features.acoustic", inputs: ["load"], yaml: "{kind: features.acoustic, inputs: {split: load}}"),
        Node(id: "blind", kind: "classify", inputs: ["meta", "corpus"],
             yaml: "{kind: classify, inputs: {features: meta, labels: corpus}, params: {folds: 2, bootstrap: 20}}"),
        Node(id: "cross", kind: "cross_dataset", inputs: ["load", "acoustic"],
             yaml: "{kind: cross_dataset, inputs: {splits: [load, load], features: [acoustic, acoustic]}, params: {folds: 2, bootstrap: 20}}"),
        Node(id: "matched", kind: "match_cohort", inputs: ["blind", "corpus"], yaml: "{kind: match_cohort, inputs: {scores: blind.scores, split: corpus}}"),
        Node(id: "score", kind: "score", inputs: ["corpus"],
             yaml: "{kind: score, inputs: {split: corpus}, params: {scorer: {reference: {memorize: members}}}}"),
        Node(id: "indicators", kind: "indicators", inputs: ["score"], yaml: "{kind: indicators, inputs: {scores: score}}"),
        Node(id: "mia", kind: "classify", inputs: ["indicators", "corpus"],
             yaml: "{kind: classify, inputs: {features: indicators, labels: corpus}, params: {folds: 2, bootstrap: 20}}"),
        Node(id: "r", kind: "correlate", inputs: ["blind", "mia"], yaml: "{kind: correlate, inputs: {a: blind.scores, b: mia.scores}}"),
        Node(id: "noise", kind: "resynthesize", inputs: ["load"], yaml: "{kind: resynthesize, inputs: {split: load}, params: {condition: noise, realizations: 1}}"),
        Node(id: "agg", kind: "aggregate", inputs: ["mia", "blind"], yaml: "{kind: aggregate, inputs: {metrics: [mia.metrics, blind.metrics]}}"),
        Node(id: "report", kind: "report", inputs: ["mia", "blind", "r"],
             yaml: "{kind: report, inputs: {tables: [mia.metrics, blind.metrics, r]}, params: {title: fuzz, roc: [mia]}}"),
        Node(id: "cmd", kind: "command", inputs: [], yaml: "{kind: command, params: {run: [sh, -c, \"echo x > {out}/x\"], outputs: [x], timeout: 10}}"),
    ]

    /// A node and everything upstream of it, in base order.
    static func ancestors(of id: String) -> [String] {
        var needed: Set<String> = [id], queue = [id]
        while let next = queue.popLast() {
            for input in nodes.first(where: { $0.id == next })?.inputs ?? [] where needed.insert(input).inserted { queue.append(input) }
        }
        return nodes.map(\.id).filter(needed.contains)
    }

    /// An experiment of the given base nodes.
    static func write(_ ids: [String], in dir: URL, name: String) -> URL {
        let body = nodes.filter { ids.contains($0.id) }.map { "  \($0.id): \($0.yaml)" }.joined(separator: "\n")
        let url = dir.appendingPathComponent("base-\(name).yaml")
        try? "experiment: fuzz\nseed: 3\nnodes:\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Eight 0.1-s mono 16-bit WAV clips and a CSV manifest of them (label 1/0 alternating).
    static func write(in dir: URL) throws {
        var rows = ["id,audio,text,label"]
        for i in 0..<8 {
            let n = 1_600 + 100 * i
            var data = Data()
            for t in 0..<n {
                let v = Int16(8_000 * sin(2 * Double.pi * Double(220 + 40 * i) * Double(t) / 16_000))
                withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
            }
            var wav = Data("RIFF".utf8)
            func u32(_ x: Int) { withUnsafeBytes(of: UInt32(x).littleEndian) { wav.append(contentsOf: $0) } }
            func u16(_ x: Int) { withUnsafeBytes(of: UInt16(x).littleEndian) { wav.append(contentsOf: $0) } }
            u32(36 + data.count)
            wav.append(contentsOf: Array("WAVEfmt ".utf8))
            u32(16); u16(1); u16(1); u32(16_000); u32(32_000); u16(2); u16(16)
            wav.append(contentsOf: Array("data".utf8))
            u32(data.count)
            wav.append(data)
            try wav.write(to: dir.appendingPathComponent("c\(i).wav"))
            rows.append("c\(i),c\(i).wav,word number \(i),\(i % 2)")
        }
        try (rows.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
    }

    /// `-p` overrides that shrink a (mutated) experiment's corpora and resampling to test size.
    static func tinyOverrides(for url: URL) -> [String] {
        guard let graph = try? Registry.standard().load(path: url.path) else { return [] }
        var out: [String] = []
        for node in graph.nodes {
            let set: [String]
            switch node.signature.name {
            case "synth_corpus": set = ["per_class=4", "speakers=2"]
            case "load_split", "subset": set = ["per_class=2"]
            case "classify": set = ["folds=2", "bootstrap=20", "permutations=0"]
            case "cross_dataset": set = ["folds=2", "bootstrap=20"]
            default: set = []
            }
            out += set.flatMap { ["-p", "\(node.id).\($0)"] }
        }
        return out
    }
}
