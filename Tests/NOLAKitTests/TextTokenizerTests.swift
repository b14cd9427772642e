import Foundation
import Testing
@testable import NOLAKit

@Suite("Byte-level BPE tokenizer")
struct TextTokenizerTests {
    /// Merges as `(left, right)` tuples are not Equatable; compare them as arrays.
    static func pairs(_ t: BPETokenizer) -> [[Int]] { t.merges.map { [$0.left, $0.right] } }

    // MARK: Known answers, computed by hand

    /// Words " hug", " pug", "hug", "hugs" (once each). Pair counts: ug 4, hu 3, the rest 1.
    /// Merge 0: (u, g) → 260. Then (h, 260) occurs 3 times → 261 = "hug". Every pair left
    /// occurs once, so training stops at 262 tokens though 300 were asked for.
    @Test("hug/pug: the merges worked out by hand, and training stops when no pair repeats")
    func hugPug() throws {
        let t = try BPETokenizer.train(on: ["hug hug pug", "hugs"], vocabularySize: 300)
        #expect(Self.pairs(t) == [[117, 103], [104, 260]])
        #expect(t.vocabularySize == 262)
        #expect(t.bytes(of: 261) == Array("hug".utf8))
        // Encoding the corpus gives training's own segmentation.
        #expect(t.encode("hug hug pug") == [261, 32, 261, 32, 112, 260])
        #expect(t.encode("hugs") == [261, 115])
        // A word never seen uses the merges it can.
        #expect(t.encode("thug") == [116, 261])
    }

    /// Words " ab" 1, " cd" 2, "ab" 1. Counts: (a,b) 2, (" ",c) 2, (c,d) 2, (" ",a) 1. Ties go
    /// to the smallest pair: (32, 99) first. Then (97, 98) = 2 ties (260, 100) = 2 and wins on
    /// its smaller left id; then (260, 100); then only pairs seen once remain.
    @Test("ties between equally frequent pairs go to the smallest (left, right)")
    func tieBreak() throws {
        let t = try BPETokenizer.train(on: ["ab ab cd cd"], vocabularySize: 4096)
        #expect(Self.pairs(t) == [[32, 99], [97, 98], [260, 100]])
        #expect(t.encode(" cd ab") == [262, 32, 261])
    }

    /// "aaaa" and " aaaa": (a, a) occurs 3 + 3 = 6 times counting overlaps; merging leaves
    /// [260, 260] and [32, 260, 260], so (260, 260) occurs twice and merges into "aaaa".
    @Test("overlapping pairs count every place; merging replaces them left to right")
    func overlaps() throws {
        let t = try BPETokenizer.train(on: ["aaaa aaaa"], vocabularySize: 280)
        #expect(Self.pairs(t) == [[97, 97], [260, 260]])
        #expect(t.encode("aaa") == [260, 97])
        #expect(t.encode("aaaaa") == [261, 97])
    }

    @Test("the corpus's order and repetition pattern do not change the merges; training twice gives the same")
    func determinism() throws {
        let corpus = SyntheticRestaurants.generate(count: 300, seed: 5).flatMap(\.references)
        let a = try BPETokenizer.train(on: corpus, vocabularySize: 700)
        let b = try BPETokenizer.train(on: corpus, vocabularySize: 700)
        let c = try BPETokenizer.train(on: corpus.reversed(), vocabularySize: 700)
        #expect(a == b && a == c)
        #expect(a.vocabularySize == 700)
        #expect(a.serialized() == b.serialized())
    }

    // MARK: Lossless round trips

    @Test("decode(encode(s)) gives s back byte for byte on random Unicode text")
    func randomRoundTrip() throws {
        var cursor = StreamCursor(seed: 3, stream: 2)
        let corpus = (0..<400).map { _ in TextTestSupport.randomText(&cursor, maxScalars: 30) }
            + ["the cat sat on the mat", "Café Sicilia, £20-25", "naïve façade 👋🏽"]
        let t = try BPETokenizer.train(on: corpus, vocabularySize: 600)
        for _ in 0..<500 {
            let text = TextTestSupport.randomText(&cursor, maxScalars: 60)
            let tokens = t.encode(text)
            #expect(tokens.allSatisfy { $0 < 256 || $0 >= BPETokenizer.firstMergeID })
            #expect(try t.decodeBytes(tokens) == Array(text.utf8))
            #expect(try t.decode(tokens) == text)
        }
        for text in ["", " ", "\n\n", "\u{0}", "e\u{301}", "👩‍👩‍👧", "\r\n", "  two  spaces  "] {
            #expect(try t.decodeBytes(t.encode(text)) == Array(text.utf8), "\(text.debugDescription)")
        }
        #expect(t.encode("").isEmpty)
    }

