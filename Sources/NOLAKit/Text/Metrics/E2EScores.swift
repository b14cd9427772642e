/// The E2E NLG Challenge's automatic metrics for one system's outputs, each computed as the
/// challenge's scorer (`e2e-metrics/measure_scores.py`) computes it:
///
/// | metric | challenge's implementation | tokens |
/// | --- | --- | --- |
/// | ``BLEU`` (BLEU-4) | `mteval-v13a-sig.pl` | ``MTEvalTokenizer`` |
/// | ``NIST`` (NIST-5) | `mteval-v13a-sig.pl` | ``MTEvalTokenizer`` |
/// | METEOR | Meteor 1.5 via `pycocoevalcap` | — not computed here |
/// | ``ROUGEL`` | `pycocoevalcap/rouge` | ``CocoCaptionTokenizer`` |
/// | ``CIDErD`` | `pycocoevalcap/cider` (CIDEr-D) | ``CocoCaptionTokenizer`` |
///
/// The scorer itself does not change the text: each line is stripped of surrounding whitespace,
/// and the two back ends lower-case and tokenise it their own ways (mteval: ASCII letters only;
/// COCO: every letter, and punctuation tokens are dropped).
///
/// BLEU and NIST follow the Perl script, the scorer's default. Its `-p` option (which the LoRA
/// code that NOLA builds on passes) computes them with a Python port, `pymteval`, instead; that
/// gives the same numbers for ordinary outputs, and differs only when some n-gram order has no
/// match in the whole corpus (the port does not smooth, so BLEU ≈ 0), when a hypothesis is
/// shorter than the n-gram order (the port counts `L − n + 1` n-grams even when negative), for
/// non-ASCII capitals (the port lower-cases them), and in NIST's length penalty, which the port
/// takes against the sum of each instance's mean reference length: outputs 5 % shorter than the
/// references lose 1.1 % of their NIST there (exp(−β ln² 0.95) = 0.989), none here (see ``NIST``).
///
/// METEOR is left out on purpose: it aligns words through exact matches, Porter stems, WordNet
/// synonym sets and a 60 MB table of English paraphrases, with weights tuned for those modules;
/// without that data it would be a different metric under the same name. See ``meteorNote``.
public struct E2EScores: Sendable {
    /// The line the scorer prints for METEOR.
    public static let meteorNote = "not computed (needs WordNet synonyms and the Meteor paraphrase tables)"

    /// Number of instances (hypotheses) scored.
    public let instances: Int
    /// Number of references over all instances.
    public let referenceCount: Int
    public let bleu: BLEU
    public let nist: NIST
    public let rougeL: ROUGEL
    public let cider: CIDErD

    /// The references tokenised and counted for every metric, once: scoring several systems (or
    /// seeds) against the same test set then only tokenises and counts their outputs.
    public struct References: Sendable {
        public let instances: Int
        public let referenceCount: Int
        let bleu: BLEU.References
        let nist: NIST.References
        let coco: [[[String]]]
        let cider: CIDErD.References

        /// `references[i]`: the raw reference sentences of instance i (at least one each).
        public init(_ references: [[String]]) {
            checkPrecondition(references.allSatisfy { !$0.isEmpty }, "E2EScores: an instance has no reference")
            instances = references.count
            referenceCount = references.reduce(0) { $0 + $1.count }
            let mteval = references.map { $0.map(MTEvalTokenizer.tokenize) }
            bleu = BLEU.References(mteval)
            nist = NIST.References(mteval)
            // The COCO scorer tokenises all references in one run, one per line, in instance order.
            var flat = CocoCaptionTokenizer.tokenize(lines: references.flatMap { $0 })[...]
            coco = references.map { refs in refs.map { _ in flat.removeFirst() } }
            cider = CIDErD.References(coco.map { $0.map(E2EScores.splitForCIDEr) })
        }
    }

    /// Scores `hypotheses[i]` against `references[i]`: raw sentences, one or more references per
    /// instance, as the scorer reads them from its files.
    public init(hypotheses: [String], references: [[String]]) {
        self.init(hypotheses: hypotheses, references: References(references))
    }

    /// Scores `hypotheses[i]` against the prepared references of instance i.
    public init(hypotheses: [String], references: References) {
        checkPrecondition(hypotheses.count == references.instances,
                          "E2EScores: \(hypotheses.count) hypotheses but \(references.instances) reference sets")
        instances = references.instances
        referenceCount = references.referenceCount
        let mteval = hypotheses.map(MTEvalTokenizer.tokenize)
        bleu = BLEU(hypotheses: mteval, references: references.bleu)
        nist = NIST(hypotheses: mteval, references: references.nist)
        // The COCO scorer tokenises all hypotheses in one run, one per line.
        let coco = CocoCaptionTokenizer.tokenize(lines: hypotheses)
        rougeL = ROUGEL(hypotheses: coco, references: references.coco)
        cider = CIDErD(hypotheses: coco.map(Self.splitForCIDEr), references: references.cider)
    }

    /// CIDEr re-splits the joined COCO tokens with Python's `split()`, which also splits at the
    /// no-break space the tokenizer puts inside fractions like `5 1/2`; ROUGE-L splits at " " only.
    static func splitForCIDEr(_ tokens: [String]) -> [String] {
        tokens.flatMap { $0.split(whereSeparator: { $0.isWhitespace }).map(String.init) }
    }
}
