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
/// | single quotes | `'Aromi'` → a backtick, `aromi`, `'` (the backtick: an opening quote before a letter) |
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
