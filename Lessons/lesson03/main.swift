// Lesson 03 — Backprop by hand
//
// Follows: paper Appendix A.2 ("NOLA in training from scratch: MLP on MNIST"), whose network is
// the one trained here: 784 → 256 (ReLU) → 10, trained with batches of 512 at learning rate 0.05.
// Later lessons compress exactly this network with PRANC and NOLA; here it is trained densely,
// every gradient written out by hand first.
//
// What you will learn:
// - the forward pass of an MLP, one layer at a time, with the shape of every tensor;
// - the backward pass as the chain rule, one formula per tensor, checked against the layers;
// - how a finite-difference gradient check catches a wrong formula;
// - how training and validation loss and accuracy evolve, and what a trained net gets wrong;
// - what one training step costs at batch 512, against PyTorch measured on this machine in the
//   same run (Benchmarks/pytorch/steps.py, when PyTorch is installed).
//
// Run it:
//   swift run lesson03                  # synthetic digits, about 10–30 s
//   swift run lesson03 --quick          # a smoke run of a few seconds
//   swift run lesson03 --full           # the paper's 200 epochs (a few minutes)
//   swift run lesson03 --data mnist     # real MNIST from data/mnist (see data/README.md)
// Figures: plots/lesson03/{curves-loss,curves-accuracy,digits}.png

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let source = options.data.source
let (train, validation) = options.loadDigits()  // before anything is printed: a missing MNIST is one line
let lesson = Lesson(
    number: 3, title: "Backprop by hand", follows: "Appendix A.2 (the 784-256-10 MLP on MNIST)",
    options: options.common)
let seed = lesson.seed

// MARK: - 1. The network and its shapes
// y = fc2(relu(fc1(x))): two Linear layers, y = x Wᵀ + b as PyTorch's nn.Linear, with W stored
// (out, in). A batch is a matrix with one image per row, so every tensor is (batch, features).

lesson.cell(1, "The network and its shapes")
let model = Sequential.mlp([784, 256, 10], seed: seed)
let (fc1, fc2) = (model.linearLayers[0], model.linearLayers[1])
let relu = model.layers[1]
var shapes = Table(["layer", "computes", "weight W", "bias b", "output", "parameters"])
shapes.row(["fc1", "z₁ = x W₁ᵀ + b₁", "(256×784)", "(1×256)", "(B×256)", Format.count(200_960)])
shapes.row(["relu", "h = max(z₁, 0)", "—", "—", "(B×256)", "0"])
shapes.row(["fc2", "z₂ = h W₂ᵀ + b₂", "(10×256)", "(1×10)", "(B×10)", Format.count(2_570)])
shapes.row(["loss", "L = mean −log softmax(z₂)[y]", "—", "—", "scalar", "0"])
lesson.show(shapes)
lesson.facts([
    ("trainable parameters", Format.count(model.trainableParameterCount) + " (paper A.2: the same network)"),
    ("initialisation", "PyTorch's default, W and b ~ Uniform(±1/√in), from seed \(seed)"),
])

// MARK: - 2. The digits
// 28×28 grey images flattened to 784 numbers in [0, 1]. Synthetic digits are drawn by the
// project itself (offline, any number); --data mnist reads the real ones from data/mnist.

lesson.cell(2, "The digits")
lesson.facts([
    ("training set", "\(Format.count(train.count)) images: \(train.name)"),
    ("validation set", "\(Format.count(validation.count)) images: \(validation.name)"),
])

// MARK: - 3. Forward, one layer at a time
// Eight training digits go through the layers one by one. At initialisation the ten logits are
// nearly equal, so softmax gives each class about 1/10 and the loss is near ln 10 ≈ 2.303.

lesson.cell(3, "Forward, one layer at a time")
let small = train.prefix(8)
let x = small.images
let loss = SoftmaxCrossEntropy()
let z1 = fc1.forward(x)
let h = relu.forward(z1)
let z2 = fc2.forward(h)
let lossValue = loss.forward(z2, labels: small.labels)
let zeroFraction = Double(h.data.filter { $0 == 0 }.count) / Double(h.count)
var forward = Table(["tensor", "formula", "shape", "note"])
forward.row(["x", "8 digits, one per row", x.shapeDescription, "pixels in [0, 1]"])
forward.row(["z₁", "x W₁ᵀ + b₁", z1.shapeDescription, "pre-activations"])
forward.row(["h", "max(z₁, 0)", h.shapeDescription, Format.percent(zeroFraction) + " are zero"])
forward.row(["z₂", "h W₂ᵀ + b₂", z2.shapeDescription, "logits"])
forward.row(["p", "softmax(z₂) by rows", loss.probabilities.shapeDescription, "each row sums to 1"])
forward.row(["L", "mean −log p[i, yᵢ]", "scalar", Format.fixed(lossValue, 4) + " (ln 10 = 2.3026)"])
lesson.show(forward)

