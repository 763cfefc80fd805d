import EarshotLearn

/// A seeded sentence generator: a small phrase-structure grammar over a `SentenceVocabulary`.
///
/// Grammar (each optional part drawn with the probability shown):
/// `S → [TIME ","]0.3 CLAUSE [PP]0.5 [CONJ CLAUSE]0.3 "."` or, with probability 0.15,
/// `QWORD NP VERB_base NP [PP] "?"`; `CLAUSE → NP (VERB_past NP | VERB_intr_past [ADV]0.5 | "was" ADJ)`;
/// `NP → NAME | DET [ADJ]0.5 NOUN | NUMBER [ADJ]0.3 NOUN"s" | DET NOUN "of the" NOUN`; `PP → PREP PLACE`.
/// A sentence whose word count falls outside `[minWords, maxWords]` is drawn again (at most 50 times, then the
/// last draw is cut to `maxWords` words and closed with a period). The first letter is capitalised. Every draw
/// uses `SplitMix64`'s own bounded methods, so the sentences depend only on the generator's state.
public struct SentenceGenerator: Sendable {
    public let vocabulary: SentenceVocabulary
    public let minWords: Int
    public let maxWords: Int

    public init(vocabulary: SentenceVocabulary, minWords: Int, maxWords: Int) {
        self.vocabulary = vocabulary
        self.minWords = max(1, minWords)
        self.maxWords = max(self.minWords, maxWords)
    }

    public func sentence(using rng: inout SplitMix64) -> String {
        var words: [String] = []
        var punctuation = "."
        for _ in 0..<50 {
            (words, punctuation) = draw(&rng)
            let count = words.reduce(0) { $0 + $1.split(separator: " ").count }
            if count >= minWords && count <= maxWords { break }
        }
        var text = words.joined(separator: " ")
        let split = text.split(separator: " ")
        if split.count > maxWords {
            text = split.prefix(maxWords).joined(separator: " ").trimmingCharacters(in: [","])
            punctuation = "."
        }
        return text.prefix(1).uppercased() + text.dropFirst() + punctuation
    }

    func draw(_ rng: inout SplitMix64) -> ([String], String) {
        let v = vocabulary
        if chance(0.15, &rng) {
            var words = [pick(SentenceVocabulary.questions, &rng), nounPhrase(&rng), pick(v.transitive, &rng).0, nounPhrase(&rng)]
            if chance(0.5, &rng) { words += [pick(SentenceVocabulary.prepositions, &rng), pick(v.places, &rng)] }
            return (words, "?")
        }
        var words: [String] = []
        if chance(0.3, &rng) { words.append(pick(v.times, &rng) + ",") }
        words += clause(&rng)
        if chance(0.5, &rng) { words += [pick(SentenceVocabulary.prepositions, &rng), pick(v.places, &rng)] }
        if chance(0.3, &rng) {
            if let last = words.popLast() { words.append(last + (chance(0.5, &rng) ? "," : "")) }
            words.append(pick(SentenceVocabulary.conjunctions, &rng))
            words += clause(&rng)
        }
        return (words, chance(0.05, &rng) ? "!" : ".")
    }

    func clause(_ rng: inout SplitMix64) -> [String] {
        let v = vocabulary
        var words = [nounPhrase(&rng)]
        switch rng.next(below: 10) {
        case 0..<6: words += [pick(v.transitive, &rng).1, nounPhrase(&rng)]
        case 6..<9:
            words.append(pick(v.intransitive, &rng).1)
            if chance(0.5, &rng) { words.append(pick(v.adverbs, &rng)) }
        default: words += ["was", pick(v.adjectives, &rng)]
        }
        return words
    }

    func nounPhrase(_ rng: inout SplitMix64) -> String {
        let v = vocabulary
        switch rng.next(below: 10) {
        case 0..<2: return pick(v.names, &rng)
        case 2..<7:
            let det = pick(SentenceVocabulary.determiners, &rng)
            let adjective = chance(0.5, &rng) ? pick(v.adjectives, &rng) + " " : ""
            let phrase = "\(det) \(adjective)\(pick(v.nouns, &rng))"
            return det == "a" && "aeiou".contains(phrase.dropFirst(2).first ?? "x") ? "an" + phrase.dropFirst(1) : phrase
        case 7..<9:
            let adjective = chance(0.3, &rng) ? pick(v.adjectives, &rng) + " " : ""
            return "\(pick(SentenceVocabulary.numbers, &rng)) \(adjective)\(Self.plural(pick(v.nouns, &rng)))"
        default:
            return "\(pick(SentenceVocabulary.determiners, &rng)) \(pick(v.nouns, &rng)) of the \(pick(v.nouns, &rng))"
        }
    }

    /// English plural for the vocabulary's nouns (-s, -es after s/x/ch/sh, -ies after a consonant + y).
    static func plural(_ noun: String) -> String {
        if noun.hasSuffix("s") || noun.hasSuffix("x") || noun.hasSuffix("ch") || noun.hasSuffix("sh") { return noun + "es" }
        if noun.hasSuffix("y"), let before = noun.dropLast().last, !"aeiou".contains(before) { return noun.dropLast() + "ies" }
        return noun + "s"
    }

    func pick<T>(_ options: [T], _ rng: inout SplitMix64) -> T { options[rng.next(below: options.count)] }

    func chance(_ p: Double, _ rng: inout SplitMix64) -> Bool { rng.nextUnitDouble() < p }
}
