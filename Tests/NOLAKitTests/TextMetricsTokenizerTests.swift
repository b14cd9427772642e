import Foundation
import Testing
@testable import NOLAKit

/// The two tokenisations behind the E2E metrics: mteval-v13a's (BLEU, NIST) and the Stanford PTB
/// tokenizer's as the COCO scorer runs it (ROUGE-L, CIDEr). The PTB answers below are what the
/// Java tokenizer (CoreNLP 3.4.1, `-preserveLines -lowerCase`) printed for the same lines.
@Suite("Text metrics: tokenizers")
struct TextMetricsTokenizerTests {
    typealias Tools = TextMetricsReferenceTools

    func words(_ s: String) -> [String] { s.split(separator: " ").map(String.init) }

    // MARK: mteval-v13a

    @Test("mteval: lower-cases ASCII only, splits punctuation but not ' - inside words",
          arguments: [
            ("The Eagle is a coffee shop.", "the eagle is a coffee shop ."),
            ("It's a family-friendly pub, isn't it?", "it's a family-friendly pub , isn't it ?"),
            ("CAFÉ Zürich", "cafÉ zürich"),
            ("(cheap) [a] {b} \"q\" a&b a/b 50% #1 @x", "( cheap ) [ a ] { b } \" q \" a & b a / b 50 % # 1 @ x"),
          ])
    func mtevalBasics(input: String, expected: String) {
        #expect(MTEvalTokenizer.tokenize(input) == words(expected))
    }

    @Test("mteval: numbers keep their inner , and . but a period after a number splits",
          arguments: [
            ("It costs £20-25, or 1,000.50.", "it costs £20 - 25 , or 1,000.50 ."),
            ("rated 5. 3.5 stars", "rated 5 . 3.5 stars"),
            ("£20-£25 e20-e25 20£-25", "£20 - £25 e20 - e25 20£-25"),
            ("5-star 2.5-3.5", "5 - star 2.5 - 3.5"),
            (".5 and 5.", ". 5 and 5 ."),
            ("a.b a.,b ...", "a . b a . , b . . ."),
          ])
    func mtevalNumbers(input: String, expected: String) {
        #expect(MTEvalTokenizer.tokenize(input) == words(expected))
    }

    @Test("mteval: SGML entities and <skipped> are decoded/removed; whitespace of any kind separates")
    func mtevalEntities() {
        #expect(MTEvalTokenizer.tokenize("a &amp; b &quot;c&quot; &lt;d&gt; <skipped>e") == words("a & b \" c \" < d > e"))
        #expect(MTEvalTokenizer.tokenize(" a\tb\u{A0}c \n") == ["a", "b", "c"])
        #expect(MTEvalTokenizer.tokenize("") == [])
    }

    // MARK: PTB (COCO)

    @Test("PTB tokenizer: known answers from the Java tokenizer",
          arguments: [
            ("It's a pub. Don't go, can't go, cannot go.", "it 's a pub . do n't go , ca n't go , can not go ."),
            ("The Children's café isn't cheap; it's £20-£25.", "the children 's café is n't cheap ; it 's # 20 - # 25 ."),
            ("(It is cheap) [really] {yes}", "-lrb- it is cheap -rrb- -lsb- really -rsb- -lcb- yes -rcb-"),
            ("\"Quoted\" text, 'single' text.", "`` quoted '' text , ` single ' text ."),
            ("Mr. Smith met Dr. Jones at St. Ives in the U.S. on Jan. 5.",
             "mr. smith met dr. jones at st. ives in the u.s. on jan. 5 ."),
            ("Center.Alimentum is near.It is family-friendly.Yes ok.",
             "center.alimentum is near.it is family-friendly . yes ok ."),
            ("It is ok... really.. yes!!! no??", "it is ok ... really . . yes !!! no ??"),
            ("It costs 1,000.50 or 5. or 2.5-3.5 or 3/5 stars or 5-star.",
             "it costs 1,000.50 or 5 . or 2.5-3 .5 or 3/5 stars or 5-star ."),
            ("low - family -friendly -- ok", "low - family - friendly -- ok"),
            ("e20-e25 20£-25 £-25 $20 €20", "e20-e25 20 # -25 # -25 $ 20 $ 20"),
            ("Fitzbillies' prices; kids' menu", "fitzbillies ' prices ; kids ' menu"),
            ("CAFÉ Zürich", "café zürich"),
            ("in the city center., close to", "in the city center. , close to"),
            ("U.S. It is in the U.S. army.", "u.s. . it is in the u.s. army ."),
            ("y'all 'twas hors d'oeuvre rock'n'roll o'clock", "y' all 't was hors d'oeuvre rock 'n' roll o'clock"),
            ("The Eagle (a pub) is 'good', isn't it?", "the eagle -lrb- a pub -rrb- is ` good ' , is n't it ?"),
          ])
    func ptbKnownAnswers(input: String, expected: String) {
        #expect(PTBTokenizer.tokenize(input) == words(expected))
    }

    @Test("PTB tokenizer: lines are tokenised together, so an abbreviation at a line's end sees the next line")
    func ptbAcrossLines() {
        #expect(PTBTokenizer.tokenize(lines: ["the end etc.", "The Eagle."]) == [words("the end etc. ."), words("the eagle .")])
        #expect(PTBTokenizer.tokenize(lines: ["the end etc."]) == [words("the end etc.")])
        #expect(PTBTokenizer.tokenize(lines: ["", "a", ""]) == [[], ["a"], []])
    }

    @Test("COCO tokens: PTB tokens without the scorer's punctuation list (bracket tokens stay, lower-cased)")
    func cocoTokens() {
        #expect(CocoCaptionTokenizer.tokenize("The Eagle (a pub) is 'good', isn't it?")
            == words("the eagle -lrb- a pub -rrb- is good is n't it"))
        #expect(CocoCaptionTokenizer.tokenize("Prices: £20-25... \"cheap\" -- ok; yes!") == words("prices # 20-25 cheap ok yes"))
        #expect(CocoCaptionTokenizer.tokenize("...") == [])
    }

    @Test("PTB tokenizer matches Stanford's Java tokenizer on every E2E dev and test reference",
          .enabled(if: Tools.stanfordJar != nil && Tools.e2eFolder != nil,
                   "skipped: needs java, python3 with pycocoevalcap (pip install pycocoevalcap) and the E2E data"))
    func ptbMatchesJavaOnE2E() throws {
        let refs = try Tools.e2eReferences()
        #expect(refs.count == 4_672 + 4_693)
        let java = try Tools.javaPTB(refs)
        try #require(java.count >= refs.count, "the Java tokenizer printed \(java.count) lines for \(refs.count)")
        let ours = PTBTokenizer.tokenize(lines: refs)
        var mismatches = 0
        for i in refs.indices where java[i].split(separator: " ").map(String.init) != ours[i] {
            mismatches += 1
            if mismatches <= 10 { Issue.record("line \(i): \(refs[i])\n java: \(java[i])\n ours: \(ours[i].joined(separator: " "))") }
        }
        #expect(mismatches == 0, "\(mismatches) of \(refs.count) lines differ")
    }
}
