/// The scanner behind ``PTBTokenizer``: one rule per method, each returning how long its match
/// is (with trailing context), how much of it becomes the token, and the token's text.
struct PTBLexer {
    enum Output: Equatable { case token(String), newline }

    /// One rule's match at the current position.
    struct Match {
        /// Length compared between rules (includes trailing context).
        var length: Int
        /// Characters consumed (the rest is scanned again).
        var consumed: Int
        /// The token, or nil for text that yields no token (whitespace, unknown characters).
        var text: String?
        var isNewline = false
    }

    let s: [Unicode.Scalar]
    var position = 0

    init(_ text: [Unicode.Scalar]) { s = text }

    /// The next token or line break, or nil at the end of the text.
    mutating func next() -> Output? {
        while position < s.count {
            let match = longestMatch(at: position)
            position += max(1, match.consumed)
            if match.isNewline { return .newline }
            if let text = match.text { return .token(text) }
        }
        return nil
    }

    // MARK: Choosing the rule

    func longestMatch(at p: Int) -> Match {
        var best: Match?
        func consider(_ m: Match?) {
            if let m, m.length > (best?.length ?? 0) { best = m }  // ties: the earlier rule stays
        }
        consider(cannot(p)); consider(sgml(p)); consider(dash(p)); consider(ampersandEntity(p))
        consider(wordBeforeReducedAuxiliary(p)); consider(wordBeforeNegation(p)); consider(word(p))
        consider(apostropheWord(p)); consider(yApostrophe(p)); consider(apostropheT(p)); consider(socialName(p)); consider(email(p))
        consider(reducedAuxiliaryBeforeNonLetter(p)); consider(negation(p))
        consider(date(p)); consider(number(p)); consider(fraction(p)); consider(vulgarFraction(p))
        consider(treebankSpecial(p)); consider(slashedThing(p)); consider(dollarSign(p)); consider(currencySign(p))
        consider(acronymBeforeSentenceStart(p)); consider(abbreviationAtSentenceEnd(p))
        consider(abbreviationBeforeNumber(p)); consider(abbreviation(p)); consider(apostropheDigits(p))
        consider(wordPeriodBeforePunctuation(p)); consider(doubleQuote(p)); consider(oneCharacterSymbol(p))
        consider(brackets(p)); consider(hyphens(p)); consider(dots(p)); consider(footnoteMarks(p))
        consider(asterisks(p)); consider(inSentencePunctuation(p)); consider(exclamationsAndQuestions(p))
        consider(sentencePeriod(p)); consider(hyphenatedThing(p)); consider(thing(p))
        consider(capitalsWithAmpersand(p)); consider(openingSingleQuote(p)); consider(reducedAuxiliary(p))
        consider(quotes(p)); consider(miscellaneousSymbol(p)); consider(whitespace(p))
        return best ?? Match(length: 1, consumed: 1, text: nil)  // untokenizable: dropped
    }

    // MARK: Character classes

    func at(_ i: Int) -> Unicode.Scalar? { i >= 0 && i < s.count ? s[i] : nil }

