// Lesson 12 — NOLA on a GPT: the E2E data-to-text task
//
// Follows: the paper's §3.1, Table 1 (E2E NLG Challenge, GPT-2 M and L: LoRA against NOLA on
// Q,V and on the MLP), Table 3 (rank at a fixed budget) and Table 4 (quantized coefficients).
//
// What you will learn:
//   • how a language model that never read an MR is taught to turn a meaning representation into
//     a sentence: `MR <sep> sentence <end>`, loss on the sentence;
//   • LoRA and NOLA on Q,V and NOLA on the MLP, at equal and smaller budgets, scored as the E2E
//     challenge scores (BLEU, NIST, ROUGE-L, CIDEr-D), with beam search (beam 10, length penalty
//     0.9, no repeated 4-grams);
//   • whether NOLA below LoRA rank 1's count keeps its quality — and whether that depends on how
//     good the base is (the paper's intrinsic-dimension argument, tested on bases of rising quality);
//   • how a run of hours is a grid of jobs that survives a kill and splits across machines.
//
// Run: swift run lesson12                  (≈1 min once the base is cached; a subset, stated)
//      swift run lesson12 --quick          (CI smoke run: a tiny model, seconds)
//      swift run -c release lesson12 --data e2e --full   (the paper's splits, 3 seeds, all 630
//                                          test MRs: hours; resumable, see --jobs and README)
//      --results DIR --jobs i/n --from-results --base-only   (the job grid; --full keeps its
//                                          results in Lessons/lesson12/results/<data>-full)
//      --seeds N --test-mrs N --beam N --epochs X --rows lora_r1,nola_qv_1 --quant-rules absmax,mse
//      --rate-scale X                      (every row's rate times X: a probe; --full keeps its
//                                          results apart, e.g. results/e2e-full-l6c256-lr0.5x)
//      --base-shape 6x256                  (a wider base; --full keeps its results apart, and
//                                          cell 9 of the default-shape --full run reads them)
//
// The real E2E files go in data/e2e/ (see data/README.md); the base GPT is cached in data/cache/.

import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let all = options.data.loadOrExit(seed: options.common.seed)
let lesson = Lesson(number: 12, title: "NOLA on a GPT: the E2E data-to-text task",
                    follows: "§3.1, Tables 1, 3 and 4 (E2E NLG Challenge)", options: options.common)
let size = RunSize(options: options, scale: lesson.scale, seed: lesson.seed, data: all)
let data = size.data, real = all.source == .e2eDefault

// MARK: - 1. The data: train, validation, test
// The paper's protocol: train on the training split, choose epochs, rates and the point to stop
// on the development split, and score the test split — each test MR against all its references
// (1 to 45). The default run uses a uniform subset of the training and validation MRs (the files
// are read in a fixed shuffled order) and the first test MRs; the sizes read are printed anyway.
lesson.cell(1, "The data: train, validation, test")
let names = all.testNamesInTraining
func part(_ name: String, _ set: E2EDataset, _ used: E2EDataset) -> (String, String) {
    (name, "\(Format.count(set.count)) MRs, \(Format.count(set.rowCount)) rows"
        + (used.count < set.count ? " — this run uses \(Format.count(used.count)) MRs (\(Format.count(used.rowCount)) rows)" : ""))
}
lesson.facts([
    part(real ? "training (trainset.csv)" : "training", all.train, data.train),
    part(real ? "validation (devset.csv)" : "validation", all.validation, data.validation),
    part(real ? "test (testset_w_refs.csv)" : "test", all.test, data.test),
    ("test restaurants named in training", "\(names.seen) of \(names.total)"),
])
lesson.say(real ? "Source: the E2E NLG Challenge release (Novikova, Dušek, Rieser 2017; CC BY-SA 4.0)."
                : "Source: synthetic restaurants, drawn from the seed (--data e2e for the real files).")

