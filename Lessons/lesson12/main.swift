// Lesson 12 — NOLA on a GPT: the E2E data-to-text task
//
// Follows: the paper's §3.1, Table 1 (E2E NLG Challenge, GPT-2 M and L: LoRA against NOLA on
// Q,V and on the MLP), Table 3 (rank at a fixed budget) and Table 4 (quantized coefficients).
//
// What you will learn:
//   • how a language model that only ever read restaurant descriptions is taught to turn a meaning
//     representation (MR) into a sentence: `MR <sep> sentence <end>`, loss on the sentence;
//   • LoRA and NOLA on the query/value projections and NOLA on the MLP, at equal and at smaller
//     budgets, scored as the E2E challenge scores (BLEU, NIST, ROUGE-L, CIDEr-D);
//   • beam search as the LoRA/NOLA E2E decoder (beam 10, length penalty 0.9, no repeated 4-grams);
//   • whether NOLA below LoRA rank 1's parameter count keeps its quality, and whether its
//     coefficients survive 2- and 3-bit quantization better than LoRA's factors.
//
// Run: swift run lesson12                  (≈1 min once the base model is cached; a subset, stated)
//      swift run lesson12 --quick          (CI smoke run: a tiny model, seconds)
//      swift run -c release lesson12 --data e2e --full   (every row, 3 seeds, the whole test set;
//                                          about 2½ hours on 2 cores — split it: --no-table4 in
//                                          one run, --table4-only in another)
//      --seeds N --test-mrs N --beam N --quant-mrs N --epochs X   (override the run's size; 0 MRs = all)
//      --rows lora_r1,nola_qv_1            (some of Table 1's rows)
//      --quant-rules absmax,mse,mean-abs,absmax/32   (cell 8's scale rules)
//
// The first run pretrains the base model (≈2 minutes on 2 cores, a progress bar) and caches it
// in data/cache/; later runs load it. The real E2E files go in data/e2e/ (see data/README.md).

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson12",
        abstract: "Lesson 12 — NOLA on a GPT for E2E data-to-text: Tables 1, 3 and 4 with the challenge's metrics.")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: TextDataOptions
    @Option(help: "Seeds per row (default: 1, --full 3).")
    var seeds: Int?
    @Option(name: .customLong("test-mrs"), help: "Test MRs to decode and score (0: all; default 60, --full all).")
    var testMRs: Int?
    @Option(help: "Beam width of the decoder (the paper's 10; default run 4).")
    var beam: Int?
    @Option(name: .customLong("quant-mrs"), help: "Test MRs scored in the quantization cell (0: all of cell 4's; default 20, --full all).")
    var quantMRs: Int?
    @Option(help: "Epochs of adaptation per row (default 0.5, --full 2).")
    var epochs: Double?
    @Option(help: "Table 1 rows to run, comma-separated slugs (e.g. lora_r1,nola_qv_1; default: the run's own set).")
    var rows: String?
    @Option(name: .customLong("quant-rules"), help: ArgumentHelp(
        "Scale rules of cell 8, comma-separated: absmax, mse, mean-abs, each optionally per group (absmax/32).",
        valueName: "rules"))
    var quantRulesText = "absmax,mse"
    @Flag(name: .customLong("no-table4"), help: "Skip cell 8 (Table 4); with --table4-only in a second run, splits a long --full run in two.")
    var noTable4 = false
    @Flag(name: .customLong("table4-only"), help: "Run cell 8 (Table 4) alone, e.g. to split a long --full run in two.")
    var table4Only = false

    func validate() throws {
        if let seeds, !(1...10).contains(seeds) { throw ValidationError("--seeds must be from 1 to 10, e.g. --seeds 3.") }
        if let testMRs, testMRs < 0 { throw ValidationError("--test-mrs must be 0 (all) or a positive count, e.g. --test-mrs 100.") }
        if let beam, !(1...32).contains(beam) { throw ValidationError("--beam must be from 1 to 32, e.g. --beam 10.") }
        _ = try parsedQuantRules()
        if let unknown = chosenRows?.subtracting(Self.rowSlugs).sorted(), !unknown.isEmpty {
            throw ValidationError("--rows: no row \(unknown.joined(separator: ", ")); the rows are \(Self.rowSlugs.joined(separator: ", ")).")
        }
        if noTable4 && table4Only { throw ValidationError("--no-table4 and --table4-only exclude each other; pass one.") }
        if let epochs, !(epochs > 0 && epochs <= 50) { throw ValidationError("--epochs must be above 0 and at most 50, e.g. --epochs 3.") }
        if let quantMRs, quantMRs < 0 { throw ValidationError("--quant-mrs must be 0 (all) or a positive count, e.g. --quant-mrs 50.") }
    }
}
/// A scale rule of cell 8, one scale per tensor or per group of `group` coefficients.
struct QuantRule {
    let rule: ScaleRule
    let group: Int?
    /// "absmax", "MSE-optimal", "mean-|x|", with " per 32" for groups.
    var name: String { rule.title + (group.map { " per \($0)" } ?? "") }
    /// For file names: "absmax", "mse", "mean-abs", "absmax_g32".
    var slug: String { rule.rawValue + (group.map { "_g\($0)" } ?? "") }
    func quantizer(_ bits: Int) -> SymmetricQuantizer { SymmetricQuantizer(bits: bits, rule: rule, groupSize: group) }
}
extension Options {
    func parsedQuantRules() throws -> [QuantRule] {
        let rules = try quantRulesText.split(separator: ",", omittingEmptySubsequences: false).map { item -> QuantRule in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let rule = ScaleRule(rawValue: String(parts[0])) else {
                throw ValidationError("--quant-rules: '\(item)' is not a rule; use absmax, mse or mean-abs, optionally /GROUP (e.g. absmax,mse,absmax/32).")
            }
            if parts.count == 1 { return QuantRule(rule: rule, group: nil) }
            guard let group = Int(parts[1]), group > 0 else {
                throw ValidationError("--quant-rules: the group in '\(item)' must be a positive whole number, e.g. absmax/32.")
            }
            return QuantRule(rule: rule, group: group)
        }
        guard Set(rules.map(\.slug)).count == rules.count else { throw ValidationError("--quant-rules: a rule is listed twice in '\(quantRulesText)'.") }
        return rules
    }
    var quantRules: [QuantRule] { (try? parsedQuantRules()) ?? [] }
    /// The slugs of Table 1's rows (cell 3), in order.
    static let rowSlugs = ["frozen", "full", "lora_r4", "lora_r1", "nola_qv_4x", "nola_qv_1", "nola_mlp_1",
                           "nola_qv_half", "nola_mlp_half", "nola_qv_quarter", "nola_mlp_quarter"]
    /// `--rows` as a set (nil: not given).
    var chosenRows: Set<String>? { rows.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) } }
}
let options = Options.parseLessonOptions()
let data = options.data.loadOrExit(seed: options.common.seed)
let lesson = Lesson(number: 12, title: "NOLA on a GPT: the E2E data-to-text task",
                    follows: "§3.1, Tables 1, 3 and 4 (E2E NLG Challenge)", options: options.common)
