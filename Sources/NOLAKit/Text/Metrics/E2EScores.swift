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

    /// Scores `hypotheses[i]` against `references[i]`: raw sentences, one or more references per
    /// instance, as the scorer reads them from its files.
    public init(hypotheses: [String], references: [[String]]) {
        checkPrecondition(hypotheses.count == references.count,
                          "E2EScores: \(hypotheses.count) hypotheses but \(references.count) reference sets")
        checkPrecondition(references.allSatisfy { !$0.isEmpty }, "E2EScores: an instance has no reference")
        instances = hypotheses.count
        referenceCount = references.reduce(0) { $0 + $1.count }

        let mtevalHypotheses = hypotheses.map(MTEvalTokenizer.tokenize)
        let mtevalReferences = references.map { $0.map(MTEvalTokenizer.tokenize) }
        bleu = BLEU(hypotheses: mtevalHypotheses, references: mtevalReferences)
        nist = NIST(hypotheses: mtevalHypotheses, references: mtevalReferences)

        // The COCO scorer tokenises all hypotheses in one run and all references in another,
        // one sentence per line, references in instance order.
        let cocoHypotheses = CocoCaptionTokenizer.tokenize(lines: hypotheses)
        var flat = CocoCaptionTokenizer.tokenize(lines: references.flatMap { $0 })[...]
        let cocoReferences = references.map { refs in refs.map { _ in flat.removeFirst() } }
        rougeL = ROUGEL(hypotheses: cocoHypotheses, references: cocoReferences)
        // CIDEr re-splits the joined tokens with Python's `split()`, which also splits at the
        // no-break space the tokenizer puts inside fractions like `5 1/2`; ROUGE-L splits at " " only.
        func resplit(_ tokens: [String]) -> [String] {
            tokens.flatMap { $0.split(whereSeparator: { $0.isWhitespace }).map(String.init) }
        }
        cider = CIDErD(hypotheses: cocoHypotheses.map(resplit), references: cocoReferences.map { $0.map(resplit) })
    }
}
