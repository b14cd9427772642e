/// Records of four other domains — people, films, towns, books — each followed by a sentence or
/// two that say its values: text a base language model reads to learn what GPT-2 learned from
/// web tables, lists and infoboxes, that a record is followed by text saying its values. Built
/// by the project; no restaurant, no E2E attribute, no E2E value.
///
///     name[Tova Lindqvist], occupation[botanist], nationality[Chilean], birthYear[1874], married[no]
///     → "Tova Lindqvist is a Chilean botanist who was born in 1874. Lindqvist never married."
///     title[The Quiet Orchard], director[Ivo Marsh], year[1962], genre[western], colour[no]
///     → "The Quiet Orchard is a western directed by Ivo Marsh in 1962. It is in black and white."
///
/// Records are written `key[value], key[value], …` in the domain's key order, as E2E writes its
/// MRs (and DBpedia/WebNLG their triples' keys, camelCase); the keys and values are other ones.
///
/// ## How an example is made
///
/// - Record `i` draws its domain, then its subject's value (an invented name or title), then
///   each other attribute with probability 0.75, at least two; a value is drawn from the
///   attribute's list or range.
/// - Its text: the attributes' phrases (`phrases(_:_:)`: one or more ways to say a value; a
///   yes/no attribute's phrase depends on the value, "is in colour" / "is in black and white")
///   in a random order; the first sentence names the subject in one of two shapes ("X is …, …
///   and …" or "There is a <noun> called X that …") with one to three phrases, the rest go into
///   sentences whose subject is "It", the domain's noun or, for a person, the surname.
/// - Everything from the record's own Philox stream (`stream(_:)`), so record `i` depends only on
///   `(seed, i)` and a smaller count gives a prefix of a larger one.
public enum SyntheticRecords {
    /// A record and the text that says it.
    public struct Example: Sendable, Equatable {
        /// `key[value], …`.
        public let record: String
        /// One to four sentences saying every value of the record.
        public let text: String
        /// The record's pairs, in key order.
        public let pairs: [Pair]
    }

    /// One attribute of a record.
    public struct Pair: Sendable, Equatable {
        public let key: String
        public let value: String
    }

    /// The four domains, by name: "person", "film", "town", "book".
    public static let domains = ["person", "film", "town", "book"]

    /// The first `count` records of `seed`.
    public static func generate(count: Int, seed: UInt64) -> [Example] {
        checkPrecondition(count >= 0 && count <= 10_000_000, "SyntheticRecords.generate: count \(count) outside 0…10,000,000")
        return (0..<count).map { i in
            var cursor = StreamCursor(seed: seed, stream: stream(i))
            return example(&cursor)
        }
    }

    /// Record `i`'s stream: ASCII "RCRD" in the high word, `i` in the low word.
    public static func stream(_ i: Int) -> UInt64 { (0x5243_5244 << 32) | UInt64(UInt32(truncatingIfNeeded: i)) }

    /// One example from `cursor` (rules in the type's documentation).
    static func example(_ cursor: inout StreamCursor) -> Example {
        let domain = domains[cursor.nextInt(below: domains.count)]
        let keys = self.keys[domain] ?? []
        var pairs = [Pair(key: keys[0], value: subjectValue(domain, &cursor))]
        var optional: [String] = []
        repeat {
            optional = keys.dropFirst().filter { _ in cursor.nextUniform() < 0.75 }
        } while optional.count < 2
        for key in optional { pairs.append(Pair(key: key, value: value(key, domain: domain, &cursor))) }
        let record = pairs.map { "\($0.key)[\($0.value)]" }.joined(separator: ", ")
        return Example(record: record, text: text(domain, pairs, &cursor), pairs: pairs)
    }

    // MARK: - The domains' keys and values

    /// Each domain's keys in record order, its subject's key first.
    static let keys: [String: [String]] = [
        "person": ["name", "occupation", "nationality", "birthYear", "birthPlace", "knownFor", "married", "children"],
        "film": ["title", "director", "year", "genre", "language", "runtime", "colour", "sequel"],
        "town": ["name", "country", "region", "population", "river", "founded", "coastal"],
        "book": ["title", "author", "year", "genre", "pages", "series", "language"],
    ]