    /// JFlex `[:letter:]` (Java's `Character.isLetter`), plus the soft hyphen and combining marks
    /// that the lexer's LETTER adds.
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x10000 ? basicPlaneClasses[Int(c.value)] & 1 != 0 : classify(c) & 1 != 0
    }
    /// JFlex `[:digit:]` (Java's `Character.isDigit`: decimal digits of any script).
    static func isDigit(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x10000 ? basicPlaneClasses[Int(c.value)] & 2 != 0 : classify(c) & 2 != 0
    }
    /// Bit 1: letter, bit 2: digit.
    static func classify(_ c: Unicode.Scalar) -> UInt8 {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark:
            return 1
        case .decimalNumber:
            return 2
        default:
            return c == "\u{AD}" ? 1 : 0
        }
    }
    /// ``classify(_:)`` for every character of the Basic Multilingual Plane, computed once.
    static let basicPlaneClasses: [UInt8] = (0..<0x10000).map { v in Unicode.Scalar(UInt32(v)).map(classify) ?? 0 }
    static func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool { isLetter(c) || isDigit(c) }
    static func isASCIILetter(_ c: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(c.value) || (0x61...0x7A).contains(c.value)
    }
    static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { (0x30...0x39).contains(c.value) }
    static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool { isASCIILetter(c) || isASCIIDigit(c) }
    static func isUppercaseASCII(_ c: Unicode.Scalar) -> Bool { (0x41...0x5A).contains(c.value) }
    /// SPACE: `[ \t\u00A0\u2000-\u200A\u3000]`.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\u{A0}" || (0x2000...0x200A).contains(c.value) || c == "\u{3000}"
    }
    /// SPACE or a line break (only `\n` breaks lines here; the others count as space).
    static func isSpaceOrNewline(_ c: Unicode.Scalar) -> Bool {
        isSpace(c) || c == "\n" || c == "\r" || c == "\u{2028}" || c == "\u{2029}" || c == "\u{B}" || c == "\u{C}"
    }
    /// APOS: `'`, U+0092, U+2019.
    static func isApostrophe(_ c: Unicode.Scalar) -> Bool { c == "'" || c == "\u{92}" || c == "\u{2019}" }
    /// APOSETCETERA: APOS or `` ` ``, U+0091, U+2018, U+201B.
    static func isApostropheLike(_ c: Unicode.Scalar) -> Bool {
        isApostrophe(c) || c == "`" || c == "\u{91}" || c == "\u{2018}" || c == "\u{201B}"
    }
    /// HYPHEN: `-`, `_`, U+058A, U+2010, U+2011.
    static func isHyphen(_ c: Unicode.Scalar) -> Bool {
        c == "-" || c == "_" || c == "\u{58A}" || c == "\u{2010}" || c == "\u{2011}"
    }

    // MARK: Matching helpers

    /// The end of the run of characters satisfying `predicate` that starts at `i`.
    func runEnd(from i: Int, _ predicate: (Unicode.Scalar) -> Bool) -> Int {
        var j = i
        while j < s.count, predicate(s[j]) { j += 1 }
        return j
    }

    /// Whether the ASCII `literal` occurs at `i`, ignoring ASCII case (the scanner is caseless).
    func hasLiteral(_ literal: String, at i: Int) -> Bool {
        var j = i
        for expected in literal.utf8 {
            guard j < s.count, lowerASCII(s[j]).value == UInt32(expected | (expected >= 65 && expected <= 90 ? 32 : 0))
            else { return false }
            j += 1
        }
        return true
    }

    /// Lists of literals, indexed by their lower-cased first character, for fast caseless lookup.
    struct Literals {
        /// `byFirst[c]`: the literals starting with (lower-case ASCII) `c`, lower-cased, with
        /// whether their first letter must be the given capital.
        let byFirst: [UInt32: [(scalars: [UInt32], capital: UInt32?)]]

        init(_ words: [String], capitalized: [String] = [], suffix: String = "") {
            var table: [UInt32: [(scalars: [UInt32], capital: UInt32?)]] = [:]
            for (list, isCapital) in [(words, false), (capitalized, true)] {
                for w in list {
                    let scalars = (w + suffix).unicodeScalars.map { ($0.value >= 65 && $0.value <= 90) ? $0.value + 32 : $0.value }
                    table[scalars[0], default: []].append((scalars, isCapital ? w.unicodeScalars.first!.value : nil))
                }
            }
            byFirst = table
        }

        /// The length of the longest literal at `i` in `s`, ignoring ASCII case.
        func longest(in s: [Unicode.Scalar], at i: Int) -> Int? {
            guard i < s.count else { return nil }
            let first = s[i].value
            let key = (first >= 65 && first <= 90) ? first + 32 : first
            guard let candidates = byFirst[key] else { return nil }
            var best: Int?
            outer: for (scalars, capital) in candidates where scalars.count > (best ?? 0) && i + scalars.count <= s.count {
                if let capital, first != capital { continue }
                for k in 1..<scalars.count {
                    let v = s[i + k].value
                    if ((v >= 65 && v <= 90) ? v + 32 : v) != scalars[k] { continue outer }
                }
                best = scalars.count
            }
            return best
        }
    }

    func lowerASCII(_ c: Unicode.Scalar) -> Unicode.Scalar {
        Self.isUppercaseASCII(c) ? Unicode.Scalar(c.value + 32)! : c
    }

    /// The longest of `literals` at `i` (caseless), as its length.
    func longestLiteral(_ literals: Literals, at i: Int) -> Int? { literals.longest(in: s, at: i) }

    func text(_ i: Int, _ j: Int) -> String { String(String.UnicodeScalarView(s[i..<j])) }

    /// A match that consumes all it matched and yields the matched text (or `replacement`).
    func plain(_ i: Int, _ j: Int, _ replacement: String? = nil) -> Match {
        Match(length: j - i, consumed: j - i, text: replacement ?? text(i, j))
    }

    /// A match with trailing context: compared by `contextEnd − i`, consumes `i..<j`.
    func withContext(_ i: Int, _ j: Int, contextEnd: Int, _ replacement: String? = nil) -> Match {
        Match(length: contextEnd - i, consumed: j - i, text: replacement ?? text(i, j))
    }

    // MARK: Building blocks (each returns the end of its match, or nil)

    /// WORD: a letter, letters or digits, then any number of `[.!?]` + letter + letters/digits.
    func wordEnd(_ i: Int) -> Int? {
        guard let c = at(i), Self.isLetter(c) else { return nil }
        var j = runEnd(from: i + 1, Self.isLetterOrDigit)
        while let p = at(j), p == "." || p == "!" || p == "?", let l = at(j + 1), Self.isLetter(l) {
            j = runEnd(from: j + 2, Self.isLetterOrDigit)
        }
        return j
    }

    /// REDAUX: APOS then `m s d re ve ll` (caseless).
    func reducedAuxiliaryEnd(_ i: Int) -> Int? {
        guard let a = at(i), Self.isApostrophe(a) else { return nil }
        if hasLiteral("re", at: i + 1) || hasLiteral("ve", at: i + 1) || hasLiteral("ll", at: i + 1) { return i + 3 }
        if let c = at(i + 1), "msdMSD".unicodeScalars.contains(c) { return i + 2 }
        return nil
    }

    /// NUM: digits, then any number of `[.:,]` + digits (digits first may be absent if a group follows).
    func numEnd(_ i: Int) -> Int? {
        var j = runEnd(from: i, Self.isDigit)
        var groups = 0
        while let sep = at(j), ".:,\u{AD}\u{66B}\u{66C}".unicodeScalars.contains(sep),
              let d = at(j + 1), Self.isDigit(d) {
            j = runEnd(from: j + 1, Self.isDigit)
            groups += 1
        }
        return (j > i && (groups > 0 || Self.isDigit(s[i]))) ? j : nil
    }

    /// NUMBER: an optional sign, then NUM.
    func numberEnd(_ i: Int) -> Int? {
        if let c = at(i), c == "-" || c == "+", let e = numEnd(i + 1) { return e }
        return numEnd(i)
    }

    /// ACRO: a letter, then one or more `.` + letter (`U.S`, `e.g`).
    func acronymEnd(_ i: Int) -> Int? {
        guard let c = at(i), Self.isASCIILetter(c) else { return nil }
        var j = i + 1
        while at(j) == ".", let l = at(j + 1), Self.isASCIILetter(l) { j += 2 }
        return j > i + 1 ? j : nil
    }

    /// THING's unit: an optional `[dDoOlL]` + apostrophe-like + letter/digit, then letters/digits.
    func thingUnitEnd(_ i: Int) -> Int? {
        if let c = at(i), "dDoOlL".unicodeScalars.contains(c), let a = at(i + 1), Self.isApostropheLike(a),
           let l = at(i + 2), Self.isLetterOrDigit(l) {
            let e = runEnd(from: i + 3, Self.isLetterOrDigit)
            if e > i + 3 { return e }
        }
        let e = runEnd(from: i, Self.isLetterOrDigit)
        return e > i ? e : nil
    }

    /// THING: units joined by HYPHEN (`family-friendly`, `d'oeuvre`, `5-star`, `a_b`).
    func thingEnd(_ i: Int) -> Int? {
        guard var j = thingUnitEnd(i) else { return nil }
        while let h = at(j), Self.isHyphen(h), let e = thingUnitEnd(j + 1) { j = e }
        return j
    }

    /// HTHING: `[A-Za-z0-9][A-Za-z0-9.,]*` then one or more `-` + (`[A-Za-z0-9]+` or ACRO + `.`).
    func hyphenatedThingEnd(_ i: Int) -> Int? {
        guard let c = at(i), Self.isASCIIAlnum(c) else { return nil }
        var j = runEnd(from: i + 1) { Self.isASCIIAlnum($0) || $0 == "." || $0 == "," || $0 == "\u{AD}" }
        var groups = 0
        while at(j) == "-" {
            let alnum = runEnd(from: j + 1) { Self.isASCIIAlnum($0) || $0 == "\u{AD}" }
            var best = alnum > j + 1 ? alnum : nil
            if let a = acronymEnd(j + 1), at(a) == ".", a + 1 > (best ?? 0) { best = a + 1 }
            guard let e = best else { break }
            j = e
            groups += 1
        }
        return groups > 0 ? j : nil
    }

    /// THINGA: capitals joined by `+` or `&` (`AT&T`).
    func capitalsWithAmpersandEnd(_ i: Int) -> Int? {
        var j = runEnd(from: i, Self.isUppercaseASCII)
        guard j > i else { return nil }
        var groups = 0
        while true {
            var k = j
            if at(k) == "+" || at(k) == "&" {
                k += 1
            } else if hasLiteral("&amp;", at: k) {
                k += 5
            } else {
                break
            }
            let e = runEnd(from: k, Self.isUppercaseASCII)
            guard e > k else { break }
            j = e
            groups += 1
        }
        return groups > 0 ? j : nil
    }

    /// `r` followed by `.` and one of `, ; :` (the period stays on the token).
    func periodBeforePunctuation(_ i: Int, _ end: Int?) -> Match? {
        guard let e = end, at(e) == ".", let p = at(e + 1), ",;:\u{3001}".unicodeScalars.contains(p) else { return nil }
        return withContext(i, e + 1, contextEnd: e + 2)
    }

    /// SENTEND: a space or line break, then a space, line break, capital letter or `<`.
    func isSentenceEnd(at j: Int) -> Bool {
        guard let a = at(j), Self.isSpaceOrNewline(a), let b = at(j + 1) else { return false }
        return Self.isSpaceOrNewline(b) || Self.isUppercaseASCII(b) || b == "<"
    }
}
