import Foundation

/// The rules of ``PTBLexer``, in the scanner's order (``PTBLexer/longestMatch(at:)`` tries them
/// all and keeps the longest match, the earlier rule on a tie). Each returns its match at
/// position `i`, or nil.
extension PTBLexer {

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
