// Lesson 15 — NOLA on convolutions: ResNet-20 trained from scratch
//
// Follows: the paper's appendix A.2, "CNN on ImageNet100 and CIFAR-10": Table 8 (ResNet-20 on
// CIFAR-10: trained model, PRANC, LoRA, NOLA), Table 9 (ResNet-18 on ImageNet-100) and the
// training-time comparison ("NOLA is 4.6 times faster than PRANC").
//
// What you will learn:
//   • a convolution is one matrix product: im2col lays every 3×3 patch out as a column;
//   • how the paper puts NOLA on a 4-D kernel: read (out, in, 3, 3) as a near-square matrix,
//     adapt the matrix, read it back — and that LoRA and PRANC go on the same matrix;
//   • where Table 8's 269,722 / 12,752 / 13,295 / 12,876 and Table 9's 109,600 come from, and
//     that the rows of one table do not count alike;
//   • how far about 13,000 trained numbers carry a ResNet-20 trained from a random start;
//   • why NOLA beats PRANC on time, and by how much when the convolutions dominate a step.
//
// Run: swift run lesson15                 (≈1 min: synthetic digits, 2 epochs of 1,280, one seed)
//      swift run lesson15 --quick         (CI smoke run)
//      swift run lesson15 --data mnist    (real MNIST: its training split trains, its test split tests)
//      swift run lesson15 --live          (in a terminal: each method's training loss drawn as it trains)
//      swift run -c release lesson15 --full   (MNIST, 55,000 digits, 1 epoch, 3 seeds: about an hour
//                                              of 2 cores; resumable, runs kept in data/runs/lesson15,
//                                              --jobs i/n splits it)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let lesson = Lesson(number: 15, title: "NOLA on convolutions: ResNet-20 trained from scratch",
                    follows: "appendix A.2, Tables 8 and 9", options: options.common)
let plan = Plan.make(options, scale: lesson.scale, seed: lesson.seed, warn: lesson.warn)
let task: ResNetFromScratch
do {
    task = try ResNetFromScratch(source: plan.source, seed: lesson.seed, trainCount: plan.trainCount,
                                 validationCount: plan.validationCount, testCount: plan.testCount)
} catch {
    Lesson.fail("\(error)")
}

// MARK: - 1. ResNet-20, from its definition
// The ResNet paper's CIFAR network: a 3×3 convolution, three stages of three residual blocks
// (16, 32, 64 channels; the image halves at stages 2 and 3), global average pooling, a linear
// classifier. Every convolution runs as im2col (each 3×3 patch of the input laid out as a
// column) and one BLAS product; between layers a batch is stored channel by channel, so a
// convolution's product is the next layer's input with no reordering.
lesson.cell(1, "ResNet-20, from its definition")
let reference = ResNet.resnet20(seed: lesson.seed)
/// Parameters whose names start with one of `prefixes`.
@MainActor func parameterCount(_ prefixes: [String]) -> Int {
    reference.parameters.filter { p in prefixes.contains { p.name.hasPrefix($0) } }.totalCount
}
var layers = Table(["part", "what", "output per digit", "parameters"])
layers.row(["stem", "conv 3×3, 1 → 16, BatchNorm, ReLU", "\(reference.conv1.geometry.output)", Format.count(parameterCount(["conv1.", "bn1."]))])
for stage in 1...3 {
    let blocks = reference.blocks.filter { $0.name.hasPrefix("layer\(stage).") }
    layers.row(["layer\(stage)", "3 blocks: conv 3×3, BN, ReLU, conv 3×3, BN, + shortcut, ReLU", "\(blocks.last!.output)",
                Format.count(parameterCount(["layer\(stage)."]))])
}
layers.row(["pool + fc", "global average, Linear(64 → 10)", "10 logits", Format.count(parameterCount(["fc."]))])
lesson.show(layers)
let cifar = ConvNetShape.resnet20(inputChannels: 3)
lesson.say("""
    \(Format.count(reference.parameters.totalCount)) parameters for one-channel digits; with CIFAR's three colour \
    channels the first kernel has 432 numbers instead of 144 and the total is \(Format.count(cifar.parameterCount)), \
    Table 8's "trained model". Where a block changes the shape, its shortcut has no parameters: the input \
    subsampled (every other pixel) with its channels padded by zero planes (option A of the ResNet paper). \
    Every backward pass here is checked against finite differences, and a block and the whole network against \
    PyTorch's autograd (`swift test --filter Convolution`).
    """)

