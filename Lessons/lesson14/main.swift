// Lesson 14 — Few-shot adaptation of a small vision transformer
//
// Follows: the paper's §3.4 and Tables 6–7 (ViT-B/L fine-tuned on 5 and 10 examples per class:
// 1-NN, Linear, full fine-tuning, LoRA on Q,K,V, NOLA on the MLP) and appendix A.3 (the rate
// grids, 4 samplings × 3 initialisations; Table 10, NOLA on Q,V against NOLA on the MLP).
//
// What you will learn:
//   • how a pretrained backbone is adapted to a new task from a handful of examples;
//   • what each method trains, and how the paper counts it (the new classifier head excluded);
//   • the paper's protocol: k-shot sets drawn without replacement, rates chosen on a validation
//     set, mean ± std over 12 runs — and why so many runs (one 5-shot run is noisy);
//   • whether NOLA on the MLP matches LoRA on Q,K,V with the same or fewer numbers, and whether
//     LoRA rank 1 falls behind on a small model;
//   • whether NOLA does better on the MLP than on Q,V at the same count (Table 10).
//
// Run: swift run lesson14                  (letters; 1 sampling × 1 initialisation; backbone cached)
//      swift run lesson14 --data mnist     (real MNIST from data/mnist as the downstream task)
//      swift run lesson14 --quick          (CI smoke run: a tiny backbone, 10 epochs, one rate)
//      swift run lesson14 --live           (in a terminal: the pretraining loss, then each run's validation accuracy)
//      swift run -c release lesson14 --full (letters and MNIST, 4 samplings × 3 initialisations)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let lesson = Lesson(number: 14, title: "Few-shot adaptation of a small vision transformer",
                    follows: "§3.4, Tables 6–7, A.3, Table 10", options: options.common)
let scale = lesson.scale
// The tasks' data is loaded first, so that a missing or short MNIST stops the run at once
// (cell 2 describes the tasks).
let tasks: [FewShotTask]
do {
    tasks = try loadTasks(scale: scale, source: options.data.source, seed: lesson.seed, warn: lesson.warn)
} catch {
    Lesson.fail("\(error)")
}

// MARK: - 1. The backbone
// The paper adapts ViT-B and ViT-L pretrained on ImageNet. Ours is a ViT of a few blocks over
// 28×28 images in 7×7 patches (16 patch tokens and a class token), pretrained once on the
// synthetic upright digits and cached in data/cache/ (a damaged or stale cache is moved aside
// and the backbone trained again).
lesson.cell(1, "The backbone: a small ViT pretrained on synthetic digits")
let pretraining = scale.pick(quick: VisionBackbone.Pretraining.tiny, standard: .init(), full: .init())
let backbone: VisionBackbone
do {
    let bar = lesson.progress("pretraining the ViT", total: pretraining.steps, live: "pretraining loss (nats)")
    backbone = try VisionBackbone(seed: lesson.seed, pretraining: pretraining) { step, _, loss in
        bar.advance(note: "loss \(Format.fixed(Double(loss), 3))", plot: Double(loss))
    }
    bar.finish()
} catch {
    Lesson.fail("\(error)")
}
if let notice = backbone.cacheNotice { lesson.warn(notice) }
let configuration = pretraining.configuration
lesson.say("""
    ViT: \(configuration). \(Format.count(configuration.parameterCount - configuration.parameterCounts.last!.count)) \
    numbers without the head. Pretrained on \(Format.count(pretraining.digitCount)) synthetic digits for \
    \(pretraining.epochs) epochs (AdamW, warm-up and cosine decay): \(backbone.origin). Accuracy on \
    \(Format.count(pretraining.checkCount)) held-out digits: \(Format.percent(backbone.digitAccuracy)).
    """)

