/// One of the eight attributes of the E2E NLG dataset's meaning representations, in E2E's own
/// order (the order of `allCases`, which is also the order of the canonical text).
public enum E2EAttribute: String, CaseIterable, Sendable, Hashable, Comparable {
    case name
    case eatType
    case food
    case priceRange
    case customerRating = "customer rating"
    case area
    case familyFriendly
    case near

    /// The position in E2E's order: `name` 0 … `near` 7.
    public var order: Int {
        switch self {
        case .name: 0
        case .eatType: 1
        case .food: 2
        case .priceRange: 3
        case .customerRating: 4
        case .area: 5
        case .familyFriendly: 6
        case .near: 7
        }
    }

    public static func < (a: E2EAttribute, b: E2EAttribute) -> Bool { a.order < b.order }

    /// Hashes the position, not the raw string (the default for raw-value enums), for speed.
    public func hash(into hasher: inout Hasher) { hasher.combine(order) }
}

/// A meaning representation (MR): what a sentence must say, as attribute–value pairs.
///
/// Text form, as in the E2E files and as the model reads it:
/// ```
/// name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate], customer rating[3 out of 5], area[riverside], familyFriendly[yes], near[Burger King]
/// ```
/// Each attribute at most once; any subset of the eight. `description` is the canonical text:
/// the attributes in E2E's order (`E2EAttribute.allCases`), `", "` between pairs, values as
/// given (trimmed), which is exactly how every MR in E2E's files is written. Two MRs with the
/// same pairs are equal whatever order or spacing their text had.
public struct MeaningRepresentation: Hashable, Sendable, CustomStringConvertible {
    /// The value of each attribute in E2E's order (`slots[attribute.order]`), `nil` when absent.
    private let slots: [String?]

    /// The values, by attribute.
    public var values: [E2EAttribute: String] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.attribute, $0.value) })
    }

    /// An MR with these values. Each must be non-empty, without `[` or `]`, and without
    /// leading or trailing white space (a programming error otherwise; `init(parsing:)` is for
    /// text from files).
    public init(_ values: [E2EAttribute: String]) {
        for (attribute, value) in values {
            checkPrecondition(
                Self.valueProblem(value) == nil,
                "MeaningRepresentation: value '\(value)' of \(attribute.rawValue) \(Self.valueProblem(value) ?? "")")
        }
        self.slots = E2EAttribute.allCases.map { values[$0] }
    }

    /// The value of `attribute`, or `nil` when the MR does not mention it.
    public subscript(attribute: E2EAttribute) -> String? { slots[attribute.order] }

    /// The attributes present, in E2E's order.
    public var attributes: [E2EAttribute] { E2EAttribute.allCases.filter { slots[$0.order] != nil } }

    /// The number of attributes present.
    public var count: Int { slots.count { $0 != nil } }

    /// The pairs in E2E's order.
    public var pairs: [(attribute: E2EAttribute, value: String)] {
        E2EAttribute.allCases.compactMap { attribute in slots[attribute.order].map { (attribute, $0) } }
    }

    /// The canonical text: `name[The Eagle], eatType[coffee shop], …` in E2E's order.
    public var description: String {
        pairs.map { "\($0.attribute.rawValue)[\($0.value)]" }.joined(separator: ", ")
    }

    /// Why `value` cannot be an MR value, or `nil` when it can.
    static func valueProblem(_ value: String) -> String? {
        guard let first = value.unicodeScalars.first, let last = value.unicodeScalars.last else { return "is empty" }
        if value.utf8.contains(where: { $0 == 0x5B || $0 == 0x5D }) { return "contains a bracket" }
        if first.properties.isWhitespace || last.properties.isWhitespace { return "has white space at an end" }
        return nil
    }

    /// Reads an MR's text: `attribute[value]` pairs separated by commas, white space allowed
    /// around the pairs, the names and the values (it is trimmed away). Throws a
    /// `MeaningRepresentationError` for an empty text, a pair that is not `attribute[value]`,
    /// an attribute that is not one of E2E's eight, an empty value, a repeated attribute, or
    /// anything but a comma between pairs.
    public init(parsing text: String) throws {
        func fail(_ problem: String) -> MeaningRepresentationError {
            MeaningRepresentationError(text: text, problem: problem)
        }
        // Scanned as Unicode scalars: the delimiters are ASCII, and scalars are much cheaper to
        // walk than characters (no grapheme breaking).
        var values: [E2EAttribute: String] = [:]
        var rest = Substring(text).unicodeScalars
        guard !Self.isBlank(rest) else { throw fail("it is empty") }
        while true {
            guard !Self.isBlank(rest) else { throw fail("a comma with no pair after it") }
            guard let open = rest.firstIndex(of: "[") else {
                throw fail("'\(Self.trimmed(rest))' is not attribute[value]")
            }
            let name = Self.trimmed(rest[..<open])
            guard !name.unicodeScalars.contains(where: { $0 == "," || $0 == "]" }) else {
                throw fail("'\(name)' is not attribute[value]")
            }
            guard let attribute = E2EAttribute(rawValue: String(name)) else {
                let known = E2EAttribute.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail("unknown attribute '\(name)' (E2E's are \(known))")
            }
            let afterOpen = rest[rest.index(after: open)...]
            guard let close = afterOpen.firstIndex(where: { $0 == "]" || $0 == "[" }), afterOpen[close] == "]" else {
                throw fail("the '[' after \(attribute.rawValue) is never closed")
            }
            let value = Self.trimmed(afterOpen[..<close])
            guard !value.isEmpty else { throw fail("\(attribute.rawValue) has an empty value") }
            guard values.updateValue(String(value), forKey: attribute) == nil else {
                throw fail("\(attribute.rawValue) appears twice")
            }
            rest = afterOpen[afterOpen.index(after: close)...]
            rest = rest[(rest.firstIndex { !Self.isWhitespace($0) } ?? rest.endIndex)...]
            if rest.isEmpty { break }
            guard rest.first == "," else {
                throw fail("expected ',' after \(attribute.rawValue)[\(value)], found '\(String(String(rest).prefix(20)))'")
            }
            rest = rest.dropFirst()
        }
        self.slots = E2EAttribute.allCases.map { values[$0] }
    }

    /// Whether `scalar` is white space (an ASCII fast path, then Unicode's property).
    @inline(__always) static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? (scalar == " " || (0x09...0x0D).contains(scalar.value)) : scalar.properties.isWhitespace
    }

    /// Whether `text` is empty or only white space.
    static func isBlank(_ text: Substring.UnicodeScalarView) -> Bool { text.allSatisfy(isWhitespace) }

    /// `text` without white space at either end.
    static func trimmed(_ text: Substring.UnicodeScalarView) -> Substring {
        guard let first = text.firstIndex(where: { !isWhitespace($0) }), let last = text.lastIndex(where: { !isWhitespace($0) }) else {
            return ""
        }
        return Substring(text[first...last])
    }

    /// `text` without white space at either end.
    static func trimmed(_ text: String) -> String { String(trimmed(Substring(text).unicodeScalars)) }
}

/// An MR's text that `MeaningRepresentation(parsing:)` cannot read. One line:
/// `malformed MR "name[The Eagle": the '[' after name is never closed`.
public struct MeaningRepresentationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text read (shortened in the description when long).
    public let text: String
    /// What is wrong with it.
    public let problem: String

    public var description: String {
        let shown = text.count > 120 ? text.prefix(117) + "..." : Substring(text)
        return "malformed MR \"\(shown)\": \(problem)"
    }
}