// MARK: - 2. A kernel as a near-square matrix
// "For each convolution layer, we reshape all parameters of a layer into a matrix (close to
// square shape) and apply NOLA to the matrix. Then, we reshape it to the original shape."
// The kernel (out, in, 3, 3) is read row-major as M: (3·out, 3·in), as PyTorch's .view() would:
// square whenever in = out. LoRA, PRANC and NOLA then adapt M exactly as they adapt a linear
// layer's weight; the convolution uses W₀ + ΔM read back as a kernel.
lesson.cell(2, "A kernel as a near-square matrix")
lesson.say("A small kernel, 2 → 2 channels, read into its 6×6 matrix (each entry: o,c,ky,kx of the kernel):")
lesson.show(smallReshapeTable())
lesson.save(kernelLayoutFigure(outputs: 16, inputs: 16))
var sites = Table(["kernel (out, in, 3, 3)", "how many", "matrix M", "LoRA rank 3 trains", "NOLA trains", "PRANC trains"])
var seen: [String: Int] = [:]  // kernel shape → how many, in order of first appearance
var firstOfShape: [Conv2d] = []
for conv in reference.convolutions {
    let key = "(\(conv.geometry.outputChannels), \(conv.geometry.input.channels), 3, 3)"
    if seen[key] == nil { firstOfShape.append(conv) }
    seen[key, default: 0] += 1
}
for conv in firstOfShape {
    let (rows, cols) = (conv.kernel.outputs, conv.kernel.inputs)
    let key = "(\(conv.geometry.outputChannels), \(conv.geometry.input.channels), 3, 3)"
    sites.row([key, "\(seen[key]!)", "\(rows)×\(cols)", Format.count(3 * (rows + cols)), "250 + 250", "500"])
}
sites.row(["fc (10, 64)", "1", "10×64", "74 + 10", "1,000 + 1,000", "500"])
lesson.show(sites)
lesson.say("""
    (LoRA's classifier: rank 1, 74 numbers, and its 10 biases.) The figure shows where each \
    number lands: output channel o fills rows 3o to 3o+2; a row of M runs through about five \
    input channels' 3×3 patches. The reshape is a reading order, nothing more: a low-rank ΔM is \
    low-rank in this view only. It is loralib's ConvLoRA shape, the one under which Table 8's \
    LoRA count comes out exactly (next cell); NOLA's and PRANC's counts do not depend on it.
    """)

// MARK: - 3. Counting as Tables 8 and 9 do
// The counts follow from the shapes, under conventions the paper does not state. These are the
// ones that reproduce every number but one; they are not the same for every row.
lesson.cell(3, "Counting as Tables 8 and 9 do")
let r18 = ConvNetShape.resnet18(inputChannels: 3, classes: 100)
let digits = ConvNetShape.resnet20(inputChannels: 1)
var counts = Table(["network, method", "paper", "from the shapes", "convention", "trained here (digits)"])
counts.row(["ResNet-20, trained model", "269,722", Format.count(cifar.parameterCount), "kernels + BN γ, β + fc W, b",
            Format.count(digits.parameterCount)])
counts.row(["ResNet-20, PRANC", "12,752", Format.count(cifar.prancCount(coefficients: 10_000)),
            "10,000 + BN γ, β, running mean, running var", "\(Format.count(digits.prancCount(coefficients: 10_000) - digits.batchNormRunningStatistics)) + 1,376 stored"])
