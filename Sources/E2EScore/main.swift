// e2e-score — the E2E NLG Challenge's automatic metrics for any system's outputs.
//
//   swift run e2e-score HYPS REFS
//
// HYPS: one output per line (or a CSV with mr and output columns).
// REFS: references one per line, instances separated by blank lines; or a CSV with mr,ref
//       columns, consecutive rows with the same MR forming one instance (the E2E release's
//       testset_w_refs.csv works as it is).
//
// Prints BLEU, NIST, METEOR, ROUGE_L and CIDEr, one per line, computed as the challenge's
// measure_scores.py computes them (see NOLAKit's E2EScores). Bad input: one line on stderr and
// exit status 1.

import ArgumentParser
import Foundation
import NOLAKit

struct E2EScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e-score",
        abstract: "Score generated sentences with the E2E NLG Challenge's metrics (BLEU, NIST, ROUGE-L, CIDEr).",
        discussion: """
            HYPS has one output per line (or is a CSV file with mr and output columns). REFS has \
            references one per line with the instances separated by blank lines, or is a CSV file \
            with mr,ref columns whose consecutive rows with the same MR are one instance. Files are \
            UTF-8. BLEU-4 and NIST-5 follow mteval-v13a.pl, ROUGE-L and CIDEr(-D) the COCO caption \
            scorer, as in the challenge's measure_scores.py. METEOR is not computed.
            """)

    @Argument(help: "The outputs to score, one per line (or a .csv with mr and output columns).")
    var hypotheses: String

    @Argument(help: "The references: one per line, instances separated by blank lines (or a .csv with mr,ref columns).")
    var references: String

    func run() throws {
        let input: E2EScorerInput.Instances
        do {
            input = try E2EScorerInput.load(hypotheses: hypotheses, references: references)
        } catch {
            FileHandle.standardError.write(Data("e2e-score: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let scores = E2EScores(hypotheses: input.hypotheses, references: input.references)
        FileHandle.standardError.write(Data(
            "Scored \(scores.instances) outputs against \(scores.referenceCount) references.\n".utf8))
        print("BLEU: \(format(scores.bleu.score))")
        print("NIST: \(format(scores.nist.score))")
        print("METEOR: \(E2EScores.meteorNote)")
        print("ROUGE_L: \(format(scores.rougeL.score))")
        print("CIDEr: \(format(scores.cider.score))")
    }

    func format(_ x: Double) -> String { String(format: "%.4f", x) }
}

E2EScore.main()
