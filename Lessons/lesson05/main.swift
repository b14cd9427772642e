// Lesson 5 — PRANC: a network as a mixture of random networks
//
// Follows: the paper's §2 ("Efficiency of NOLA compared to PRANC") and its source, PRANC
// (Nooralinejad et al., ICCV 2023), which NOLA builds on.
//
// What you will learn:
//   • PRANC trains a network from scratch by mixing n frozen random networks: W = W₀ + s Σ α_i W_i.
//     Only the n coefficients train, and a seed plus n numbers store the whole network;
//   • how the training loss falls as n grows, against dense training of every weight;
//   • what the full-size basis costs: n·d² floats and n·d² multiply-adds twice per step, against
//     NOLA's k·d·r — the paper's d/r argument, measured on one d×d layer;
//   • why the basis is generated on the fly (lesson 01's random access), and what that costs.
//
// Run: swift run lesson05            (≈15 s)
//      swift run lesson05 --quick    (CI smoke run)
//      swift run lesson05 --full     (n up to 1,024 per layer, d up to 1,024, more epochs)
//      swift run lesson05 --data mnist

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson05", abstract: "Lesson 05 — PRANC: a network as a mixture of random networks (paper §2, PRANC).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(number: 5, title: "PRANC: a network as a mixture of random networks",
                    follows: "§2 (NOLA vs PRANC) and PRANC (ICCV 2023)", options: options.common)
let scale = lesson.scale
let epochs = scale.pick(quick: 2, standard: 10, full: 50)

// MARK: - 1. A network is a point; PRANC walks in a random subspace
// The A.2 MLP (784 → 256 → 10) is one point in a 203,530-dimensional weight space. PRANC keeps
// its random start W₀ and lets it move only along n random directions per layer:
//     W = W₀ + s · Σ_{i<n} α_i W_i        W_i: Uniform(−1, 1), same shape as W, from a seed
// Training finds the α; storing the network needs the seed and the n numbers.
lesson.cell(1, "A network is a point; PRANC walks in a random subspace")
let task: FromScratchTask
do {
    task = try FromScratchTask(source: options.data.source, seed: lesson.seed,
                               trainCount: scale.pick(quick: 2048, standard: 8000, full: 8000))
} catch {
    Lesson.fail("\(error)")
}
let recipe = FromScratchTask.Recipe.paper(epochs: epochs)
lesson.facts([
    ("network", "784 → 256 (ReLU) → 10, 203,530 weights and biases, random init W₀ (never pretrained)"),
    ("PRANC", "n coefficients per layer (2n in all); biases stay at their random init"),
    ("basis scale", "s = 1/28: each s·W_i is as large as a default-initialised fc1 weight"),
    ("data", "\(Format.count(task.train.count)) digits (\(task.train.name))"),
    ("recipe", "Adam, rate \(recipe.learningRate), batch \(recipe.batchSize), \(epochs) epochs (the paper's A.2 settings, fewer epochs)"),
])

// MARK: - 2. Training loss against the number of coefficients
// Each run starts from the same W₀ and the same seed; only n changes. Dense training (every
// weight) is the floor PRANC approaches as n grows.
lesson.cell(2, "Training loss against the number of coefficients")
let counts = scale.pick(quick: [4, 32], standard: [1, 4, 16, 32, 128], full: [1, 4, 16, 32, 128, 512, 1024])
/// One run; a divergence ends the lesson with its one-line reason.
@MainActor func train(_ method: AdapterMethod?) -> FromScratchTask.Run {
    do { return try task.run(method, seed: lesson.seed, recipe: recipe).run } catch { Lesson.fail("\(error)") }
}
let progress = lesson.progress("PRANC runs", total: counts.count + 1)
var prancRuns: [(n: Int, run: FromScratchTask.Run)] = []
for n in counts {
    prancRuns.append((n, train(FromScratchTask.pranc(perLayer: n))))
    progress.advance(note: "n = \(n)")
}
let dense = train(nil)
progress.advance(note: "dense")
progress.finish()
var table = Table(["n per layer", "trainable", "basis floats held", "final training loss", "held-out accuracy", "ms / step"])
for (n, run) in prancRuns {
    let basis = n * (784 * 256 + 256 * 10)
    table.row(["\(n)", Format.count(run.trainable), "\(Format.count(basis)) (\(Format.bytes(4 * basis)))",
               Format.fixed(run.finalTrainLoss, 3), Format.percent(run.validationAccuracy),
               Format.fixed(1000 * run.secondsPerStep, 1)])
}
table.row(["dense", Format.count(dense.trainable), "—", Format.fixed(dense.finalTrainLoss, 3),
           Format.percent(dense.validationAccuracy), Format.fixed(1000 * dense.secondsPerStep, 1)])
