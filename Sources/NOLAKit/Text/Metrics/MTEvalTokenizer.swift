/// The text normalisation of NIST's `mteval-v13a.pl`, as the E2E NLG Challenge ran it for BLEU
/// and NIST: `mteval-v13a-sig.pl` with its default options (no `-c`, so case-insensitive; no
/// `--international-tokenization`).
///
/// The steps, in order, each a global left-to-right substitution as Perl's `s///g` does it:
/// 1. whitespace runs become one space (the script's SGML reader does this to every segment);
/// 2. `<skipped>` is deleted; the entities `&quot;` `&amp;` `&lt;` `&gt;` become `"` `&` `<` `>`
///    (the challenge's wrapper writes raw text into the SGML file, so these decode user text);
/// 3. ASCII `A`–`Z` become `a`–`z` (`tr/[A-Z]/[a-z]/`: only ASCII; `É` stays `É`);
/// 4. every character of `{ | } ~ [ \ ] ^ _`, the backtick, and `space ! " # $ % & ( ) * + : ; < = > ? @ /`
///    is surrounded by spaces (all ASCII punctuation except `'` `,` `-` `.`);
/// 5. `.` and `,` are split from a preceding non-digit (`([^0-9])([.,])` → `$1 $2 `);
/// 6. `.` and `,` are split from a following non-digit (`([.,])([^0-9])` → ` $1 $2`);
/// 7. `-` is split after a digit (`([0-9])(-)` → `$1 $2 `);
/// 8. the text is split on whitespace.
///
/// So `£20-25.` gives `£20 - 25 .` (the `£` is not ASCII, so it stays on the number), while
/// `1,000.50`, `family-friendly`, `it's` and `children's` stay single tokens.
public enum MTEvalTokenizer {
    /// The tokens of `text` after mteval-v13a's normalisation (lower-cased ASCII).
    public static func tokenize(_ text: String) -> [String] {
        var s = Array(text.unicodeScalars)
        s = replace(s, "<skipped>", with: "")
        s = replace(s, "&quot;", with: "\"")
        s = replace(s, "&amp;", with: "&")
        s = replace(s, "&lt;", with: "<")
        s = replace(s, "&gt;", with: ">")
        s = [" "] + s.map(asciiLowercased) + [" "]

        var spaced: [Unicode.Scalar] = []
        spaced.reserveCapacity(s.count * 2)
        for c in s {
            if isSplitPunctuation(c) { spaced += [" ", c, " "] } else { spaced.append(c) }
        }
        s = spaced
        s = substitutePairs(s, first: { !isDigit($0) }, second: isPeriodOrComma) { [$0, " ", $1, " "] }
        s = substitutePairs(s, first: isPeriodOrComma, second: { !isDigit($0) }) { [" ", $0, " ", $1] }
        s = substitutePairs(s, first: isDigit, second: { $0 == "-" }) { [$0, " ", $1, " "] }

        return s.split(whereSeparator: { $0.properties.isWhitespace }).map { String(String.UnicodeScalarView($0)) }
    }

    /// Step 4's class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: 0x7B–0x7E, 0x5B–0x60, 0x20–0x26, 0x28–0x2B,
    /// 0x3A–0x40 and `/`.
    static func isSplitPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
    static func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }

    static func asciiLowercased(_ c: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c
    }

    /// Perl's `s/(X)(Y)/…/g` for two one-character classes: matches are found left to right and
    /// do not overlap (after a match the scan resumes behind its second character).
    static func substitutePairs(
        _ s: [Unicode.Scalar], first: (Unicode.Scalar) -> Bool, second: (Unicode.Scalar) -> Bool,
        _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count + s.count / 4)
        var i = 0
        while i < s.count {
            if i + 1 < s.count, first(s[i]), second(s[i + 1]) {
                out += replacement(s[i], s[i + 1])
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Every occurrence of the ASCII `pattern`, left to right without overlap, replaced.
    static func replace(_ s: [Unicode.Scalar], _ pattern: String, with replacement: String) -> [Unicode.Scalar] {
        let p = Array(pattern.unicodeScalars), r = Array(replacement.unicodeScalars)
        guard s.count >= p.count, let head = p.first else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == head, i + p.count <= s.count, Array(s[i..<(i + p.count)]) == p {
                out += r
                i += p.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }
}
