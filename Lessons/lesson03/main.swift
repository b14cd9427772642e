// Lesson 3 — Backprop by hand
//
// Follows: the paper's appendix A.2 network, an MLP 784 → 256 (ReLU) → 10, which lessons 05 and
// 08 train with PRANC and NOLA. Here it trains the ordinary way, every weight free.
//
// What you will learn:
//   • the forward pass as three small functions, with the shape of every tensor;
//   • the backward pass as the chain rule, one layer at a time, written out;
//   • how to trust a hand-written gradient: compare it with finite differences;
//   • a training loop (SGD with momentum, seeded mini-batches) and its curves;
//   • how fast one training step is at the paper's batch of 512.
//
// Run: swift run lesson03               (≈15 s)
//      swift run lesson03 --quick       (CI smoke run)
//      swift run lesson03 --full        (more digits, more epochs)
//      swift run lesson03 --data mnist  (real MNIST from data/mnist; see data/README.md)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions
}
let options = Options.parseOrExit()
let lesson = Lesson(number: 3, title: "Backprop by hand", follows: "appendix A.2 (the MLP)", options: options.common)
let scale = lesson.scale

// MARK: - 1. The digits
// 28×28 grey images flattened to 784 numbers in [0, 1], labels 0–9. Synthetic digits by default
// (drawn from the seed, offline); real MNIST with --data mnist.
lesson.cell(1, "The digits")
let train: DigitDataset, validation: DigitDataset
do {
    (train, validation) = try options.data.source.load(
        trainCount: scale.pick(quick: 1000, standard: 8000, full: 8000),
        validationCount: scale.pick(quick: 500, standard: 2000, full: 2000), seed: lesson.seed)
} catch {
    Lesson.fail("\(error)")
}
lesson.facts([("training", "\(Format.count(train.count)) — \(train.name)"),
              ("validation", "\(Format.count(validation.count)) — \(validation.name)")])

// MARK: - 2. The network and its shapes
// Linear: y = x·Wᵀ + b with W: (out, in), PyTorch's layout.  B = batch size.
//   x (B, 784) → fc1 → (B, 256) → ReLU → h (B, 256) → fc2 → logits (B, 10) → softmax CE → loss
lesson.cell(2, "The network and its shapes")
let model = Sequential.mlp([784, 256, 10], seed: lesson.seed)
var shapes = Table(["parameter", "shape", "numbers"])
for p in model.parameters { shapes.row([p.name, "\(p.value.rows)×\(p.value.cols)", Format.count(p.count)]) }
shapes.row(["total", "", Format.count(model.parameters.totalCount)])
lesson.show(shapes)

// MARK: - 3. Forward, one layer at a time
// Each layer keeps what its backward pass will need (its input, the ReLU mask, the softmax).
lesson.cell(3, "Forward, one layer at a time")
let fc1 = model.linearLayers[0], fc2 = model.linearLayers[1]
let relu = model.layers[1]
let probe = train.prefix(4)
let z1 = fc1.forward(probe.images)      // (4, 256)
let h = relu.forward(z1)                // (4, 256)
let logits = fc2.forward(h)             // (4, 10)
let crossEntropy = SoftmaxCrossEntropy()
let loss = crossEntropy.forward(logits, labels: probe.labels)
lesson.facts([
    ("x", probe.images.shapeDescription), ("z1 = x·W1ᵀ + b1", z1.shapeDescription),
    ("h = max(0, z1)", h.shapeDescription + ", \(Format.percent(Double(h.data.filter { $0 > 0 }.count) / Double(h.count))) active"),
    ("logits = h·W2ᵀ + b2", logits.shapeDescription),
    ("loss = mean −log softmax(logits)[label]", Format.fixed(Double(loss), 4) + " (untrained: about ln 10 = 2.3026)"),
])

// MARK: - 4. Backward: the chain rule, layer by layer
// dlogits = (softmax − onehot(label)) / B                    (B, 10)
// dW2 = dlogitsᵀ·h   (10, 256)   db2 = Σ_rows dlogits   dh = dlogits·W2   (B, 256)
// dz1 = dh ⊙ [z1 > 0]                                        (B, 256)
// dW1 = dz1ᵀ·x       (256, 784)  db1 = Σ_rows dz1       (dx is not needed: x is data)
lesson.cell(4, "Backward: the chain rule, layer by layer")
model.parameters.zeroGradients()
let dLogits = crossEntropy.backward()
let dH = fc2.backward(dLogits)
let dZ1 = relu.backward(dH)
_ = fc1.backward(dZ1)
var gradients = Table(["gradient", "shape", "largest |entry|"])
for p in model.parameters {
    gradients.row(["d" + p.name, p.grad.shapeDescription, Format.significant(Double(p.grad.data.map(abs).max() ?? 0), 3)])
}
lesson.show(gradients)
lesson.say("""
    Each row of dlogits sums to zero (softmax minus a one-hot), so the gradient of a bias of \
    fc2 is the batch's average surplus of probability on that class.
    """)

