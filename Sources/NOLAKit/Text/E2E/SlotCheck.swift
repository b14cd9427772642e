/// Which attribute values a restaurant sentence says: a slot checker by string matching.
///
/// A value is said when one of its mentions (`RestaurantLexicon.Phrasing.mentions`, and the MR's
/// own value for `check`) occurs in the sentence, ignoring case, as whole words (no letter or
/// digit right before or after). A family-friendly "yes" mention right after "not " or "non-"
/// does not count ("not kid friendly" says "no").
///
/// On the synthetic restaurants this is exact: every sentence says every value of its MR and
/// nothing else (the tests check it on the default sets), so a model's output can be scored by
/// its slot errors, the way E2E's semantic-accuracy scripts do. On human text (real E2E) it only
/// knows the lexicon's phrasings and misses paraphrases such as "kids are welcome".
public enum SlotCheck {
    /// Mentions of one value, lower-cased UTF-8.
    struct Entry {
        let attribute: E2EAttribute
        let value: String
        let mentions: [[UInt8]]
    }

    /// Every value of `RestaurantLexicon.values` with its mentions.
    static let entries: [Entry] = E2EAttribute.allCases.flatMap { attribute in
        (RestaurantLexicon.values[attribute] ?? []).map { value in
            Entry(attribute: attribute, value: value, mentions: RestaurantLexicon.phrasing(attribute, value).mentions.map(lowered))
        }
    }

    /// What a sentence gets wrong about an MR.
    public struct Errors: Equatable, Sendable {
        /// Attributes of the MR whose value the sentence does not say.
        public var missing: [E2EAttribute]
        /// Values the sentence says that the MR does not have (another value of a present
        /// attribute, or a value of an absent one), from `RestaurantLexicon.values`.
        public var added: [String]

        /// The number of slot errors: missing plus added.
        public var count: Int { missing.count + added.count }
    }

    /// The lexicon's values `sentence` says, by attribute.
    public static func valuesSaid(in sentence: String) -> [E2EAttribute: Set<String>] {
        let text = lowered(sentence)
        var said: [E2EAttribute: Set<String>] = [:]
        for entry in entries where entry.mentions.contains(where: { occurs($0, in: text, negatable: entry.isNegatable) }) {
            said[entry.attribute, default: []].insert(entry.value)
        }
        return said
    }

    /// The slot errors of `sentence` against `mr`: its values not said, and other values said.
    /// `count` over a test set, divided by the number of MR values, is the slot error rate.
    public static func errors(in sentence: String, for mr: MeaningRepresentation) -> Errors {
        let text = lowered(sentence)
        var errors = Errors(missing: [], added: [])
        for (attribute, value) in mr.pairs {
            let known = entries.first { $0.attribute == attribute && $0.value == value }
            let mentions = (known?.mentions ?? []) + [lowered(value)]
            let negatable = known?.isNegatable ?? false
            if !mentions.contains(where: { occurs($0, in: text, negatable: negatable) }) { errors.missing.append(attribute) }
        }
        for (attribute, values) in valuesSaid(in: sentence) {
            for value in values where mr[attribute] != value {
                errors.added.append("\(attribute.rawValue)[\(value)]")
            }
        }
        errors.added.sort()
        return errors
    }

    /// Slot errors of many sentences, each against its MR, per value of the MRs.
    public struct Rates: Equatable, Sendable {
        /// Values of the MRs (the denominator).
        public var values: Int
        /// Values not said, and values said that the MR does not have.
        public var missing: Int
        public var added: Int
        /// The same by attribute: values of each attribute in the MRs, and how many were not said.
        public var valuesBy: [E2EAttribute: Int] = [:]
        public var missingBy: [E2EAttribute: Int] = [:]

        /// The share of `attribute`'s values not said (nil when no MR has the attribute).
        public func missingRate(_ attribute: E2EAttribute) -> Double? {
            guard let n = valuesBy[attribute], n > 0 else { return nil }
            return Double(missingBy[attribute] ?? 0) / Double(n)
        }

        /// Missing values as a fraction of the MRs' values.
        public var missingRate: Double { Double(missing) / Double(max(values, 1)) }
        /// Added values per value of the MRs.
        public var addedRate: Double { Double(added) / Double(max(values, 1)) }
        /// The slot error rate: (missing + added) / values, as E2E's semantic-accuracy scripts count it.
        public var errorRate: Double { missingRate + addedRate }
    }

    /// The slot errors of `sentences[i]` against `mrs[i]`, summed:
    ///
    ///     let r = SlotCheck.rates(outputs, for: test.examples.map(\.mr))
    ///     print(r.missingRate, r.addedRate)   // 0.04 0.01: 4 % of the values unsaid, 1 added per 100
    ///     print(r.missingRate(.near))         // 0.12: 12 % of the "near" values unsaid
    public static func rates(_ sentences: [String], for mrs: [MeaningRepresentation]) -> Rates {
        checkPrecondition(sentences.count == mrs.count, "SlotCheck.rates: \(sentences.count) sentences for \(mrs.count) MRs")
        var rates = Rates(values: 0, missing: 0, added: 0)
        for (sentence, mr) in zip(sentences, mrs) {
            let errors = errors(in: sentence, for: mr)
            rates.values += mr.pairs.count
            rates.missing += errors.missing.count
            rates.added += errors.added.count
            for (attribute, _) in mr.pairs { rates.valuesBy[attribute, default: 0] += 1 }
            for attribute in errors.missing { rates.missingBy[attribute, default: 0] += 1 }
        }
        return rates
    }

    /// `text` lower-cased, as UTF-8.
    static func lowered(_ text: String) -> [UInt8] { Array(text.lowercased().utf8) }

    /// Whether `part` occurs in `text` as whole words (not inside a longer word), and, when
    /// `negatable`, not right after "not " or "non-".
    static func occurs(_ part: [UInt8], in text: [UInt8], negatable: Bool) -> Bool {
        guard !part.isEmpty, part.count <= text.count else { return false }
        func isWordByte(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b >= 0x80 }
        let negations: [[UInt8]] = [Array("not ".utf8), Array("non-".utf8), Array("non ".utf8)]
        var start = 0
        while start + part.count <= text.count {
            defer { start += 1 }
            guard text[start] == part[0] else { continue }
            var k = 1
            while k < part.count && text[start + k] == part[k] { k += 1 }
            guard k == part.count else { continue }
            if isWordByte(part[0]) && start > 0 && isWordByte(text[start - 1]) { continue }
            let end = start + part.count
            if isWordByte(part[part.count - 1]) && end < text.count && isWordByte(text[end]) { continue }
            if negatable && negations.contains(where: { n in start >= n.count && Array(text[(start - n.count)..<start]) == n }) {
                continue
            }
            return true
        }
        return false
    }
}

extension SlotCheck.Entry {
    /// Family-friendly "yes" mentions read "no" after a negation.
    var isNegatable: Bool { attribute == .familyFriendly && value == "yes" }
}
