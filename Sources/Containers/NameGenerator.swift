/// Names like Docker's `adjective_surname` for containers started without
/// `--name`. Our own word lists: adjectives a reader smiles at, and surnames
/// of scientists and engineers.
public enum NameGenerator {
    static let adjectives = [
        "agile", "amazing", "bold", "brave", "bright", "busy", "calm", "careful", "charming", "cheerful",
        "clever", "cool", "cosy", "curious", "daring", "dazzling", "eager", "elegant", "epic", "fearless",
        "fervent", "focused", "friendly", "funny", "gallant", "gentle", "gifted", "glad", "graceful", "happy",
        "hardy", "honest", "humble", "jolly", "keen", "kind", "lively", "loyal", "lucid", "merry",
        "mighty", "modest", "nifty", "noble", "patient", "peaceful", "placid", "plucky", "polite", "proud",
        "quick", "quiet", "radiant", "relaxed", "serene", "sharp", "shy", "sleepy", "smart", "snappy",
        "spry", "steady", "stoic", "sunny", "swift", "tender", "thirsty", "tidy", "upbeat", "vibrant",
        "vivid", "warm", "wise", "witty", "zealous", "zen",
    ]
    static let surnames = [
        "agnesi", "archimedes", "babbage", "banach", "bardeen", "bohr", "boole", "brahe", "cantor", "carson",
        "cerf", "chandrasekhar", "curie", "darwin", "dijkstra", "einstein", "euclid", "euler", "faraday", "fermat",
        "fermi", "feynman", "franklin", "galileo", "gauss", "germain", "goodall", "hamilton", "hawking", "heisenberg",
        "hodgkin", "hopper", "hypatia", "johnson", "kepler", "knuth", "kowalevski", "lamarr", "lamport", "leakey",
        "liskov", "lovelace", "maxwell", "meitner", "mendel", "mirzakhani", "morse", "newton", "noether", "pascal",
        "pasteur", "planck", "poincare", "ramanujan", "ritchie", "rosalind", "shannon", "sinoussi", "tesla", "thompson",
        "torvalds", "turing", "volta", "wilson", "wozniak", "wu", "yalow", "yonath",
    ]

    /// A random name; `taken` says whether one is already used. After a few
    /// clashes a digit is added, as Docker does.
    public static func generate(taken: (String) -> Bool = { _ in false }) -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator, taken: taken)
    }

    public static func generate<G: RandomNumberGenerator>(using generator: inout G, taken: (String) -> Bool) -> String {
        for attempt in 0..<100 {
            var name = adjectives.randomElement(using: &generator)! + "_" + surnames.randomElement(using: &generator)!
            // Docker's own joke: boring_wozniak is never generated.
            if name == "boring_wozniak" { continue }
            if attempt >= 5 { name += String(Int.random(in: 0...9, using: &generator)) }
            if !taken(name) { return name }
        }
        return "container_" + ContainerID.generate().prefix(12)
    }

    /// Docker's rule for `--name`: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isAlnum(first) else { return false }
        return name.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }
}
