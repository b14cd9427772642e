/// The Penn Treebank tokenisation of Stanford CoreNLP 3.4.1's `PTBTokenizer`, run as the COCO
/// caption scorer runs it (`-preserveLines -lowerCase`), re-implemented for the text of the E2E
/// NLG Challenge.
///
/// The Java tokenizer is a JFlex scanner: at each position every rule is tried, the longest match
/// wins (a rule with trailing context `r1/r2` competes with the length of `r1 r2` but consumes
/// only `r1`), and among equally long matches the earlier rule wins. This type is the same
/// machine with the rules that English restaurant descriptions meet, in the scanner's order:
///
/// | rule | example → tokens |
/// | --- | --- |
/// | `cannot` | `cannot` → `can` `not` |
/// | SGML tag | `<b>` → `<b>` |
/// | dash characters, `&amp;` | `–` → `--`, `&amp;` → `&` |
/// | word before `'s 'm 'd 're 've 'll` | `children's` → `children` `'s` |
/// | word before `n't` | `don't` → `do` `n't`, `can't` → `ca` `n't` |
/// | word: a letter, then letters/digits, pieces joined by `.` `!` `?` | `centre.It` → `centre.it` |
/// | apostrophe words | `'90s`, `'em`, `y'` (in `y'all`), `'t` (in `'twas`) |
/// | `#` or `@` names, e-mail | `#tag`, `@name`, `x@y.com` |
/// | `'s 'm …`, `n't` | `'s`, `n't` |
/// | date, number, fraction | `3/5/2020`, `-25`, `1,000.50`, `12:55`, `5/5`, `½` → `1/2` |
/// | slashed words | `and/or` (ASCII only: `café/bar` → `café` `/` `bar`) |
/// | currency | `$`, `US$`, `#`; `£` → `#`, `€` → `$`, `¢` → `cents` |
/// | acronym or abbreviation at a sentence end | `U.S. The` → `u.s.` `.` `the`, `A. The` → `a` `.` `the`, `etc. The` → `etc.` `.` `the` |
/// | abbreviation | `St.`, `Mr.`, `e.g.`, `U.S.`, `a.` (any single letter) |
/// | word with a period before `, ; :` | `center.,` → `center.` `,` |
/// | double quote | `"` → ` `` ` before a letter, digit or `$`, else `''` |
/// | brackets | `(` → `-lrb-`, `[` → `-lsb-`, `{` → `-lcb-` (and the closing ones) |
/// | hyphens, dots | `-`, `--`, `---` → `--`, `...`/`. . .`/`…` → `...` |
/// | other punctuation | `, ; : ! ? !!! . = / + % & ~ ^ \| \ < >`, runs of `@ # _ *` |
/// | hyphenated words | `family-friendly`, `20-25`, `2.5-3` (ASCII), `café-bar`, `d'oeuvre` |
/// | `A&B` (capitals) | `AT&T` |
/// | single quotes | `'Aromi'` → `` ` `` `aromi` `'` (an opening quote before a letter) |
/// | symbols | `°`, `×`, `§`, arrows, maths |
///
/// Whitespace separates tokens and is dropped; characters no rule knows (emoji, for instance)
/// are dropped, as the Java tokenizer drops them. Every token is lower-cased at the end
/// (`-lowerCase`), which is why `-LRB-` comes out as `-lrb-`.
///
/// Left out, because restaurant descriptions do not contain them: URLs (`www.x.com` is a word
/// anyway), phone numbers, emoticons, SGML/HTML entities other than `&amp;` `&quot;` `&apos;`
/// and the dash entities. Only `\n` separates lines (the Java tokenizer also breaks lines at
/// `\r`, U+2028 and a few others, which misaligns the COCO scorer's lines; here they are plain
/// whitespace).
///
/// Checked against the Java tokenizer: identical tokens on all 9,365 references of the E2E dev
/// and test sets (a test runs this when java and pycocoevalcap are installed), and on 11,992 of
/// 12,000 references perturbed at random (glued and doubled punctuation, quotes, brackets,
/// abbreviations, currency, contractions, capitals); the 8 that differ hold e-mail addresses
/// glued to other text or emoticons such as `:p`.
public enum PTBTokenizer {
    /// The tokens of each line of `lines`, tokenised as one text whose lines are joined by `\n`
    /// (so an abbreviation at the end of a line sees the start of the next, as in the Java run).
    public static func tokenize(lines: [String]) -> [[String]] {
        var text: [Unicode.Scalar] = []
        for (i, line) in lines.enumerated() {
            if i > 0 { text.append("\n") }
            text += line.unicodeScalars.map { $0 == "\n" ? " " : $0 }
        }
        var result = Array(repeating: [String](), count: lines.count)
        var lexer = PTBLexer(text)
        var line = 0
        while let token = lexer.next() {
            switch token {
            case .newline: line += 1
            case .token(let t): result[line].append(t.lowercased())
            }
        }
        return result
    }