    /// What a domain's subject is called in text: "the film", "the town".
    static let nouns = ["person": "person", "film": "film", "town": "town", "book": "book"]

    static let firstNames = ["Tova", "Ivo", "Marek", "Ines", "Oskar", "Lidia", "Rafael", "Noor", "Emil", "Saskia",
                             "Teodor", "Alma", "Kasimir", "Ruth", "Anselm", "Mirela", "Jonas", "Greta", "Dario", "Yusra"]
    static let surnames = ["Lindqvist", "Marsh", "Okonkwo", "Varga", "Delacroix", "Holm", "Brandt", "Castell",
                           "Novak", "Aalto", "Ferreira", "Quist", "Rowan", "Szabo", "Tanaka", "Weller", "Ibarra", "Kowal"]
    static let titleWords = (["Quiet", "Hollow", "Last", "Silver", "Northern", "Seventh", "Burning", "Paper", "Winter", "Distant"],
                             ["Orchard", "Harbour", "Letter", "Mountain", "Garden", "Engine", "Mirror", "Voyage", "Lighthouse", "Bridge"])
    static let placeParts = (["Ash", "Bel", "Cor", "Dun", "Elm", "Fal", "Gra", "Hal", "Kil", "Mor", "Ost", "Tre"],
                             ["ford", "wick", "mere", "stad", "holm", "bury", "vik", "ton", "dale", "haven"])
    static let lists: [String: [String]] = [
        "occupation": ["painter", "chemist", "architect", "novelist", "composer", "engineer", "botanist",
                       "photographer", "sculptor", "astronomer", "surgeon", "mathematician"],
        "nationality": ["Danish", "Portuguese", "Canadian", "Polish", "Chilean", "Irish", "Austrian", "Kenyan", "Estonian", "Korean"],
        "knownFor": ["portraits", "suspension bridges", "string quartets", "field guides", "glass domes",
                     "star catalogues", "detective novels", "mountain photographs", "bronze statues", "prime numbers"],
        "genre_film": ["comedy", "thriller", "documentary", "western", "musical", "drama", "horror film", "romance"],
        "genre_book": ["poetry", "mystery", "history", "science fiction", "biography", "travel writing", "fantasy"],
        "language": ["Spanish", "Hindi", "Swedish", "Greek", "Turkish", "Dutch", "Welsh", "Finnish", "Czech"],
        "country": ["Norway", "Peru", "Scotland", "Hungary", "Iceland", "Chile", "Slovenia", "Ghana", "Latvia", "Croatia"],
        "region": ["the north", "the south", "the east", "the west", "the highlands", "the lowlands"],
    ]

    /// An invented name for a person, a place, or a title.
    static func personName(_ cursor: inout StreamCursor) -> String {
        "\(firstNames[cursor.nextInt(below: firstNames.count)]) \(surnames[cursor.nextInt(below: surnames.count)])"
    }
    static func placeName(_ cursor: inout StreamCursor) -> String {
        placeParts.0[cursor.nextInt(below: placeParts.0.count)] + placeParts.1[cursor.nextInt(below: placeParts.1.count)]
    }
    static func title(_ cursor: inout StreamCursor) -> String {
        "The \(titleWords.0[cursor.nextInt(below: titleWords.0.count)]) \(titleWords.1[cursor.nextInt(below: titleWords.1.count)])"
    }

    static func subjectValue(_ domain: String, _ cursor: inout StreamCursor) -> String {
        switch domain {
        case "person": personName(&cursor)
        case "town": placeName(&cursor)
        default: title(&cursor)
        }
    }