    @Test("round trip on the synthetic restaurant corpus, which merges shorten a lot")
    func corpusRoundTrip() throws {
        let corpus = SyntheticRestaurants.generate(count: 200, seed: 9).flatMap(\.references)
        let t = try BPETokenizer.train(on: corpus, vocabularySize: 1024)
        var bytes = 0, tokens = 0
        for text in corpus {
            let encoded = t.encode(text)
            #expect(try t.decodeBytes(encoded) == Array(text.utf8))
            bytes += text.utf8.count
            tokens += encoded.count
        }
        #expect(Double(bytes) / Double(tokens) > 3, "only \(Double(bytes) / Double(tokens)) bytes per token")
    }

    // MARK: Special tokens and decoding of arbitrary ids

    @Test("special tokens: fixed ids, never produced by encode, framing a pair, skipped by decode")
    func specialTokens() throws {
        let t = try BPETokenizer.train(on: ["the end <|end|> the end"], vocabularySize: 300)
        #expect([BPETokenizer.begin, BPETokenizer.separator, BPETokenizer.end, BPETokenizer.padding] == [Int](256...259))
        #expect(!t.encode("<|begin|><|sep|><|end|><|pad|>").contains { (256...259).contains($0) })
        let (tokens, start) = t.encodePair(source: "name[A]", target: "A is good.")
        #expect(tokens.first == BPETokenizer.begin && tokens.last == BPETokenizer.end)
        #expect(tokens[start - 1] == BPETokenizer.separator)
        #expect(try t.decode(tokens[..<(start - 1)]) == "name[A]")
        #expect(try t.decode(tokens[start...]) == "A is good.")
        #expect(t.encodePrompt("name[A]") == Array(tokens[..<start]))
        #expect(try t.decode([256, 257, 258, 259]) == "")
        #expect((256...259).map(t.display) == ["<|begin|>", "<|sep|>", "<|end|>", "<|pad|>"])
        #expect(t.display(32) == "·" && t.display(10) == "\\n" && t.display(0xC3) == "<0xC3>" && t.display(9999) == "<?9999>")
    }

    @Test("ids outside the vocabulary are an error naming the id; a split character decodes as U+FFFD")
    func arbitraryIDs() throws {
        let t = try BPETokenizer.train(on: ["é é é"], vocabularySize: 300)
        for bad in [-1, t.vocabularySize, Int.max, Int.min] {
            #expect(throws: TokenizerError.unknownToken(id: bad, vocabularySize: t.vocabularySize)) { try t.decode([65, bad]) }
        }
        let message = "\(TokenizerError.unknownToken(id: 5000, vocabularySize: 300))"
        #expect(message.contains("5000") && message.contains("0…299") && !message.contains("\n"))
        // "é" is C3 A9; its first byte alone is not a character.
        #expect(try t.decodeBytes([0xC3]) == [0xC3])
        #expect(try t.decode([0x41, 0xC3, 0x42]) == "A\u{FFFD}B")
        #expect(try t.decode([0xC3, 0xA9]) == "é")
    }

    // MARK: Vocabulary size

