/// The words `SentenceGenerator` draws from: one vocabulary per text domain, plus function words shared by all.
///
/// Two domains: `everyday` (home, town, food, weather, travel) and `technical` (laboratory, engineering,
/// computing). Each has names, nouns, adjectives, verbs (base and past forms), adverbs, places and time
/// phrases; together about 400 distinct words.
public struct SentenceVocabulary: Sendable {
    public var names: [String]
    public var nouns: [String]
    public var adjectives: [String]
    /// (base, past) forms of verbs that take an object.
    public var transitive: [(String, String)]
    /// (base, past) forms of verbs without an object.
    public var intransitive: [(String, String)]
    public var adverbs: [String]
    /// Noun phrases that follow a preposition ("the old harbour").
    public var places: [String]
    public var times: [String]

    public static let domains = ["everyday", "technical"]

    /// Every lower-case word of the domain's lists (multi-word entries split; plurals not included).
    public var words: Set<String> {
        let phrases = names + nouns + adjectives + transitive.flatMap { [$0.0, $0.1] } + intransitive.flatMap { [$0.0, $0.1] }
            + adverbs + places + times
        return Set(phrases.flatMap { $0.lowercased().split(separator: " ").map(String.init) })
    }

    /// The function words every domain shares (determiners, numbers, prepositions, conjunctions, question words).
    public static var sharedWords: Set<String> {
        Set((determiners + numbers + prepositions + conjunctions + questions + ["of", "was", "an"]).flatMap { $0.split(separator: " ").map(String.init) })
    }

    public static func domain(_ name: String) -> SentenceVocabulary? {
        switch name {
        case "everyday": everyday
        case "technical": technical
        default: nil
        }
    }

    static let determiners = ["the", "a", "one", "that", "this", "every", "some", "her", "his", "our", "their", "my"]
    static let numbers = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty"]
    static let prepositions = ["near", "behind", "inside", "beside", "under", "across", "outside", "around", "above", "beyond"]
    static let conjunctions = ["and", "but", "while", "because", "although", "so", "until", "before", "after", "since"]
    static let questions = ["why did", "when did", "how did", "where did"]

    public static let everyday = SentenceVocabulary(
        names: ["Anna", "Peter", "Maria", "Thomas", "Lucy", "George", "Helen", "Daniel", "Sophie", "Oliver"],
        nouns: ["kettle", "garden", "bicycle", "neighbour", "window", "letter", "basket", "umbrella", "sandwich", "bakery",
                "teacher", "river", "bridge", "market", "blanket", "puppy", "kitchen", "cousin", "ticket", "train",
                "lamp", "orchard", "fence", "soup", "jacket", "postman", "village", "storm", "lantern", "carpet",
                "apple", "bottle", "candle", "door", "song", "picture", "boat", "cake", "coat", "road"],
        adjectives: ["quiet", "bright", "heavy", "small", "cheerful", "muddy", "warm", "crowded", "tired", "gentle",
                     "broken", "yellow", "narrow", "sleepy", "famous", "busy", "clever", "rusty", "sweet", "windy",
                     "empty", "careful", "old", "friendly"],
        transitive: [("carry", "carried"), ("paint", "painted"), ("open", "opened"), ("find", "found"), ("bake", "baked"),
                     ("visit", "visited"), ("mend", "mended"), ("borrow", "borrowed"), ("clean", "cleaned"), ("sell", "sold"),
                     ("buy", "bought"), ("wash", "washed"), ("watch", "watched"), ("follow", "followed"), ("lose", "lost"),
                     ("fold", "folded"), ("call", "called"), ("cook", "cooked"), ("fetch", "fetched"), ("hide", "hid"),
                     ("greet", "greeted"), ("plant", "planted"), ("hang", "hung"), ("share", "shared")],
        intransitive: [("laugh", "laughed"), ("wait", "waited"), ("sleep", "slept"), ("walk", "walked"), ("sing", "sang"),
                       ("rest", "rested"), ("smile", "smiled"), ("travel", "travelled"), ("arrive", "arrived"), ("shiver", "shivered"),
                       ("dance", "danced"), ("hurry", "hurried"), ("wander", "wandered"), ("stay", "stayed")],
        adverbs: ["slowly", "quietly", "happily", "early", "late", "again", "together", "carefully", "suddenly", "gladly",
                  "softly", "patiently", "outside", "home"],
        places: ["the old harbour", "the village square", "the corner shop", "the train station", "the garden gate",
                 "the kitchen table", "the river bank", "the bus stop", "the town hall", "the apple orchard",
                 "the sunny porch", "the busy market", "the school yard", "the little bakery", "the park bench", "the hill road"],
        times: ["yesterday", "this morning", "on sunday", "last winter", "after lunch", "every evening", "at dawn",
                "before dinner", "in the spring", "later that night"])