let scale = lesson.scale
let seeds = (0..<UInt64(options.seeds ?? scale.pick(quick: 1, standard: 1, full: 3))).map { lesson.seed &+ $0 }
let beamWidth = options.beam ?? scale.pick(quick: 2, standard: 4, full: 10)
let epochs = options.epochs ?? scale.pick(quick: 0.15, standard: 0.5, full: 2.0)

// MARK: - 1. The data and its tokens
// Train on the dev split's MRs (10 % of them held out for validation, by MR), score on the test
// split, each MR against all its references. A byte-level BPE tokenizer trained on the training
// sentences and MRs; every row `[begin] MR [sep] sentence [end]` must fit the model's context.
lesson.cell(1, "The data and its tokens")
let pretraining = scale.pick(quick: E2EBaseModel.Pretraining.tiny, standard: .init(), full: .init())
let quickData = E2EData(train: data.train.prefix(60), validation: data.validation.prefix(8), test: data.test.prefix(8),
                        source: data.source)
let usedData = scale == .quick ? quickData : data
let testCount = min(usedData.test.count, options.testMRs.map { $0 == 0 ? Int.max : $0 } ?? scale.pick(quick: 6, standard: 30, full: .max))
let test = usedData.test.prefix(testCount)
lesson.say("""
    Data: \(data.train.count) training MRs (\(data.train.rowCount) rows), \(data.validation.count) validation MRs \
    (\(data.validation.rowCount) rows), \(data.test.count) test MRs (\(data.test.rowCount) references)\
    \(scale == .quick ? "; this quick run uses \(quickData.train.count) training MRs" : ""). \
    Source: \(data.source == .e2eDefault ? "the E2E NLG Challenge files (Novikova et al. 2017, CC BY-SA 4.0)" : "synthetic restaurants (--data e2e for the real files)").
    """)

// MARK: - 2. The base model: a GPT that has only read sentences
// The paper adapts GPT-2, pretrained on web text. Ours is a small GPT pretrained here on the
// training split's reference sentences alone — never an MR — so that adaptation has something
// to teach: reading the MR. The sentences come in documents, each MR's references side by side
// (like a page of reviews of one restaurant): names and facts recur within a document, so the
// base learns to look back and copy, as GPT-2 did from web text. A base pretrained on single
// sentences, where nothing recurs, ignored the MR even after 3 epochs of full fine-tuning
// (it wrote "Fitzbillies is a coffee shop…" for every MR; BLEU 23 on 30 test MRs, 27 with
// documents). It is cached in data/cache/ with its tokenizer.
lesson.cell(2, "The base model: a GPT that has only read sentences")
var pretrainProgress: LessonKit.Progress?  // made at the first step, when the number of steps is known
let base: E2EBaseModel
do {
    base = try E2EBaseModel(data: usedData, seed: lesson.seed, pretraining: pretraining) { _, total in
        if pretrainProgress == nil { pretrainProgress = lesson.progress("pretraining the base GPT (once; then cached)", total: total) }
        pretrainProgress!.advance()
    }
} catch {
    Lesson.fail("\(error)")
}
pretrainProgress?.finish()
if let notice = base.cacheNotice { lesson.warn(notice) }
let context = base.configuration.context
let trainCorpus = E2EFineTuning.Corpus(usedData.train, tokenizer: base.tokenizer, context: context)
let validationCorpus = E2EFineTuning.Corpus(usedData.validation, tokenizer: base.tokenizer, context: context)
let rowLengths = trainCorpus.sequences.map(\.count).sorted()
let longestPrompt = test.examples.map { base.tokenizer.encodePrompt($0.mr.description).count }.max() ?? 0
lesson.facts([
    ("tokenizer", base.tokenizer.description),
    ("GPT", "\(base.configuration) — \(Format.count(base.configuration.parameterCount)) parameters"),
    ("base", base.origin),
    ("pretraining", "\(Format.count(usedData.pretrainingCorpus.count)) sentences in \(Format.count(base.documentCount)) documents "
        + "(each MR's references, no MR), \(pretraining.epochs) epochs, "
        + "validation loss \(Format.fixed(base.validationLoss, 3)) nats/token"),
    ("rows MR <sep> sentence <end>", "median \(rowLengths[rowLengths.count / 2]) tokens, longest \(rowLengths.last!); "
        + "\(trainCorpus.dropped) of \(trainCorpus.count + trainCorpus.dropped) rows exceed the context \(context) + 1 and are left out"),
    ("decoding", "beam \(beamWidth)\(beamWidth == 10 ? " (the paper's)" : " (the paper's is 10; --beam 10)"), length penalty 0.9, "
        + "no repeated 4-grams, ≤ \(min(64, context - longestPrompt)) new tokens (longest test prompt \(longestPrompt))"),
])