counts.row(["ResNet-20, LoRA", "13,295", Format.count(cifar.loraCount(rank: 1)), "rank 3 on each M, rank 1 on fc, fc bias, BN γ, β",
            Format.count(digits.loraCount(rank: 1))])
counts.row(["ResNet-20, NOLA", "12,876", Format.count(cifar.nolaCount(k: 250, l: 250, classifierK: 1000, classifierL: 1000)),
            "19 × (250 + 250) + 2 × 1,000 + BN γ, β", Format.count(digits.nolaCount(k: 250, l: 250, classifierK: 1000, classifierL: 1000))])
counts.row(["ResNet-18, trained model", "11,227,812", Format.count(r18.parameterCount), "as ResNet-20, 100 classes", "—"])
counts.row(["ResNet-18, PRANC", "119,200", Format.count(r18.prancCount(coefficients: 100_000)), "100,000 + 4 per BN channel", "—"])
counts.row(["ResNet-18, LoRA", "150,000", Format.count(r18.loraCount(rank: 2)), "as ResNet-20's at loralib r = 2 (not exact)", "—"])
counts.row(["ResNet-18, NOLA", "109,600", Format.count(r18.nolaCount(k: 2000, l: 2000, classifierK: 10_000, classifierL: 10_000)),
            "20 × 4,000 + 20,000 + 9,600 BN", "—"])
lesson.show(counts)
lesson.say("""
    Every count but one comes out exactly. PRANC's rows include BatchNorm's running averages (PRANC's code \
    stores them beside its coefficients: 1,376 numbers in ResNet-20, 9,600 in ResNet-18), NOLA's and LoRA's do \
    not; LoRA's include the classifier's bias, NOLA's do not. Table 9's LoRA 150,000 is not reproduced: the same \
    convention at loralib's r = 2 gives \(Format.count(r18.loraCount(rank: 2))), the nearest we found. On digits \
    (one input channel) LoRA's first matrix is 48×3 instead of 48×9, so it trains 18 numbers fewer; nothing \
    else changes.
    """)

// MARK: - 4. Training from scratch, four ways
// W₀ is a random initialisation, never pretrained, and stays frozen for PRANC, LoRA and NOLA:
// W = W₀ + ΔW. BatchNorm's γ and β train in every method (they are in the paper's counts).
// The paper's recipe: Adam, rate 1e-3, batch 256; 200 epochs for ResNet-18.
lesson.cell(4, "Training from scratch, four ways")
lesson.say(task.splits.provenance + ".")
let budgets = task.budgets
let store: ResultFolder?
do {
    store = try plan.results.map { try ResultFolder(root: $0, configuration: plan.configuration(budgets: budgets)) }
} catch {
    Lesson.fail("\(error)")
}
let share = (try? JobShare(parsing: options.jobs)) ?? .all  // validated by Options
let recipe = ResNetFromScratch.Recipe(epochs: plan.epochs, batchSize: plan.batchSize, evaluationsPerEpoch: plan.evaluationsPerEpoch,
                                      recalibrationBatches: plan.recalibrationBatches)