// The job grid (cell 4 says more): every training of the run is a job with a result file.
let kR1 = size.pretraining.embedding  // k = l per site at LoRA r=1's count: 2·layers·2·C numbers over 2·layers sites
let table1 = table1Rows(kR1: kR1), table3 = table3Rows(kR1: kR1)
let rows = size.table1(table1 + siteProbeRows(kR1: kR1), options: options)
let table3Extra = size.scale == .full && options.rows == nil && !options.table4Only ? table3.map(\.row).filter { $0.slug.hasPrefix("t3") } : []
let quantMethods = QuantizationProtocol.methods(kR1: kR1)
let fullTable4 = size.scale != .standard && !options.noTable4
let sweepLabels = size.sweepFractions.map(fractionLabel)
// The order jobs run in (and are dealt to --jobs shares): Table 1's first seed (the claim's rows
// first: full fine-tuning, LoRA r=1, NOLA at r=1's count, ½, ¼, then LoRA r=4, NOLA at its count,
// NOLA on the MLP), Table 1's other seeds, the sweep's earlier bases (one seed each), Table 3,
// Table 4 — so a run stopped early has the most important evidence.
var plan: [(id: String, job: Job)] = [(JobID.base("1"), .base("1"))]
let priority = ["frozen", "full", "lora_r1", "nola_qv_1", "nola_qv_half", "nola_qv_quarter", "lora_r4", "nola_qv_4x", "nola_mlp_1", "nola_mlp_half", "nola_mlp_quarter"]
let ordered = rows.sorted { (priority.firstIndex(of: $0.slug) ?? priority.count) < (priority.firstIndex(of: $1.slug) ?? priority.count) }
func table1Jobs(_ seed: UInt64) -> [(id: String, job: Job)] { ordered.filter { $0.trains || seed == size.seeds[0] }.map { (JobID.row($0.slug, seed: seed), .row($0, seed: seed)) } }
plan += size.seeds.flatMap(table1Jobs)
plan += sweepLabels.flatMap { b in [(JobID.base(b), Job.base(b))] + sweepSlugs.map { slug in (JobID.sweep(slug, base: b), .sweep(table1.first { $0.slug == slug }!, base: b)) } }
plan += size.seeds.flatMap { seed in table3Extra.map { (JobID.row($0.slug, seed: seed), Job.row($0, seed: seed)) } }
plan += fullTable4 ? size.seeds.flatMap { seed in quantMethods.map { (JobID.quant($0.slug, seed: seed), Job.quant($0.method, seed: seed)) } } : []
let grid: JobGrid<JobPayload>
do {
    grid = try JobGrid(lesson: lesson.name, protocol: RunSize.protocolVersion, configuration: size.configuration(rules: options.quantRules),
                       folder: options.grid.folder(default: size.resultsFolder), share: options.grid.share, mode: options.grid.mode)
    try grid.plan(plan.map(\.id))
} catch {
    Lesson.fail("\(error)")
}