// MARK: - 3. The rows of Table 1 and their trainable parameters
// LoRA on Q,V at ranks 4 and 1; NOLA (rank 8, c = 1, k = l) on Q,V and on the MLP at LoRA r=1's
// count, at half and at a quarter of it (the paper's k = l = 1000 / 500 / 250), and NOLA QV at
// LoRA r=4's count. A NOLA site trains k + l numbers whatever its shape, so NOLA on the MLP's
// 128×512 layers costs what it costs on the 128×128 projections.
lesson.cell(3, "The rows of Table 1 and their trainable parameters")
let width = base.configuration.embedding, layers = base.configuration.layers
let loraR1Count = layers * 2 * (width + width)  // 2 sites per block, r·(in + out)
let kR1 = loraR1Count / (2 * layers) / 2  // k = l at LoRA r=1's count
/// One row of the tables: a method at a set of sites (nil method: full fine-tuning or frozen).
struct Row {
    let name: String
    let slug: String
    let method: AdapterMethod?
    let sites: TransformerSites?
    let family: String  // "LoRA", "NOLA QV", "NOLA MLP", or the row's own name
    let trains: Bool
    /// The paper's row (GPT-2 M; GPT-2 L): "params BLEU NIST ROUGE-L CIDEr", "—" where it has none.
    let paperM: String
    let paperL: String
}
func nola(_ rank: Int, _ k: Int, c: Float = 1) -> AdapterMethod { .nola(rank: rank, k: k, l: k, c: c, basis: .perLayer) }
let table1: [Row] = [
    Row(name: "frozen base", slug: "frozen", method: nil, sites: nil, family: "frozen", trains: false, paperM: "—", paperL: "—"),
    Row(name: "full fine-tuning", slug: "full", method: nil, sites: nil, family: "full", trains: true,
        paperM: "354.9M 68.2 8.62 71.0 2.47", paperL: "774.0M 68.5 8.78 69.9 2.45"),
    Row(name: "LoRA QV r=4", slug: "lora_r4", method: .lora(rank: 4, c: 1), sites: .queryValue, family: "LoRA", trains: true,
        paperM: "0.350M 70.4 8.85 71.8 2.53", paperL: "0.770M 70.4 8.89 72.0 2.47"),
    Row(name: "LoRA QV r=1", slug: "lora_r1", method: .lora(rank: 1, c: 1), sites: .queryValue, family: "LoRA", trains: true,
        paperM: "0.098M 68.7 8.72 70.5 2.43", paperL: "0.184M 69.9 8.81 71.6 2.53"),
    Row(name: "NOLA QV = LoRA r=4", slug: "nola_qv_4x", method: nola(8, 4 * kR1), sites: .queryValue, family: "NOLA QV",
        trains: true, paperM: "0.350M 70.1 8.80 71.7 2.53", paperL: "—"),
    Row(name: "NOLA QV = LoRA r=1", slug: "nola_qv_1", method: nola(8, kR1), sites: .queryValue, family: "NOLA QV",
        trains: true, paperM: "0.096M 70.0 8.82 71.6 2.51", paperL: "0.144M 70.5 8.85 71.7 2.54"),
    Row(name: "NOLA MLP = LoRA r=1", slug: "nola_mlp_1", method: nola(8, kR1), sites: .mlp, family: "NOLA MLP",
        trains: true, paperM: "0.096M 70.2 8.79 71.8 2.51", paperL: "0.144M 70.1 8.80 71.2 2.52"),
    Row(name: "NOLA QV 1/2", slug: "nola_qv_half", method: nola(8, kR1 / 2), sites: .queryValue, family: "NOLA QV",
        trains: true, paperM: "0.048M 70.1 8.82 71.4 2.52", paperL: "0.072M 69.8 8.80 71.3 2.51"),
    Row(name: "NOLA MLP 1/2", slug: "nola_mlp_half", method: nola(8, kR1 / 2), sites: .mlp, family: "NOLA MLP",
        trains: true, paperM: "0.048M 69.4 8.71 71.5 2.47", paperL: "0.072M 69.4 8.71 71.5 2.48"),
    Row(name: "NOLA QV 1/4", slug: "nola_qv_quarter", method: nola(8, kR1 / 4), sites: .queryValue, family: "NOLA QV",
        trains: true, paperM: "—", paperL: "0.036M 70.1 8.80 71.7 2.53"),
    Row(name: "NOLA MLP 1/4", slug: "nola_mlp_quarter", method: nola(8, kR1 / 4), sites: .mlp, family: "NOLA MLP",
        trains: true, paperM: "—", paperL: "0.036M 70.0 8.81 71.5 2.53"),
]
// The default run: the rows that answer the lesson's question, one seed, a test subset.
let defaultRows: Set<String> = ["frozen", "lora_r1", "nola_qv_1", "nola_qv_quarter"]
precondition(table1.map(\.slug) == Options.rowSlugs, "lesson12: Options.rowSlugs must list table1's rows")
let rows = options.table4Only ? [] : table1.filter { options.chosenRows?.contains($0.slug) ?? (scale == .full || defaultRows.contains($0.slug)) }