lesson.facts([
    ("recipe", "Adam, rate 1e-3 constant, batch \(plan.batchSize), \(plan.epochs) epoch\(plan.epochs == 1 ? "" : "s") = "
        + "\(Format.count(plan.epochs * ((task.splits.train.count + plan.batchSize - 1) / plan.batchSize))) steps"
        + (plan.batchSize == 256 ? "" : " (the paper: batch 256; a smaller batch takes more steps in a short run)")),
    ("NOLA", "rank \(budgets.nolaRank), c = \(Format.significant(Double(budgets.nolaC), 2)), basis shared by matrices of one shape"),
    ("PRANC", "\(budgets.prancPerMatrix) coefficients per matrix × 20, s = \(Format.significant(Double(budgets.prancScale), 2)), basis in memory"),
    ("LoRA", "rank 3 on every M, rank 1 on fc, c = \(Format.significant(Double(budgets.loraC), 2))"),
    ("seeds", plan.seeds.map(String.init).joined(separator: ", ") + " (each: new W₀, new basis, new batch order)"),
    ("evaluation", "BatchNorm's averages measured afresh on \(plan.recalibrationBatches) training batches before each "
        + "(the momentum averages trail weights that move fast: see below)"),
])
let methods = ResNetFromScratch.Method.allCases
// Seed by seed, so a sweep stopped part-way has every method at the seeds it finished.
let jobs = plan.seeds.flatMap { seed in methods.map { (method: $0, seed: seed) } }
var runs: [ResNetFromScratch.Method: [ResNetFromScratch.Run]] = [:]
let stepsPerRun = plan.epochs * ((task.splits.train.count + plan.batchSize - 1) / plan.batchSize)
// --live: each method's training loss at the first seed (a mean over the last 20 batches), against epochs.
let bar = lesson.progress("training", total: jobs.count * stepsPerRun, live: "training loss (nats), last 20 batches",
                          liveX: ("epoch", Double(plan.epochs)))
var reused = 0
for (index, job) in jobs.enumerated() {
    let name = "\(job.method.rawValue)-seed\(job.seed)"
    if let found = store?.load(name, as: ResNetFromScratch.Run.self) {
        runs[job.method, default: []].append(found)
        reused += 1
        bar.advance(stepsPerRun, note: name)
        continue
    }
    guard share.contains(index) else { continue }
    do {
        var recent: [Float] = []
        let run = try task.run(job.method, seed: job.seed, recipe: recipe, afterStep: { step, loss in
            bar.advance(note: name)
            guard job.seed == plan.seeds[0] else { return }
            recent = recent.suffix(19) + [loss]
            bar.plot(x: Double(step) / Double(stepsPerRun) * Double(plan.epochs),
                     y: Double(recent.reduce(0, +)) / Double(recent.count), series: job.method.paperName)
        })
        try store?.save(run, as: name)
        runs[job.method, default: []].append(run)
        if plan.seeds.count > 1 || store != nil {  // a long run: one line as each run ends, written out at once
            lesson.say("  \(name): test accuracy \(Format.percent(run.testAccuracy)), \(Format.fixed(1000 * run.secondsPerStep, 0)) ms/step")
            fflush(nil)
        }
    } catch {
        bar.finish()
        Lesson.fail("\(name): \(error)")
    }
}
bar.finish()
let missing = jobs.filter { job in !(runs[job.method] ?? []).contains { $0.seed == job.seed } }
if let store {
    lesson.say("Runs kept in \(store.url.relativeDisplayPath) (\(reused) read from there)"
        + (missing.isEmpty ? "." : "; not there yet: " + missing.map { "\($0.method.rawValue) seed \($0.seed)" }.joined(separator: ", ")
            + " (run the other --jobs shares, or rerun)."))
}
guard methods.allSatisfy({ runs[$0] != nil }) else {
    lesson.say("Not every method has a finished run yet: the tables and figures wait for them.")
    lesson.finish(paperVsOurs: [])
    exit(0)
}
var results = Table(["method", "trainable", "test accuracy", "training, last epoch", "ms / step", "paper count", "paper accuracy (CIFAR-10)"])
for m in methods {
    let r = runs[m]!
    results.row([m.paperName, Format.count(r[0].trainable), Spread(r.map(\.testAccuracy)).percentText,
                 Spread(r.map { $0.epochs.last!.trainAccuracy }).percentText,
                 Format.fixed(1000 * Spread(r.map(\.secondsPerStep)).mean, 0), Format.count(m.paper.count),
                 Format.fixed(m.paper.accuracy, m == .dense ? 2 : 1) + "%"])
}
lesson.show(results)
let accuracy = Dictionary(uniqueKeysWithValues: methods.map { ($0, Spread(runs[$0]!.map(\.testAccuracy))) })
// The seeds actually found (a sweep stopped part-way, read back with --jobs, may have fewer than planned).
let seedCounts = Set(methods.map { runs[$0]?.count ?? 0 })
let seedsFound = seedCounts.max() ?? 0
let seedsText = seedsFound == 1 ? "one seed"
    : "mean ± std over \(seedCounts.count == 1 ? "\(seedsFound)" : "\(seedCounts.min()!)–\(seedsFound)") seeds"