    /// The tokens of one line.
    public static func tokenize(_ text: String) -> [String] { tokenize(lines: [text])[0] }
}

/// The COCO caption scorer's text preparation (`pycocoevalcap/tokenizer/ptbtokenizer.py`):
/// ``PTBTokenizer`` (lower-cased), then every token that is one of
/// `'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;` removed.
///
/// The removal list is compared after lower-casing, so the bracket tokens (`-lrb-` …) stay, as
/// they do in the original. This is what the challenge's ROUGE-L, CIDEr and METEOR see.
public enum CocoCaptionTokenizer {
    /// The tokens the COCO scorer removes.
    public static let punctuation: Set<String> = [
        "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";",
    ]

    /// The COCO tokens of each line (lines are tokenised together, as the scorer does).
    public static func tokenize(lines: [String]) -> [[String]] {
        PTBTokenizer.tokenize(lines: lines).map { $0.filter { !punctuation.contains($0) } }
    }

    /// The COCO tokens of one sentence.
    public static func tokenize(_ text: String) -> [String] { tokenize(lines: [text])[0] }
}

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

    // MARK: Rules, in the scanner's order

    func cannot(_ i: Int) -> Match? {
        (at(i) == "c" || at(i) == "C") && hasLiteral("cannot", at: i) ? Match(length: 6, consumed: 3, text: text(i, i + 3)) : nil
    }

    func sgml(_ i: Int) -> Match? {
        guard at(i) == "<" else { return nil }
        var j = i + 1
        if at(j) == "/" { j += 1 }
        guard let c = at(j), Self.isASCIILetter(c) || c == "!" else { return nil }
        j = runEnd(from: j + 1) { $0 != ">" && $0 != "\n" }
        return at(j) == ">" ? plain(i, j + 1) : nil
    }

    func dash(_ i: Int) -> Match? {
        if let n = longestLiteral(Self.dashEntities, at: i) { return plain(i, i + n, "--") }
        guard let c = at(i), "\u{96}\u{97}\u{2013}\u{2014}\u{2015}".unicodeScalars.contains(c) else { return nil }
        return plain(i, i + 1, "--")
    }

    static let dashEntities = Literals(["&MD;", "&mdash;", "&ndash;"])

    func ampersandEntity(_ i: Int) -> Match? { hasLiteral("&amp;", at: i) ? plain(i, i + 5, "&") : nil }

    func wordBeforeReducedAuxiliary(_ i: Int) -> Match? {
        guard let e = wordEnd(i), let r = reducedAuxiliaryEnd(e) else { return nil }
        return withContext(i, e, contextEnd: r, removeSoftHyphens(text(i, e)))
    }

    /// SWORD/SREDAUX: ASCII letters not ending in `n`, before `n't`.
    func wordBeforeNegation(_ i: Int) -> Match? {
        let e = runEnd(from: i) { Self.isASCIILetter($0) || $0 == "\u{AD}" }
        guard e >= i + 2, lowerASCII(s[e - 1]) == "n", let a = at(e), Self.isApostropheLike(a),
              let t = at(e + 1), lowerASCII(t) == "t" else { return nil }
        let stem = e - 1
        guard let last = s[i..<stem].last(where: { $0 != "\u{AD}" }), Self.isASCIILetter(last),
              last != "n", last != "N" else { return nil }
        return withContext(i, stem, contextEnd: e + 2, removeSoftHyphens(text(i, stem)))
    }

    func word(_ i: Int) -> Match? {
        guard let e = wordEnd(i) else { return nil }
        return plain(i, e, removeSoftHyphens(text(i, e)))
    }

    func removeSoftHyphens(_ t: String) -> String {
        t.unicodeScalars.contains("\u{AD}") ? t.replacingOccurrences(of: "\u{AD}", with: "") : t
    }

    /// APOWORD: `'n'`, `l'`, `d'`, `j'`, `somethin'`, `'em`, `O'Neill`, `'90s`, `'til`, `Shi'ite`, …
    func apostropheWord(_ i: Int) -> Match? {
        var best = 0
        func consider(_ end: Int?) { if let e = end, e - i > best { best = e - i } }
        if let c = at(i), Self.isApostrophe(c) {
            if lowerASCII(at(i + 1) ?? " ") == "n" {
                consider(i + 2)
                if let a = at(i + 2), Self.isApostrophe(a) { consider(i + 3) }
            }
            if hasLiteral("em", at: i + 1) { consider(i + 3) }
            if let d = at(i + 1), ("2"..."9").contains(d), at(i + 2) == "0", lowerASCII(at(i + 3) ?? " ") == "s" {
                consider(i + 4)
            }
            if hasLiteral("til", at: i + 1) { consider(hasLiteral("till", at: i + 1) ? i + 5 : i + 4) }
            if hasLiteral("cause", at: i + 1) { consider(i + 6) }
        }
        if let c = at(i), "lLdDjJ".unicodeScalars.contains(c), let a = at(i + 1), Self.isApostrophe(a) { consider(i + 2) }
        for stem in ["dunkin", "somethin", "ol"] where hasLiteral(stem, at: i) {
            let k = i + stem.count
            if let a = at(k), Self.isApostrophe(a) { consider(k + 1) }
        }
        if let c = at(i), Self.isUppercaseASCII(c) && c != "I" && c != "Y" || c == "n",
           let a = at(i + 1), Self.isApostropheLike(a),
           let l1 = at(i + 2), Self.isLetter(l1), let l2 = at(i + 3), Self.isLetter(l2) {
            consider(runEnd(from: i + 4, Self.isLetter))
        }
        // two or more letters ending in a vowel, apostrophe, a vowel or capital, letters (Shi'ite)
        let letters = runEnd(from: i, Self.isLetter)
        if letters >= i + 2, "aeiouyAEIOUY".unicodeScalars.contains(s[letters - 1]),
           let a = at(letters), Self.isApostropheLike(a),
           let v = at(letters + 1), "aeiou".unicodeScalars.contains(v) || Self.isUppercaseASCII(v) {
            consider(runEnd(from: letters + 2, Self.isLetter))
        }
        if let n = longestLiteral(Self.apostropheLiterals, at: i) {
            consider(i + n)
        }
        return best > 0 ? plain(i, i + best) : nil
    }

    static let apostropheLiterals = Literals(["cont'd.", "cont'd", "nor'easter", "c'mon", "e'er", "s'mores", "ev'ry", "li'l", "nat'l"])

    /// APOWORD2: `y'` before a letter (`y'all` → `y'` `all`).
    func yApostrophe(_ i: Int) -> Match? {
        guard lowerASCII(at(i) ?? " ") == "y", let a = at(i + 1), Self.isApostrophe(a),
              let l = at(i + 2), Self.isLetter(l) else { return nil }
        return withContext(i, i + 2, contextEnd: i + 3)
    }

    /// `'t` before `is`/`was` (`'twas` → `'t` `was`).
    func apostropheT(_ i: Int) -> Match? {
        guard let a = at(i), Self.isApostrophe(a), lowerASCII(at(i + 1) ?? " ") == "t" else { return nil }
        for w in ["was", "is"] where hasLiteral(w, at: i + 2) {
            let end = i + 2 + w.count
            if let c = at(end), Self.isLetterOrDigit(c) { continue }
            return withContext(i, i + 2, contextEnd: end)
        }
        return nil
    }

    /// `@name` and `#tag`.
    func socialName(_ i: Int) -> Match? {
        if at(i) == "@", let c = at(i + 1), Self.isASCIILetter(c) || c == "_" {
            return plain(i, runEnd(from: i + 2) { Self.isASCIIAlnum($0) || $0 == "_" })
        }
        if at(i) == "#", let c = at(i + 1), Self.isLetter(c) {
            var j = runEnd(from: i + 2) { Self.isLetterOrDigit($0) || $0 == "_" }
            while j > i + 2, s[j - 1] == "_" { j -= 1 }  // must end in a letter or digit
            return plain(i, j)
        }
        return nil
    }

    /// EMAIL: `name@host.domain` (a letter or digit first, a 2–4 letter top-level domain last).
    func email(_ i: Int) -> Match? {
        guard let c = at(i), Self.isASCIIAlnum(c) else { return nil }
        func excluded(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\t" || c == "\n" || c == "\u{C}" || c == "\r" || c == "\"" || c == "<" || c == ">"
                || c == "|" || c == "(" || c == ")" || c == "\u{A0}"
        }
        let limit = runEnd(from: i + 1) { !excluded($0) }
        var best: Int?
        for atSign in (i + 1)..<max(i + 1, limit) where s[atSign] == "@" {
            var j = atSign + 1
            while true {
                let label = runEnd(from: j) { !excluded($0) && $0 != "." }
                guard label > j, at(label) == "." else { break }
                let letters = runEnd(from: label + 1, Self.isASCIILetter)
                if letters - (label + 1) >= 2 { best = max(best ?? 0, label + 1 + min(letters - label - 1, 4)) }
                j = label + 1
            }
        }
        return best.map { plain(i, $0) }
    }

    func reducedAuxiliaryBeforeNonLetter(_ i: Int) -> Match? {
        guard let e = reducedAuxiliaryEnd(i), let c = at(e), !Self.isASCIILetter(c) else { return nil }
        return withContext(i, e, contextEnd: e + 1, Self.latexQuotes(text(i, e), probablyLeft: false))
    }

    /// SREDAUX: `n't` (caseless, any apostrophe-like character).
    func negation(_ i: Int) -> Match? {
        guard lowerASCII(at(i) ?? " ") == "n", let a = at(i + 1), Self.isApostropheLike(a),
              lowerASCII(at(i + 2) ?? " ") == "t" else { return nil }
        return plain(i, i + 3, Self.latexQuotes(text(i, i + 3), probablyLeft: false))
    }

    /// DATE: 1–2 digits, `-` or `/`, 1–2 digits, `-` or `/`, 2–4 digits.
    func date(_ i: Int) -> Match? {
        func digits(_ j: Int, _ lo: Int, _ hi: Int) -> Int? {
            let e = runEnd(from: j, Self.isDigit)
            return e - j >= lo ? j + min(e - j, hi) : nil
        }
        guard let a = digits(i, 1, 2), let s1 = at(a), s1 == "-" || s1 == "/",
              let b = digits(a + 1, 1, 2), let s2 = at(b), s2 == "-" || s2 == "/",
              let c = digits(b + 1, 2, 4) else { return nil }
        return plain(i, c)
    }

    func number(_ i: Int) -> Match? { numberEnd(i).map { plain(i, $0, removeSoftHyphens(text(i, $0))) } }

    /// FRAC: an optional whole part (1–4 digits and `-`, space or no-break space), 1–4 digits,
    /// `/` (or `\/`, U+2044), 1–4 digits. A space inside becomes a no-break space.
    func fraction(_ i: Int) -> Match? {
        func fractionEnd(_ j: Int) -> Int? {
            let n = runEnd(from: j, Self.isDigit)
            guard n > j, n - j <= 4 else { return nil }
            var k = n
            if at(k) == "\\", at(k + 1) == "/" { k += 2 } else if at(k) == "/" || at(k) == "\u{2044}" { k += 1 } else { return nil }
            let d = runEnd(from: k, Self.isDigit)
            guard d > k else { return nil }
            return k + min(d - k, 4)
        }
        var best = fractionEnd(i)
        let whole = runEnd(from: i, Self.isDigit)
        if whole > i, whole - i <= 4, let sep = at(whole), sep == "-" || sep == " " || sep == "\u{A0}",
           let e = fractionEnd(whole + 1), e > (best ?? 0) {
            best = e
        }
        guard let e = best else { return nil }
        return plain(i, e, text(i, e).replacingOccurrences(of: " ", with: "\u{A0}"))
    }

    func vulgarFraction(_ i: Int) -> Match? {
        guard let c = at(i) else { return nil }
        switch c {
        case "\u{BC}": return plain(i, i + 1, "1/4")
        case "\u{BD}": return plain(i, i + 1, "1/2")
        case "\u{BE}": return plain(i, i + 1, "3/4")
        case "\u{2153}": return plain(i, i + 1, "1/3")
        case "\u{2154}"..."\u{215E}": return plain(i, i + 1)
        default: return nil
        }
    }

    /// TBSPEC: `-LRB-` and friends, `pro-`, `anti-`, `C.D.s`, `S&P-500`, `Cap'n`, `c'est`.
    func treebankSpecial(_ i: Int) -> Match? {
        guard let n = longestLiteral(Self.treebankLiterals, at: i) else { return nil }
        return plain(i, i + n, text(i, i + n).replacingOccurrences(of: "&amp;", with: "&"))
    }

    static let treebankLiterals = Literals(["-RRB-", "-LRB-", "-RCB-", "-LCB-", "-RSB-", "-LSB-", "C.D.s", "pro-", "anti-",
                                            "S&P-500", "S&amp;P-500", "S&Ls", "S&amp;Ls", "Cap'n", "c'est"])

    /// THING3: ASCII words joined by `/` (`and/or`, `x/y/z`), up to two slashes.
    func slashedThing(_ i: Int) -> Match? {
        func part(_ j: Int) -> Int? {
            let e = runEnd(from: j, Self.isASCIIAlnum)
            guard e > j else { return nil }
            var k = e
            for _ in 0..<2 {
                guard at(k) == "-" else { break }
                let l = runEnd(from: k + 1, Self.isASCIILetter)
                guard l > k + 1 else { break }
                k = l
            }
            return k
        }
        guard var j = part(i) else { return nil }
        var slashes = 0
        while slashes < 2 {
            var k = j
            if at(k) == "\\", at(k + 1) == "/" { k += 2 } else if at(k) == "/" { k += 1 } else { break }
            guard let e = part(k) else { break }
            j = e
            slashes += 1
        }
        return slashes > 0 ? plain(i, j) : nil
    }

    /// DOLSIGN: capitals then `$` (`US$`), or `#`.
    func dollarSign(_ i: Int) -> Match? {
        if at(i) == "#" { return plain(i, i + 1) }
        let e = runEnd(from: i, Self.isUppercaseASCII)
        return at(e) == "$" ? plain(i, e + 1) : nil
    }

    /// DOLSIGN2, normalised: `£` → `#`, `¢` → `cents`, `€` (and U+0080, U+00A4, U+20A0) → `$`.
    func currencySign(_ i: Int) -> Match? {
        guard let c = at(i) else { return nil }
        switch c {
        case "\u{A3}": return plain(i, i + 1, "#")
        case "\u{A2}": return plain(i, i + 1, "cents")
        case "\u{80}", "\u{A4}", "\u{20A0}", "\u{20AC}": return plain(i, i + 1, "$")
        case "\u{A5}", "\u{60B}", "\u{E3F}", "\u{20A4}", "\u{FFE0}", "\u{FFE1}", "\u{FFE5}", "\u{FFE6}":
            return plain(i, i + 1)
        default: return nil
        }
    }

    /// An acronym and its period before spaces (or line breaks) and a typical first word of a
    /// sentence (`U.S. It`, `A. The`, `e.g.` at the end of a line before `The`). A longer acronym
    /// keeps its period and a second `.` token follows (`u.s.` `.`); a single letter gives the
    /// letter and then `.` (`a` `.`).
    func acronymBeforeSentenceStart(_ i: Int) -> Match? {
        guard let c = at(i), Self.isASCIILetter(c) else { return nil }
        let a = acronymEnd(i) ?? i + 1
        guard at(a) == "." else { return nil }
        let spaces = runEnd(from: a + 1, Self.isSpaceOrNewline)
        guard spaces > a + 1, let n = longestLiteral(Self.sentenceStarterTable, at: spaces),
              let sp = at(spaces + n), Self.isSpace(sp) else { return nil }
        let end = spaces + n + 1
        if a == i + 1 { return Match(length: end - i, consumed: 1, text: text(i, i + 1)) }
        return Match(length: end - i, consumed: a - i, text: text(i, a + 1))
    }

    static let sentenceStarterTable = Literals([], capitalized: sentenceStarters)

    /// Words that start a sentence after an acronym (their first letter must be a capital).
    static let sentenceStarters = [
        "About", "According", "Additionally", "After", "An", "A", "As", "At", "But", "Earlier", "He", "Her", "Here",
        "However", "If", "In", "It", "Last", "Many", "More", "Mr.", "Ms.", "Now", "Once", "One", "Other", "Our", "She",
        "Since", "So", "Some", "Such", "That", "The", "Then", "There", "These", "They", "This", "We", "When", "While",
        "What", "Yet", "You",
    ]

    /// ABBREV1: abbreviations normally followed by lower case (months, days, companies, `etc`).
    static let sentenceEndAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
        "Mon", "Tue", "Tues", "Wed", "Thu", "Thurs", "Fri",
        "Ala", "Ariz", "Calif", "Colo", "Conn", "Ct", "Dak", "Fla", "Ga", "Ind", "Kan", "Kans", "Ky", "Md",
        "Mich", "Minn", "Mo", "Mont", "Neb", "Nev", "Okla", "Pa", "Penn", "Tenn", "Va", "Vt", "Wis", "Wisc", "Wyo",
        "Inc", "Co", "Cos", "Corp", "Pty", "Ptys", "Ppty", "Pte", "Ltd", "Plc", "Bancorp", "Bhd", "Assn", "Univ",
        "Intl", "Sys", "tel", "est", "ext", "sq", "Jr", "Sr", "Bros", "Ed.D", "Ph.D", "Blvd", "Rd", "Esq",
        "etc", "al", "seq",
    ]
    /// State abbreviations that are also words: only with a capital first letter.
    static let capitalizedSentenceEndAbbreviations = ["Ark", "Del", "Ill", "La", "Mass", "Miss", "Ore", "Tex", "Wash"]

    /// The ABBREV1 abbreviation (with its period) at `i`, as its end.
    func sentenceEndAbbreviationEnd(_ i: Int) -> Int? {
        longestLiteral(Self.sentenceEndAbbreviationTable, at: i).map { i + $0 }
    }

    static let sentenceEndAbbreviationTable = Literals(
        sentenceEndAbbreviations, capitalized: capitalizedSentenceEndAbbreviations, suffix: ".")

    /// ABBREV1 before a sentence end (`etc. The`): the token keeps its period, and `.` follows.
    func abbreviationAtSentenceEnd(_ i: Int) -> Match? {
        guard let e = sentenceEndAbbreviationEnd(i), isSentenceEnd(at: e) else { return nil }
        return Match(length: e + 2 - i, consumed: e - 1 - i, text: text(i, e))
    }

    /// ABBREV3 before a number (`no. 5`).
    func abbreviationBeforeNumber(_ i: Int) -> Match? {
        guard let n = longestLiteral(Self.numberAbbreviations, at: i) else { return nil }
        let d = runEnd(from: i + n, Self.isSpace)
        guard let c = at(d), Self.isDigit(c) else { return nil }
        return withContext(i, i + n, contextEnd: d + 1)
    }

    static let numberAbbreviations = Literals(["ca", "fig", "figs", "prop", "no", "nos", "art", "bldg", "pp", "op"], suffix: ".")

    /// ABBREV1 and ABBREV2: titles (`Mr.`, `St.`), acronyms (`U.S.`, `e.g.`), single letters
    /// and a few more.
    func abbreviation(_ i: Int) -> Match? {
        guard let first = at(i), Self.isASCIILetter(first) else { return nil }
        var best = sentenceEndAbbreviationEnd(i)
        if let n = longestLiteral(Self.titleAbbreviationTable, at: i) { best = max(best ?? 0, i + n) }
        if let c = at(i), Self.isSingleLetterAbbreviation(c), at(i + 1) == "." { best = max(best ?? 0, i + 2) }
        if let a = acronymEnd(i), at(a) == "." { best = max(best ?? 0, a + 1) }
        return best.map { plain(i, $0) }
    }

    /// ABBREV4's one-letter abbreviations: any ASCII letter.
    static func isSingleLetterAbbreviation(_ c: Unicode.Scalar) -> Bool { isASCIILetter(c) }

    static let titleAbbreviations = [
        "Mr", "Mrs", "Ms", "Dr", "Drs", "Prof", "Profs", "Sen", "Sens", "Rep", "Reps", "Atty", "Attys",
        "Lt", "Col", "Gen", "Messrs", "Gov", "Govs", "Adm", "Rev", "Maj", "Sgt", "Cpl", "Pvt", "Mt", "Capt", "St",
        "Ste", "Ave", "Pres", "Lieut", "Hon", "Brig", "Cmdr", "Comdr", "Pfc", "Spc", "Supt", "Supts", "Det", "Ft",
        "vs", "Alex", "Wm", "Jos", "Cie", "a.k.a", "cf", "TREAS", "Ph", "Invt", "Elec", "Natl", "Mfg", "Mtg", "Dept",
    ]

    static let titleAbbreviationTable = Literals(titleAbbreviations, capitalized: ["Miss"], suffix: ".")

    /// TBSPEC2 before space: `'90`.
    func apostropheDigits(_ i: Int) -> Match? {
        guard let a = at(i), Self.isApostrophe(a), let d1 = at(i + 1), Self.isASCIIDigit(d1),
              let d2 = at(i + 2), Self.isASCIIDigit(d2), let sp = at(i + 3), Self.isSpaceOrNewline(sp) else { return nil }
        return withContext(i, i + 3, contextEnd: i + 4)
    }

    func wordPeriodBeforePunctuation(_ i: Int) -> Match? {
        guard let m = periodBeforePunctuation(i, wordEnd(i)) else { return nil }
        return Match(length: m.length, consumed: m.consumed, text: removeSoftHyphens(m.text ?? ""))
    }

    /// `"`: an opening ` `` ` before a letter, digit or `$`, otherwise a closing `''`.
    func doubleQuote(_ i: Int) -> Match? {
        var e: Int?
        if at(i) == "\"" { e = i + 1 } else if hasLiteral("&quot;", at: i) { e = i + 6 }
        guard let end = e else { return nil }
        if let c = at(end), Self.isASCIIAlnum(c) || c == "$" {
            return withContext(i, end, contextEnd: end + 1, "``")
        }
        return plain(i, end, "''")
    }

    func oneCharacterSymbol(_ i: Int) -> Match? {
        guard let c = at(i), "+%&\u{2030}\u{2031}~^|\\=/<>".unicodeScalars.contains(c) else { return nil }
        return plain(i, i + 1)
    }

    func brackets(_ i: Int) -> Match? {
        switch at(i) {
        case "(": return plain(i, i + 1, "-LRB-")
        case ")": return plain(i, i + 1, "-RRB-")
        case "[": return plain(i, i + 1, "-LSB-")
        case "]": return plain(i, i + 1, "-RSB-")
        case "{": return plain(i, i + 1, "-LCB-")
        case "}": return plain(i, i + 1, "-RCB-")
        default: return nil
        }
    }

    /// HYPHENS: a run of `-`; three or four become `--`.
    func hyphens(_ i: Int) -> Match? {
        let e = runEnd(from: i) { $0 == "-" }
        guard e > i else { return nil }
        return plain(i, e, (3...4).contains(e - i) ? "--" : nil)
    }

    /// LDOTS: three to five periods, `. . .` (two to four spaced periods and one more), or `…`.
    func dots(_ i: Int) -> Match? {
        if let c = at(i), c == "\u{85}" || c == "\u{2026}" { return plain(i, i + 1, "...") }
        var best = 0
        let run = runEnd(from: i) { $0 == "." }
        if run - i >= 3 { best = min(run - i, 5) }
        var k = i, pairs = 0
        while pairs < 4, at(k) == ".", let sp = at(k + 1), sp == " " || sp == "\u{A0}" { k += 2; pairs += 1 }
        if pairs >= 2 {
            // the pattern ends with a period after 2…4 pairs; back off until one follows
            var p = pairs
            while p >= 2, at(i + 2 * p) != "." { p -= 1 }
            if p >= 2 { best = max(best, 2 * p + 1) }
        }
        return best > 0 ? plain(i, i + best, "...") : nil
    }

    func footnoteMarks(_ i: Int) -> Match? {
        guard let c = at(i), c == "@" || c == "#" || c == "_" else { return nil }
        return plain(i, runEnd(from: i) { $0 == c })
    }

    func asterisks(_ i: Int) -> Match? {
        let e = runEnd(from: i) { $0 == "*" }
        if e > i { return plain(i, e) }
        var k = i, n = 0
        while n < 3, at(k) == "\\", at(k + 1) == "*" { k += 2; n += 1 }
        return n > 0 ? plain(i, k) : nil
    }

    func inSentencePunctuation(_ i: Int) -> Match? {
        guard let c = at(i), ",;:\u{3001}".unicodeScalars.contains(c) else { return nil }
        return plain(i, i + 1)
    }

    func exclamationsAndQuestions(_ i: Int) -> Match? {
        let e = runEnd(from: i) { $0 == "!" || $0 == "?" }
        return e > i ? plain(i, e) : nil
    }

    func sentencePeriod(_ i: Int) -> Match? {
        guard let c = at(i), ".\u{A1}\u{BF}\u{37E}\u{589}\u{61F}\u{6D4}\u{700}\u{701}\u{702}\u{7FA}".unicodeScalars.contains(c)
        else { return nil }
        return plain(i, i + 1)
    }

    func hyphenatedThing(_ i: Int) -> Match? {
        let end = hyphenatedThingEnd(i)
        if let m = periodBeforePunctuation(i, end) { return Match(length: m.length, consumed: m.consumed, text: removeSoftHyphens(m.text ?? "")) }
        return end.map { plain(i, $0, removeSoftHyphens(text(i, $0))) }
    }

    func thing(_ i: Int) -> Match? {
        let end = thingEnd(i)
        return periodBeforePunctuation(i, end) ?? end.map { plain(i, $0) }
    }

    func capitalsWithAmpersand(_ i: Int) -> Match? {
        let end = capitalsWithAmpersandEnd(i)
        let m = periodBeforePunctuation(i, end) ?? end.map { plain(i, $0) }
        return m.map { Match(length: $0.length, consumed: $0.consumed, text: $0.text?.replacingOccurrences(of: "&amp;", with: "&")) }
    }

    /// `'` before a letter and a non-space: an opening quote, `` ` ``.
    func openingSingleQuote(_ i: Int) -> Match? {
        guard at(i) == "'", let l = at(i + 1), Self.isASCIILetter(l), let n = at(i + 2),
              !(n == " " || n == "\t" || n == "\n" || n == "\r" || n == "\u{A0}") else { return nil }
        return withContext(i, i + 1, contextEnd: i + 3, "`")
    }

    func reducedAuxiliary(_ i: Int) -> Match? {
        guard let e = reducedAuxiliaryEnd(i) else { return nil }
        return plain(i, e, Self.latexQuotes(text(i, e), probablyLeft: false))
    }

    /// QUOTES: an apostrophe, `''`, or one or two curly/angle quotes, mapped as LaTeX quotes.
    func quotes(_ i: Int) -> Match? {
        guard let c = at(i) else { return nil }
        let curly = "`\u{2018}\u{2019}\u{201A}\u{201B}\u{201C}\u{201D}\u{91}\u{92}\u{93}\u{94}\u{201E}\u{201F}\u{2039}\u{203A}\u{AB}\u{BB}"
            .unicodeScalars
        var e: Int?
        if c == "'" { e = at(i + 1) == "'" ? i + 2 : i + 1 }
        if Self.isApostrophe(c) { e = max(e ?? 0, i + 1) }
        if hasLiteral("&apos;", at: i) { e = i + 6 }
        if curly.contains(c) { e = max(e ?? 0, (at(i + 1).map { curly.contains($0) } ?? false) ? i + 2 : i + 1) }
        guard let end = e else { return nil }
        return plain(i, end, Self.latexQuotes(text(i, end), probablyLeft: false))
    }

    /// The mapping of `latexQuotes`: `'` and `"` by side, curly quotes to `` ` `` `'` ` `` ` `''`.
    static func latexQuotes(_ t: String, probablyLeft: Bool) -> String {
        var out = ""
        var scalars = Array(t.replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"").unicodeScalars)[...]
        while let c = scalars.popFirst() {
            switch c {
            case "'": out += probablyLeft ? "`" : "'"
            case "\"": out += probablyLeft ? "``" : "''"
            case "\u{91}", "\u{2018}", "\u{201B}", "\u{2039}": out += "`"
            case "\u{92}", "\u{2019}", "\u{203A}": out += "'"
            case "\u{93}", "\u{201C}", "\u{AB}": out += "``"
            case "\u{94}", "\u{201D}", "\u{BB}": out += "''"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    func miscellaneousSymbol(_ i: Int) -> Match? {
        guard let c = at(i) else { return nil }
        let v = c.value
        guard v >= 0xA6 else { return nil }
        let isSymbol = Self.singleSymbols.contains(v) || (0xB0...0xBA).contains(v) || (0x2020...0x2023).contains(v)
            || (0x2032...0x2038).contains(v) || (0x207A...0x207F).contains(v) || (0x208A...0x208E).contains(v)
            || (0x2100...0x214F).contains(v) || (0x2190...0x23FF).contains(v) || (0x2600...0x26FF).contains(v)
            || (0xFF01...0xFF0F).contains(v) || (0xFF1A...0xFF20).contains(v) || (0xFF3B...0xFF40).contains(v)
            || (0xFF5B...0xFF65).contains(v)
        return isSymbol ? plain(i, i + 1) : nil
    }

    static let singleSymbols: Set<UInt32> = [0xA6, 0xA7, 0xA8, 0xA9, 0xAC, 0xAE, 0xAF, 0xD7, 0xF7, 0x387, 0x2044, 0x2116, 0x3012, 0x30FB]

    /// Spaces, zero-width characters and NUL yield nothing; `\n` ends a line.
    func whitespace(_ i: Int) -> Match? {
        guard let c = at(i) else { return nil }
        if c == "\n" { return Match(length: 1, consumed: 1, text: nil, isNewline: true) }
        if Self.isSpaceOrNewline(c) || c == "\0" || c == "\u{200B}" || c == "\u{200E}" || c == "\u{200F}" || c == "\u{FEFF}" {
            let e = runEnd(from: i) { ($0 != "\n") && (Self.isSpaceOrNewline($0) || $0 == "\0" || $0 == "\u{200B}" || $0 == "\u{200E}" || $0 == "\u{200F}" || $0 == "\u{FEFF}") }
            return Match(length: e - i, consumed: e - i, text: nil)
        }
        return nil
    }
}