// MARK: - 2. The base model: a GPT that read sentences and records, never an MR
// The paper adapts GPT-2, pretrained on web text that never held an E2E MR. Ours is pretrained
// here on two kinds of text, with a tokenizer that never saw an MR either (so an MR is written in
// pieces the base has read: "familyFriendly" as "family", "Friend", "ly"):
//   • the training split's references, each MR's references joined into one document (names and
//     facts recur within it, so the base learns to look back and copy);
//   • records of four other domains — people, films, towns, books — each followed by [sep] and a
//     sentence or two that say its values (`SyntheticRecords`, built by the project). GPT-2 read
//     tables and infoboxes on the web; a base that has never seen a record followed by its text
//     has to learn that from the few numbers being trained, and cell 9 measures what that costs.
lesson.cell(2, "The base model: a GPT that read sentences and records, never an MR")
var bases: [String: E2EBaseModel] = [:]
/// The base stopped at `label` of its pretraining run ("1": finished, "1/8", "0": random), from
/// the cache or pretrained now (a progress bar with its ETA); the finished base's run caches the
/// sweep's earlier bases on its way.
@MainActor func base(_ label: String) -> E2EBaseModel {
    if let known = bases[label] { return known }
    var bar: LessonKit.Progress?
    do {
        var p = size.pretraining
        var snapshots = Set<Int>()
        if label != "1" || !size.sweepFractions.isEmpty {
            let total = try E2EBaseModel.totalSteps(data: size.baseData, pretraining: p)
            snapshots = Set(size.sweepFractions.map { Int($0 * Double(total)) })
            if label != "1" { p = p.stopped(after: Int(fraction(label) * Double(total))) }
        }
        let made = try E2EBaseModel(data: size.baseData, seed: lesson.seed, pretraining: p, snapshots: snapshots) { done, total in
            if bar == nil { bar = lesson.progress("pretraining the base GPT\(label == "1" ? "" : " to \(label) of its run") (once; then cached)", total: total) }
            bar?.advance()
        }
        bar?.finish()
        if let notice = made.cacheNotice { lesson.warn(notice) }
        bases[label] = made
        return made
    } catch {
        Lesson.fail("\(error)")
    }
}
/// The facts of a base as a job result (read from the results, or the base made now).
@MainActor func baseFacts(_ label: String) -> JobPayload.BaseFacts? {
    do {
        return try grid.result(JobID.base(label), anyShare: true) {
            let b = base(label)
            return JobPayload(base: .init(b, steps: b.steps, totalSteps: b.totalSteps, tokensPerSecond: b.tokensPerSecond))
        }?.payload.base
    } catch {
        Lesson.fail("\(error)")
    }
}
let mainBase = baseFacts("1")
if let facts = mainBase {
    lesson.facts([
        ("GPT", "\(facts.shape) — \(Format.count(facts.parameters)) parameters"),
        ("tokenizer", facts.tokenizer + (size.pretraining.tokenizerReadsMRs ? ", trained on sentences and MRs" : ", trained on sentences and records, never an MR")),
        ("pretraining", "\(Format.count(facts.documents)) documents (\(Format.count(size.baseData.train.rowCount)) references; "
            + "\(Format.count(size.pretraining.records)) records of other domains), \(size.pretraining.epochs) epochs, \(Format.count(facts.totalSteps)) steps"
            + (facts.tokensPerSecond.map { ", \(Format.rate($0)) tokens/s" } ?? "")),
        ("validation loss", "\(Format.fixed(facts.validationLoss, 3)) nats/token on the validation split's references"),
        // Facts read from a result file tell how that run made the base, not this one.
        ("base", bases["1"] != nil ? facts.origin
            : facts.origin.replacingOccurrences(of: "trained now in", with: "trained in") + " (as its result file records)"),
    ])
}
if let b = bases["1"] {
    let example = data.test.examples[0].mr.description
    lesson.say("An MR as the base reads it (\(b.tokenizer.encode(example).count) tokens): "
        + b.tokenizer.encode(example).map { b.tokenizer.display($0) }.joined(separator: "|"))
}
if options.baseOnly {
    // Every base the jobs load, the finished one too (its facts may already be a result while
    // its weights are not cached on this machine).
    for label in ["1"] + sweepLabels {
        _ = base(label)
        _ = baseFacts(label)
    }
    lesson.say("--base-only: the base\(sweepLabels.isEmpty ? " is" : "s are") cached; start the jobs now (e.g. with --jobs i/n in several processes).")
    lesson.finish(paperVsOurs: [])
    exit(0)
}

// MARK: - 3. The rows of Table 1 and their trainable parameters
// LoRA on Q,V at ranks 4 and 1; NOLA (rank 8, c = 1, k = l) on Q,V and on the MLP at LoRA r=1's
// count, at half and at a quarter of it (the paper's k = l = 1000 / 500 / 250), and NOLA QV at
// LoRA r=4's count. A NOLA site trains k + l numbers whatever its shape.
lesson.cell(3, "The rows of Table 1 and their trainable parameters")
let (width, layers) = (size.pretraining.embedding, size.pretraining.layers)
let parameters = mainBase?.parameters ?? 0
func count(_ row: Row) -> Int { row.count(width: width, layers: layers, parameters: parameters) }
var countTable = Table(["row", "sites", "method", "trainable", "share of the GPT", "paper GPT-2 M / L"])
for row in table1 + rows.filter(\.probe) {
    countTable.row([row.name + (rows.contains { $0.slug == row.slug } ? "" : " (--full)"),
                    row.sites?.rawValue ?? (row.trains ? "all" : "none"), row.methodText, Format.count(count(row)),
                    Format.percent(Double(count(row)) / Double(max(parameters, 1)), 3),
                    "\(row.paperM.split(separator: " ").first ?? "—") / \(row.paperL.split(separator: " ").first ?? "—")"])
}
lesson.show(countTable)
let loraR1 = count(table1[3])
lesson.say("""
    LoRA r=1 on Q,V trains \(Format.count(loraR1)) numbers here: \(layers) blocks × 2 projections × \
    (\(width) + \(width)). NOLA matches it with k = l = \(kR1) per site; LoRA cannot go lower, NOLA can.
    """)
if rows.contains(where: \.probe) {
    lesson.say("""
        Rows beyond the paper (run because --rows names them): adapters on all six linear layers of every block (Q, K, V, \
        the attention's output, both MLP layers). Does the gap to full fine-tuning come from adapting Q and V only? QLoRA \
        (Dettmers et al. 2023) found that LoRA matches full fine-tuning only when every linear layer is adapted.
        """)
}

