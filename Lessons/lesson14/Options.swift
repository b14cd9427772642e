import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

/// lesson14's command line: the common options and `--data`.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson14",
        abstract: "Lesson 14 — Few-shot adaptation of a small vision transformer: 1-NN, Linear, full fine-tuning, LoRA and NOLA (paper §3.4, Tables 6–7, 10).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions
}

/// The downstream tasks of this run, loaded (so that a missing or short MNIST stops the run at
/// once): letters for `--data synthetic`, MNIST for `--data mnist`, both with `--full` (letters
/// only, with a warning, when data/mnist has no MNIST).
func loadTasks(scale: Scale, source: DigitSource, seed: UInt64, warn: (String) -> Void) throws -> [FewShotTask] {
    var sources: [FewShotTask.Source] = []
    switch (scale, source) {
    case (.full, _):
        sources = [.letters]
        if MNIST.isPresent(.test, in: MNIST.defaultFolder) || MNIST.isPresent(.train, in: MNIST.defaultFolder) {
            sources.append(.mnist(folder: MNIST.defaultFolder))
        } else {
            warn("--full runs the MNIST task too when MNIST is in \(MNIST.defaultFolder) (see data/README.md); running letters only.")
        }
    case (_, .synthetic): sources = [.letters]
    case (_, .mnist(let folder)): sources = [.mnist(folder: folder)]
    }
    let counts: (pool: Int, validation: Int, test: Int) = scale.pick(
        quick: (200, 100, 200), standard: (1000, 200, 1000), full: (1000, 200, 1000))
    return try sources.map {
        try FewShotTask($0, seed: seed, poolCount: counts.pool, validationCount: counts.validation, testCount: counts.test)
    }
}

/// The rates tried on the first draw: the paper's grids in --full. The default and --quick runs
/// try one rate for the methods that train through the backbone — 1e-3 for LoRA and NOLA, 8e-5
/// for Full-FT, the rates the grid search picks most often here — and Linear's whole grid (it
/// trains on cached features and costs nothing).
func rates(_ method: FewShotMethod, scale: Scale) -> [Float] {
    if scale == .full || method == .linear { return method.learningRates }
    switch method {
    case .nearestNeighbour: return []
    case .fullFineTuning: return [8e-5]
    default: return [1e-3]
    }
}

/// A rate as the paper writes it: "5e-3".
func rateText(_ rate: Float) -> String {
    var exponent = Int(log10(Double(rate)).rounded(.down))
    var mantissa = Int((Double(rate) / pow(10, Double(exponent))).rounded())
    if mantissa >= 10 { (mantissa, exponent) = (mantissa / 10, exponent + 1) }  // 1e-5 is 9.99…e-6 in Float
    return "\(mantissa)e\(exponent)"
}

/// Test accuracies (fractions) of one (task, shots, method) cell at its chosen rate.
struct Cell {
    var test: Spread
    var validation: Double
    var rate: Float?
}

/// What each method trains, for the methods table.
func whatItTrains(_ method: FewShotMethod, _ configuration: VisionTransformerConfiguration) -> String {
    switch method {
    case .nearestNeighbour: "nothing; nearest neighbour (cosine) of frozen features"
    case .linear: "nothing"
    case .fullFineTuning: "every tensor of the backbone"
    case .lora(let r): "rank-\(r) A, B on Q, K, V of \(configuration.layers) blocks"
    case .nola(let r, let k): "k = l = \(k) coefficients, rank \(r), on mlp.c_fc and mlp.c_proj"
    case .nolaQueryValue(let r, let k): "k = l = \(k) coefficients, rank \(r), on Q and V (Table 10 only)"
    }
}

/// The paper's CIFAR-10 accuracy (5 / 10 shots) for each of our Table 6 rows; `nolaIndex` is the
/// row's place among the NOLA rows (0: LoRA r=1's count, 1: half of it, 2: a third of r=4's).
func table6PaperCell(_ method: FewShotMethod, nolaIndex: Int?) -> String {
    switch method {
    case .nearestNeighbour: "ViT-B 79.6 / 80.8"
    case .linear: "ViT-B 80.8 / 85.1"
    case .fullFineTuning: "ViT-B 73.9 / 87.6"
    case .lora(4): "ViT-B 87.3 / 93.1"
    case .lora: "ViT-L 86.3 / 92.8"
    case .nolaQueryValue: "ViT-L 87.0 / 91.6 (Table 10)"
    case .nola:
        switch nolaIndex ?? 0 {
        case 0: "ViT-L 89.0 / 96.0 (= LoRA r=1's count)"
        case 1: "ViT-L 83.9 / 93.0 (½ of r=1's)"
        default: "ViT-B 87.9 / 92.2 (⅓ of r=4's)"
        }
    }
}

/// Accuracies in percent: "87.3 ± 1.2" over several runs, "87.3" for one.
func percent(_ s: Spread) -> String { s.values.count > 1 ? Spread(s.values.map { 100 * $0 }).text(1) : Format.fixed(100 * s.mean, 1) }
/// "+1.2" or "−0.4".
func signed(_ x: Double) -> String { (x >= 0 ? "+" : "−") + Format.fixed(abs(x), 1) }
/// A difference and its noise: "+1.2 ±0.8" (no noise with one run each).
func shown(_ d: (value: Double, noise: Double)) -> String { signed(d.value) + (d.noise > 0 ? " ±" + Format.fixed(d.noise, 1) : "") }
