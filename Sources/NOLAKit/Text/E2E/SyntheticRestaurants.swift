/// The project's own restaurant data-to-text examples: E2E's eight attributes and value sets
/// (`RestaurantLexicon`), sentences written by a small planner (`RestaurantSentences`),
/// deterministic by seed. The embedded default of the text lessons: offline, on a fresh clone.
///
/// ## How an example is made
///
/// - The MR: `name` always; each other attribute independently with the probability in
///   `presence` (close to how often E2E's dev and test MRs have it); drawn again until it has at
///   least three attributes, as every E2E MR does. Values uniform over the attribute's set.
/// - MR `i` comes from the `i`-th draw of stream `mrStream` that gives an MR not drawn before,
///   so a set holds distinct MRs and a smaller count gives a prefix of a larger one.
/// - Its references: 3 to 8 (uniform), all different, each from
///   `RestaurantSentences.sentence` on stream `referenceStream(i)`.
///
/// Learnable but not trivial: a sentence says every value of its MR and nothing else, but the
/// order, the roles, the phrasings and the number of sentences vary, so a model must read the
/// MR to write the right values and learns the phrasing from many examples.
public enum SyntheticRestaurants {
    /// E2E's dev set has 547 MRs; the default synthetic dev set too.
    public static let devMRCount = 547
    /// E2E's test set has 630 MRs; the default synthetic test set too.
    public static let testMRCount = 630
    /// How many references an MR gets.
    public static let referenceCounts = 3...8

    /// The probability that an MR has each attribute besides `name` (E2E's dev / test
    /// frequencies: eatType 0.85 / 1.0, food 0.82 / 0.87, priceRange 0.63 / 0.76,
    /// customer rating 0.88 / 0.50, area 0.77 / 0.89, familyFriendly 0.73 / 0.91, near 0.62 / 0.98).
    public static let presence: [(attribute: E2EAttribute, probability: Float)] = [
        (.eatType, 0.9), (.food, 0.85), (.priceRange, 0.7), (.customerRating, 0.7),
        (.area, 0.8), (.familyFriendly, 0.8), (.near, 0.75),
    ]

    /// Stream of the MR draws: ASCII "RMRS" in the high word.
    public static let mrStream: UInt64 = 0x524D_5253 << 32
    /// Stream of MR `i`'s references: ASCII "RREF" in the high word, `i` in the low word.
    public static func referenceStream(_ i: Int) -> UInt64 { (0x5252_4546 << 32) | UInt64(UInt32(truncatingIfNeeded: i)) }

    /// The first `count` distinct MRs of `seed`, each with 3–8 references.
    public static func generate(count: Int, seed: UInt64) -> [E2EExample] {
        checkPrecondition(count >= 0 && count <= 1_000_000, "SyntheticRestaurants.generate: count \(count) outside 0…1,000,000")
        var cursor = StreamCursor(seed: seed, stream: mrStream)
        var seen = Set<MeaningRepresentation>()
        var examples: [E2EExample] = []
        examples.reserveCapacity(count)
        while examples.count < count {
            let mr = drawMR(&cursor)
            guard seen.insert(mr).inserted else { continue }
            var references = StreamCursor(seed: seed, stream: referenceStream(examples.count))
            examples.append(E2EExample(mr: mr, references: distinctReferences(for: mr, using: &references)))
        }
        return examples
    }

    /// One MR (rules above).
    static func drawMR(_ cursor: inout StreamCursor) -> MeaningRepresentation {
        func pick(_ attribute: E2EAttribute) -> String {
            let options = RestaurantLexicon.values[attribute] ?? []
            return options[cursor.nextInt(below: options.count)]
        }
        while true {
            var values: [E2EAttribute: String] = [.name: pick(.name)]
            for (attribute, probability) in presence where cursor.nextUniform() < probability {
                values[attribute] = pick(attribute)
            }
            if values.count >= 3 { return MeaningRepresentation(values) }
        }
    }

    /// 3–8 different sentences for `mr` (a sentence drawn twice is drawn again, up to 50 times).
    static func distinctReferences(for mr: MeaningRepresentation, using cursor: inout StreamCursor) -> [String] {
        let wanted = referenceCounts.lowerBound + cursor.nextInt(below: referenceCounts.count)
        var references: [String] = []
        for _ in 0..<(50 * wanted) where references.count < wanted {
            let sentence = RestaurantSentences.sentence(for: mr, using: &cursor)
            if !references.contains(sentence) { references.append(sentence) }
        }
        return references
    }

    /// The strings that show a sentence says `value` of `attribute` (compared ignoring case):
    /// the value itself or a paraphrase from `RestaurantLexicon`.
    public static func mentions(_ attribute: E2EAttribute, _ value: String) -> [String] {
        RestaurantLexicon.phrasing(attribute, value).mentions
    }
}
