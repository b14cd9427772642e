import Foundation
import Testing
@testable import NOLAKit

/// BLEU-4 and NIST-5 as mteval-v13a computes them, on small cases worked out by hand (the
/// arithmetic is in each test's comments).
@Suite("Text metrics: BLEU and NIST")
struct TextMetricsBLEUNISTTests {
    func words(_ s: String) -> [String] { s.split(separator: " ").map(String.init) }

    func bleu(_ hyps: [String], _ refs: [[String]]) -> BLEU {
        BLEU(hypotheses: hyps.map(words), references: refs.map { $0.map(words) })
    }

    func nist(_ hyps: [String], _ refs: [[String]]) -> NIST {
        NIST(hypotheses: hyps.map(words), references: refs.map { $0.map(words) })
    }

    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

    // MARK: BLEU

    @Test("identical hypothesis and reference: BLEU 1")
    func bleuIdentical() {
        let b = bleu(["the eagle is a pub near the river"], [["the eagle is a pub near the river"]])
        #expect(b.score == 1)
        #expect(b.matches == [8, 7, 6, 5] && b.hypothesisNGrams == [8, 7, 6, 5])
    }

    @Test("two references: clipped counts, the closer reference's length, 4-gram smoothed")
    func bleuTwoReferences() {
        // hyp "the the cat sat" (4); refs "the cat sat on the mat" (6), "a cat sat" (3).
        // 1-grams: the×2 (ref 1 has two), cat, sat → 4/4. 2-grams: "the cat", "cat sat" of
        // "the the", "the cat", "cat sat" → 2/3. 3-grams: "the cat sat" → 1/2. 4-gram: 0/1 →
        // smoothed 1/(2·1). Closest reference to 4 words: 3 (|4−3| = 1 < |4−6| = 2); c = 4 ≥ 3, BP = 1.
        // BLEU = (1 · 2/3 · 1/2 · 1/2)^(1/4) = (1/6)^(1/4) = 0.638943…
        let b = bleu(["the the cat sat"], [["the cat sat on the mat", "a cat sat"]])
        #expect(b.matches == [4, 2, 1, 0])
        #expect(b.hypothesisNGrams == [4, 3, 2, 1])
        #expect(b.referenceLength == 3)
        #expect(b.brevityPenalty == 1)
        #expect(close(b.score, pow(1.0 / 6, 0.25)))
        #expect(close(b.score, 0.638943, 1e-6))
    }

    @Test("clipping: a repeated word counts at most as often as in one reference")
    func bleuClipping() {
        // hyp "the the the the"; refs "the cat" and "the the mat": the most "the" in one reference
        // is 2 → 1-grams 2/4; "the the" at most once → 1/3; no 3-gram → 1/(2·2); no 4-gram →
        // 1/(4·1). Closest length to 4: 3. BLEU = (1/2 · 1/3 · 1/4 · 1/4)^(1/4) = (1/96)^(1/4).
        let b = bleu(["the the the the"], [["the cat", "the the mat"]])
        #expect(b.matches == [2, 1, 0, 0])
        #expect(b.referenceLength == 3)
        #expect(close(b.precisions[2], 0.25) && close(b.precisions[3], 0.25))
        #expect(close(b.score, pow(1.0 / 96, 0.25)))
        #expect(close(b.score, 0.319472, 1e-6))
    }

    @Test("hypothesis shorter than every reference: brevity penalty exp(1 − r/c)")
    func bleuShortHypothesis() {
        // hyp "the cat" (2); refs of 4 and 5 words: the closest is 4, BP = exp(1 − 4/2) = e^−1.
        // Matches 2/2 and 1/1; no 3- or 4-grams in the hypothesis at all, so those orders count
        // as precision 1 (mteval adds 0 to the log sum). BLEU = e^−1.
        let b = bleu(["the cat"], [["the cat sat down", "the big cat is here"]])
        #expect(b.referenceLength == 4)
        #expect(b.hypothesisNGrams == [2, 1, 0, 0])
        #expect(close(b.brevityPenalty, exp(-1)))
        #expect(close(b.score, exp(-1)))
    }

    @Test("no matching 4-gram: mteval's smoothing keeps BLEU above 0; other sentences' matches count")
    func bleuNoFourGram() {
        // Alone, "x y z w" against "x y q r": m = (2, 1, 0, 0), t = (4, 3, 2, 1); the 3- and 4-gram
        // precisions become 1/(2·2) and 1/(4·1): BLEU = (2/4 · 1/3 · 1/4 · 1/4)^(1/4) = (1/96)^(1/4),
        // not 0 (mteval-v13a's default smoothing; Papineni's unsmoothed BLEU would be 0).
        let alone = bleu(["x y z w"], [["x y q r"]])
        #expect(alone.matches == [2, 1, 0, 0])
        #expect(close(alone.score, pow(1.0 / 96, 0.25)))
        // With a perfect sentence beside it the counts add up first: m = (6, 4, 2, 1),
        // t = (8, 6, 4, 2), r = c = 8: BLEU = (6/8 · 4/6 · 2/4 · 1/2)^(1/4) = (1/8)^(1/4), unsmoothed.
        let corpus = bleu(["a b c d", "x y z w"], [["a b c d"], ["x y q r"]])
        #expect(corpus.matches == [6, 4, 2, 1])
        #expect(corpus.hypothesisNGrams == [8, 6, 4, 2])
        #expect(close(corpus.score, pow(1.0 / 8, 0.25)))
        #expect(close(corpus.score, 0.594604, 1e-6))
    }