var curves = Figure("accuracy_vs_epoch", title: "ResNet-20 trained from scratch: validation accuracy during training (cf. paper Table 8)",
                    x: "epochs of training", y: "validation accuracy (%), \(seedsText)")
curves.legend = .bottomRight
for m in methods {
    let r = runs[m]!
    let points = r[0].curve.indices
    curves.add(.errorBars("\(m.paperName) (\(Format.count(r[0].trainable)) trained)", x: r[0].curve.map(\.epochs),
                          y: points.map { p in 100 * Spread(r.map { $0.curve[p].validationAccuracy }).mean },
                          error: points.map { p in 100 * Spread(r.map { $0.curve[p].validationAccuracy }).std }, color: m.color))
}
// The y range from the points (room below for the legend): on MNIST every curve starts above 90%,
// and 0–100 would press them into one line at the top.
let lowestPoint = methods.flatMap { m in runs[m]!.flatMap { $0.curve.map { 100 * $0.validationAccuracy } } }.min() ?? 0
let curvesFloor = max(0, 10 * ((lowestPoint - 12) / 10).rounded(.down))
if curvesFloor < 10 { curves.annotate(.horizontalLine(y: 10, label: "guessing: 10%", color: .base)) }
curves.yRange = curvesFloor...100
curves.xRange = 0...Double(plan.epochs)
lesson.save(curves)
let order = methods.sorted { accuracy[$0]!.mean > accuracy[$1]!.mean }.map(\.paperName)
lesson.say("""
    Test accuracy (\(seedsText)), highest first: \(order.joined(separator: ", ")). The paper's order on CIFAR-10: \
    trained model, NOLA, then PRANC and LoRA tied. With \(plan.epochs) epoch\(plan.epochs == 1 ? "" : "s") the \
    compressed networks are far from converged (the paper trains ResNet-18 for 200 epochs): read the ranking as \
    a snapshot of early training, not as a final score.
    """)
let stale = methods.compactMap { m -> String? in
    let values = runs[m]!.compactMap(\.testAccuracyWithoutRecalibration)
    return values.isEmpty ? nil : "\(m.paperName) \(Spread(values).percentText)"
}
if stale.count == methods.count { lesson.say("""
    In evaluation BatchNorm normalises with averages kept during training (each batch moves them 10% \
    of the way), and while the weights still change fast these describe the network of a few steps ago. \
    Scored with them, the test accuracies would be \(stale.joined(separator: ", ")). So before each \
    evaluation the averages are measured afresh on \(plan.recalibrationBatches) training batches with \
    the current weights ("precise BN"), and put back after.
    """) }

// MARK: - 5. Accuracy against the numbers trained
// One point per method at its trainable count (log scale), mean ± std over seeds: three methods
// near 12,000 numbers, dense training twenty times further right.
lesson.cell(5, "Accuracy against the numbers trained")
var scatter = Figure("accuracy_vs_parameters", title: "ResNet-20 from scratch: test accuracy against numbers trained (cf. paper Table 8)",
                     x: "trainable numbers (log scale)", y: "test accuracy (%), \(seedsText)")
scatter.logX = true
scatter.xRange = 8_000...500_000
scatter.legend = .bottomRight
for m in methods {
    let a = accuracy[m]!
    scatter.add(.errorBars("\(m.paperName): \(Format.count(runs[m]![0].trainable)), \(Format.fixed(100 * a.mean, 1))%",
                           x: [Double(runs[m]![0].trainable)], y: [100 * a.mean], error: [100 * a.std], connected: false, color: m.color))
}
scatter.add(.points("paper, Table 8 (CIFAR-10)", x: methods.map { Double($0.paper.count) },
                    y: methods.map(\.paper.accuracy), color: .base))