// MARK: - 2. The downstream tasks
// Two tasks that differ from pretraining, as CIFAR or CUB differ from ImageNet: new classes
// (ten letters, drawn by the same pen as the digits) and a new domain (real MNIST handwriting,
// which the backbone never saw). Each has a pool to draw k-shot sets from, a fixed validation
// set that picks the rate, and a separate test set that scores. --full runs both.
lesson.cell(2, "The downstream tasks: new classes and a new domain")
for task in tasks {
    lesson.say("\(task.source): pool of \(Format.count(task.pool.count)) (\(task.pool.name)), validation \(Format.count(task.validation.count)), "
        + "test \(Format.count(task.test.count)) (\(task.test.name)).")
}
let letters = SyntheticLetters.generate(count: 20, seed: lesson.seed)
lesson.save(.imageGrid(
    "letters", title: "The new classes: synthetic letters A C E H K L P S T X, drawn by the digits' pen (lesson 14)",
    images: (0..<letters.count).map { i in (0..<DigitDataset.pixelCount).map { Double(letters.images[i, $0]) } },
    side: DigitDataset.side, columns: 10, captions: letters.labels.map { String(SyntheticLetters.names[$0]) }))

// MARK: - 3. The methods and what they train
// As Table 6: the paper counts trainable numbers without the classifier head (every method
// trains a new head; Linear trains nothing else). NOLA's k = l is set so that its count is
// about LoRA r=4's, half of it and a third of it.
lesson.cell(3, "The methods and what they train")
let table6Methods = FewShotMethod.table6(configuration)
let nolaMethods = table6Methods.filter { if case .nola = $0 { true } else { false } }
// Table 10's pair: NOLA on Q,V beside NOLA on the MLP at LoRA r=4's count (the first NOLA row).
let table10Methods = FewShotMethod.table10(k: { if case .nola(_, let k) = nolaMethods[0] { k } else { 0 } }())
let methods = table6Methods + table10Methods.filter { !table6Methods.contains($0) }
var methodTable = Table(["method", "trains (besides the head)", "trainable, head excluded", "rates tried"])
for method in methods {
    methodTable.row([method.name, whatItTrains(method, configuration), "\(method.trainableCount(configuration))",
                     method.learningRates.map(rateText).joined(separator: ", ")])
}
lesson.show(methodTable)

// MARK: - 4. The protocol
// A.3: for each k, draw k examples per class from the pool (without replacement), train each
// method for a fixed number of epochs with cross-entropy (Adam, batch 64: a 5-shot set is one
// batch), and repeat with 3 initialisations (new head, adapter tensors, batch order) on each of
// 4 draws: 12 runs per cell. The paper picks each rate from its grid on a validation set; here
// every rate of the grid is tried on the first draw (all its initialisations), the rate with the
// best mean validation accuracy is kept, and the other draws run at that rate only (a third of
// the cost of trying every rate on every draw, which this shared 2-core machine cannot carry).
lesson.cell(4, "The protocol: k-shot draws, rates chosen on validation, repeated runs")
let shots = [5, 10]
let draws = scale.pick(quick: 1, standard: 1, full: 4)
let initialisations = scale.pick(quick: 1, standard: 1, full: 3)
let epochs = scale.pick(quick: 10, standard: 50, full: 50)
lesson.say("""
    This run: \(draws) draw\(draws == 1 ? "" : "s") × \(initialisations) initialisation\(initialisations == 1 ? "" : "s") \
    = \(draws * initialisations) run\(draws * initialisations == 1 ? "" : "s") per cell, \(epochs) epochs, \
    \(scale == .full ? "the paper's rate grids (the paper's protocol, rates chosen on the first draw)."
        : "one rate per method that trains the backbone (1e-3 LoRA/NOLA, 8e-5 Full-FT) and Linear's grid; "
            + "--full runs the paper's 4 × 3 with the rate grids on both tasks.")
    """)

