import Foundation

/// CIDEr-D as the COCO caption scorer (`pycocoevalcap/cider`) computes it — the E2E NLG
/// Challenge's "CIDEr".
///
/// Each sentence becomes, for n = 1…4, a vector of TF-IDF weights over its n-grams:
///
/// ```
/// g_n(s)[w] = count_s(w) · ( ln N − ln max(1, df(w)) )
/// ```
///
/// with `N` the number of instances and `df(w)` the number of instances whose references (any of
/// them) contain `w` — document frequencies come from the test references only, never from the
/// hypotheses. For a hypothesis `h` and one of its references `r`,
///
/// ```
/// sim_n(h, r) = Σ_w min(g_n(h)[w], g_n(r)[w]) · g_n(r)[w] / (‖g_n(h)‖ ‖g_n(r)‖)   (0 if a norm is 0)
///             · exp(−δ² / (2σ²)),   σ = 6
/// CIDEr-D(h) = 10 · (1/4) Σ_n (1/|refs|) Σ_r sim_n(h, r)
/// CIDEr-D    = mean over instances
/// ```
///
/// The `min` clips the hypothesis' weights by the reference's (so repeating an n-gram does not
/// pay), and the Gaussian penalises length differences. δ is computed as the scorer does: it
/// counts *bigram* occurrences (`if n == 1: length += term_freq` with `n` the 0-based order), so
/// `δ = max(0, |h| − 1) − max(0, |r| − 1)`, which equals `|h| − |r|` whenever both are non-empty —
/// the only case in which a similarity is not 0, so this never changes a score.
/// The challenge feeds it the COCO tokens (``CocoCaptionTokenizer``).
public struct CIDErD: Sendable {
    /// n-grams of order 1 to 4.
    public static let maxOrder = 4
    /// σ of the Gaussian length penalty.
    public static let sigma = 6.0

    /// The mean of ``instanceScores`` (the E2E systems score around 2).
    public let score: Double
    /// CIDEr-D for each instance.
    public let instanceScores: [Double]

    /// What CIDEr-D needs from the references, computed once for any number of systems: the
    /// document frequencies, `ln N`, and every reference's TF-IDF vectors.
    public struct References: Sendable {
        let documentFrequency: [String: Int]
        let logN: Double
        let vectors: [[TFIDF]]
        public var count: Int { vectors.count }

        /// `references[i]`: the tokenised references of instance i (at least one each).
        public init(_ references: [[[String]]]) {
            let counts = references.map { refs -> [NGramCounts] in
                checkPrecondition(!refs.isEmpty, "CIDEr-D: an instance has no reference")
                return refs.map { NGramCounts($0, maxOrder: CIDErD.maxOrder) }
            }
            var documentFrequency: [String: Int] = [:]
            for refs in counts {
                var seen = Set<String>()
                for ref in refs { for order in ref.counts { seen.formUnion(order.keys) } }
                for gram in seen { documentFrequency[gram, default: 0] += 1 }
            }
            let logN = log(Double(references.count))
            self.documentFrequency = documentFrequency
            self.logN = logN
            vectors = counts.map { $0.map { TFIDF(counts: $0, logN: logN, documentFrequency: documentFrequency) } }
        }
    }

    /// Scores `hypotheses[i]` against `references[i]` (each non-empty), all tokenised.
    public init(hypotheses: [[String]], references: [[[String]]]) {
        self.init(hypotheses: hypotheses, references: References(references))
    }

    /// Scores `hypotheses[i]` against the prepared references of instance i.
    public init(hypotheses: [[String]], references: References) {
        checkPrecondition(hypotheses.count == references.count,
                          "CIDEr-D: \(hypotheses.count) hypotheses but \(references.count) reference sets")
        instanceScores = zip(hypotheses, references.vectors).map { hypothesis, refs in
            let h = TFIDF(counts: NGramCounts(hypothesis, maxOrder: Self.maxOrder), logN: references.logN,
                          documentFrequency: references.documentFrequency)
            var sum = Array(repeating: 0.0, count: Self.maxOrder)
            for r in refs {
                let delta = Double(h.bigramCount - r.bigramCount)
                let penalty = exp(-(delta * delta) / (2 * Self.sigma * Self.sigma))
                for n in 0..<Self.maxOrder {
                    var dot = 0.0
                    for gram in h.grams[n] {
                        if let refWeight = r.weights[n][gram] { dot += min(h.weights[n][gram]!, refWeight) * refWeight }
                    }
                    if h.norms[n] != 0 && r.norms[n] != 0 { dot /= h.norms[n] * r.norms[n] }
                    sum[n] += dot * penalty
                }
            }
            return 10 * (sum.reduce(0, +) / Double(Self.maxOrder)) / Double(refs.count)
        }
        score = instanceScores.isEmpty ? 0 : instanceScores.reduce(0, +) / Double(instanceScores.count)
    }

    /// One sentence's TF-IDF vectors, their Euclidean norms, and its bigram count (for δ).
    struct TFIDF: Sendable {
        var weights: [[String: Double]]
        var norms: [Double]
        var bigramCount: Int
        /// The n-grams of each order in order of first occurrence (see `NGramCounts.grams`).
        var grams: [[String]]

        init(counts: NGramCounts, logN: Double, documentFrequency: [String: Int]) {
            weights = Array(repeating: [:], count: counts.counts.count)
            norms = Array(repeating: 0, count: counts.counts.count)
            bigramCount = 0
            grams = counts.grams
            for n in counts.counts.indices {
                var squares = 0.0
                for (gram, count) in counts.ordered(n + 1) {
                    let idf = logN - log(Double(max(1, documentFrequency[gram] ?? 0)))
                    let w = Double(count) * idf
                    weights[n][gram] = w
                    squares += w * w
                    if n == 1 { bigramCount += count }
                }
                norms[n] = squares.squareRoot()
            }
        }
    }
}