// MARK: - 4. The job grid
// Every adaptation of this run — a row with a seed, a base of cell 9, a Table 4 method — is a
// job that writes one small result file when it finishes. A rerun reads the files and runs only
// what is missing (a killed run resumes where it stopped); --jobs i/n runs every n-th job, so n
// processes or machines share the grid; --from-results runs nothing. The folder's grid.json keys
// the results on the configuration below and a protocol version: another configuration's results
// are refused, never mixed. Each file also records the code version, the machine and the times.
lesson.cell(4, "The job grid")
lesson.facts([
    ("jobs", "\(grid.jobs.count): Table 1 \(rows.count) rows × \(size.seeds.count) seed\(size.seeds.count == 1 ? "" : "s")"
        + (sweepLabels.isEmpty ? "" : ", \(sweepLabels.count) earlier bases × \(sweepSlugs.count) rows (cell 9)")
        + (table3Extra.isEmpty ? "" : ", Table 3's \(table3Extra.count) other rows × \(size.seeds.count)")
        + (fullTable4 ? ", Table 4 \(quantMethods.count) methods × \(size.seeds.count)" : "")),
    ("results", grid.folder.map { "\($0.relativeDisplayPath) (configuration \(grid.manifest.key), protocol \(RunSize.protocolVersion))" } ?? "kept in memory (--results DIR to keep them)"),
    ("this process", options.grid.fromResults ? "--from-results: runs nothing" : "share \(grid.share) — \(grid.toRun.count) job\(grid.toRun.count == 1 ? "" : "s") to run"),
    ("adaptation", "\(Format.significant(size.epochs, 2)) epoch\(size.epochs == 1 ? "" : "s") of \(Format.count(data.train.rowCount)) rows, "
        + "batch 16" + (size.rateScale == 1 ? "" : ", every rate × \(size.rateScale)") + ", best of \(size.evaluations + 1) points on \(data.validation.count) validation MRs kept"
        + (size.patience.map { ", stopped after \($0) without improvement" } ?? "")),
    ("decoding", "beam \(size.beam)\(size.beam == 10 ? " (the paper's)" : " (the paper's is 10; --beam 10)"), length penalty 0.9, no repeated 4-grams, \(data.test.count) test MRs"),
])
@MainActor func makeAdaptation(_ b: E2EBaseModel) -> Adaptation {
    let made = Adaptation(base: b, train: E2EFineTuning.Corpus(data.train, tokenizer: b.tokenizer, context: b.configuration.context),
                          validation: E2EFineTuning.Corpus(data.validation, tokenizer: b.tokenizer, context: b.configuration.context),
                          test: data.test, references: E2EScores.References(data.test.examples.map(\.references)),
                          search: BeamSearch(beamWidth: size.beam, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 64, endTokens: [BPETokenizer.end]),
                          epochs: size.epochs, rateScale: size.rateScale, evaluations: size.evaluations, patience: size.patience)
    if made.train.count == 0 || made.validation.count == 0 {
        Lesson.fail("no \(made.train.count == 0 ? "training" : "validation") row fits the GPT's context of \(b.configuration.context) tokens "
            + "(the rows of \(real ? "data/e2e" : "this data") are too long); check the E2E files (data/README.md)")
    }
    return made
}
var adaptations: [String: Adaptation] = [:]
@MainActor func adaptation(_ label: String = "1") -> Adaptation {
    if let known = adaptations[label] { return known }
    let made = makeAdaptation(base(label))
    adaptations[label] = made
    return made
}
let toRun = grid.toRun.filter { !$0.hasPrefix("base-") }
if size.scale == .full && !toRun.isEmpty { estimateTime(adaptation(), jobs: toRun) }
let quantize = QuantizationProtocol.Settings(rules: options.quantRules, mrs: data.test.examples.prefix(size.quantMRs).map(\.mr),
                                             references: data.test.examples.prefix(size.quantMRs).map(\.references), full: fullTable4,
                                             ptqOfRows: size.scale == .standard && !options.noTable4)