var results: [String: [FewShotMethod: Cell]] = [:]  // "letters 5" → method → cell
@MainActor func key(_ task: FewShotTask, _ k: Int) -> String { "\(task.source) \(k)" }
let firstDrawRuns = methods.map { max(1, rates($0, scale: scale).count) }.reduce(0, +)
let runsPerTaskAndShots = initialisations * (firstDrawRuns + (draws - 1) * methods.count)
let clock = ContinuousClock.now
do {
    for task in tasks {
        let experiment = FewShotExperiment(backbone: backbone, task: task, epochs: epochs)
        let sampler = FewShotSampler(pool: task.pool)
        for k in shots {
            // --live: each run's validation accuracy as it ends, one series per method.
            let bar = lesson.progress("\(task.source), \(k)-shot", total: runsPerTaskAndShots,
                                      live: "validation accuracy (%)", liveX: ("run", Double(runsPerTaskAndShots)))
            var done = 0
            var runs: [FewShotMethod: [Float: [(validation: Double, test: Double)]]] = [:]
            var chosen: [FewShotMethod: Float] = [:]
            for draw in 0..<draws {
                let train = try sampler.sample(shots: k, seed: lesson.seed, draw: draw)
                for initialisation in 0..<initialisations {
                    let seed = lesson.seed &+ UInt64(1000 * draw + initialisation)
                    for method in methods {
                        let tried = draw == 0 ? (rates(method, scale: scale).isEmpty ? [0] : rates(method, scale: scale)) : [chosen[method]!]
                        for rate in tried {
                            let run = try experiment.run(method, train: train, learningRate: rate, seed: seed)
                            runs[method, default: [:]][rate, default: []].append((run.validationAccuracy, run.testAccuracy()))
                            done += 1
                            bar.advance(note: method.name)
                            bar.plot(x: Double(done), y: 100 * run.validationAccuracy, series: method.name)
                        }
                    }
                }
                if draw == 0 {
                    for method in methods {
                        chosen[method] = runs[method]!.keys.sorted(by: >).max { a, b in
                            Spread(runs[method]![a]!.map(\.validation)).mean < Spread(runs[method]![b]!.map(\.validation)).mean
                        }!
                    }
                }
            }
            bar.finish()
            for method in methods {
                let kept = runs[method]![chosen[method]!]!
                results[key(task, k), default: [:]][method] = Cell(
                    test: Spread(kept.map(\.test)), validation: Spread(kept.map(\.validation)).mean,
                    rate: method.learningRates.isEmpty ? nil : chosen[method]!)
            }
        }
    }
} catch {
    Lesson.fail("\(error)")
}
let elapsed = (ContinuousClock.now - clock)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
lesson.say("Adaptation took \(Format.seconds(seconds)) (\(tasks.count * shots.count * runsPerTaskAndShots) runs, 1-NN included).")

// MARK: - 5. Table 6 at classroom scale
// Test accuracy (%), mean ± std over the runs at the rate chosen on validation (in brackets),
// beside the paper's CIFAR-10 cells (5 / 10 shots).
lesson.cell(5, "Table 6 at classroom scale")
let columns = tasks.flatMap { task in shots.map { (task, $0) } }
var table6 = Table(["method", "trainable"] + columns.map { "\($0.0.source) \($0.1)-shot" } + ["paper, CIFAR-10 5 / 10"])
/// "87.3 ± 1.2 [1e-3]": a cell's test accuracy and its chosen rate.
@MainActor func cellText(_ task: FewShotTask, _ k: Int, _ method: FewShotMethod) -> String {
    let cell = results[key(task, k)]![method]!
    return percent(cell.test) + (cell.rate.map { " [\(rateText($0))]" } ?? "")
}
for method in table6Methods {
    table6.row([method.name, Format.count(method.trainableCount(configuration))] + columns.map { cellText($0, $1, method) }
               + [table6PaperCell(method, nolaIndex: nolaMethods.firstIndex(of: method))])
}
lesson.show(table6)

