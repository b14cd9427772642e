import Foundation

/// Corpus-level NIST-5 as `mteval-v13a.pl` computes it — the E2E NLG Challenge's NIST.
///
/// NIST weights each matched n-gram by how informative it is in the references. With counts
/// `C(·)` taken over *every reference of every instance* and `W` their total number of words,
///
/// ```
/// info(w₁…w_n) = log₂( C(w₁…w_{n−1}) / C(w₁…w_n) )       (for n = 1 the numerator is W)
/// NIST = Σ_{n=1}^{5} [ Σ_instances Σ_g info(g) · min(count_hyp(g), max_refs count_ref(g)) ] / max(1, t_n)
///        × BP( t_1 / (R / N_refs) )
/// BP(x) = 1 for x ≥ 1,  exp(−β ln² x) for 0 < x < 1 (0 at x ≤ 0),  β = −ln 0.5 / ln² 1.5
/// ```
///
/// where `t_n` counts the hypotheses' n-grams, `R` is the total number of reference words and
/// `N_refs` is the number of reference "systems": the largest number of references any one
/// instance has. (The challenge's wrapper pads instances with fewer references with empty
/// ones, so `R / N_refs` is smaller than the mean reference length whenever instances have
/// different numbers of references: on the E2E test set R = 124,367 words and N_refs = 45, so
/// R/N_refs = 2,764 words while reference-length outputs total about 16,700 words, and BP is 1
/// unless the outputs are six times too short.) β makes BP = 0.5 at a length ratio of 2/3.
///
/// One quirk of the script is kept: it tests the (n−1)-gram prefix with Perl's truthiness, so
/// a bigram whose first token is the string `0` takes its information from `W` as if it were a
/// unigram: `info("0 x") = log₂(W / C("0 x"))`.
public struct NIST: Sendable {
    /// NIST-5: n-grams of order 1 to 5.
    public static let maxOrder = 5
    /// β of the length penalty: BP(2/3) = 0.5.
    public static let beta = -log(0.5) / (log(1.5) * log(1.5))

    /// The score (0 and up; the E2E systems score around 8).
    public let score: Double
    /// Per order n: information of the matched n-grams divided by `max(1, t_n)`.
    public let informationPerOrder: [Double]
    /// `BP(t_1 / (R / N_refs))`.
    public let lengthPenalty: Double

    /// What NIST needs from the references, computed once for any number of systems: the
    /// information weights, each instance's clipping ceilings, `R` and `N_refs`.
    public struct References: Sendable {
        let information: [String: Double]
        let ceilings: [[[String: Int]]]
        let words: Int
        let systems: Int
        public var count: Int { ceilings.count }

        /// `references[i]`: the tokenised references of instance i (at least one each).
        public init(_ references: [[[String]]]) {
            checkPrecondition(references.allSatisfy { !$0.isEmpty }, "NIST: an instance has no reference")
            information = NIST.information(references: references)
            ceilings = references.map { BLEU.maximumReferenceCounts($0, maxOrder: NIST.maxOrder) }
            words = references.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
            systems = references.map(\.count).max() ?? 0
        }
    }

    /// Scores `hypotheses[i]` against `references[i]` (each non-empty), all tokenised.
    public init(hypotheses: [[String]], references: [[[String]]]) {
        self.init(hypotheses: hypotheses, references: References(references))
    }

    /// Scores `hypotheses[i]` against the prepared references of instance i.
    public init(hypotheses: [[String]], references: References) {
        checkPrecondition(hypotheses.count == references.count,
                          "NIST: \(hypotheses.count) hypotheses but \(references.count) reference sets")
        var matchedInfo = Array(repeating: 0.0, count: Self.maxOrder)
        var totals = Array(repeating: 0, count: Self.maxOrder)
        for (i, hypothesis) in hypotheses.enumerated() {
            let hyp = NGramCounts(hypothesis, maxOrder: Self.maxOrder)
            for n in 0..<Self.maxOrder {
                totals[n] += NGramCounts.total(length: hypothesis.count, order: n + 1)
                for (gram, count) in hyp.ordered(n + 1) {
                    if let refCount = references.ceilings[i][n][gram] {
                        matchedInfo[n] += (references.information[gram] ?? 0) * Double(min(count, refCount))
                    }
                }
            }
        }
        informationPerOrder = (0..<Self.maxOrder).map { matchedInfo[$0] / Double(max(1, totals[$0])) }
        if references.words == 0 {
            lengthPenalty = 1  // nothing can match; the script would divide by zero here
        } else {
            let meanReferenceLength = Double(references.words) / Double(references.systems)
            lengthPenalty = Self.lengthPenalty(ratio: Double(totals[0]) / meanReferenceLength)
        }
        score = informationPerOrder.reduce(0, +) * lengthPenalty
    }

    /// `BP(x)` above: 1 from x = 1 up, 0.5 at x = 2/3, 0 at x = 0.
    public static func lengthPenalty(ratio x: Double) -> Double {
        if x >= 1 { return 1 }
        if x <= 0 { return 0 }
        return exp(-beta * log(x) * log(x))
    }

    /// `info(g)` for every n-gram (n ≤ 5) of every reference, keyed as ``NGramCounts`` keys them.
    static func information(references: [[[String]]]) -> [String: Double] {
        var counts: [String: Int] = [:]
        var words = 0
        for refs in references {
            for ref in refs {
                words += ref.count
                let grams = NGramCounts(ref, maxOrder: maxOrder)
                for order in grams.counts {
                    for (gram, count) in order { counts[gram, default: 0] += count }
                }
            }
        }
        var info: [String: Double] = [:]
        info.reserveCapacity(counts.count)
        for (gram, count) in counts {
            let prefix = gram.lastIndex(of: " ").map { String(gram[..<$0]) } ?? ""
            // Perl's `$mgram ? … : …`: an empty prefix and the prefix "0" are both false.
            let context = (prefix.isEmpty || prefix == "0") ? words : (counts[prefix] ?? count)
            info[gram] = log2(Double(context) / Double(count))
        }
        return info
    }
}