let lowest = (methods.map { 100 * (accuracy[$0]!.mean - accuracy[$0]!.std) } + methods.map(\.paper.accuracy)).min()!
scatter.yRange = max(0, 10 * ((lowest - 12) / 10).rounded(.down))...100  // room below for the legend
lesson.save(scatter)
let nolaGap = 100 * (accuracy[.nola]!.mean - max(accuracy[.pranc]!.mean, accuracy[.lora]!.mean))
let noise = 100 * max(accuracy[.nola]!.std, accuracy[.pranc]!.std, accuracy[.lora]!.std)
let verdict = seedsFound == 1 ? "one seed: no spread to judge by"
    : abs(nolaGap) <= noise ? "within the seed spread (±\(Format.fixed(noise, 1)))" : nolaGap > 0 ? "holds" : "does not hold"
lesson.say("""
    The paper's claim: NOLA beats PRANC and LoRA at about the same count (82.4% against 81.5%). Here NOLA \
    minus the better of the two: \(nolaGap >= 0 ? "+" : "−")\(Format.fixed(abs(nolaGap), 1)) points — \(verdict).
    """)

// MARK: - 6. Time per step: NOLA against PRANC
// PRANC forms every weight from its random basis on every step (n numbers per weight, forward and
// backward); NOLA forms only the thin A and B. The paper (a GPU, batch 256): NOLA 228 ms, PRANC
// 1070 ms per batch, 4.6× — the PRANC of PRANC's paper, one coefficient vector spanning the whole
// network. Ours trains PRANC per matrix (500 each, the same 10,000 in all), 20 times less work.
lesson.cell(6, "Time per step: NOLA against PRANC")
let timingBatch = task.splits.train.prefix(plan.batchSize)
var timed: [(name: String, model: ResNet)] = [("NOLA", task.makeModel(.nola, seed: lesson.seed)),
                                              ("PRANC, 500 per matrix", task.makeModel(.pranc, seed: lesson.seed))]
if plan.timesWholeNetworkPRANC {
    let whole = ResNet.resnet20(seed: lesson.seed)
    whole.attachWholeModelPRANC(n: 10_000, s: budgets.prancScale, seed: lesson.seed)
    for bn in whole.batchNorms { bn.gamma.isTrainable = true; bn.beta.isTrainable = true }
    timed.append(("PRANC, 10,000 for the whole network", whole))
}
let times: [String: (wall: Double, cpu: Double)]
do {
    times = try interleavedStepTimes(timed, batch: timingBatch, rounds: plan.timingRounds, steps: plan.timingSteps)
} catch {
    Lesson.fail("\(error)")
}
var speed = Table(["method", "basis numbers per step", "ms / step (wall)", "ms / step (CPU)", "÷ NOLA (CPU)"])
let convolutionWork = 3 * plan.batchSize * 30_700_000
for (name, _) in timed {
    let t = times[name]!
    let basis = name == "NOLA" ? "≈ 1.3 M" : name.hasPrefix("PRANC, 500") ? "2 × 500 × 269,434" : "2 × 10,000 × 269,434"
    speed.row([name, basis, Format.fixed(t.wall, 0), Format.fixed(t.cpu, 0), Format.fixed(t.cpu / times["NOLA"]!.cpu, 2) + "×"])
}
lesson.show(speed)
let prancRatio = times["PRANC, 500 per matrix"]!.cpu / times["NOLA"]!.cpu
let wholeRatio = times["PRANC, 10,000 for the whole network"].map { $0.cpu / times["NOLA"]!.cpu }
lesson.say("""
    Batch \(plan.batchSize), median of \(plan.timingRounds * plan.timingSteps) steps each, interleaved (CPU time: \
    every thread of this process; the machine may be shared). A step's convolutions cost about \
    \(Format.significant(Double(convolutionWork) / 1e9, 2)) G multiply-adds, forward and backward; PRANC per matrix \
    adds 2 × 500 × 269,434 = 0.27 G: \(Format.fixed(prancRatio, 2))× NOLA's time. \
    \(wholeRatio.map { "The whole-network PRANC, regenerating its 2.7 G random numbers twice a step, takes \(Format.fixed($0, 1))× NOLA's time: the paper's 4.6× is of this kind." }
        ?? "The whole-network PRANC (PRANC's own form: 2 × 10,000 × 269,434 = 5.4 G random numbers a step, 20 times "
            + "per-matrix PRANC's) is timed in --full.")
    """)