// MARK: - 6. The paper's claims, checked here
// (1) NOLA ≥ LoRA at comparable counts, and about as good with a half or a third of them;
// (2) the NOLA − LoRA gap is larger at 5 shots than at 10; (3) LoRA r=1 drops on a small model;
// (4) LoRA and NOLA beat Linear and full fine-tuning.
lesson.cell(6, "The paper's claims, checked here")
let (loraR4, loraR1) = (FewShotMethod.lora(rank: 4), FewShotMethod.lora(rank: 1))
@MainActor func mean(_ task: FewShotTask, _ k: Int, _ m: FewShotMethod) -> Double { 100 * results[key(task, k)]![m]!.test.mean }
/// `a − b` in points, and two standard errors of that difference of means (0 with one run each).
@MainActor func difference(_ task: FewShotTask, _ k: Int, _ a: FewShotMethod, _ b: FewShotMethod) -> (value: Double, noise: Double) {
    let (x, y) = (results[key(task, k)]![a]!.test, results[key(task, k)]![b]!.test)
    let n = Double(x.values.count)
    let noise = n > 1 ? 2 * 100 * ((x.std * x.std + y.std * y.std) / n).squareRoot() : 0
    return (mean(task, k, a) - mean(task, k, b), noise)
}
var claims = Table(["task", "shots", "NOLA≈r4 − LoRA r4", "NOLA ½ − LoRA r4", "NOLA ⅓ − LoRA r4", "LoRA r1 − r4",
                    "best adapter − max(Linear, Full-FT)"])
var gaps: [String: [Int: Double]] = [:]
/// Cells where the claim holds, and where it holds (or fails) by more than the noise.
var holds = (nolaAtLeast: 0, nolaBelowBeyondNoise: 0, cells: 0, r1Below: 0, r1BelowBeyondNoise: 0, adaptersWin: 0, gapLarger: 0)
for (task, k) in columns {
    let nola = nolaMethods.map { difference(task, k, $0, loraR4) }
    let r1 = difference(task, k, loraR1, loraR4)
    let bestAdapter = ([loraR4, loraR1] + nolaMethods).max { mean(task, k, $0) < mean(task, k, $1) }!
    let baseline: FewShotMethod = mean(task, k, .linear) >= mean(task, k, .fullFineTuning) ? .linear : .fullFineTuning
    let win = difference(task, k, bestAdapter, baseline)
    gaps["\(task.source)", default: [:]][k] = nola[0].value
    holds.cells += 1
    if nola[0].value >= 0 { holds.nolaAtLeast += 1 }
    if nola[0].value < -nola[0].noise { holds.nolaBelowBeyondNoise += 1 }
    if r1.value < 0 { holds.r1Below += 1 }
    if r1.value < -r1.noise { holds.r1BelowBeyondNoise += 1 }
    if win.value > 0 { holds.adaptersWin += 1 }
    claims.row(["\(task.source)", "\(k)"] + nola.map(shown) + [shown(r1), shown(win)])
}
lesson.show(claims)
for task in tasks where gaps["\(task.source)"]![5]! > gaps["\(task.source)"]![10]! { holds.gapLarger += 1 }
let runsPerCell = draws * initialisations
lesson.say("""
    (Points of test accuracy, means over \(runsPerCell) run\(runsPerCell == 1 ? "" : "s") per cell\
    \(runsPerCell == 1 ? "; one run per cell is noisy — differences of a few points mean little, and only --full's 12 runs per cell can settle a claim"
        : "; ± two standard errors of the difference: a difference inside it is run-to-run noise").) \
    NOLA at LoRA r=4's count ≥ LoRA r=4 in \(holds.nolaAtLeast) of \(holds.cells) cells\
    \(runsPerCell > 1 ? " (below it beyond the noise in \(holds.nolaBelowBeyondNoise))" : ""); the NOLA − LoRA gap is larger \
    at 5 shots than at 10 in \(holds.gapLarger) of \(tasks.count) task\(tasks.count == 1 ? "" : "s"); LoRA r=1 below r=4 in \
    \(holds.r1Below) of \(holds.cells) cells\(runsPerCell > 1 ? " (beyond the noise in \(holds.r1BelowBeyondNoise))" : ""); \
    the best adapter above both Linear and Full-FT in \(holds.adaptersWin) of \(holds.cells). \
    Full-FT trains at the paper's rates (8e-5 … 1e-5), chosen for an 86M-parameter ViT-B: with \(epochs) epochs of one \
    or two steps its new head can move only about rate × steps, so here it stays close to the random head.
    """)