for (i, id) in toRun.enumerated() {
    guard let job = plan.first(where: { $0.id == id })?.job else { continue }
    do {
        let result = try grid.result(id) {
            var bar: LessonKit.Progress?  // made at the first step, when the steps are known
            var smoothed: Double?
            defer { bar?.finish() }
            return try job.run(adaptation: { adaptation($0) }, baseFacts: { _ = baseFacts($0) }, quantize: quantize, size: size) { done, total, loss in
                let b = bar ?? lesson.progress("job \(i + 1) of \(toRun.count): \(job.title)", total: total, live: "training loss (nats/token)")
                smoothed = smoothed.map { 0.95 * $0 + 0.05 * Double(loss) } ?? Double(loss)  // --live draws the smoothed loss
                b.advance(note: "loss \(Format.fixed(smoothed!, 3))", plot: smoothed)
                bar = b
            }
        }
        if let result, size.scale != .quick { lesson.say("  job \(i + 1) of \(toRun.count), \(id): \(result.payload.summary), \(Format.seconds(result.wallSeconds)) (\(Format.seconds(result.cpuSeconds)) CPU)") }
    } catch {
        Lesson.fail("\(id): \(error)")
    }
}
if !toRun.isEmpty || grid.folder != nil { lesson.say(grid.summary + ".") }

// MARK: - 5. Adapting, decoding and scoring every row (Table 1)
// Each job starts from the cached base, attaches its adapters (seeded), and trains MR → sentence
// with AdamW (warm-up, linear decay, clipping at norm 1; rates in `E2EFineTuning.Recipe.standard`),
// evaluating the validation loss along the way and keeping its best point. Then beam search
// writes a sentence for every test MR and the challenge's metrics score them.
lesson.cell(5, "Adapting, decoding and scoring every row (Table 1)")
let report = Report(grid: grid, seeds: size.seeds)
showTable1(report, rows: rows)

// MARK: - 6. BLEU and ROUGE-L against trainable parameters
// The paper's claim in one picture: NOLA's curve stays flat to the left of LoRA r=1, where LoRA
// cannot go. Error bars: standard deviation over seeds.
lesson.cell(6, "BLEU and ROUGE-L against trainable parameters")
saveParameterFigures(report, rows: rows)

// MARK: - 7. What the methods write
// A few test MRs, each method's sentence (first seed) and the first reference; then, over all
// the test MRs, how many of their values each row leaves out or adds (slot errors).
lesson.cell(7, "What the methods write")
for i in Array(stride(from: 0, to: data.test.count, by: max(1, data.test.count / 3)).prefix(3)) {
    let example = data.test.examples[i]
    lesson.say("\nMR \(i + 1): \(example.mr)")
    lesson.facts([("reference", example.references[0])] + rows.compactMap { row in report.results(row.slug).first?.outputs.map { (row.name, $0[i]) } })
}
showSlotErrors(report, rows: rows)
writeOutputs(report, rows: rows)

// MARK: - 8. Rank at a fixed budget (Table 3)
// NOLA's count does not depend on its rank: at LoRA r=1's budget, ranks 1, 2, 4, 8 (c = 0.5
// below rank 4, as the paper), then rank 8 with the budget halved three times.
lesson.cell(8, "Rank at a fixed budget (Table 3)")
showTable3(report, table3: table3)

// MARK: - 9. When does a small budget suffice? Bases of rising quality
// The paper leans on pretrained models having a low intrinsic dimension (Aghajanyan et al.,
// 2021): the better the pretraining, the fewer numbers fine-tuning needs. Test it: take earlier
// checkpoints of the base's own pretraining run — from the random initialization to the finished
// base — and adapt each with full fine-tuning, LoRA r=1 and NOLA QV at 1, ½ and ¼ of its count
// (one seed); and, where its own --full run has results, a wider base (--base-shape 6x256).
// If the claim's mechanism holds, NOLA ¼ − LoRA r=1 closes as the base improves.
lesson.cell(9, "When does a small budget suffice? Bases of rising quality")
showSweep(report, labels: sweepLabels, others: OtherBase.find(beside: size, rules: options.quantRules, lesson: lesson))

// MARK: - 10. Quantized coefficients on the GPT (Table 4)
// The paper's Table 4: LoRA QV r=1 against NOLA QV rank 4 with 0.78 of its count (its 144K /
// 184K), trained in float up to a last phase at a tenth of the rate; PTQ quantizes the float
// result, QAT runs the last phase through the quantizer, under each --quant-rules scale rule.
// The default run does PTQ alone, at 3 and 2 bits, of cell 5's LoRA r=1 and NOLA QV models.
lesson.cell(10, "Quantized coefficients on the GPT (Table 4)")
let table4Comparisons = options.noTable4 ? [] : showTable4(report, full: fullTable4, methods: quantMethods, rules: options.quantRules)

// MARK: - Paper vs ours
lesson.say("\nJobs: \(grid.summary).")
lesson.finish(paperVsOurs: closingComparisons(report) + table4Comparisons)
