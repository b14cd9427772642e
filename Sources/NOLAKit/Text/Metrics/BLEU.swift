import Foundation

/// Corpus-level BLEU-4 as `mteval-v13a.pl` computes it — the E2E NLG Challenge's BLEU.
///
/// Inputs are token sequences (use ``MTEvalTokenizer`` for the challenge's tokenisation), one
/// hypothesis per instance and one or more references per instance. Statistics are summed over
/// the whole corpus before any ratio is taken:
///
/// - clipped matches `m_n = Σ_instances Σ_{g of order n} min(count_hyp(g), max_refs count_ref(g))`,
/// - hypothesis n-grams `t_n = Σ max(0, L_hyp − n + 1)`,
/// - reference length `r = Σ_instances` the length of the reference *closest* to the hypothesis'
///   length; on a tie the shorter reference wins (see ``closestReferenceLength(hypothesisLength:referenceLengths:)``),
/// - hypothesis length `c = t_1`.
///
/// ```
/// BP   = exp(min(0, 1 − r / c))            (0 when c = 0)
/// p_n  = m_n / t_n                          when m_n > 0
///      = 1 / (2^k · t_n)                    when m_n = 0, for the k-th such order (k = 1, 2, …)
///      = 1                                  when t_n = 0 (no hypothesis n-grams at all)
/// BLEU = BP · exp((1/4) Σ_{n=1}^{4} log p_n)
/// ```
///
/// The middle case is mteval-v13a's smoothing (its default; `--no-smoothing` turns it off): a
/// corpus with no matching 4-gram anywhere scores BLEU > 0, not 0. With any match of every
/// order the smoothing never applies and this is Papineni et al.'s BLEU.
public struct BLEU: Sendable {
    /// BLEU-4: n-grams of order 1 to 4.
    public static let maxOrder = 4

    /// The score, in 0…1 (the challenge prints it ×100 in its tables).
    public let score: Double
    /// Clipped matching n-grams `m_n`, n = 1…4.
    public let matches: [Int]
    /// Hypothesis n-grams `t_n`, n = 1…4.
    public let hypothesisNGrams: [Int]
    /// `c`: the hypotheses' total length in tokens.
    public var hypothesisLength: Int { hypothesisNGrams[0] }
    /// `r`: the sum over instances of the closest reference length.
    public let referenceLength: Int
    /// `BP = exp(min(0, 1 − r/c))`.
    public let brevityPenalty: Double
    /// The per-order precisions `p_n` as used in the geometric mean (smoothed where `m_n = 0`).
    public let precisions: [Double]

    /// What BLEU needs from the references, computed once for any number of systems: per
    /// instance, each n-gram's largest count in one reference (the clipping ceiling) and the
    /// reference lengths.
    public struct References: Sendable {
        let ceilings: [[[String: Int]]]
        let lengths: [[Int]]
        public var count: Int { lengths.count }

        /// `references[i]`: the tokenised references of instance i (at least one each).
        public init(_ references: [[[String]]]) {
            checkPrecondition(references.allSatisfy { !$0.isEmpty }, "BLEU: an instance has no reference")
            ceilings = references.map { BLEU.maximumReferenceCounts($0, maxOrder: BLEU.maxOrder) }
            lengths = references.map { $0.map(\.count) }
        }
    }

    /// Scores `hypotheses[i]` against `references[i]` (each non-empty), all tokenised.
    public init(hypotheses: [[String]], references: [[[String]]]) {
        self.init(hypotheses: hypotheses, references: References(references))
    }

    /// Scores `hypotheses[i]` against the prepared references of instance i.
    public init(hypotheses: [[String]], references: References) {
        checkPrecondition(hypotheses.count == references.count,
                          "BLEU: \(hypotheses.count) hypotheses but \(references.count) reference sets")
        var matches = Array(repeating: 0, count: Self.maxOrder)
        var totals = Array(repeating: 0, count: Self.maxOrder)
        var referenceLength = 0
        for (i, hypothesis) in hypotheses.enumerated() {
            let hyp = NGramCounts(hypothesis, maxOrder: Self.maxOrder)
            for n in 0..<Self.maxOrder {
                totals[n] += NGramCounts.total(length: hypothesis.count, order: n + 1)
                for (gram, count) in hyp.counts[n] {
                    if let refCount = references.ceilings[i][n][gram] { matches[n] += min(count, refCount) }
                }
            }
            referenceLength += Self.closestReferenceLength(
                hypothesisLength: hypothesis.count, referenceLengths: references.lengths[i])
        }
        self.init(matches: matches, hypothesisNGrams: totals, referenceLength: referenceLength)
    }

    /// BLEU from already-summed statistics (the formula above).
    public init(matches: [Int], hypothesisNGrams: [Int], referenceLength: Int) {
        checkPrecondition(matches.count == Self.maxOrder && hypothesisNGrams.count == Self.maxOrder,
                          "BLEU: statistics for \(Self.maxOrder) orders expected")
        self.matches = matches
        self.hypothesisNGrams = hypothesisNGrams
        self.referenceLength = referenceLength
        let c = hypothesisNGrams[0]
        brevityPenalty = c > 0 ? exp(min(0, 1 - Double(referenceLength) / Double(c))) : 0
        var smoothing = 1.0
        var precisions: [Double] = []
        for n in 0..<Self.maxOrder {
            if hypothesisNGrams[n] == 0 {
                precisions.append(1)
            } else if matches[n] == 0 {
                smoothing *= 2
                precisions.append(1 / (smoothing * Double(hypothesisNGrams[n])))
            } else {
                precisions.append(Double(matches[n]) / Double(hypothesisNGrams[n]))
            }
        }
        self.precisions = precisions
        let meanLog = precisions.map(log).reduce(0, +) / Double(Self.maxOrder)
        score = exp(meanLog) * brevityPenalty
    }

    /// The reference length mteval-v13a's BLEU uses for one instance: the length of the reference
    /// closest to `hypothesisLength`, the shorter one on a tie (|7 − 6| = |7 − 8| gives 6).
    ///
    /// The challenge's adapted script pads instances that have fewer references than the most
    /// referenced one with empty references and skips those here: a reference of length 0 never
    /// replaces the current choice. The first reference is taken as it is, so an instance whose
    /// first reference is empty starts from 0 (as the script does; the E2E data has none).
    public static func closestReferenceLength(hypothesisLength h: Int, referenceLengths: [Int]) -> Int {
        guard var best = referenceLengths.first else { return 0 }
        for length in referenceLengths.dropFirst() where length != 0 {
            let d = abs(h - length), dBest = abs(h - best)
            if d < dBest || (d == dBest && length < best) { best = length }
        }
        return best
    }

    /// For each order, each n-gram's largest count in any one reference (the clipping ceiling).
    static func maximumReferenceCounts(_ refs: [[String]], maxOrder: Int) -> [[String: Int]] {
        var ceiling = Array(repeating: [String: Int](), count: maxOrder)
        for ref in refs {
            let counts = NGramCounts(ref, maxOrder: maxOrder)
            for n in 0..<maxOrder {
                for (gram, count) in counts.counts[n] where count > ceiling[n][gram] ?? 0 {
                    ceiling[n][gram] = count
                }
            }
        }
        return ceiling
    }
}