// MARK: - 7. Table 10: NOLA on Q,V against NOLA on the MLP
// Appendix A.3: the same NOLA (rank 4, k = l) on the attention's query and value projections, or
// on the MLP's two layers. NOLA trains k + l numbers per matrix whatever its shape, so both train
// the same count (47K each on the paper's ViT-L). The paper keeps the MLP: on CIFAR-10, 87.0 / 91.6
// on Q,V against 87.9 / 92.2 on the MLP (5 / 10 shots), and ahead or tied on its other datasets.
lesson.cell(7, "Table 10: NOLA on Q,V against NOLA on the MLP")
let (nolaQV, nolaMLP) = (table10Methods[0], table10Methods[1])
var table10 = Table(["method", "trainable"] + columns.map { "\($0.0.source) \($0.1)-shot" } + ["paper, ViT-L CIFAR-10 5 / 10"])
table10.row(["NOLA on Q,V", Format.count(nolaQV.trainableCount(configuration))] + columns.map { cellText($0, $1, nolaQV) }
            + ["87.0 / 91.6"])
table10.row(["NOLA on the MLP", Format.count(nolaMLP.trainableCount(configuration))] + columns.map { cellText($0, $1, nolaMLP) }
            + ["87.9 / 92.2"])
let table10Differences = columns.map { difference($0, $1, nolaMLP, nolaQV) }
table10.row(["MLP − Q,V (points)", "—"] + table10Differences.map(shown) + ["+0.9 / +0.6"])
lesson.show(table10)
let mlpAhead = table10Differences.filter { $0.value > 0 }.count
let mlpBehindBeyondNoise = table10Differences.filter { $0.value < -$0.noise && $0.noise > 0 }.count
let mlpAheadBeyondNoise = table10Differences.filter { $0.value > $0.noise && $0.noise > 0 }.count
lesson.say("""
    The same \(Format.count(nolaMLP.trainableCount(configuration))) numbers (k = l = \({ if case .nola(_, let k) = nolaMLP { k } else { 0 } }()) \
    per matrix, rank 4). NOLA on the MLP is ahead in \(mlpAhead) of \(columns.count) cells\
    \(runsPerCell > 1 ? " (beyond the noise in \(mlpAheadBeyondNoise), behind beyond it in \(mlpBehindBeyondNoise))" : "; one run per cell: a few points either way mean little"). \
    The paper finds the MLP ahead by 0.3 to 0.9 points or tied in all eight of its cells, differences \
    within its own spreads of 0.4 to 1.3.
    """)

