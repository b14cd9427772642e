/// ROUGE-L as the COCO caption scorer (`pycocoevalcap/rouge/rouge.py`) computes it — the E2E NLG
/// Challenge's ROUGE-L.
///
/// Per instance, with `LCS` the length of the longest common subsequence of tokens,
///
/// ```
/// P = max over references of LCS(hyp, ref) / |hyp|
/// R = max over references of LCS(hyp, ref) / |ref|
/// F = (1 + β²) P R / (R + β² P)      (0 when P = 0 or R = 0),   β = 1.2
/// ROUGE-L = mean of F over instances
/// ```
///
/// Note the two maxima are taken separately, so P and R may come from different references
/// (this is the scorer's definition, not "the F of the best reference"). The challenge feeds it
/// the COCO tokens (``CocoCaptionTokenizer``: PTB tokenisation, lower-cased, punctuation
/// removed). The scorer splits its input on single spaces, so a sentence with no tokens counts
/// as one empty token (length 1, matching nothing but another empty sentence); that is kept.
public struct ROUGEL: Sendable {
    /// β = 1.2: recall weighs 1.44 times as much as precision.
    public static let beta = 1.2

    /// The mean of ``instanceScores``, in 0…1 (tables print it ×100).
    public let score: Double
    /// F for each instance.
    public let instanceScores: [Double]

    /// Scores `hypotheses[i]` against `references[i]` (each non-empty), all tokenised.
    public init(hypotheses: [[String]], references: [[[String]]]) {
        checkPrecondition(hypotheses.count == references.count,
                          "ROUGE-L: \(hypotheses.count) hypotheses but \(references.count) reference sets")
        instanceScores = zip(hypotheses, references).map { Self.instanceScore(hypothesis: $0, references: $1) }
        score = instanceScores.isEmpty ? 0 : instanceScores.reduce(0, +) / Double(instanceScores.count)
    }

    /// F for one hypothesis against its references.
    public static func instanceScore(hypothesis: [String], references: [[String]]) -> Double {
        checkPrecondition(!references.isEmpty, "ROUGE-L: an instance has no reference")
        let hyp = hypothesis.isEmpty ? [""] : hypothesis
        var precision = 0.0, recall = 0.0
        for reference in references {
            let ref = reference.isEmpty ? [""] : reference
            let lcs = Double(lcsLength(hyp, ref))
            precision = max(precision, lcs / Double(hyp.count))
            recall = max(recall, lcs / Double(ref.count))
        }
        guard precision > 0, recall > 0 else { return 0 }
        let b2 = beta * beta
        return (1 + b2) * precision * recall / (recall + b2 * precision)
    }

    /// The length of the longest common subsequence of `a` and `b` (dynamic programming, one row).
    public static func lcsLength(_ a: [String], _ b: [String]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var row = Array(repeating: 0, count: b.count + 1)
        for x in a {
            var diagonal = 0  // row[j − 1] of the previous row
            for j in 1...b.count {
                let above = row[j]
                row[j] = x == b[j - 1] ? diagonal + 1 : max(above, row[j - 1])
                diagonal = above
            }
        }
        return row[b.count]
    }
}