/// Trainable scalars of `row` on the base (counted on a model with the adapters attached).
@MainActor func trainableCount(_ row: Row) -> Int {
    let model = base.makeModel()
    if let method = row.method { model.attach(method, seed: 0, sites: model.sites(row.sites!)) }
    if !row.trains { model.parameters.freezeAll() }
    return model.parameters.trainableCount
}
var counts: [String: Int] = [:]
var countTable = Table(["row", "sites", "method", "trainable (exact)", "share of the GPT", "paper GPT-2 M / L"])
for row in table1 {
    counts[row.slug] = trainableCount(row)
    let methodText: String = switch row.method {
    case .lora(let r, _)?: "r = \(r)"
    case .nola(let r, let k, let l, _, _)?: "r = \(r), k = l = \(k)\(k == l ? "" : "/\(l)")"
    default: "—"
    }
    countTable.row([row.name + (rows.contains { $0.slug == row.slug } ? "" : " (--full)"),
                    row.sites?.rawValue ?? (row.trains ? "all" : "none"), methodText,
                    Format.count(counts[row.slug]!),
                    Format.percent(Double(counts[row.slug]!) / Double(base.configuration.parameterCount), 3),
                    "\(row.paperM.split(separator: " ").first ?? "—") / \(row.paperL.split(separator: " ").first ?? "—")"])
}
lesson.show(countTable)
lesson.say("""
    LoRA r=1 on Q,V trains \(Format.count(loraR1Count)) numbers here: \(layers) blocks × 2 projections × \
    (\(width) + \(width)). NOLA matches it with k = l = \(kR1) per site; LoRA cannot go lower, NOLA can.
    """)

// MARK: - 4. Adapting, decoding and scoring every row
// Each row starts from the cached base, attaches its adapters (seeded), and trains
// MR → sentence (half an epoch by default, two in --full) with AdamW (warm-up, linear decay,
// clipping at norm 1; rates in `E2EFineTuning.Recipe.standard`).
// Then beam search writes a sentence for every test MR, and the challenge's metrics score them
// against all of that MR's references. Outputs go to plots/lesson12/outputs_<row>.txt beside
// references.txt, in the format `swift run e2e-score HYPS REFS` reads.
lesson.cell(4, "Adapting, decoding and scoring every row")
let references = E2EScores.References(test.examples.map(\.references))
let search = BeamSearch(beamWidth: beamWidth, lengthPenalty: 0.9, noRepeatNgram: 4, maxTokens: 64, endTokens: [BPETokenizer.end])
do {
    try E2EDecoding.referencesFile(test.examples.map(\.references))
        .write(to: lesson.plotsFolder.appendingPathComponent("references.txt"), atomically: true, encoding: .utf8)
} catch {
    Lesson.fail("cannot write \(lesson.plotsFolder.relativePath)/references.txt (\(error.localizedDescription)); pass --plots with a writable folder.")
}

/// What one (row, seed) run gave.
struct RunResult {
    var scores: E2EScores
    var outputs: [String]
    var curve: [E2EFineTuning.Record]
    var seconds: Double
}
var results: [String: [RunResult]] = [:]
/// Every seed's trained model of the rows cell 8 quantizes in the default run.
var trainedModels: [String: [GPT]] = [:]

/// Adapts a fresh base as `row` says (nil method and `trains`: full fine-tuning), for `recipe`.
@MainActor func adapted(_ method: AdapterMethod?, sites: TransformerSites?, seed: UInt64) -> GPT {
    let model = base.makeModel()
    if let method { model.attach(method, seed: seed, sites: model.sites(sites!)) }
    return model
}
/// Beam search over `mrs` on both cores: `model` and a copy of it (built as `method`, `sites`,
/// `seed` say, with `model`'s values) each decode half of them.
@MainActor func decodeOnTwoCores(_ model: GPT, _ method: AdapterMethod?, _ sites: TransformerSites?, seed: UInt64,
                                 mrs: [MeaningRepresentation]) -> [String] {
    let copy = adapted(method, sites: sites, seed: seed)
    copy.copyValues(from: model)
    return E2EDecoding.decode(copies: [model, copy], tokenizer: base.tokenizer, mrs: mrs, search: search)
}
@MainActor func decodeAndScore(_ model: GPT, _ method: AdapterMethod?, _ sites: TransformerSites?, seed: UInt64) -> (E2EScores, [String]) {
    let outputs = decodeOnTwoCores(model, method, sites, seed: seed, mrs: test.examples.map(\.mr))
    return (E2EScores(hypotheses: outputs, references: references), outputs)
}

/// Trains and scores `row` with every seed (results[row.slug]).
@MainActor func run(_ row: Row, method: AdapterMethod?, c label: String? = nil) {
    let progress = lesson.progress(row.name, total: seeds.count * (row.trains ? 2 : 1))
    for seed in seeds {
        let clock = ContinuousClock.now
        let model = adapted(method, sites: row.sites, seed: seed)
        var curve: [E2EFineTuning.Record] = []
        if row.trains {
            do {
                curve = try E2EFineTuning.train(model, on: trainCorpus, validation: validationCorpus,
                                                recipe: .standard(for: method, epochs: epochs), seed: seed &+ 1)
            } catch {
                Lesson.fail("\(row.name), seed \(seed): \(error)")
            }
            progress.advance(note: "\(row.name) decoding")
        } else {
            model.parameters.freezeAll()
        }
        let (scores, outputs) = decodeAndScore(model, method, row.sites, seed: seed)
        if ["lora_r1", "nola_qv_1"].contains(row.slug) { trainedModels[row.slug, default: []].append(model) }
        results[row.slug, default: []].append(
            RunResult(scores: scores, outputs: outputs, curve: curve, seconds: (ContinuousClock.now - clock).seconds))
        progress.advance()
    }
    progress.finish()
    let file = lesson.plotsFolder.appendingPathComponent("outputs_\(row.slug).txt")
    do {
        try E2EDecoding.outputsFile(results[row.slug]![0].outputs).write(to: file, atomically: true, encoding: .utf8)
    } catch {
        Lesson.fail("cannot write \(file.relativePath) (\(error.localizedDescription)); pass --plots with a writable folder.")
    }
}
for row in rows { run(row, method: row.method) }