// MARK: - 7. Assumptions
lesson.cell(7, "Assumptions")
lesson.facts([
    ("data", "\(plan.source == .synthetic ? "synthetic digits" : "MNIST"), 1 × 28 × 28, not CIFAR-10's 3 × 32 × 32 colour images"),
    ("epochs", "\(plan.epochs), not the paper's (200 for ResNet-18; none stated for ResNet-20)"),
    ("W₀", "PyTorch's default random init, kept frozen under PRANC, LoRA and NOLA (not stated)"),
    ("NOLA rank", "\(budgets.nolaRank) (the paper's rank for ResNet-18; none stated for ResNet-20)"),
    ("scales", "NOLA c = \(Format.significant(Double(budgets.nolaC), 3)), PRANC s = \(Format.significant(Double(budgets.prancScale), 2)), "
        + "LoRA c = \(Format.significant(Double(budgets.loraC), 3)): not stated; each the best of a sweep in factors of 4 "
        + "(20 steps on 1,280 synthetic digits, `ResNetFromScratch.Budgets`)"),
    ("PRANC", "500 coefficients per matrix (10,000 in all) instead of one vector for the whole network"),
    ("reshape", "(out, in, 3, 3) → (3·out, 3·in), loralib's; \"close to square\" in the paper"),
])

let nolaVsPRANC = "\(Format.fixed(prancRatio, 2))× per matrix" + (wholeRatio.map { ", \(Format.fixed($0, 1))× whole network" } ?? "")
lesson.finish(paperVsOurs: [
    Comparison("trained model", paper: "269,722: 88.92%", ours: "\(Format.count(runs[.dense]![0].trainable)): \(accuracy[.dense]!.percentText)",
               note: "\(plan.source == .synthetic ? "synthetic digits" : "MNIST"), \(plan.epochs) epochs"),
    Comparison("PRANC", paper: "12,752: 81.5%", ours: "11,376 + 1,376 stored: \(accuracy[.pranc]!.percentText)", note: "per matrix"),
    Comparison("LoRA", paper: "13,295: 81.5%", ours: "\(Format.count(runs[.lora]![0].trainable)): \(accuracy[.lora]!.percentText)",
               note: "1 input channel"),
    Comparison("NOLA", paper: "12,876: 82.4%", ours: "\(Format.count(runs[.nola]![0].trainable)): \(accuracy[.nola]!.percentText)"),
    Comparison("NOLA above PRANC and LoRA", paper: "+0.9 points", ours: (nolaGap >= 0 ? "+" : "−") + Format.fixed(abs(nolaGap), 1) + " points",
               note: verdict),
    Comparison("ResNet-18 counts (Table 9)", paper: "109,600 NOLA", ours: Format.count(r18.nolaCount(k: 2000, l: 2000, classifierK: 10_000, classifierL: 10_000)),
               note: "from the shapes; LoRA 150,000 not exact"),
    Comparison("PRANC / NOLA time per step", paper: "1070 / 228 ms = 4.6× (GPU)", ours: nolaVsPRANC,
               note: "process CPU time, 2 CPU cores"),
])
