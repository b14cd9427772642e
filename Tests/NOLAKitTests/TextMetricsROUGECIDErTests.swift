import Foundation
import Testing
@testable import NOLAKit

/// ROUGE-L and CIDEr-D as the COCO caption scorer computes them, on small cases worked out by hand.
@Suite("Text metrics: ROUGE-L and CIDEr-D")
struct TextMetricsROUGECIDErTests {
    func words(_ s: String) -> [String] { s.split(separator: " ").map(String.init) }
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

    func rouge(_ hyps: [String], _ refs: [[String]]) -> ROUGEL {
        ROUGEL(hypotheses: hyps.map(words), references: refs.map { $0.map(words) })
    }

    func cider(_ hyps: [String], _ refs: [[String]]) -> CIDErD {
        CIDErD(hypotheses: hyps.map(words), references: refs.map { $0.map(words) })
    }

    // MARK: ROUGE-L

    @Test("longest common subsequence")
    func lcs() {
        #expect(ROUGEL.lcsLength(words("a b c b d a b"), words("b d c a b a")) == 4)
        #expect(ROUGEL.lcsLength(words("a b c"), words("a b c")) == 3)
        #expect(ROUGEL.lcsLength(words("a b c"), words("d e")) == 0)
        #expect(ROUGEL.lcsLength([], words("a")) == 0)
    }

    @Test("precision and recall are maximised separately over the references")
    func rougeTwoReferences() {
        // hyp "a b c d"; ref 1 "a c e": LCS 2 → P = 2/4, R = 2/3; ref 2 "b c d e f g h": LCS 3 →
        // P = 3/4, R = 3/7. P_max = 3/4 (ref 2), R_max = 2/3 (ref 1):
        // F = 2.44 · 3/4 · 2/3 / (2/3 + 1.44 · 3/4) = 0.698473… (the best single reference would give 0.5865).
        let r = rouge(["a b c d"], [["a c e", "b c d e f g h"]])
        let p = 3.0 / 4, rec = 2.0 / 3
        #expect(close(r.score, 2.44 * p * rec / (rec + 1.44 * p)))
        #expect(close(r.score, 0.698473, 1e-6))
    }

    @Test("identical sentences score 1, disjoint ones 0, the corpus score is the mean")
    func rougeMean() {
        let r = rouge(["the eagle is a pub", "x y"], [["the eagle is a pub"], ["a b"]])
        #expect(r.instanceScores == [1, 0])
        #expect(r.score == 0.5)
    }

    @Test("an empty hypothesis scores 0")
    func rougeEmpty() {
        #expect(rouge([""], [["a b"]]).score == 0)
        #expect(ROUGEL.instanceScore(hypothesis: [], references: [words("a")]) == 0)
    }

    @Test("β = 1.2 weighs recall: a short exact prefix scores below its precision")
    func rougeBeta() {
        // hyp "a b" against "a b c d": P = 1, R = 1/2 → F = 2.44 · 0.5 / (0.5 + 1.44) = 0.628866.
        #expect(close(rouge(["a b"], [["a b c d"]]).score, 2.44 * 0.5 / (0.5 + 1.44)))
    }

    // MARK: CIDEr-D

    @Test("CIDEr-D: TF-IDF cosine per order, mean over n = 1…4, ×10, Gaussian length penalty")
    func ciderSmall() {
        // N = 2 instances; every reference n-gram has df = 1, so every weight is tf · ln 2.
        // Instance 1, "a b" against "a b": orders 1 and 2 have cosine 1, orders 3 and 4 are empty
        // (0), δ = 0: 10 · (1 + 1 + 0 + 0)/4 = 5.
        // Instance 2, "c" against "c d": order 1: ln²2 / (ln 2 · √2 ln 2) = 1/√2; nothing else;
        // δ = (bigrams 0) − (bigrams 1) = −1 → penalty e^{−1/72}: 10 · (1/√2) e^{−1/72} / 4.
        let c = cider(["a b", "c"], [["a b"], ["c d"]])
        let second = 10 * (1 / 2.0.squareRoot()) * exp(-1.0 / 72) / 4
        #expect(close(c.instanceScores[0], 5))
        #expect(close(c.instanceScores[1], second))
        #expect(close(c.score, (5 + second) / 2))
        #expect(close(c.score, 3.371692, 1e-6))
    }

    @Test("CIDEr-D clips the hypothesis' weights by the reference's")
    func ciderClipping() {
        // Instance 1, "a a" against "a b" (idf ln 2 everywhere): order 1: hypothesis a = 2 ln 2,
        // reference a = b = ln 2; min(2 ln 2, ln 2) · ln 2 / (2 ln 2 · √2 ln 2) = 1/(2√2)
        // (without the clip it would be 1/√2). No common bigram; δ = 0: 10 · (1/(2√2))/4.
        // Instance 2, "c" against "c": order 1 cosine 1, δ = 0: 10/4.
        let c = cider(["a a", "c"], [["a b"], ["c"]])
        #expect(close(c.instanceScores[0], 10 / (2 * 2.0.squareRoot()) / 4))
        #expect(close(c.instanceScores[1], 2.5))
        #expect(close(c.score, 1.691942, 1e-6))
    }

    @Test("CIDEr-D: n-grams in every instance's references weigh nothing; several references are averaged")
    func ciderDocumentFrequency() {
        // "the" is in both instances' references: idf = ln 2 − ln 2 = 0, so instance 1's
        // hypothesis "the" has a zero vector and scores 0.
        let c = cider(["the", "the x"], [["the cat"], ["the x", "y z"]])
        #expect(c.instanceScores[0] == 0)
        // Instance 2: against "the x" order 1: only x counts (ln 2 each side) → cosine 1; order 2
        // "the x": cosine 1; δ = 0. Against "y z": 0. Mean over the 2 references: 10 · (2/4) / 2 = 2.5.
        #expect(close(c.instanceScores[1], 2.5))
    }
}