    @Test("sizes outside 260…4096 are rejected with one line", arguments: [259, 4097, 0, -5, Int.max])
    func badSizes(size: Int) {
        #expect(throws: TokenizerError.vocabularySizeOutOfRange(size)) {
            try BPETokenizer.train(on: ["abc"], vocabularySize: size)
        }
        let message = "\(TokenizerError.vocabularySizeOutOfRange(size))"
        #expect(message.contains("\(size)") && message.contains("260…4096") && !message.contains("\n"))
    }

    @Test("the bounds themselves are fine: 260 learns nothing, 4096 stops when pairs run out")
    func boundSizes() throws {
        let none = try BPETokenizer.train(on: ["abab abab"], vocabularySize: 260)
        #expect(none.merges.isEmpty && none.vocabularySize == 260)
        #expect(none.encode("ab") == [97, 98])
        let most = try BPETokenizer.train(on: ["abab abab"], vocabularySize: 4096)
        #expect(most.vocabularySize < 4096 && most.vocabularySize > 260)
        let empty = try BPETokenizer.train(on: [], vocabularySize: 1000)
        #expect(empty.vocabularySize == 260)
    }

    @Test("5,000 restaurant sentences train to 2,048 tokens in well under a few seconds")
    func speed() throws {
        let corpus = SyntheticRestaurants.generate(count: 1000, seed: 1).flatMap(\.references).prefix(5000)
        #expect(corpus.count == 5000)
        let start = ContinuousClock.now
        let t = try BPETokenizer.train(on: Array(corpus), vocabularySize: 2048)
        let trained = ContinuousClock.now - start
        let encodeStart = ContinuousClock.now
        let total = corpus.reduce(0) { $0 + t.encode($1).count }
        let encoded = ContinuousClock.now - encodeStart
        #expect(t.vocabularySize <= 2048 && total > 0)
        #expect(trained < .seconds(3), "training took \(trained)")
        #expect(encoded < .seconds(2), "encoding took \(encoded)")
    }

    // MARK: Serialization

    @Test("serialized text and bytes give the same tokenizer back")
    func serializationRoundTrip() throws {
        let corpus = SyntheticRestaurants.generate(count: 100, seed: 2).flatMap(\.references)
        let t = try BPETokenizer.train(on: corpus, vocabularySize: 800)
        let text = t.serialized()
        #expect(text.hasPrefix("nola-bpe 1 merges \(t.merges.count) fnv1a64 "))
        let back = try BPETokenizer(serialized: text)
        #expect(back == t && back.serialized() == text)
        #expect(back.encode(corpus[0]) == t.encode(corpus[0]))
        #expect(try BPETokenizer(serializedBytes: t.serializedBytes()) == t)
        let empty = try BPETokenizer.train(on: [], vocabularySize: 300)
        #expect(try BPETokenizer(serialized: empty.serialized()) == empty)
    }

    /// A serialized form with a body and a correct checksum, to reach the checks after it.
    static func withChecksum(count: Int, body: String) -> String {
        let hex = String(BasisSeeds.fnv1a64(body), radix: 16)
        return "nola-bpe 1 merges \(count) fnv1a64 \(String(repeating: "0", count: 16 - hex.count) + hex)\n" + body
    }

    @Test("damaged forms are one clear error", arguments: [
        ("", "no header"),
        ("nola-bpe 1 merges 0 fnv1a64 cbf29ce484222325", "no header"),
        ("gpt-bpe 1 merges 0 fnv1a64 cbf29ce484222325\n", "header"),
        ("nola-bpe 2 merges 0 fnv1a64 cbf29ce484222325\n", "version"),
        ("nola-bpe 1 merges x fnv1a64 cbf29ce484222325\n", "not a number"),
        ("nola-bpe 1 merges 0 fnv1a64 xyz\n", "16 hex"),
        ("nola-bpe 1 merges 1 fnv1a64 cbf29ce484222325\n97 97\n", "checksum mismatch"),
        (TextTokenizerTests.withChecksum(count: 2, body: "97 97\n"), "header says 2 merges but 1"),
        (TextTokenizerTests.withChecksum(count: 1, body: "97 97"), "header says 1 merges but 0"),
        (TextTokenizerTests.withChecksum(count: 1, body: "97 x\n"), "not two token ids"),
        (TextTokenizerTests.withChecksum(count: 1, body: "97 97 97\n"), "not two token ids"),
        (TextTokenizerTests.withChecksum(count: 1, body: "97 260\n"), "not a byte or an earlier merged token"),
        (TextTokenizerTests.withChecksum(count: 1, body: "258 97\n"), "not a byte or an earlier merged token"),
        (TextTokenizerTests.withChecksum(count: 2, body: "97 97\n97 97\n"), "merged twice"),
    ])
    func damaged(text: String, expected: String) {
        do {
            _ = try BPETokenizer(serialized: text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(expected), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test("every truncation and every changed byte of a saved tokenizer is caught")
    func everyDamage() throws {
        let t = try BPETokenizer.train(on: ["hug hug pug hugs bug bugs mug"], vocabularySize: 300)
        let bytes = t.serializedBytes()
        for cut in 0..<bytes.count {
            #expect(throws: TokenizerError.self) { try BPETokenizer(serializedBytes: Array(bytes[..<cut])) }
        }
        for i in bytes.indices {
            for flip: UInt8 in [0x01, 0x20, 0x80] {
                var damaged = bytes
                damaged[i] ^= flip
                // A case flip of the checksum's hex digits ('a' ↔ 'A') still reads the same number.
                if let back = try? BPETokenizer(serializedBytes: damaged) {
                    #expect(back == t, "byte \(i) ^ \(flip) gave a different tokenizer")
                }
            }
        }
        #expect(throws: TokenizerError.damaged("the bytes are not UTF-8 text")) {
            try BPETokenizer(serializedBytes: [0xFF] + bytes)
        }
    }
}