// MARK: - 4. Backward: the chain rule, tensor by tensor
// Each gradient is the one after it times a local derivative; the formulas are printed below.
// We compute each with explicit matrix products, then let the layers' backward() do the same,
// and compare.

lesson.cell(4, "Backward: the chain rule, tensor by tensor")
lesson.say(
    """
    Each gradient is the one after it times a local derivative (B = 8 digits):

        dz₂ = (p − onehot(y)) / B     (B×10)      softmax and cross-entropy together
        dW₂ = dz₂ᵀ · h                (10×256)    because z₂ = h W₂ᵀ + b₂
        db₂ = Σ over rows of dz₂      (1×10)
        dh  = dz₂ · W₂                (B×256)
        dz₁ = dh ⊙ [z₁ > 0]           (B×256)     ReLU lets the gradient through where it was open
        dW₁ = dz₁ᵀ · x                (256×784)
        db₁ = Σ over rows of dz₁      (1×256)

    Below, each is computed by hand with explicit products, then by the layers' own backward().
    """)
let batchSize = Float(small.count)
var dz2 = loss.probabilities
for i in 0..<small.count {
    for k in 0..<10 { dz2[i, k] = (dz2[i, k] - (k == small.labels[i] ? 1 : 0)) / batchSize }
}
let dW2 = BLAS.matmul(dz2, h, transposeA: true)
let db2 = Matrix(rows: 1, cols: 10, data: (0..<10).map { k in (0..<small.count).reduce(0) { $0 + dz2[$1, k] } })
let dh = BLAS.matmul(dz2, fc2.weight.value)
var dz1 = dh
for i in 0..<dz1.count where z1.data[i] <= 0 { dz1.data[i] = 0 }
let dW1 = BLAS.matmul(dz1, x, transposeA: true)
let db1 = Matrix(rows: 1, cols: 256, data: (0..<256).map { k in (0..<small.count).reduce(0) { $0 + dz1[$1, k] } })

// The layers' backward, last to first; parameter gradients accumulate into .grad.
model.parameters.zeroGradients()
let layerDz2 = loss.backward()
let layerDh = fc2.backward(layerDz2)
let layerDz1 = relu.backward(layerDh)
_ = fc1.backward(layerDz1)  // the first layer skips dx: its input is data

var backward = Table(["gradient", "by hand", "shape", "max |hand − layer|"])
let pairs: [(String, String, Matrix, Matrix)] = [
    ("dz₂", "(p − onehot) / B", dz2, layerDz2),
    ("dW₂", "dz₂ᵀ · h", dW2, fc2.weight.grad),
    ("db₂", "Σ rows dz₂", db2, fc2.bias!.grad),
    ("dh", "dz₂ · W₂", dh, layerDh),
    ("dz₁", "dh ⊙ [z₁ > 0]", dz1, layerDz1),
    ("dW₁", "dz₁ᵀ · x", dW1, fc1.weight.grad),
    ("db₁", "Σ rows dz₁", db1, fc1.bias!.grad),
]
for (name, formula, hand, layer) in pairs {
    backward.row([name, formula, hand.shapeDescription, Format.significant(Double(hand.maxAbsDifference(layer)), 2)])
}
lesson.show(backward)
lesson.say("Zeros or rounding-level differences: the layers implement exactly these formulas.")

// MARK: - 5. A gradient check by finite differences
// A formula can be consistently wrong in both places. The independent test nudges one weight at
// a time, θ ± ε, and compares (L(θ+ε) − L(θ−ε)) / 2ε with the backward pass. Doing that for all
// 203,530 weights would take minutes, so we check a slim twin, 784-16-10, built from the same
// layers: the chain rule does not care how wide the hidden layer is.

