/// Writes one sentence (or two or three) that says everything an MR says: the sentence planner
/// of the synthetic restaurants.
///
/// 1. The venue's noun is its `eatType` ("pub") or, without one, a generic "place"/"venue".
/// 2. The other attributes, in a random order, each take one grammatical role
///    (`RestaurantLexicon.Phrasing`): up to two become adjectives (rating, price,
///    family-friendliness, food: "a cheap Italian pub", each with probability 0.35 where it has
///    adjectives), up to two become modifiers after the noun ("a pub near The Guildhall in the
///    city centre", probability 0.4 each), the rest predicates.
/// 3. A first sentence puts the name, the noun phrase and the modifiers in one of five shapes:
///    ```
///    X is a cheap pub near Y                       (+ " and <predicate>" or ", <p1> and <p2>")
///    There is a cheap pub called X near Y          (+ " that <predicates>", or " and …" after a "that" clause)
///    A cheap pub called X near Y <predicates>
///    X, a cheap pub near Y, <predicates>
///    Near Y, X is a cheap pub  /  Near Y, there is a cheap pub called X
///    ```
///    (the last shape fronts a place: the area or `near`).
/// 4. Predicates the first sentence did not take go into one or two more sentences whose subject
///    is "It", "The pub", "This pub" or the name: "It serves Italian food and is kid friendly."
///
/// Every choice is a uniform draw from the cursor (probabilities as stated), so a sentence
/// depends only on the MR and the cursor's stream.
enum RestaurantSentences {
    /// One reference for `mr`, which must have a `name`.
    static func sentence(for mr: MeaningRepresentation, using cursor: inout StreamCursor) -> String {
        guard let name = mr[.name] else {
            checkPrecondition(false, "RestaurantSentences: the MR has no name")
            return ""
        }
        func pick(_ options: [String]) -> String { options[cursor.nextInt(below: options.count)] }
        func chance(_ p: Float) -> Bool { cursor.nextUniform() < p }

        // 1. The noun.
        let noun = mr[.eatType] ?? pick(RestaurantLexicon.genericNouns)

        // 2. Roles.
        var rest = mr.attributes.filter { $0 != .name && $0 != .eatType }
        cursor.shuffle(&rest)
        var adjectives: [String] = []
        for attribute in [E2EAttribute.customerRating, .priceRange, .familyFriendly, .food] where adjectives.count < 2 {
            guard let value = mr[attribute], rest.contains(attribute) else { continue }
            let options = RestaurantLexicon.phrasing(attribute, value).adjectives
            if !options.isEmpty && chance(0.35) {
                adjectives.append(pick(options))
                rest.removeAll { $0 == attribute }
            }
        }
        var modifiers: [(attribute: E2EAttribute, text: String)] = []
        var predicates: [String] = []
        for attribute in rest {
            let phrasing = RestaurantLexicon.phrasing(attribute, mr[attribute] ?? "")
            if modifiers.count < 2 && chance(0.4) {
                modifiers.append((attribute, pick(phrasing.modifiers)))
            } else {
                predicates.append(pick(phrasing.predicates))
            }
        }
        // Relative clauses ("that serves …") read best last.
        modifiers.sort { !$0.text.hasPrefix("that ") && $1.text.hasPrefix("that ") }

        // 3. The first sentence.
        let nounPhrase = withArticle((adjectives + [noun]).joined(separator: " "))
        func after(_ parts: [String]) -> String { parts.isEmpty ? "" : " " + parts.joined(separator: " ") }
        let allModifiers = after(modifiers.map(\.text))
        let called = pick(["called", "named"])
        var taken = 0  // predicates the first sentence says
        func take(atLeastOne: Bool) -> String {
            guard !predicates.isEmpty, atLeastOne || chance(0.35) else { return "" }
            taken = 1 + cursor.nextInt(below: min(2, predicates.count))
            return listed(Array(predicates[..<taken]))
        }
        let place = modifiers.firstIndex { $0.attribute == .area || $0.attribute == .near }
        var shapes = [0, 1]
        if !predicates.isEmpty { shapes += [2, 3] }
        if place != nil { shapes.append(4) }
        let first: String
        switch shapes[cursor.nextInt(below: shapes.count)] {
        case 0:
            let more = take(atLeastOne: false)
            first = "\(name) is \(nounPhrase)\(allModifiers)" + (more.isEmpty ? "" : (taken == 1 ? " and " : ", ") + more)
        case 1:
            let more = take(atLeastOne: false)
            let endsInClause = modifiers.last?.text.hasPrefix("that ") ?? false
            first = "There is \(nounPhrase) \(called) \(name)\(allModifiers)"
                + (more.isEmpty ? "" : (endsInClause ? " and " : " that ") + more)
        case 2:
            first = "\(capitalized(nounPhrase)) \(called) \(name)\(allModifiers) \(take(atLeastOne: true))"
        case 3:
            first = "\(name), \(nounPhrase)\(allModifiers), \(take(atLeastOne: true))"
        default:
            let fronted = modifiers[place ?? 0].text
            let others = after(modifiers.enumerated().filter { $0.offset != place }.map(\.element.text))
            first = chance(0.5)
                ? "\(capitalized(fronted)), \(name) is \(nounPhrase)\(others)"
                : "\(capitalized(fronted)), there is \(nounPhrase) \(called) \(name)\(others)"
        }

        // 4. The remaining predicates.
        var sentences = [first + "."]
        var left = Array(predicates[taken...])
        while !left.isEmpty {
            let n = left.count <= 2 || chance(0.5) ? left.count : 1 + cursor.nextInt(below: left.count - 1)
            let subject = pick(["It", "The \(noun)", "This \(noun)", name])
            sentences.append("\(subject) \(listed(Array(left[..<n]))).")
            left.removeFirst(n)
        }
        return sentences.joined(separator: " ")
    }

    /// "a", "a and b", "a, b and c".
    static func listed(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }

    /// `phrase` with "a" or "an" before it (by its first letter: a, e, i, o, u take "an").
    static func withArticle(_ phrase: String) -> String {
        let vowel = phrase.first.map { "aeiouAEIOU".contains($0) } ?? false
        return (vowel ? "an " : "a ") + phrase
    }

    /// `text` with its first letter upper-case.
    static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