    /// A value of `key` in `domain` ("genre" draws film genres for films, book genres for books).
    static func value(_ key: String, domain: String, _ cursor: inout StreamCursor) -> String {
        func pick(_ list: [String]) -> String { list[cursor.nextInt(below: list.count)] }
        func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + cursor.nextInt(below: range.count) }
        switch key {
        case "birthYear": return String(number(1750...1990))
        case "founded": return String(number(900...1900))
        case "year": return String(number(1920...2015))
        case "birthPlace": return placeName(&cursor)
        case "director", "author": return personName(&cursor)
        case "married", "colour", "sequel", "coastal", "series": return pick(["yes", "no"])
        case "children": return String(number(0...5))
        case "runtime": return "\(number(70...190)) minutes"
        case "pages": return String(number(90...900))
        case "population": return withThousands(number(800...250_000))
        case "river": return "River " + placeName(&cursor)
        case "genre": return pick(lists["genre_\(domain)"] ?? [])
        default: return pick(lists[key] ?? ["?"])
        }
    }

    /// "12,400": thousands separated by commas.
    static func withThousands(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
    }

    // MARK: - Saying a record

    /// The ways to say `key[value]` after a subject ("is a botanist", "was born in 1874").
    static func phrases(_ key: String, _ value: String) -> [String] {
        let yes = value == "yes"
        switch key {
        case "occupation": return ["is \(RestaurantSentences.withArticle(value))", "works as \(RestaurantSentences.withArticle(value))"]
        case "nationality": return ["is \(value)", "has \(value) nationality"]
        case "birthYear": return ["was born in \(value)"]
        case "birthPlace": return ["was born in \(value)", "comes from \(value)"]
        case "knownFor": return ["is known for \(value)", "is famous for \(value)"]
        case "married": return yes ? ["is married", "has a husband or wife"] : ["never married", "is not married"]
        case "children":
            return value == "0" ? ["has no children"] : value == "1" ? ["has one child", "has 1 child"] : ["has \(value) children"]
        case "director": return ["was directed by \(value)", "is by the director \(value)"]
        case "author": return ["was written by \(value)", "is by \(value)"]
        case "year": return ["came out in \(value)", "dates from \(value)"]
        case "founded": return ["was founded in \(value)", "dates from \(value)"]
        case "genre": return lists["genre_book"]?.contains(value) ?? false
            ? ["is a work of \(value)", "belongs to the genre \(value)"] : ["is \(RestaurantSentences.withArticle(value))", "belongs to the genre \(value)"]
        case "language": return ["is in \(value)", "is written in \(value)"]
        case "runtime": return ["runs for \(value)", "lasts \(value)"]
        case "colour": return yes ? ["is in colour", "was shot in colour"] : ["is in black and white", "was shot in black and white"]
        case "sequel": return yes ? ["has a sequel", "was followed by a sequel"] : ["has no sequel", "never had a sequel"]
        case "country": return ["is in \(value)", "lies in \(value)"]
        case "region": return ["is in \(value)", "lies in \(value) of the country"]
        case "population": return ["has \(value) inhabitants", "has a population of \(value)"]
        case "river": return ["stands on the \(value)", "lies on the \(value)"]
        case "coastal": return yes ? ["is on the coast", "lies by the sea"] : ["lies inland", "is far from the sea"]
        case "pages": return ["has \(value) pages", "runs to \(value) pages"]
        case "series": return yes ? ["is part of a series", "belongs to a series"] : ["is a stand-alone book", "is not part of a series"]
        default: return ["has \(key) \(value)"]
        }
    }

    /// The text of a record (rules in the type's documentation).
    static func text(_ domain: String, _ pairs: [Pair], _ cursor: inout StreamCursor) -> String {
        func pick(_ list: [String]) -> String { list[cursor.nextInt(below: list.count)] }
        let subject = pairs[0].value
        let noun = nouns[domain] ?? domain
        var said = pairs.dropFirst().map { pick(phrases($0.key, $0.value)) }
        cursor.shuffle(&said)
        let first = min(said.count, 1 + cursor.nextInt(below: 3))
        var sentences = [cursor.nextUniform() < 0.7
            ? "\(subject) \(RestaurantSentences.listed(Array(said[..<first])))."
            : "There is a \(noun) called \(subject) \(domain == "person" ? "who" : "that") \(RestaurantSentences.listed(Array(said[..<first])))."]
        var left = Array(said[first...])
        while !left.isEmpty {
            let n = min(left.count, 1 + cursor.nextInt(below: 2))
            let pronoun = domain == "person" ? String(subject.split(separator: " ").last ?? "") : pick(["It", "The \(noun)"])
            sentences.append("\(pronoun) \(RestaurantSentences.listed(Array(left[..<n]))).")
            left.removeFirst(n)
        }
        return sentences.joined(separator: " ")
    }
}