lesson.cell(5, "A gradient check by finite differences")
let twin = Sequential.mlp([784, 16, 10], seed: seed)
let checkLoss = SoftmaxCrossEntropy()
_ = checkLoss.forward(twin.forward(x), labels: small.labels)
twin.parameters.zeroGradients()
_ = twin.backward(checkLoss.backward())
let checker = GradientCheck(step: 1e-3, tolerance: 1e-2)
let (results, checkSeconds) = timed {
    checker.check(twin.parameters) { Double(checkLoss.forward(twin.forward(x), labels: small.labels)) }
}
var check = Table(["tensor", "elements", "max |∂L/∂θ|", "relative error", "verdict"])
for r in results {
    let count = twin.parameters.first { $0.name == r.name }!.count
    check.row([
        r.name, Format.count(count), Format.significant(r.scale, 3), Format.significant(r.error, 2),
        r.passed ? "ok" : "FAILED",
    ])
}
lesson.show(check)
lesson.say(
    """
    relative error = max |backward − finite difference| / max |finite difference|, with ε = 10⁻³ \
    (\(Format.count(2 * twin.trainableParameterCount)) forward passes in \(Format.seconds(checkSeconds))). \
    The loss is computed in Float32, so it carries rounding noise of about 10⁻⁷·L, which the \
    difference divides by 2ε: errors of a few 10⁻³ are agreement; a wrong formula gives errors of order 1.
    """)

// MARK: - 6. Training with mini-batch SGD
// fit() visits the training set in a seeded shuffled order, one trainStep (forward, loss,
// backward, update) per batch of 512 as in the paper, and evaluates on the validation set after
// every epoch.

lesson.cell(6, "Training with mini-batch SGD")
let epochs = lesson.scale.pick(quick: 10, standard: 30, full: 200)
let learningRate: Float = 0.05, momentum: Float = 0.9
let configuration = FitConfiguration(epochs: epochs, batchSize: 512, seed: seed)
let optimizer = SGD(parameters: model.parameters, learningRate: learningRate, momentum: momentum)
lesson.facts([
    ("optimizer", "SGD, learning rate \(learningRate) and batch 512 (paper A.2), momentum \(momentum) (ours)"),
    ("length", "\(epochs) epochs × \(Format.count(configuration.totalSteps(examples: train.count) / epochs)) steps"),
])
lesson.say(
    """
    The paper does not name its optimizer. We add momentum 0.9: without it, the default run's \
    720 steps (seed 1) stop at 90.5% validation accuracy instead of 98%.
    """)
let bar = lesson.progress("training", total: configuration.totalSteps(examples: train.count), live: "training loss (nats)")
let records: [EpochRecord]
do {
    records = try fit(
        model, optimizer: optimizer, train: train, validation: validation, configuration: configuration,
        afterStep: { _, value in bar.advance(note: "loss " + Format.fixed(value, 3), plot: Double(value)) })
} catch {
    bar.finish()
    Lesson.fail("\(error)")
}
bar.finish()
var progress = Table(["epoch", "train loss", "train acc.", "val. loss", "val. acc.", "time"])
let shown = Set(stride(from: 0, to: epochs, by: max(1, epochs / 8)).map { $0 + 1 } + [1, epochs])
for r in records where shown.contains(r.epoch) {
    progress.row([
        "\(r.epoch)", Format.fixed(r.trainLoss, 4), Format.percent(r.trainAccuracy),
        Format.fixed(r.validationLoss, 4), Format.percent(r.validationAccuracy), Format.seconds(r.seconds),
    ])
}
lesson.show(progress)
let final = records.last!

// MARK: - 7. Loss and accuracy curves
// Training loss is the mean over an epoch's batches, each measured before its own update;
// validation loss is measured after the epoch. While they stay together the network generalises.

lesson.cell(7, "Loss and accuracy curves")
let epochAxis = records.map { Double($0.epoch) }
let dataName = source == .synthetic ? "synthetic digits" : "MNIST"
var lossFigure = Figure(
    "curves-loss", title: "MLP 784-256-10 on \(dataName): cross-entropy (cf. paper A.2)",
    x: "epoch (\(configuration.totalSteps(examples: train.count) / epochs) steps of batch 512 each)",
    y: "cross-entropy loss (nats)")
