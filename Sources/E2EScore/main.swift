// e2e-score — the E2E NLG Challenge's automatic metrics for any system's outputs.
//
//   swift run e2e-score HYPS REFS
//   swift run e2e-score outputs.csv data/e2e/testset_w_refs.csv     (paired by MR)
//   my-system | swift run e2e-score - refs.txt                       (outputs on standard input)
//
// HYPS: one output per line; or a .csv with mr,output columns, or the challenge scorer's .tsv of
//       mr<TAB>output lines: outputs with MRs are paired with the references of the same MR.
// REFS: references one per line, instances separated by blank lines; or a .csv (or .tsv) with
//       mr,ref columns, all rows of one MR forming one instance (the E2E release's
//       testset_w_refs.csv works as it is).
// `-` reads standard input; --hyps-format and --refs-format override the extension's format.
//
// Prints BLEU, NIST, METEOR, ROUGE_L and CIDEr, one per line, computed as the challenge's
// measure_scores.py computes them (see NOLAKit's E2EScores and E2EScorerInput). Bad input: one
// line `error: …` on stderr, exit status 1 (64 for a bad argument); scores that could not be
// written (`> /dev/full`) are an error too.

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

extension E2EScorerInput.Format: ExpressibleByArgument {}

struct E2EScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e-score",
        abstract: "Score generated sentences with the E2E NLG Challenge's metrics (BLEU, NIST, ROUGE-L, CIDEr).",
        discussion: """
            HYPS has one output per line, or is a .csv file with mr,output columns or a .tsv file of \
            mr<TAB>output lines (the challenge scorer's); outputs with MRs are paired with the \
            references of the same MR. REFS has references one per line with the instances separated \
            by blank lines, or is a .csv (or .tsv) file with mr,ref columns whose rows with the same MR \
            are one instance. `-` reads standard input. Files are UTF-8. BLEU-4 and NIST-5 follow \
            mteval-v13a.pl, ROUGE-L and CIDEr(-D) the COCO caption scorer, as in the challenge's \
            measure_scores.py. METEOR is not computed.
            """)

    @Argument(help: "The outputs to score: one per line, a .csv with mr,output columns, a .tsv of mr<TAB>output, or - for standard input.")
    var hypotheses: String

    @Argument(help: "The references: one per line, instances separated by blank lines, or a .csv or .tsv with mr,ref columns.")
    var references: String

    @Option(name: .customLong("hyps-format"), help: "How to read HYPS: auto (by its extension), text, csv or tsv.")
    var hypothesesFormat: E2EScorerInput.Format = .auto

    @Option(name: .customLong("refs-format"), help: "How to read REFS: auto (by its extension), text, csv or tsv.")
    var referencesFormat: E2EScorerInput.Format = .auto

    func validate() throws {
        if hypotheses.isEmpty || references.isEmpty {
            throw ValidationError("HYPS and REFS must name files (or - for standard input), not ''.")
        }
    }
}

let command = E2EScore.parseLessonOptions()
let input: E2EScorerInput.Instances
do {
    input = try E2EScorerInput.load(
        hypotheses: command.hypotheses, references: command.references,
        hypothesesFormat: command.hypothesesFormat, referencesFormat: command.referencesFormat)
} catch {
    Lesson.fail("\(error)")
}
let scores = E2EScores(hypotheses: input.hypotheses, references: input.references)
let results: [(String, Double)] = [
    ("BLEU", scores.bleu.score), ("NIST", scores.nist.score), ("ROUGE_L", scores.rougeL.score), ("CIDEr", scores.cider.score),
]
// Finite inputs must give finite scores; a NaN printed as a score would look like a result.
if let bad = results.first(where: { !$0.1.isFinite }) {
    Lesson.fail("\(bad.0) came out as \(bad.1) for these \(input.hypotheses.count) outputs: not a score; "
        + "please report the two files (this is a bug in e2e-score).")
}
func format(_ x: Double) -> String { String(format: "%.4f", x) }
print("BLEU: \(format(scores.bleu.score))")
print("NIST: \(format(scores.nist.score))")
print("METEOR: \(E2EScores.meteorNote)")
print("ROUGE_L: \(format(scores.rougeL.score))")
print("CIDEr: \(format(scores.cider.score))")
Lesson.checkStandardOutput("the scores")  // scores lost to a full disk: one line, exit 1
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
StandardStreams.writeError(
    "Scored \(counted(scores.instances, "output")) against \(counted(scores.referenceCount, "reference")) "
        + "(paired \(input.pairedByMR ? "by MR" : "by position")).\n")