// MARK: - 8. Accuracy against trainable numbers
// One panel per (task, shots): LoRA and NOLA along the count axis (log scale), full fine-tuning
// at the right, Linear and 1-NN (no trainable numbers besides the head) as horizontal lines.
lesson.cell(8, "Accuracy against trainable numbers")
for (task, k) in columns {
    let cells = results[key(task, k)]!
    let slug = "\(task.source)".lowercased()
    var figure = Figure("accuracy_vs_parameters_\(slug)_\(k)shot",
                        title: "\(task.source), \(k)-shot: test accuracy against trainable numbers (cf. Table 6)",
                        x: "trainable numbers, head excluded (log scale)",
                        y: "test accuracy (%), mean ± std over \(runsPerCell) run\(runsPerCell == 1 ? "" : "s")")
    figure.logX = true
    func series(_ name: String, _ ms: [FewShotMethod], _ color: Color) -> Series {
        let sorted = ms.sorted { $0.trainableCount(configuration) < $1.trainableCount(configuration) }
        return .errorBars(name + " (" + sorted.map { Format.count($0.trainableCount(configuration)) }.joined(separator: ", ") + ")",
                          x: sorted.map { Double($0.trainableCount(configuration)) },
                          y: sorted.map { 100 * cells[$0]!.test.mean }, error: sorted.map { 100 * cells[$0]!.test.std },
                          color: color)
    }
    figure.add(series("LoRA on Q,K,V, r = 1, 4", [loraR1, loraR4], .lora))
    figure.add(series("NOLA on MLP, ⅓, ½, 1 × LoRA r=4's count", nolaMethods, .nola))
    figure.add(series("Full-FT", [.fullFineTuning], .dense))
    figure.annotate(.horizontalLine(y: 100 * cells[.linear]!.test.mean, label: "Linear (head only)", color: .green))
    figure.annotate(.horizontalLine(y: 100 * cells[.nearestNeighbour]!.test.mean, label: "1-NN on frozen features", color: .base))
    let low = cells.values.map { 100 * ($0.test.mean - $0.test.std) }.min()!
    let high = cells.values.map { 100 * ($0.test.mean + $0.test.std) }.max()!
    figure.yRange = max(0, low - 3)...min(100, high + 0.35 * (high - low))  // room for the legend
    figure.xRange = Double(loraR1.trainableCount(configuration)) / 2...Double(FewShotMethod.fullFineTuning.trainableCount(configuration)) * 2
    figure.legend = .topRight
    lesson.save(figure)
}
lesson.say("Figures accuracy_vs_parameters_<task>_<k>shot: one panel per task and shot count; letters: the new classes.")

// MARK: - 9. Paper vs ours
// The paper's ViT-B on CIFAR-10 at 5 shots beside our first task at 5 shots; its claims beside
// how many of our cells bear them out.
let first = tasks[0]
lesson.finish(paperVsOurs: [
    Comparison("backbone", paper: "ViT-B (86M) / ViT-L, ImageNet", ours: "ViT \(Format.count(configuration.parameterCount)), synthetic digits",
               note: "classroom scale"),
    Comparison("5-shot Linear", paper: "80.8 (ViT-B, CIFAR-10)", ours: Format.fixed(mean(first, 5, .linear), 1) + " (\(first.source))",
               note: "an ImageNet ViT knows CIFAR's objects; ours never saw a letter"),
    Comparison("5-shot Full-FT", paper: "73.9", ours: Format.fixed(mean(first, 5, .fullFineTuning), 1),
               note: "the paper's rates ≤ 8e-5: a new head barely moves in \(epochs) steps"),
    Comparison("5-shot LoRA r=4", paper: "87.3", ours: Format.fixed(mean(first, 5, loraR4), 1)),
    Comparison("5-shot NOLA ⅓ of LoRA's count", paper: "87.9", ours: Format.fixed(mean(first, 5, nolaMethods.last!), 1)),
    Comparison("NOLA ≥ LoRA at equal count", paper: "most settings", ours: "\(holds.nolaAtLeast) of \(holds.cells) cells",
               note: runsPerCell > 1 ? "below beyond the noise in \(holds.nolaBelowBeyondNoise)" : "one run per cell"),
    Comparison("gap larger at 5 shots", paper: "yes", ours: "\(holds.gapLarger) of \(tasks.count) tasks"),
    Comparison("Table 10, NOLA MLP − Q,V, 5-shot", paper: "+0.9 (87.9 − 87.0, ViT-L)", ours: shown(difference(first, 5, nolaMLP, nolaQV)),
               note: "\(first.source), same count"),
    Comparison("Table 10, NOLA MLP − Q,V, 10-shot", paper: "+0.6 (92.2 − 91.6)", ours: shown(difference(first, 10, nolaMLP, nolaQV))),
    Comparison("LoRA r=1 drops (small model)", paper: "big drop (prelim.)", ours: "\(holds.r1Below) of \(holds.cells) cells",
               note: runsPerCell > 1 ? "beyond the noise in \(holds.r1BelowBeyondNoise)" : "one run per cell"),
])
