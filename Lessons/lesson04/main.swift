// Lesson 4 — LoRA: a weight change of low rank
//
// Follows: the paper's §2 ("LoRA"), Table 1's LoRA rows (rank 4 and rank 1), and the rank-one
// floor that NOLA removes (Fig. 1).
//
// What you will learn:
//   • LoRA trains ΔW = (c/r)·B·A instead of W: r·(in + out) numbers per layer, not in·out;
//   • the compression ratio mn / (r(m + n)) and its ceiling at rank 1 (the "rank-one floor");
//   • how accuracy on a shifted digit style grows with the rank, between the frozen base and
//     full fine-tuning;
//   • why LoRA costs nothing at inference: ΔW merges into W.
//
// Run: swift run lesson04            (≈10 s)
//      swift run lesson04 --quick    (CI smoke run)
//      swift run lesson04 --full     (adds rank 16, more epochs)
//      swift run lesson04 --data mnist

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson04", abstract: "Lesson 04 — LoRA: a weight change of low rank, and its rank-one floor (paper §2, Table 1).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(number: 4, title: "LoRA", follows: "§2 LoRA, Table 1 (LoRA rank 4 and 1)", options: options.common)
let scale = lesson.scale

// MARK: - 1. The adaptation task
// A base MLP 784-256-10 learned upright digits. The new "task" is the same ten digits written
// differently: turned 22–38° clockwise in a bold pen. The base has never seen them.
lesson.cell(1, "The adaptation task")
let task: AdaptationTask
do {
    task = try AdaptationTask(
        source: options.data.source, seed: lesson.seed, adaptCount: scale.pick(quick: 500, standard: 2000, full: 2000),
        validationCount: scale.pick(quick: 500, standard: 2000, full: 2000))
} catch {
    Lesson.fail("\(error)")
}
if let notice = task.cacheNotice { lesson.warn(notice) }
if let note = mnistSplitNote(options.data.source) { lesson.say(note + ".") }
let base = task.makeBase()
let baseOnUpright = evaluate(base, on: task.baseValidation).accuracy
let baseOnShifted = evaluate(base, on: task.validation).accuracy
lesson.say("""
    The base network (\(Format.count(base.parameters.totalCount)) parameters) was pretrained on \
    \(task.pretraining.baseCount) upright digits (\(task.baseOrigin)). It reads upright digits well \
    and the shifted ones badly: that gap is what adaptation must close, with as few trained numbers \
    as possible.
    """)
var dataTable = Table(["set", "digits", "base accuracy"])
dataTable.row(["upright (validation)", Format.count(task.baseValidation.count), Format.percent(baseOnUpright)])
dataTable.row(["shifted (validation)", Format.count(task.validation.count), Format.percent(baseOnShifted)])
dataTable.row(["shifted (adaptation training)", Format.count(task.train.count), "—"])
lesson.show(dataTable)

// MARK: - 2. LoRA on one layer, and its rank-one floor
// LoRA freezes W: (out, in) and learns ΔW = (c/r)·B·A with A: (r, in) and B: (out, r). The paper
// writes ΔW = A × B with A: (m, r): its A is our B. A starts Kaiming-uniform, B at zero, so
// ΔW = 0 at the start. Per layer it trains r·(in + out) numbers: the compression ratio against
// storing ΔW is mn / (r(m + n)), largest at r = 1. Rank is an integer, so r = 1 is a floor.
lesson.cell(2, "LoRA on one layer, and its rank-one floor")
let ranks = scale.pick(quick: [1, 4], standard: [1, 2, 4, 8], full: [1, 2, 4, 8, 16])
var counts = Table(["rank r", "fc1 784→256", "fc2 256→10", "total trainable", "ratio mn/(r(m+n)) fc1"])
for r in ranks {
    let fc1 = r * (784 + 256), fc2 = r * (256 + 10)
    counts.row(["\(r)", Format.count(fc1), Format.count(fc2), Format.count(fc1 + fc2),
                Format.fixed(Double(784 * 256) / Double(fc1), 1) + "×"])
}
lesson.show(counts)
lesson.say("""
    At rank 1 LoRA still trains \(Format.count(784 + 256 + 256 + 10)) numbers on this network; it cannot go \
    lower. On GPT-2 medium the paper's rank-1 LoRA has 0.098M parameters (Table 1). Lesson 06 breaks \
    this floor with NOLA.
    """)

// MARK: - 3. Adapt with each rank, against the two references
// Every run starts from the same base and trains with Adam (rate 1e-2 for LoRA, 3e-3 for full
// fine-tuning; AdaptationTask.Recipe documents the sweep) over the shifted training digits.
lesson.cell(3, "Adapt with each rank, against the two references")
let epochs = scale.pick(quick: 2, standard: 10, full: 20)
struct Run { let label: String; let result: AdaptationTask.Result }
var runs: [Run] = []
let progress = lesson.progress("adapting", total: ranks.count + 1)
@MainActor func adapt(_ method: AdapterMethod?, _ label: String) -> AdaptationTask.Result {
    do {
        let (_, result) = try task.adapt(method, adapterSeed: lesson.seed, recipe: .standard(for: method, epochs: epochs))
        progress.advance(note: label)
        return result
    } catch {
        Lesson.fail("\(error)")
    }
}
let full = adapt(nil, "full fine-tuning")
for r in ranks { runs.append(Run(label: "LoRA r=\(r)", result: adapt(.lora(rank: r, c: 1), "LoRA r=\(r)"))) }
progress.finish()
var results = Table(["method", "trainable", "shifted accuracy", "ms / step"])
results.row(["frozen base", "0", Format.percent(baseOnShifted), "—"])
for run in runs {
    results.row([run.label, Format.count(run.result.trainable), Format.percent(run.result.accuracy),
                 Format.fixed(run.result.secondsPerStep * 1000, 2)])
}
results.row(["full fine-tuning", Format.count(full.trainable), Format.percent(full.accuracy),
             Format.fixed(full.secondsPerStep * 1000, 2)])