lossFigure.logY = true
// From the decade below the smallest loss up to above ln 10, so the guessing line always shows.
let smallestLoss = records.flatMap { [$0.trainLoss, $0.validationLoss] }.filter { $0 > 0 }.min() ?? 0.01
lossFigure.yRange = pow(10, (log10(smallestLoss)).rounded(.down))...4
let markers = epochs <= 40
lossFigure.legend = .bottomLeft
lossFigure.annotate(.horizontalLine(y: 2.302585, label: "guessing: ln 10 = 2.30", color: .base))
lossFigure.add(.lines("training (mean over the epoch)", x: epochAxis, y: records.map(\.trainLoss), markers: markers, color: .blue))
lossFigure.add(.lines("validation (after the epoch)", x: epochAxis, y: records.map(\.validationLoss), markers: markers, color: .vermillion))
lesson.save(lossFigure)
var accuracyFigure = Figure(
    "curves-accuracy", title: "MLP 784-256-10 on \(dataName): accuracy (cf. paper A.2)",
    x: "epoch", y: "accuracy (%)")
accuracyFigure.legend = .bottomRight
accuracyFigure.add(.lines("training (mean over the epoch)", x: epochAxis, y: records.map { 100 * $0.trainAccuracy }, markers: markers, color: .blue))
accuracyFigure.add(.lines("validation (after the epoch)", x: epochAxis, y: records.map { 100 * $0.validationAccuracy }, markers: markers, color: .vermillion))
lesson.save(accuracyFigure)
lesson.say(
    "Final: training loss \(Format.significant(final.trainLoss, 2)), validation loss \(Format.significant(final.validationLoss, 2)), "
        + "validation accuracy \(Format.percent(final.validationAccuracy)).")

// MARK: - 8. What the network gets wrong
// The first 24 validation digits, then the first 8 mistakes after them, each captioned with the
// predicted digit (and the true one when they differ).

lesson.cell(8, "What the network gets wrong")
let predicted = predictions(model, on: validation)
let mistakes = validation.labels.indices.filter { $0 >= 24 && predicted[$0] != validation.labels[$0] }
let picked = Array(0..<min(24, validation.count)) + mistakes.prefix(8)
let gridImages = picked.map { i in (0..<784).map { Double(validation.images[i, $0]) } }
let captions = picked.map { i in
    predicted[i] == validation.labels[i] ? "\(predicted[i])" : "\(predicted[i]) (true \(validation.labels[i]))"
}
let wrong = Set(picked.indices.filter { predicted[picked[$0]] != validation.labels[picked[$0]] })
lesson.save(
    Figure.imageGrid(
        "digits", title: "Validation digits and the MLP's predicted labels (framed: wrong, true label in brackets; cf. A.2)",
        images: gridImages, side: 28, columns: 8, captions: captions, marked: wrong))
var perDigit = Table(["digit"] + (0..<10).map { "\($0)" })
var perDigitRow = ["val. acc."]
for d in 0..<10 {
    let indices = validation.labels.indices.filter { validation.labels[$0] == d }
    let correct = indices.filter { predicted[$0] == d }.count
    perDigitRow.append(indices.isEmpty ? "—" : Format.percent(Double(correct) / Double(indices.count), 1))
}
perDigit.row(perDigitRow)
lesson.show(perDigit)
let misread = validation.labels.indices.filter { predicted[$0] != validation.labels[$0] }.count
lesson.say("\(Format.count(misread)) of \(Format.count(validation.count)) validation digits are misread.")

// MARK: - 9. The cost of one training step at batch 512
// A fresh copy of the network takes steps on one batch of 512: two big products per step
// ((512×784)·(784×256) forward and its transpose for dW₁), a few small ones, and a plain SGD
// update: the step that Benchmarks/pytorch/steps.py times in PyTorch, run here for the ratio.
// All of it runs in NOLAKit and OpenBLAS, compiled optimized even in this debug build.