lesson.show(table)
let best = prancRuns.last!
lesson.say("""
    The loss falls steadily as n grows: with n = \(best.n) per layer (\(Format.count(best.run.trainable)) numbers, \
    \(Format.fixed(Double(dense.trainable) / Double(best.run.trainable), 0))× fewer than dense) PRANC reaches \
    \(Format.fixed(best.run.finalTrainLoss, 2)) and \(Format.percent(best.run.validationAccuracy)) on held-out digits. \
    But look at the basis column: it grows like n times the network, and so does the step time.
    """)
var lossFigure = Figure("loss_vs_coefficients", title: "PRANC from scratch: more random directions, lower loss",
                        x: "PRANC coefficients per layer, n (log scale)", y: "final training loss")
lossFigure.logX = true
lossFigure.logBase = 2
lossFigure.yRange = 0...3
lossFigure.legend = .topRight
lossFigure.add(.lines("PRANC, 2n trained (\(epochs) epochs, 784-256-10 MLP)", x: prancRuns.map { Double($0.n) },
                      y: prancRuns.map(\.run.finalTrainLoss), color: .pranc))
lossFigure.add(.lines("dense, all 203,530 trained: \(Format.fixed(dense.finalTrainLoss, 3))",
                      x: [Double(counts.first!), Double(counts.last!)], y: [dense.finalTrainLoss, dense.finalTrainLoss],
                      markers: false, color: .dense, dashed: true))
lossFigure.annotate(.horizontalLine(y: log(10), label: "guessing: ln 10", color: .base))
lesson.save(lossFigure)

// MARK: - 3. What the full-size basis costs: PRANC against NOLA on one d×d layer
// Same number of coefficients (64): PRANC mixes 64 matrices of d×d; NOLA of rank 4 mixes 32 of
// 4×d and 32 of d×4. Combining (forward) and projecting (backward) each run through the whole
// basis: PRANC 64·d² floats, NOLA 64·4·d. The paper predicts a d/r speed-up.
lesson.cell(3, "What the full-size basis costs: PRANC against NOLA on one d×d layer")
let sizes = scale.pick(quick: [64, 128], standard: [64, 128, 256, 512], full: [64, 128, 256, 512, 1024])
let coefficients = 64, rank = 4
let steps = scale.pick(quick: 3, standard: 10, full: 20)
let candidates: [(name: String, method: AdapterMethod, color: Color, dashed: Bool)] = [
    ("PRANC n=64", .pranc(n: coefficients, s: 1, onTheFly: false), .pranc, false),
    ("PRANC n=64, on the fly", .pranc(n: coefficients, s: 1, onTheFly: true), .pranc, true),
    ("NOLA r=4, k=l=32", .nola(rank: rank, k: coefficients / 2, l: coefficients / 2, c: 1, basis: .perLayer), .nola, false),
    ("NOLA r=4, k=l=32, on the fly", .nola(rank: rank, k: coefficients / 2, l: coefficients / 2, c: 1, basis: .onTheFly), .nola, true),
]
let costProgress = lesson.progress("timing", total: sizes.count * candidates.count)
var costs: [[AdapterCost]] = []   // costs[size][candidate]
for d in sizes {
    var row: [AdapterCost] = []
    for c in candidates {
        do { row.append(try AdapterCost.measure(c.method, size: d, steps: steps, seed: lesson.seed)) } catch { Lesson.fail("\(error)") }
        costProgress.advance(note: "d = \(d), \(c.name)")
    }
    costs.append(row)
}
costProgress.finish()
var costTable = Table(["d", "PRANC basis", "NOLA basis", "PRANC ms", "PRANC on the fly ms", "NOLA ms", "NOLA on the fly ms",
                       "PRANC / NOLA", "d / r"])