lesson.show(results)
lesson.say("""
    (\(epochs) epochs of \(task.train.count) digits, batch 64, scale c = 1.) Rank buys accuracy, but \
    even rank 1 pays for \(Format.count(runs[0].result.trainable)) numbers.
    """)

var accuracyFigure = Figure(
    "accuracy_vs_parameters", title: "LoRA on shifted digits: accuracy against trainable parameters (cf. Table 1)",
    x: "trainable parameters (log scale)", y: "validation accuracy on shifted digits (%)")
accuracyFigure.logX = true
accuracyFigure.yRange = 0...100
accuracyFigure.xRange = 500...500_000
accuracyFigure.legend = .bottomRight
accuracyFigure.add(.lines("LoRA, ranks \(ranks.map(String.init).joined(separator: ", "))",
                          x: runs.map { Double($0.result.trainable) }, y: runs.map { 100 * $0.result.accuracy }, color: .lora))
accuracyFigure.add(.points("full fine-tuning (\(Format.count(full.trainable)))",
                           x: [Double(full.trainable)], y: [100 * full.accuracy], color: .dense))
accuracyFigure.annotate(.horizontalLine(y: 100 * baseOnShifted, label: "frozen base", color: .base))
accuracyFigure.annotate(.verticalLine(x: Double(runs[0].result.trainable), label: "rank-1 floor", color: .lora))
lesson.save(accuracyFigure)

var curves = Figure("training_curves", title: "LoRA: validation accuracy while adapting",
                    x: "epoch", y: "validation accuracy on shifted digits (%)")
curves.legend = .bottomRight
curves.yRange = 0...100
for (i, run) in runs.enumerated() {
    curves.add(.lines(run.label, x: run.result.history.map { Double($0.epoch) },
                      y: run.result.history.map { 100 * $0.validationAccuracy }, color: Color.cycle[i % Color.cycle.count]))
}
curves.add(.lines("full fine-tuning", x: full.history.map { Double($0.epoch) },
                  y: full.history.map { 100 * $0.validationAccuracy }, color: .dense, dashed: true))
lesson.save(curves)

// MARK: - 4. Merging: zero cost at inference
// After training, W' = W + ΔW is one matrix again: the adapted layer and the merged layer give
// the same outputs (to fp32 rounding), and the merged one runs as fast as the base.
lesson.cell(4, "Merging: zero cost at inference")
let mergeRank = ranks.last!
let (adapted, _) = try task.adapt(.lora(rank: mergeRank, c: 1), adapterSeed: lesson.seed,
                                  recipe: .standard(for: .lora(rank: mergeRank, c: 1), epochs: 1))
let probe = task.validation.prefix(1000).images
let (before, withAdapter) = timed { (0..<20).map { _ in adapted.forward(probe) }.last! }
for layer in adapted.linearLayers { layer.mergeAdapter() }
let (after, merged) = timed { (0..<20).map { _ in adapted.forward(probe) }.last! }
let difference = zip(before.data, after.data).map { abs($0 - $1) }.max() ?? 0
let largest = before.data.map(abs).max() ?? 1
lesson.facts([
    ("rank merged", "\(mergeRank)"),
    ("max |output adapted − merged|", Format.significant(Double(difference), 2)
        + " (outputs up to \(Format.fixed(Double(largest), 1)))"),
    ("forward, 20 × 1000 digits, with adapter", Format.seconds(withAdapter)),
    ("forward, same, merged", Format.seconds(merged)),
    ("adapters left after merging", "\(adapted.linearLayers.filter { $0.adapter != nil }.count)"),
])
lesson.say("""
    The difference is fp32 rounding. A merged LoRA model has exactly the base's shape and speed; \
    a NOLA model merges the same way (lesson 06), since its ΔW is also (c/r)·B·A.
    """)

lesson.finish(paperVsOurs: [
    Comparison("LoRA trainable parameters at rank 1", paper: "0.098M (GPT-2 M, QV)",
               ours: Format.count(runs[0].result.trainable) + " (MLP, fc1+fc2)", note: "the floor: r(in+out) per layer"),
    Comparison("rank 4 vs rank 1", paper: "BLEU 70.4 vs 68.7 (GPT-2 M)",
               ours: ranks.contains(4)
                   ? "\(Format.percent(runs[ranks.firstIndex(of: 4)!].result.accuracy)) vs \(Format.percent(runs[0].result.accuracy))"
                   : "—", note: "a small model needs rank; the paper saw the same"),
    Comparison("full fine-tuning vs LoRA r=4", paper: "BLEU 68.2 vs 70.4", ours: ranks.contains(4)
                   ? "\(Format.percent(full.accuracy)) vs \(Format.percent(runs[ranks.firstIndex(of: 4)!].result.accuracy))" : "—",
               note: "here full FT has ample data per weight"),
    Comparison("merged vs adapted outputs", paper: "identical (no inference latency)",
               ours: "max diff " + Format.significant(Double(difference), 2), note: "fp32 rounding"),
])