lesson.cell(9, "The cost of one training step at batch 512")
let timingBatch = train.count >= 512 ? train.prefix(512) : train
let timingModel = Sequential.mlp([784, 256, 10], seed: seed)
let timingOptimizer = SGD(parameters: timingModel.parameters, learningRate: learningRate)  // plain SGD, as benchmarked
let stepCount = lesson.scale.pick(quick: 20, standard: 100, full: 300)
let stepTimes: [Double]
do {
    stepTimes = try trainingStepSeconds(
        timingModel, optimizer: timingOptimizer, input: timingBatch.images, labels: timingBatch.labels,
        steps: stepCount
    ).sorted()
} catch {
    Lesson.fail("\(error)")
}
let medianStep = stepTimes[stepTimes.count / 2], bestStep = stepTimes[0]
let flops = 2.0 * Double(timingBatch.count) * (2 * 784 * 256 + 3 * 256 * 10)
// PyTorch's time for the same step (Benchmarks/pytorch/steps.py), measured now on this machine
// when PyTorch is installed; --quick skips it to stay a few seconds.
let pytorch: PyTorchReference.StepTimes.Milliseconds?
let pytorchNote: String
if lesson.scale == .quick {
    pytorch = nil
    pytorchNote = "not run with --quick; by hand: " + PyTorchReference.howToRun
} else {
    switch PyTorchReference.measure(methods: ["dense"], steps: stepCount, threads: BLAS.threads) {
    case .success(let result):
        pytorch = result.ms["dense"]
        pytorchNote = "PyTorch \(result.torch), \(result.threads) threads, flush-denormal \(result.flushDenormal ? "on" : "off")"
    case .failure(let reason):
        pytorch = nil
        pytorchNote = "not measured (\(reason)); by hand: " + PyTorchReference.howToRun
    }
}
var stepFacts = [
    ("steps timed", "\(stepCount) (forward, backward, plain SGD update), BLAS threads \(BLAS.threads)"),
    ("median step", Format.fixed(medianStep * 1e3, 2) + " ms (best " + Format.fixed(bestStep * 1e3, 2) + " ms)"),
    ("arithmetic", Format.rate(flops / medianStep) + "FLOP/s at the median (" + Format.rate(flops) + "FLOP per step)"),
    ("BLAS", OpenBLASInfo.current.summary),
]
if let pytorch {
    stepFacts.append(("PyTorch, same step", Format.fixed(pytorch.median, 2) + " ms median (" + pytorchNote + ")"))
    stepFacts.append(("ours / PyTorch", Format.fixed(medianStep * 1e3 / pytorch.median, 2) + "× at the median"))
} else {
    stepFacts.append(("PyTorch, same step", pytorchNote))
}
lesson.facts(stepFacts)
lesson.say(
    """
    Almost all of it is fc1's two products, which OpenBLAS splits across both cores. fc2's products \
    (512×256 by 256×10) are too small to repay waking a second thread, so Linear runs them as \
    one-thread blocks of at most 102 rows: 0.23 ms instead of 0.4 ms. Timings on a shared machine \
    drift; the ratio above comes from one run, both measured a moment apart. Every method of the \
    speed table, ours beside PyTorch's: cd Benchmarks && swift run -c release step-times.
    """)

lesson.finish(paperVsOurs: [
    Comparison("network", paper: "784-256-10, ReLU", ours: "784-256-10, ReLU", note: "the same: 203,530 parameters"),
    Comparison(
        "data", paper: "MNIST, 60,000 train", ours: "\(dataName), \(Format.count(train.count)) train",
        note: source == .synthetic ? "--data mnist for the real digits" : "only the files in data/mnist"),
    Comparison(
        "schedule", paper: "200 epochs, batch 512, lr 0.05", ours: "\(epochs) epochs, batch 512, lr 0.05, μ 0.9",
        note: lesson.scale == .full ? "momentum added (see cell 6)" : "classroom length; --full runs 200"),
    Comparison(
        "dense training loss", paper: "— (not reported)", ours: Format.significant(final.trainLoss, 2),
        note: "A.2 reports PRANC 0.87, NOLA 0.71 with 32 params/layer"),
    Comparison(
        "validation accuracy", paper: "— (not reported)", ours: Format.percent(final.validationAccuracy),
        note: "A.2 compares training losses only"),
    Comparison(
        "ms per step, batch 512", paper: pytorch.map { "PyTorch here: " + Format.fixed($0.median, 2) } ?? "PyTorch: not measured",
        ours: Format.fixed(medianStep * 1e3, 2) + (pytorch.map { " (" + Format.fixed(medianStep * 1e3 / $0.median, 2) + "×)" } ?? ""),
        note: "\(BLAS.threads) threads, this machine, one run"),
])