// MARK: - 5. Trust, but check: finite differences
// For every number θ of every parameter: (L(θ + h) − L(θ − h)) / 2h against the backward pass.
// We check a narrower copy (32 hidden units, batch 8) so that it takes a second; the tests
// check the full network the same way.
lesson.cell(5, "Trust, but check: finite differences")
let small = Sequential.mlp([784, 32, 10], seed: lesson.seed)
// A batch whose hidden pre-activations all keep a distance 2h from ReLU's kink (see below).
@MainActor func kinkDistance(_ d: DigitDataset) -> Float { small.linearLayers[0].forward(d.images).data.map(abs).min() ?? 0 }
var batch = train.prefix(8)
for start in stride(from: 0, to: min(train.count - 8, 8 * 200), by: 8) {
    let candidate = train.subset(Array(start..<(start + 8)))
    if kinkDistance(candidate) > 2e-3 { batch = candidate; break }
}
let checkLoss = SoftmaxCrossEntropy()
small.parameters.zeroGradients()
_ = checkLoss.forward(small.forward(batch.images), labels: batch.labels)
_ = small.backward(checkLoss.backward())
let checker = GradientCheck(step: 1e-3, tolerance: 1e-2)
let checks = checker.check(small.parameters) {
    Double(SoftmaxCrossEntropy().forward(small.forward(batch.images), labels: batch.labels))
}
var checkTable = Table(["parameter", "numbers checked", "max |analytic − numerical|", "scaled error", "verdict"])
for (p, result) in zip(small.parameters, checks) {
    checkTable.row([p.name, Format.count(p.count), Format.significant(result.maxAbsoluteError, 2),
                    Format.significant(result.error, 2), result.passed ? "ok" : "MISMATCH"])
}
lesson.show(checkTable)
lesson.say("""
    (step h = \(checker.step), tolerance \(checker.tolerance) on the error scaled by the gradient's size. \
    The loss is computed in Float, whose rounding the difference divides by 2h; and a step must \
    not carry a hidden unit across ReLU's kink at 0, where the slope jumps — hence a small h, a \
    batch whose pre-activations all stay \(Format.significant(Double(kinkDistance(batch)), 2)) or more \
    from 0, and a tolerance of 1%, far below the O(1) error of a wrong formula.)
    """)

// MARK: - 6. Training
// SGD with momentum 0.9, learning rate 0.05, mini-batches of 64 in a seeded order. The paper's
// A.2 runs use batch 512 and lr 0.05 for 200 epochs of 60K images; we take smaller batches so a
// few epochs of a few thousand digits suffice.
lesson.cell(6, "Training")
let epochs = scale.pick(quick: 2, standard: 8, full: 20)
let configuration = FitConfiguration(epochs: epochs, batchSize: 64, seed: lesson.seed)
let optimizer = SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9)
let progress = lesson.progress("training", total: configuration.totalSteps(examples: train.count))
var history: [EpochRecord] = []
do {
    history = try fit(model, optimizer: optimizer, train: train, validation: validation, configuration: configuration,
                      afterStep: { _, _ in progress.advance() })
} catch {
    Lesson.fail("\(error)")
}
progress.finish()
let trainAccuracy = evaluate(model, on: train).accuracy
var epochTable = Table(["epoch", "train loss", "validation loss", "validation accuracy", "seconds"])
for r in history {
    epochTable.row(["\(r.epoch)", Format.fixed(r.trainLoss, 4), Format.fixed(r.validationLoss, 4),
                    Format.percent(r.validationAccuracy), Format.fixed(r.seconds, 2)])
}
lesson.show(epochTable)
let final = history.last!
lesson.say("""
    After \(epochs) epochs: \(Format.percent(trainAccuracy)) on the training digits, \
    \(Format.percent(final.validationAccuracy)) on validation digits it never saw.
    """)

