/// scikit-learn's default word analyzer: `str.lower()`, the token pattern `(?u)\b\w\w+\b`, then word n-grams.
///
/// Definitions (matching CPython 3 and `sklearn.feature_extraction.text.CountVectorizer`):
/// - Lowercasing is Python's `str.lower()`: the full Unicode lowercase mapping of each scalar
///   (`İ` → `i̇`, two scalars) plus the Final_Sigma rule (`Σ` → `ς` after a cased letter and not before one).
/// - A word character (`\w` in Python's `re` with Unicode strings) is `_`, a letter (general category
///   Lu, Ll, Lt, Lm, Lo) or any scalar with a Unicode numeric type (decimal, digit or numeric: Nd, Nl, No,
///   and CJK numerals). Combining marks (Mn, Mc) are *not* word characters, as in Python.
/// - `\b\w\w+\b` therefore matches every maximal run of at least two word characters (counted in scalars).
/// - N-grams of `n` consecutive tokens are joined by one space; all sizes in `ngramRange` are emitted.
///
/// Approximation: character properties come from the Swift runtime's Unicode tables, which may be a
/// different Unicode version from the Python that made the fixtures; only scalars assigned between the
/// two versions can differ. Terms are handled as UTF-8 bytes, so terms compare by code point (Python `str`
/// order) and canonically-equivalent spellings stay distinct, as in Python.
struct TextAnalyzer: Sendable {
    let minN: Int
    let maxN: Int
    /// Token bytes, each token followed by one space (so n-grams are contiguous slices).
    private var arena: [UInt8] = []
    /// Start offset of each token in `arena`; the token ends one byte before the next start.
    private var starts: [Int] = []
    private var lowered: [Unicode.Scalar] = []
    private var original: [Unicode.Scalar] = []

    init(ngramRange: ClosedRange<Int>) {
        minN = ngramRange.lowerBound
        maxN = ngramRange.upperBound
    }

    /// Calls `body` with the UTF-8 bytes of every term of `document` (unigrams first, then bigrams, …).
    mutating func analyze(_ document: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        tokenize(document)
        let tokenCount = starts.count
        guard tokenCount > 0 else { return }
        starts.append(arena.count)  // sentinel: end of last token + 1 (the trailing space)
        arena.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            for n in minN...maxN where n <= tokenCount {
                for i in 0...(tokenCount - n) {
                    let begin = starts[i]
                    let end = starts[i + n] - 1
                    body(UnsafeBufferPointer(start: base + begin, count: end - begin))
                }
            }
        }
    }

    /// Fills `arena`/`starts` with the lowercased tokens of `document`.
    private mutating func tokenize(_ document: String) {
        arena.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        var text = document
        let isASCII = text.withUTF8 { utf8 -> Bool in
            for byte in utf8 where byte >= 0x80 { return false }
            tokenizeASCII(utf8)
            return true
        }
        if !isASCII { tokenizeUnicode(text) }
    }

    private mutating func tokenizeASCII(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = arena.count
        var runLength = 0
        for byte in utf8 {
            let lower: UInt8 = (byte >= 65 && byte <= 90) ? byte | 0x20 : byte
            let isWord = (lower >= 97 && lower <= 122) || (lower >= 48 && lower <= 57) || lower == 95
            if isWord {
                if runLength == 0 { runStart = arena.count }
                arena.append(lower)
                runLength += 1
            } else if runLength > 0 {
                closeRun(start: runStart, length: runLength)
                runLength = 0
            }
        }
        if runLength > 0 { closeRun(start: runStart, length: runLength) }
    }

    private mutating func closeRun(start: Int, length: Int) {
        if length >= 2 {
            starts.append(start)
            arena.append(32)
        } else {
            arena.removeSubrange(start...)
        }
    }

    private mutating func tokenizeUnicode(_ text: String) {
        original.removeAll(keepingCapacity: true)
        original.append(contentsOf: text.unicodeScalars)
        lowered.removeAll(keepingCapacity: true)
        for index in original.indices {
            let scalar = original[index]
            if scalar.value < 0x80 {
                lowered.append(scalar.value >= 65 && scalar.value <= 90
                               ? Unicode.Scalar(scalar.value | 0x20)! : scalar)
            } else if scalar.value == 0x03A3 {
                lowered.append(Self.isFinalSigma(original, at: index)
                               ? Unicode.Scalar(0x03C2)! : Unicode.Scalar(0x03C3)!)
            } else {
                lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        var runStart = arena.count
        var runLength = 0
        for scalar in lowered {
            if Self.isWordCharacter(scalar) {
                if runLength == 0 { runStart = arena.count }
                Self.appendUTF8(scalar, to: &arena)
                runLength += 1
            } else if runLength > 0 {
                closeRun(start: runStart, length: runLength)
                runLength = 0
            }
        }
        if runLength > 0 { closeRun(start: runStart, length: runLength) }
    }

    /// Python's `\w` for a (lowercased) scalar; see the type documentation.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (v >= 97 && v <= 122) || (v >= 65 && v <= 90) || (v >= 48 && v <= 57) || v == 95
        }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return properties.numericType != nil
        }
    }

    /// CPython's Final_Sigma test: a cased letter precedes (skipping case-ignorables) and none follows.
    static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index - 1
        while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0 && scalars[j].properties.isCased else { return false }
        j = index + 1
        while j < scalars.count && scalars[j].properties.isCaseIgnorable { j += 1 }
        return !(j < scalars.count && scalars[j].properties.isCased)
    }

    static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        let v = scalar.value
        switch v {
        case 0..<0x80:
            bytes.append(UInt8(v))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