/// "+1.23", "−0.50", "0.00"; "—" for nil.
func signed(_ x: Double?) -> String {
    guard let x else { return "—" }
    let text = Format.fixed(abs(x), 2)
    return text == "0.00" ? text : (x > 0 ? "+" : "−") + text
}
@MainActor func metric(_ slug: String, _ pick: (E2EScores) -> Double) -> Spread { Spread(results[slug]!.map { pick($0.scores) }) }
@MainActor func bleu(_ slug: String) -> Spread { metric(slug) { 100 * $0.bleu.score } }
@MainActor func rouge(_ slug: String) -> Spread { metric(slug) { 100 * $0.rougeL.score } }
var mainTable = Table(["row", "trainable", "BLEU", "NIST", "ROUGE-L", "CIDEr", "s/run", "paper GPT-2 M", "paper GPT-2 L"])
for row in rows {
    mainTable.row([row.name, Format.count(counts[row.slug]!), bleu(row.slug).text(1),
                   metric(row.slug) { $0.nist.score }.text(2), rouge(row.slug).text(1),
                   metric(row.slug) { $0.cider.score }.text(2),
                   Format.fixed(Spread(results[row.slug]!.map(\.seconds)).mean, 0), row.paperM, row.paperL])
}
lesson.show(mainTable)
lesson.say("""
    (\(seeds.count == 1 ? "One seed" : "Mean ± std over \(seeds.count) seeds"), \(test.count) test MRs\
    \(test.count < usedData.test.count ? " of \(usedData.test.count) (--test-mrs 0 for all)" : ""); BLEU and ROUGE-L in %, as the \
    paper prints them; paper columns: trainable, BLEU, NIST, ROUGE-L, CIDEr. METEOR: \(E2EScores.meteorNote).)\
    \(scale == .standard ? " This default run has \(rows.count) of the \(table1.count) rows; --full runs all of them with 3 seeds on the whole test set." : "")
    """)

if results["lora_r1"] != nil {
    let floor = bleu("lora_r1")
    let below = rows.filter { $0.family.hasPrefix("NOLA") && counts[$0.slug]! < counts["lora_r1"]! }
    let verdicts = below.map { row -> String in
        let b = bleu(row.slug), gap = b.mean - floor.mean
        let margin = max(floor.std + b.std, 1.0)
        return "\(row.name) (\(Format.count(counts[row.slug]!))): \(signed(gap)) BLEU, "
            + (gap >= -margin ? (gap > margin ? "above" : "a match") : "below")
    }
    if !verdicts.isEmpty {
        lesson.say("""
            Below LoRA r=1's \(Format.count(counts["lora_r1"]!)) numbers, where LoRA cannot go (the paper's claim): \
            \(verdicts.joined(separator: "; ")) — against LoRA r=1's \(floor.text(1)) BLEU ("a match": within \
            1 BLEU or the seed spreads, whichever is larger).
            """)
    }
}

// MARK: - 5. BLEU and ROUGE-L against trainable parameters
// The paper's claim in one picture: NOLA's curve stays flat to the left of LoRA r=1, where LoRA
// cannot go. Error bars: standard deviation over seeds.
lesson.cell(5, "BLEU and ROUGE-L against trainable parameters")
let dataName = data.source == .e2eDefault ? "E2E test set" : "Synthetic restaurants"
let families: [(String, Color, Bool)] = [("LoRA", .lora, false), ("NOLA QV", .nola, false), ("NOLA MLP", .orange, true)]
for (name, label, pick) in rows.contains(where: { $0.method != nil }) ? [("bleu_vs_parameters", "BLEU (%)", bleu), ("rougeL_vs_parameters", "ROUGE-L (%)", rouge)] as [(String, String, @MainActor (String) -> Spread)] : [] {
    var figure = Figure(name, title: "\(dataName): \(label.split(separator: " ")[0]) against trainable parameters (cf. Table 1)",
                        x: "trainable parameters (log scale)", y: "\(label), \(test.count) test MRs")
    figure.logX = true
    figure.legend = .bottomRight
    var lows: [Double] = [], highs: [Double] = []
    for (family, color, dashed) in families {
        let members = rows.filter { $0.family == family }.sorted { counts[$0.slug]! < counts[$1.slug]! }
        guard !members.isEmpty else { continue }
        let spreads = members.map { pick($0.slug) }
        lows += spreads.map { $0.mean - $0.std }
        highs += spreads.map { $0.mean + $0.std }
        figure.add(.errorBars("\(family) (\(members.map { Format.count(counts[$0.slug]!) }.joined(separator: ", ")))",
                              x: members.map { Double(counts[$0.slug]!) }, y: spreads.map(\.mean), error: spreads.map(\.std),
                              color: color, dashed: dashed))
    }
    for (slug, color) in [("full", Color.dense), ("frozen", Color.base)] where results[slug] != nil {
        let value = pick(slug).mean
        lows.append(value)
        highs.append(value)
        figure.annotate(.horizontalLine(y: value, label: slug == "full" ? "full fine-tuning (\(Format.count(counts[slug]!)))" : "frozen base (0)",
                                        color: color))
    }
    let xs = rows.filter { $0.method != nil }.map { Double(counts[$0.slug]!) }
    figure.xRange = (xs.min()! / 1.6)...(xs.max()! * 1.6)
    figure.xTics = Set(xs).sorted().map { ($0, String(Int($0))) }
    let (lo, hi) = (lows.min()!, highs.max()!)
    figure.yRange = max(0, lo - 0.08 * (hi - lo) - 1)...(hi + 0.25 * (hi - lo) + 1)
    lesson.save(figure)
}

var lossFigure = Figure("validation_loss", title: "Validation loss while adapting (\(data.source == .e2eDefault ? "E2E" : "synthetic restaurants"), seed \(seeds[0]))",
                        x: "epochs over the training rows", y: "validation loss (nats per sentence token)")
