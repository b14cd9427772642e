/// The words of the synthetic restaurants: each attribute's values and the ways a sentence can
/// say each value.
///
/// The value sets of `eatType`, `food`, `priceRange`, `customer rating`, `area` and
/// `familyFriendly` are E2E's own (read off its dev and test files). The venue names (`name`)
/// and landmarks (`near`) are invented for this project, none of them E2E's, and none containing
/// a word another attribute uses ("riverside", "family", "cheap", "pub", …).
///
/// A value can be said in three grammatical roles, so a planner can put it anywhere in a
/// sentence:
/// - an *adjective* before the venue's noun: "a **cheap** pub";
/// - a *predicate* after a subject: "It **serves Italian food**";
/// - a *modifier* after the venue's noun: "a pub **near The Guildhall**".
/// Every phrase contains one of the value's `mentions`, the strings a test looks for to check
/// that a sentence says the value: mostly the value itself, plus the few paraphrases listed
/// (e.g. "under £20" for "less than £20", "kid friendly" for familyFriendly "yes").
public enum RestaurantLexicon {
    /// How one attribute value can be said.
    public struct Phrasing: Sendable {
        /// Before the venue's noun, without article: "family-friendly". May be empty.
        public let adjectives: [String]
        /// After a subject: "is in the city centre". Never empty.
        public let predicates: [String]
        /// After the venue's noun: "in the city centre". Never empty.
        public let modifiers: [String]
        /// Strings that show the value is said (compared ignoring case).
        public let mentions: [String]
    }

    /// The values of every attribute, in a fixed order.
    public static let values: [E2EAttribute: [String]] = [
        .name: [
            "The Copper Kettle", "Blue Heron", "The Old Granary", "Saffron Lane", "The Lantern", "Moonbeam",
            "The Salt House", "Juniper", "The Brass Bell", "Olive Grove", "The Red Fox", "Pepperpot",
            "The Willow", "Harbour Lights", "The Gilded Spoon", "Tamarind", "The Black Swan", "Little Lotus",
            "The Ferryman", "Maple & Thyme", "Café Lumière", "The Night Owl", "Sakura Garden", "The Crooked Spire",
        ],
        .eatType: ["coffee shop", "pub", "restaurant"],
        .food: ["Chinese", "English", "Fast food", "French", "Indian", "Italian", "Japanese"],
        .priceRange: ["cheap", "less than £20", "£20-25", "moderate", "high", "more than £30"],
        .customerRating: ["low", "average", "high", "1 out of 5", "3 out of 5", "5 out of 5"],
        .area: ["city centre", "riverside"],
        .familyFriendly: ["yes", "no"],
        .near: [
            "The Corn Exchange", "St Anne's Church", "Station Hotel", "Burger Palace", "Café Rosa",
            "The Museum of Clocks", "Kings Bridge", "The Old Library", "Pizza Plaza", "The Bus Station",
            "Orchard Park", "The Guildhall",
        ],
    ]

    /// Nouns for a venue whose MR has no `eatType` (never "pub", "restaurant" or "coffee shop").
    public static let genericNouns = ["place", "venue"]

    /// The ways to say `value` of `attribute`. `name` is the subject of the sentence and
    /// `eatType` its noun, so their phrasing is only their mention; the other six have phrases
    /// in every role (adjectives only where English has them).
    public static func phrasing(_ attribute: E2EAttribute, _ value: String) -> Phrasing {
        table[attribute]?[value] ?? makePhrasing(attribute, value)
    }

    /// The phrasings of every value in `values`, made once.
    private static let table: [E2EAttribute: [String: Phrasing]] = values.mapValues { _ in [:] }.reduce(into: [:]) { table, entry in
        for value in values[entry.key] ?? [] { table[entry.key, default: [:]][value] = makePhrasing(entry.key, value) }
    }