    public static let technical = SentenceVocabulary(
        names: ["Doctor Patel", "Professor Novak", "Engineer Okafor", "Doctor Lindqvist", "Professor Tanaka",
                "Doctor Moreau", "Engineer Costa", "Professor Brandt", "Doctor Alvarez", "Engineer Kowalski"],
        nouns: ["sensor", "algorithm", "reactor", "sample", "circuit", "protocol", "compiler", "spectrum", "turbine", "database",
                "catalyst", "prototype", "microscope", "voltage", "enzyme", "satellite", "server", "gradient", "valve", "processor",
                "antenna", "membrane", "transistor", "dataset", "pipeline", "filter", "isotope", "battery", "module", "network",
                "telescope", "polymer", "bearing", "signal", "laser", "kernel", "crystal", "amplifier", "register", "solvent"],
        adjectives: ["calibrated", "thermal", "digital", "redundant", "unstable", "optical", "magnetic", "parallel",
                     "experimental", "compressed", "acoustic", "linear", "synthetic", "robust", "noisy", "modular",
                     "sterile", "encrypted", "hydraulic", "precise", "distributed", "volatile", "faulty", "automated"],
        transitive: [("measure", "measured"), ("calibrate", "calibrated"), ("compile", "compiled"), ("analyse", "analysed"),
                     ("replace", "replaced"), ("install", "installed"), ("simulate", "simulated"), ("test", "tested"),
                     ("monitor", "monitored"), ("deploy", "deployed"), ("isolate", "isolated"), ("optimise", "optimised"),
                     ("encrypt", "encrypted"), ("filter", "filtered"), ("heat", "heated"), ("debug", "debugged"),
                     ("inspect", "inspected"), ("record", "recorded"), ("design", "designed"), ("assemble", "assembled"),
                     ("cool", "cooled"), ("verify", "verified"), ("launch", "launched"), ("reset", "reset")],
        intransitive: [("converge", "converged"), ("fail", "failed"), ("overheat", "overheated"), ("oscillate", "oscillated"),
                       ("stabilise", "stabilised"), ("crash", "crashed"), ("respond", "responded"), ("evaporate", "evaporated"),
                       ("reboot", "rebooted"), ("drift", "drifted"), ("saturate", "saturated"), ("decay", "decayed"),
                       ("resonate", "resonated"), ("shut down", "shut down")],
        adverbs: ["precisely", "automatically", "remotely", "twice", "overnight", "rapidly", "gradually", "safely",
                  "manually", "continuously", "efficiently", "briefly", "unexpectedly", "again"],
        places: ["the clean room", "the control panel", "the test bench", "the server rack", "the cooling tower",
                 "the vacuum chamber", "the main laboratory", "the wind tunnel", "the power grid", "the data centre",
                 "the launch pad", "the fume hood", "the research station", "the signal tower", "the assembly line", "the reactor hall"],
        times: ["during the trial", "after the update", "at midnight", "in the first phase", "before the audit",
                "on monday", "last quarter", "during calibration", "after the outage", "this week"])
}