lossFigure.legend = .topRight
for (i, row) in rows.enumerated() where row.trains {
    let curve = results[row.slug]![0].curve
    let color: Color = switch row.family {
    case "LoRA": .lora
    case "NOLA QV": .nola
    case "NOLA MLP": .orange
    default: .dense
    }
    lossFigure.add(.lines("\(row.name) (\(Format.count(counts[row.slug]!)))", x: curve.map(\.epoch), y: curve.map(\.validationLoss),
                          color: color, dashed: i % 2 == 0 && row.family != "full"))
}
if !lossFigure.series.isEmpty { lesson.save(lossFigure) }
lesson.say("Figures bleu_vs_parameters, rougeL_vs_parameters (log x) and validation_loss written.")

// MARK: - 6. What the methods write
// A few test MRs, each method's sentence (first seed) and the first reference.
lesson.cell(6, "What the methods write")
for i in Array(stride(from: 0, to: test.count, by: max(1, test.count / 3)).prefix(3)) {
    let example = test.examples[i]
    lesson.say("\nMR \(i + 1): \(example.mr)")
    lesson.facts([("reference", example.references[0])] + rows.map { ($0.name, results[$0.slug]![0].outputs[i]) })
}

// MARK: - 7. Rank at a fixed budget (Table 3)
// NOLA's parameter count does not depend on its rank: at LoRA r=1's budget, ranks 1, 2, 4, 8
// (c = 0.5 below rank 4, as the paper); then rank 8 with the budget halved three times.
lesson.cell(7, "Rank at a fixed budget (Table 3)")
var table3Rows: [(row: Row, method: AdapterMethod, paper: String)] = [
    (Row(name: "r=1, k=l=\(kR1)", slug: "t3_r1", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(1, kR1, c: 0.5), "69.09 / 69.71"),
    (Row(name: "r=2, k=l=\(kR1)", slug: "t3_r2", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(2, kR1, c: 0.5), "70.47 / 69.69"),
    (Row(name: "r=4, k=l=\(kR1)", slug: "t3_r4", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(4, kR1), "69.69 / 70.25"),
    (Row(name: "r=8, k=l=\(kR1)", slug: "nola_qv_1", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(8, kR1), "70.03 / 70.46"),
    (Row(name: "r=8, k=l=\(kR1 / 2)", slug: "nola_qv_half", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(8, kR1 / 2), "70.09 / —"),
    (Row(name: "r=8, k=l=\(kR1 / 4)", slug: "nola_qv_quarter", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(8, kR1 / 4), "68.30 / —"),
    (Row(name: "r=8, k=l=\(kR1 / 8)", slug: "t3_eighth", method: nil, sites: .queryValue, family: "t3", trains: true, paperM: "", paperL: ""),
     nola(8, kR1 / 8), "67.18 / —"),
]
if scale != .full || options.table4Only { table3Rows = table3Rows.filter { results[$0.row.slug] != nil } }
for (row, method, _) in table3Rows where results[row.slug] == nil { run(row, method: method) }
var rankTable = Table(["NOLA QV", "trainable", "BLEU", "NIST", "ROUGE-L", "CIDEr", "paper BLEU M / L"])
for (row, method, paper) in table3Rows {
    rankTable.row([row.name, Format.count(method.trainableCount(inputs: width, outputs: width) * 2 * layers),
                   bleu(row.slug).text(1), metric(row.slug) { $0.nist.score }.text(2), rouge(row.slug).text(1),
                   metric(row.slug) { $0.cider.score }.text(2), paper])
}
lesson.show(rankTable)
lesson.say("(Paper: GPT-2 M at 96K/48K/24K/12K, GPT-2 L at 144K.\(scale == .full ? "" : " This run has \(table3Rows.count) of these rows, those cell 4 trained; --full all seven."))")

// MARK: - 8. Quantized coefficients on the GPT (Table 4)
// Issue 16's question on this task. --full (and --quick) run Table 4's protocol, as lesson 10:
// LoRA QV r=1 against NOLA QV rank 4 with 0.78 of its parameters (the paper's 144K / 184K),
// trained in float up to a last phase at a tenth of the rate; PTQ quantizes the float result,
// QAT runs the same last phase through the quantizer (`QuantizationExperiment`), under the
// absmax rule (the authors' QNOLA) and the MSE-optimal one. That is 7 trainings and 17 decodings
// per method and seed: minutes, so the default run (≈1 min in all) does PTQ alone, at 3 and 2
// bits, on the LoRA r=1 and NOLA QV models cell 4 trained, and says so.
lesson.cell(8, "Quantized coefficients on the GPT (Table 4)")
/// The cell itself (its paper-vs-ours lines are returned): a function so that a run whose
/// `--rows` leave out the models it quantizes can skip it.
@MainActor func table4Cell() -> [Comparison] {
    let fullProtocol = scale != .standard
    let quantMethods: [(name: String, method: AdapterMethod, slug: String, color: Color)] = fullProtocol
        ? [("LoRA QV r=1", .lora(rank: 1, c: 1), "q_lora", .lora),
           ("NOLA QV r=4", nola(4, Int((0.78 * Double(kR1)).rounded())), "q_nola", .nola)]
        : [("LoRA QV r=1", .lora(rank: 1, c: 1), "lora_r1", .lora), ("NOLA QV r=8", nola(8, kR1), "nola_qv_1", .nola)]
    let quantRules = options.quantRules
    let ptqBits = fullProtocol ? SymmetricQuantizer.paperBits : [3, 2], qatBits = fullProtocol ? [4, 3, 2] : []
    let quantTest = test.prefix(min(test.count, options.quantMRs.map { $0 == 0 ? Int.max : $0 } ?? scale.pick(quick: test.count, standard: 20, full: test.count)))
    let quantReferences = E2EScores.References(quantTest.examples.map(\.references))
    @MainActor func quantBLEU(_ model: GPT, _ method: AdapterMethod, seed: UInt64) -> Double {
        let outputs = decodeOnTwoCores(model, method, .queryValue, seed: seed, mrs: quantTest.examples.map(\.mr))
        return 100 * E2EScores(hypotheses: outputs, references: quantReferences).bleu.score
    }
    var quantResults: [String: [QuantizationExperiment.Result]] = [:]
    let quantProgress = lesson.progress("PTQ and QAT", total: quantMethods.count * seeds.count)
    for m in quantMethods {
        for (index, seed) in seeds.enumerated() {
            if !fullProtocol {
                // PTQ of the float model cell 4 trained: no last phase, no QAT.
                let model = trainedModels[m.slug]![index]
                let result = QuantizationExperiment.run(
                    on: model, postTraining: quantRules.flatMap { r in ptqBits.map(r.quantizer) },
                    quantizationAware: [], lastPhase: {}, evaluate: { quantBLEU(model, m.method, seed: seed) })
                quantResults[m.name, default: []].append(result)
                quantProgress.advance()
                continue
            }
            let model = adapted(m.method, sites: .queryValue, seed: seed)
            var first = E2EFineTuning.Recipe.standard(for: m.method, epochs: 0.8 * epochs)
            first.warmup = min(first.warmup, first.steps(rows: trainCorpus.count) / 4)
            var last = E2EFineTuning.Recipe.standard(for: m.method, epochs: 0.2 * epochs)
            last.learningRate *= 0.1
            last.warmup = 0
            do {
                try E2EFineTuning.train(model, on: trainCorpus, validation: nil, recipe: first, seed: seed &+ 1, evaluations: 1)
                let result = try QuantizationExperiment.run(
                    on: model, postTraining: quantRules.flatMap { r in ptqBits.map(r.quantizer) },
                    quantizationAware: quantRules.flatMap { r in qatBits.map(r.quantizer) },
                    lastPhase: {
                        try E2EFineTuning.train(model, on: trainCorpus, validation: nil, recipe: last, seed: seed &+ 2, evaluations: 1)
                    },
                    evaluate: { quantBLEU(model, m.method, seed: seed) })
                quantResults[m.name, default: []].append(result)
            } catch {
                Lesson.fail("\(m.name), seed \(seed): \(error)")
            }
            quantProgress.advance(note: "\(m.name), seed \(seed)")
        }
    }
    quantProgress.finish()
    /// BLEU over the seeds: float, or the quantizer's PTQ / QAT.
    @MainActor func quant(_ name: String, _ pick: (QuantizationExperiment.Result) -> Double?) -> Spread? {
        let values = quantResults[name]!.compactMap(pick)
        return values.isEmpty ? nil : Spread(values)
    }
    @MainActor func floatBLEU(_ name: String) -> Spread { quant(name) { $0.float }! }
    @MainActor func ptq(_ name: String, _ rule: QuantRule, _ bits: Int) -> Spread? {
        quant(name) { $0.postTraining[rule.quantizer(bits)] }
    }
    @MainActor func qat(_ name: String, _ rule: QuantRule, _ bits: Int) -> Spread? {
        quant(name) { $0.quantizationAware[rule.quantizer(bits)] }
    }
    /// Change of mean BLEU against the method's own float BLEU; nil when not run.
    @MainActor func change(_ name: String, _ s: Spread?) -> Double? { s.map { $0.mean - floatBLEU(name).mean } }
    @MainActor func quantCount(_ method: AdapterMethod) -> Int { method.trainableCount(inputs: width, outputs: width) * 2 * layers }
    var table4 = Table(["rule", "method", "float"] + ptqBits.map { "PTQ \($0)" } + qatBits.map { "QAT \($0)" })
    for (ri, r) in quantRules.enumerated() {
        for (mi, m) in quantMethods.enumerated() {
            table4.row([mi == 0 ? r.name : "", m.name + (ri == 0 ? " (\(Format.count(quantCount(m.method))))" : ""),
                        floatBLEU(m.name).text(1)]
                       + ptqBits.map { ptq(m.name, r, $0)?.text(1) ?? "—" } + qatBits.map { qat(m.name, r, $0)?.text(1) ?? "—" })
        }
    }
    lesson.show(table4)
    let (qLoRA, qNOLA) = (quantMethods[0].name, quantMethods[1].name)
    var changeTable = Table(["change of BLEU vs float", "paper LoRA r=1", "paper NOLA QV"] + quantRules.map { "\($0.name): LoRA / NOLA" })
    for (setting, paperLoRA, paperNOLA, bits, isQAT) in [
        ("PTQ 8", "+0.02", "−0.03", 8, false), ("PTQ 4", "−0.26", "−0.17", 4, false), ("PTQ 3", "−7.88", "−5.32", 3, false),
        ("PTQ 2", "—", "—", 2, false), ("QAT 3", "−2.81", "−0.32", 3, true), ("QAT 2", "−13.76", "−1.77", 2, true),
    ] where (isQAT ? qatBits : ptqBits).contains(bits) {
        changeTable.row([setting, paperLoRA, paperNOLA] + quantRules.map { r in
            let pick = isQAT ? qat : ptq
            return "\(signed(change(qLoRA, pick(qLoRA, r, bits)))) / \(signed(change(qNOLA, pick(qNOLA, r, bits))))"
        })
    }
    lesson.show(changeTable)
    for r in quantRules {
        var figure = Figure("bleu_vs_bits_\(r.slug)",
                            title: "\(data.source == .e2eDefault ? "E2E" : "Synthetic restaurants"): BLEU with quantized adapters, scale rule \(r.name) (cf. Table 4)",
                            x: "bits per stored coefficient", y: "BLEU (%), \(quantTest.count) test MRs")
        figure.logX = true
        figure.logBase = 2
        figure.xRange = 1.8...18
        figure.xTics = [2, 3, 4, 8, 16].map { (Double($0), "\($0)") }
        figure.legend = .bottomRight
        for m in quantMethods {
            let float = floatBLEU(m.name)
            let p = ptqBits.map { ptq(m.name, r, $0)! }
            figure.add(.errorBars("\(m.name) (\(Format.count(quantCount(m.method)))), PTQ", x: ptqBits.map(Double.init),
                                  y: p.map(\.mean), error: p.map(\.std), color: m.color, dashed: true))
            figure.annotate(.horizontalLine(y: float.mean, label: "\(m.name), 32-bit float", color: m.color))
            if fullProtocol {
                let q = qatBits.map { qat(m.name, r, $0)! }
                figure.add(.errorBars("\(m.name), QAT", x: qatBits.map(Double.init), y: q.map(\.mean), error: q.map(\.std), color: m.color))
            }
        }
        lesson.save(figure)
    }
    /// Rules under which one method's QAT change at `bits` beats the other's by more than 0.5
    /// BLEU and the seed spread: `nolaAhead` true asks for NOLA ahead, false for LoRA ahead.
    @MainActor func clearlyAhead(_ bits: Int, nolaAhead: Bool) -> String {
        let names = quantRules.filter { r in
            guard let l = change(qLoRA, qat(qLoRA, r, bits)), let n = change(qNOLA, qat(qNOLA, r, bits)) else { return false }
            return (nolaAhead ? n - l : l - n) > max(floatBLEU(qLoRA).std + floatBLEU(qNOLA).std, 0.5)
        }.map(\.name)
        return names.isEmpty ? "no rule" : names.joined(separator: ", ")
    }
    lesson.say(fullProtocol ? """
        Is NOLA more robust to quantization here (the paper's claim)? NOLA loses clearly less BLEU than LoRA \
        under \(clearlyAhead(2, nolaAhead: true)) at 2-bit QAT and \(clearlyAhead(3, nolaAhead: true)) at 3 bits; LoRA \
        loses clearly less under \(clearlyAhead(2, nolaAhead: false)) at 2 bits and \(clearlyAhead(3, nolaAhead: false)) at \
        3 bits ("clearly": by more than the two float seed spreads added, and at least 0.5 BLEU; \(seeds.count) seed\(seeds.count == 1 ? "" : "s"), \
        \(quantTest.count) test MRs). This cell lives here rather than in lesson 10 because it needs this lesson's base, \
        recipe and decoder.
        """ : """
        (Default run: PTQ only, of cell 4's models, on \(quantTest.count) test MRs; the paper's protocol with QAT — \
        LoRA r=1 against NOLA QV rank 4, the --quant-rules (absmax and MSE-optimal unless told), PTQ 16/8/4/3/2 and \
        QAT 4/3/2 — runs in --full, \
        whose 7 trainings and 17 decodings per method and seed do not fit the default run's 90 s.)
        """)


    @MainActor func pair(_ bits: Int, qat isQAT: Bool) -> String {
        let pick = isQAT ? qat : ptq
        return quantRules.map { r in
            "\(r.name) L \(signed(change(qLoRA, pick(qLoRA, r, bits)))) N \(signed(change(qNOLA, pick(qNOLA, r, bits))))"
        }.joined(separator: "; ")
    }
    return [
        Comparison(fullProtocol ? "QAT 2-bit, change of BLEU" : "PTQ 2-bit, change of BLEU", paper: fullProtocol ? "LoRA −13.76, NOLA −1.77" : "—",
                   ours: pair(2, qat: fullProtocol), note: "L: \(qLoRA), N: \(qNOLA)"),
        Comparison(fullProtocol ? "QAT 3-bit, change of BLEU" : "PTQ 3-bit, change of BLEU", paper: fullProtocol ? "LoRA −2.81, NOLA −0.32" : "LoRA −7.88, NOLA −5.32",
                   ours: pair(3, qat: fullProtocol), note: "\(seeds.count) seed\(seeds.count == 1 ? "" : "s"), \(quantTest.count) MRs"),
    ]
}
let table4Comparisons: [Comparison]
if options.noTable4 {
    lesson.say("Skipped (--no-table4).")
    table4Comparisons = []
} else if scale != .standard || ["lora_r1", "nola_qv_1"].allSatisfy({ trainedModels[$0] != nil }) {
    table4Comparisons = table4Cell()
} else {
    lesson.say("Skipped: the default run quantizes cell 4's lora_r1 and nola_qv_1 models, and --rows left one of them out.")
    table4Comparisons = []
}

// MARK: - Paper vs ours
@MainActor func bleuText(_ slug: String) -> String { results[slug].map { _ in bleu(slug).text(1) } ?? "(--full)" }
lesson.finish(paperVsOurs: [
    Comparison("LoRA QV r=4, BLEU", paper: "70.4 (0.35M / 0.77M)", ours: "\(bleuText("lora_r4")) (\(Format.count(counts["lora_r4"]!)))",
               note: "small GPT pretrained on E2E sentences only"),
    Comparison("LoRA QV r=1, BLEU", paper: "68.7 / 69.9", ours: "\(bleuText("lora_r1")) (\(Format.count(counts["lora_r1"]!)))",
               note: "dev set as training data (4.2K rows, not 42K)"),
    Comparison("NOLA QV at LoRA r=1's count", paper: "70.0 / 70.5", ours: bleuText("nola_qv_1"), note: "k = l = \(kR1)"),
    Comparison("NOLA QV at 1/4 of it", paper: "70.1 (GPT-2 L)", ours: bleuText("nola_qv_quarter"), note: "below LoRA's floor"),
    Comparison("NOLA MLP at LoRA r=1's count", paper: "70.2 / 70.1", ours: bleuText("nola_mlp_1"), note: ""),
] + table4Comparisons)