    @Test("closest reference length: ties go to the shorter; empty references are skipped")
    func closestLength() {
        // mteval-v13a's own example: candidate of 7 words, references of 11, 8, 6 and 7 words.
        #expect(BLEU.closestReferenceLength(hypothesisLength: 7, referenceLengths: [11, 8, 6, 7]) == 7)
        #expect(BLEU.closestReferenceLength(hypothesisLength: 7, referenceLengths: [11, 8, 6]) == 6)
        #expect(BLEU.closestReferenceLength(hypothesisLength: 7, referenceLengths: [6, 8]) == 6)
        #expect(BLEU.closestReferenceLength(hypothesisLength: 7, referenceLengths: [8, 6]) == 6)
        #expect(BLEU.closestReferenceLength(hypothesisLength: 3, referenceLengths: [5, 0, 2]) == 2)
        #expect(BLEU.closestReferenceLength(hypothesisLength: 1, referenceLengths: [5, 0]) == 5)
    }

    @Test("empty hypotheses: BLEU 0 (brevity penalty 0), no division by zero")
    func bleuEmpty() {
        let b = bleu([""], [["a b c"]])
        #expect(b.score == 0 && b.brevityPenalty == 0)
        #expect(!b.score.isNaN)
    }

    // MARK: NIST

    @Test("NIST information weights and the sum over orders")
    func nistSmall() {
        // References, over both instances: "a b", "a c" | "a b": W = 6 words; C(a) = 3, C(b) = 2,
        // C(c) = 1, C(a b) = 2, C(a c) = 1. info(a) = log2(6/3) = 1, info(b) = log2 3,
        // info(a b) = log2(C(a)/C(a b)) = log2(3/2). Both hypotheses are "a b":
        // order 1: 2·(1 + log2 3)/4, order 2: 2·log2(3/2)/2, orders 3–5: nothing (0/max(1,0)).
        // Length: t1 = 4 against R/N_refs = 6/2 = 3 → ratio ≥ 1, BP = 1.
        let n = nist(["a b", "a b"], [["a b", "a c"], ["a b"]])
        let order1 = (1 + log2(3.0)) / 2, order2 = log2(1.5)
        #expect(close(n.informationPerOrder[0], order1))
        #expect(close(n.informationPerOrder[1], order2))
        #expect(n.informationPerOrder[2...].allSatisfy { $0 == 0 })
        #expect(n.lengthPenalty == 1)
        #expect(close(n.score, order1 + order2))
        #expect(close(n.score, 1.877444, 1e-6))
    }

    @Test("NIST length penalty: 0.5 at two thirds of the mean reference length")
    func nistPenalty() {
        // Hypotheses "a", "a" (t1 = 2) against the references above: R/N_refs = 6/2 = 3, ratio 2/3,
        // BP = exp(−β ln²(2/3)) = 0.5 by the choice of β. Information: 2·info(a)/2 = 1.
        let n = nist(["a", "a"], [["a b", "a c"], ["a b"]])
        #expect(close(n.lengthPenalty, 0.5))
        #expect(close(n.score, 0.5))
        #expect(NIST.lengthPenalty(ratio: 1.2) == 1 && NIST.lengthPenalty(ratio: 0) == 0)
        #expect(close(NIST.lengthPenalty(ratio: 2.0 / 3), 0.5))
    }

    @Test("NIST keeps mteval's quirk: a bigram after the token 0 takes its information from all words")
    func nistZeroQuirk() {
        // References "0 x", "y 0": W = 4, C(0) = 2, C(x) = 1, C(0 x) = 1. Perl treats the prefix "0"
        // as false, so info(0 x) = log2(W / 1) = 2 (not log2(C(0)/1) = 1).
        // Hypothesis "0 x": order 1 (info(0) = 1, info(x) = 2) → 3/2; order 2: 2/1. N_refs = 2,
        // R/N_refs = 2, t1 = 2: BP = 1. NIST = 3.5.
        let n = nist(["0 x"], [["0 x", "y 0"]])
        #expect(close(n.informationPerOrder[0], 1.5))
        #expect(close(n.informationPerOrder[1], 2))
        #expect(close(n.score, 3.5))
    }
}
