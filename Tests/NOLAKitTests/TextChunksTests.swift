import Testing
@testable import NOLAKit

@Suite("Text chunks before byte-pair merges")
struct TextChunksTests {
    @Test("known splits: a word carries one leading space, other whitespace stands alone", arguments: [
        ("Hello, world!!", ["Hello", ",", " world", "!!"]),
        ("a  b", ["a", " ", " b"]),
        ("x\n y", ["x", "\n", " y"]),
        (" lead", [" lead"]),
        ("trail ", ["trail", " "]),
        ("2024 cats", ["2024", " cats"]),
        ("£20-25", ["£", "20", "-", "25"]),
        ("tab\tx", ["tab", "\t", "x"]),
        ("don't", ["don", "'", "t"]),
        ("Café Brazil", ["Café", " Brazil"]),
        ("e\u{301}te\u{301}", ["e\u{301}te\u{301}"]),  // combining acute accents stay in the word
        ("hi 👋🏽!", ["hi", " 👋🏽!"]),
        ("\u{0}\u{7}x", ["\u{0}\u{7}", "x"]),
        ("a\u{A0}b", ["a", "\u{A0}", "b"]),  // no-break space is whitespace but does not attach
        ("", []),
    ])
    func knownSplits(text: String, expected: [String]) {
        #expect(TextChunks.split(text) == expected)
    }

    @Test("chunks cover the text's bytes exactly, in order, on random text")
    func coverage() {
        var cursor = StreamCursor(seed: 11, stream: 1)
        for _ in 0..<300 {
            let text = TextTestSupport.randomText(&cursor, maxScalars: 40)
            let ranges = TextChunks.ranges(of: text)
            var next = 0
            for range in ranges {
                #expect(range.lowerBound == next && !range.isEmpty)
                next = range.upperBound
            }
            #expect(next == text.utf8.count)
        }
    }
}