for (i, d) in sizes.enumerated() {
    let c = costs[i]
    costTable.row(["\(d)", Format.bytes(4 * c[0].basisFloats), Format.bytes(4 * c[2].basisFloats)]
        + c.map { Format.fixed(1000 * $0.medianStepSeconds, 2) }
        + [Format.fixed(c[0].medianStepSeconds / c[2].medianStepSeconds, 1) + "×", "\(d / rank)"])
}
lesson.show(costTable)
let last = costs.last!
lesson.say("""
    (median of \(steps) training steps of one d×d layer, batch 64, Adam.) At d = \(sizes.last!) PRANC's step \
    takes \(Format.fixed(last[0].medianStepSeconds / last[2].medianStepSeconds, 0))× NOLA's; the paper's \
    estimate is d/r = \(sizes.last! / rank). The estimate counts only the basis work. Both methods also \
    pay for the layer's own product x·Wᵀ (64·d² multiply-adds at batch 64), and PRANC forms x·ΔWᵀ and \
    dΔW on top. What grows like d² for PRANC and only like d for NOLA is the basis: combine and \
    project stream all of it from memory, twice per step. So the ratio keeps growing with d.
    """)
var timeFigure = Figure("step_time_vs_width", title: "One training step: PRANC's basis grows like d², NOLA's like d·r (cf. §2)",
                        x: "layer width d (a d×d layer, log scale)", y: "ms per training step (log scale)")
timeFigure.logX = true
timeFigure.logY = true
timeFigure.logBase = 2
timeFigure.legend = .topLeft
for (j, c) in candidates.enumerated() {
    timeFigure.add(.lines("\(c.name) (\(coefficients) trained)", x: sizes.map(Double.init),
                          y: costs.map { 1000 * $0[j].medianStepSeconds }, color: c.color, dashed: c.dashed))
}
lesson.save(timeFigure)

// MARK: - 4. Memory: hold the basis, or regenerate it
// A materialized basis is n full-size matrices. On the fly, the basis is regenerated chunk by
// chunk (64 K floats at a time) in every forward and backward: the memory is one chunk, the
// price is the generator's time — the dashed lines above.
lesson.cell(4, "Memory: hold the basis, or regenerate it")
var memory = Table(["d", "PRANC held", "PRANC on the fly held", "NOLA held", "NOLA on the fly held"])
for (i, d) in sizes.enumerated() {
    memory.row(["\(d)"] + costs[i].map { Format.bytes(4 * $0.residentBasisFloats) })
}
lesson.show(memory)
let bigN = counts.last!
lesson.say("""
    For the A.2 MLP with n = \(bigN) per layer the materialized PRANC basis is \
    \(Format.bytes(4 * bigN * (784 * 256 + 256 * 10))): \(bigN)× the network it describes. PRANC's own \
    paper trains ResNets with thousands of coefficients, which is only possible on the fly — and then \
    every step regenerates and streams all of it twice. NOLA keeps the same count of coefficients but \
    makes each basis matrix thin (rank r), so its basis is small enough to keep and cheap to stream \
    (here it fits in one 64 K-float chunk, so on the fly holds as much as materialized).
    """)

let biggest = costs.last!
lesson.finish(paperVsOurs: [
    Comparison("basis size for k coefficients", paper: "PRANC k·d², NOLA k·d·r", ours: "exactly (cell 4)", note: ""),
    Comparison("speed-up of NOLA over PRANC", paper: "≈ d/r (§2); 4.6× per batch on a CNN (A.2)",
               ours: "\(Format.fixed(biggest[0].medianStepSeconds / biggest[2].medianStepSeconds, 1))× at d = \(sizes.last!), r = 4",
               note: "the layer's own products dilute it"),
    Comparison("PRANC from scratch", paper: "train loss 0.87 with 32/layer (MNIST MLP)",
               ours: prancRuns.first { $0.n == 32 }.map { "n = 32: \(Format.fixed($0.run.finalTrainLoss, 2))" } ?? "—",
               note: "\(epochs) epochs; lesson 08 runs A.2"),
])