    private static func makePhrasing(_ attribute: E2EAttribute, _ value: String) -> Phrasing {
        switch attribute {
        case .name, .eatType:
            return Phrasing(adjectives: [], predicates: ["is \(value)"], modifiers: [value], mentions: [value])
        case .food:
            let food = value == "Fast food" ? "fast food" : value
            let dish = value == "Fast food" ? "fast food" : "\(value) food"
            return Phrasing(
                adjectives: [food],
                predicates: ["serves \(dish)", "offers \(dish)", "specialises in \(dish)", "has \(dish) on the menu"],
                modifiers: ["serving \(dish)", "that serves \(dish)", "offering \(dish)"],
                mentions: [food])
        case .priceRange:
            return priceRange(value)
        case .customerRating:
            return customerRating(value)
        case .area:
            if value == "city centre" {
                return Phrasing(
                    adjectives: [],
                    predicates: ["is in the city centre", "is located in the city centre", "is in the centre of the city"],
                    modifiers: ["in the city centre", "in the centre of the city", "located in the city centre"],
                    mentions: ["city centre", "centre of the city"])
            }
            return Phrasing(
                adjectives: [],
                predicates: ["is by the riverside", "is located on the riverside", "is in the riverside area"],
                modifiers: ["by the riverside", "in the riverside area", "on the riverside"],
                mentions: ["riverside"])
        case .familyFriendly:
            if value == "yes" {
                return Phrasing(
                    adjectives: ["family-friendly", "kid-friendly", "child-friendly"],
                    predicates: ["is family-friendly", "is kid friendly", "welcomes families", "is good for families", "is child friendly"],
                    modifiers: ["that is family-friendly", "that welcomes children"],
                    mentions: ["family-friendly", "family friendly", "kid-friendly", "kid friendly", "child-friendly",
                               "child friendly", "welcomes families", "welcomes children", "good for families"])
            }
            return Phrasing(
                adjectives: ["adults-only"],
                predicates: ["is not family-friendly", "is not kid friendly", "does not welcome children", "is not suitable for families"],
                modifiers: ["that is not family-friendly", "that does not welcome children"],
                mentions: ["not family-friendly", "not kid friendly", "not welcome children", "not suitable for families", "adults-only"])
        case .near:
            return Phrasing(
                adjectives: [],
                predicates: ["is near \(value)", "is located near \(value)", "is close to \(value)", "is next to \(value)"],
                modifiers: ["near \(value)", "close to \(value)", "next to \(value)"],
                mentions: [value])
        }
    }

    private static func priceRange(_ value: String) -> Phrasing {
        switch value {
        case "cheap":
            return Phrasing(
                adjectives: ["cheap", "low-priced"],
                predicates: ["is cheap", "has cheap prices", "is in the cheap price range"],
                modifiers: ["with cheap prices", "in the cheap price range"],
                mentions: ["cheap", "low-priced"])
        case "moderate":
            return Phrasing(
                adjectives: ["moderately priced", "mid-priced"],
                predicates: ["has moderate prices", "is moderately priced", "is in the moderate price range"],
                modifiers: ["with moderate prices", "in the moderate price range"],
                mentions: ["moderate", "moderately priced", "mid-priced"])
        case "high":
            return Phrasing(
                adjectives: ["expensive", "high-priced"],
                predicates: ["is expensive", "has high prices", "is in the high price range"],
                modifiers: ["with high prices", "in the high price range"],
                mentions: ["expensive", "high-priced", "high prices", "high price range"])
        case "less than £20":
            return Phrasing(
                adjectives: [],
                predicates: ["has prices less than £20", "costs less than £20 per person", "has a price range of less than £20"],
                modifiers: ["with prices under £20", "with a price range of less than £20", "with meals for less than £20"],
                mentions: ["less than £20", "under £20"])
        case "more than £30":
            return Phrasing(
                adjectives: [],
                predicates: ["costs more than £30 per person", "has prices over £30", "has a price range of more than £30"],
                modifiers: ["with prices over £30", "with meals costing more than £30"],
                mentions: ["more than £30", "over £30"])
        default:  // "£20-25", or any other range: said as it is
            return Phrasing(
                adjectives: [],
                predicates: ["has a price range of \(value)", "costs \(value) per person", "is in the \(value) price range"],
                modifiers: ["in the \(value) price range", "with prices of \(value)"],
                mentions: [value])
        }
    }

    private static func customerRating(_ value: String) -> Phrasing {
        switch value {
        case "low":
            return Phrasing(
                adjectives: ["poorly rated", "low-rated"],
                predicates: ["has a low customer rating", "is rated low by customers", "has low ratings"],
                modifiers: ["with a low customer rating", "with low ratings"],
                mentions: ["low customer rating", "rated low by customers", "low ratings", "poorly rated", "low-rated"])
        case "average":
            return Phrasing(
                adjectives: [],
                predicates: ["has an average customer rating", "is rated average by customers", "has average ratings"],
                modifiers: ["with an average customer rating", "with average ratings"],
                mentions: ["average customer rating", "rated average by customers", "average ratings"])
        case "high":
            return Phrasing(
                adjectives: ["highly rated", "top-rated"],
                predicates: ["has a high customer rating", "is highly rated", "has high ratings"],
                modifiers: ["with a high customer rating", "with high ratings"],
                mentions: ["high customer rating", "highly rated", "high ratings", "top-rated"])
        default:  // "1 out of 5", "3 out of 5", "5 out of 5"
            return Phrasing(
                adjectives: [],
                predicates: ["has a customer rating of \(value)", "is rated \(value)", "has a \(value) rating"],
                modifiers: ["with a customer rating of \(value)", "rated \(value) by customers"],
                mentions: [value])
        }
    }
}