var lossFigure = Figure("loss_curves", title: "MLP 784-256-10 (paper A.2 network): cross-entropy while training",
                        x: "epoch", y: "cross-entropy loss")
lossFigure.legend = .topRight
lossFigure.add(.lines("training (mean over the epoch)", x: history.map { Double($0.epoch) }, y: history.map(\.trainLoss), color: .dense))
lossFigure.add(.lines("validation (after the epoch)", x: history.map { Double($0.epoch) }, y: history.map(\.validationLoss), color: .nola, dashed: true))
lesson.save(lossFigure)
var accuracyFigure = Figure("accuracy_curve", title: "MLP 784-256-10: validation accuracy while training",
                            x: "epoch", y: "validation accuracy (%)")
accuracyFigure.legend = .bottomRight
accuracyFigure.add(.lines("validation accuracy", x: history.map { Double($0.epoch) },
                          y: history.map { 100 * $0.validationAccuracy }, color: .lora))
lesson.save(accuracyFigure)

// MARK: - 7. What it sees
// Thirty-two validation digits with the network's answer under each; wrong answers in red,
// with the true label in brackets.
lesson.cell(7, "What it sees")
let shown = validation.prefix(32)
let predicted = predictions(model, on: shown)
let side = 28, gapX = 6, gapY = 12, columns = 8, rows = 4
let width = columns * (side + gapX), height = rows * (side + gapY)
var canvas = [Double](repeating: 1, count: width * height)
var grid = Figure("digit_grid", title: "Validation digits and the MLP's predictions (red: wrong, [true label])", x: "", y: "")
grid.legend = .hidden
for i in 0..<shown.count {
    let top = (i / columns) * (side + gapY), left = (i % columns) * (side + gapX)
    for y in 0..<side {
        for x in 0..<side { canvas[(top + y) * width + left + x] = 1 - Double(shown.images[i, y * side + x]) }
    }
    let right = predicted[i] == shown.labels[i]
    grid.annotate(.text(right ? "\(predicted[i])" : "\(predicted[i]) [\(shown.labels[i])]",
                        x: Double(left + side / 2), y: Double(top + side + 5), color: right ? .black : Color(hex: "#D00000")))
}
grid.add(.image(canvas, rows: height, cols: width))
lesson.save(grid)
lesson.say("\(predicted.indices.filter { predicted[$0] != shown.labels[$0] }.count) of these \(shown.count) are wrong.")

// MARK: - 8. How fast is a training step?
// One step at the paper's batch of 512: forward, backward and the SGD update. NOLAKit is compiled
// optimized even in this debug build, and the matrix products go to OpenBLAS.
lesson.cell(8, "How fast is a training step?")
let big = train.prefix(min(512, train.count))
let stepModel = Sequential.mlp([784, 256, 10], seed: lesson.seed)
let stepOptimizer = SGD(parameters: stepModel.parameters, learningRate: 0.01, momentum: 0.9)
let stepLoss = SoftmaxCrossEntropy()
for _ in 0..<5 { _ = try? trainStep(stepModel, input: big.images, labels: big.labels, loss: stepLoss, optimizer: stepOptimizer) }
let repeats = scale.pick(quick: 20, standard: 100, full: 200)
let (_, stepSeconds) = timed {
    for _ in 0..<repeats { _ = try? trainStep(stepModel, input: big.images, labels: big.labels, loss: stepLoss, optimizer: stepOptimizer) }
}
let msPerStep = 1000 * stepSeconds / Double(repeats)
lesson.facts([("batch", "\(big.count)"), ("BLAS threads", "\(BLAS.threads)"),
              ("ms per training step", Format.fixed(msPerStep, 2) + " (mean of \(repeats))"),
              ("PyTorch 2.11, 2 threads, same step", "about 3.0 ms (the issue's reference)")])

lesson.finish(paperVsOurs: [
    Comparison("network", paper: "784-256 (ReLU)-10, bias (A.2)", ours: "the same, \(Format.count(model.parameters.totalCount)) parameters", note: ""),
    Comparison("validation accuracy", paper: "(not reported for dense)", ours: Format.percent(final.validationAccuracy),
               note: "\(options.data.name) digits, \(epochs) epochs"),
    Comparison("ms per step, batch 512", paper: "≈3.0 (PyTorch CPU, 2 threads)", ours: Format.fixed(msPerStep, 2),
               note: "ratio \(Format.fixed(msPerStep / 3.0, 2)); shared machine"),
])
