import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

/// lesson15's command line: the common options, `--data`, and the sweep's controls.
struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson15",
        abstract: "Lesson 15 — NOLA on convolutions: ResNet-20 trained from scratch with PRANC, LoRA and NOLA (paper A.2, Tables 8–9).")
    @OptionGroup var common: CommonOptions
    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("Epochs per run (default: 2; 1 with --quick).", valueName: "N"))
    var epochs: Int?

    @Option(help: ArgumentHelp(
        "Folder of finished runs: a rerun reads them instead of training again (--full: data/runs/lesson15).",
        valueName: "DIR"))
    var results: String?

    @Option(help: ArgumentHelp("Run share i of n of the runs (i in 1…n): split a sweep between processes; "
                               + "the tables use every run found in the results folder.", valueName: "i/n"))
    var jobs: String = "1/1"

    func validate() throws {
        if let epochs, !(1...1000).contains(epochs) {
            throw ValidationError("--epochs \(epochs) is out of range; pass a whole number from 1 to 1000.")
        }
        guard (try? JobShare(parsing: jobs)) != nil else {
            throw ValidationError("--jobs '\(jobs)' is not a share i/n with 1 ≤ i ≤ n; pass e.g. --jobs 1/2.")
        }
        if let results, results.isEmpty {
            throw ValidationError("--results needs a folder name, e.g. --results data/runs/lesson15.")
        }
    }
}

/// How big this run is.
struct Plan {
    var source: DigitSource
    var trainCount: Int
    var validationCount: Int
    var testCount: Int
    var epochs: Int
    var batchSize: Int
    var seeds: [UInt64]
    /// Validation scores per epoch, for the training curves.
    var evaluationsPerEpoch: Int
    /// Training batches that measure BatchNorm's averages afresh before every evaluation.
    var recalibrationBatches: Int
    /// Interleaved rounds of the NOLA / PRANC step timing, steps per method and round.
    var timingRounds: Int
    var timingSteps: Int
    /// Whether to time PRANC with one coefficient vector for the whole network (slow: it
    /// regenerates 10,000 × 269,434 random numbers twice a step).
    var timesWholeNetworkPRANC: Bool
    /// Where finished runs are kept (nil: nowhere).
    var results: String?

    /// The scale's plan: `--quick` a smoke run on synthetic digits; the default a classroom run
    /// on the chosen data; `--full` MNIST (when data/mnist has it) as the paper's protocol.
    static func make(_ options: Options, scale: Scale, seed: UInt64, warn: (String) -> Void) -> Plan {
        var source = options.data.source
        if scale == .full, source == .synthetic {
            if MNIST.isPresent(.test, in: MNIST.defaultFolder) || MNIST.isPresent(.train, in: MNIST.defaultFolder) {
                source = .mnistDefault
            } else {
                warn("--full trains on MNIST when it is in \(MNIST.defaultFolder) (see data/README.md); using the synthetic digits.")
            }
        }
        return Plan(
            source: source,
            trainCount: scale.pick(quick: 256, standard: 1280, full: 55_000),
            validationCount: scale.pick(quick: 128, standard: 300, full: 5000),
            testCount: scale.pick(quick: 128, standard: 1000, full: 10_000),
            epochs: options.epochs ?? scale.pick(quick: 1, standard: 2, full: 1),
            batchSize: scale.pick(quick: 64, standard: 64, full: 256),
            seeds: (0..<UInt64(scale.pick(quick: 1, standard: 1, full: 3))).map { seed &+ $0 },
            evaluationsPerEpoch: scale.pick(quick: 1, standard: 2, full: 4),
            recalibrationBatches: scale.pick(quick: 2, standard: 2, full: 4),
            timingRounds: scale.pick(quick: 1, standard: 1, full: 3),
            timingSteps: scale.pick(quick: 1, standard: 2, full: 5),
            timesWholeNetworkPRANC: scale == .full,
            results: options.results ?? (scale == .full ? "data/runs/lesson15" : nil))
    }

    /// The configuration a stored run must match.
    func configuration(budgets: ResNetFromScratch.Budgets) -> [String: String] {
        let b = budgets
        return [
            "lesson": "lesson15", "data": "\(source)", "train": "\(trainCount)", "validation": "\(validationCount)",
            "evaluations": "\(evaluationsPerEpoch)", "recalibration": "\(recalibrationBatches)",
            "test": "\(testCount)", "epochs": "\(epochs)", "batch": "\(batchSize)", "rate": "0.001",
            "budgets": "nola \(b.nolaConvolution)/\(b.nolaClassifier) r\(b.nolaRank) c\(b.nolaC); pranc \(b.prancPerMatrix) s\(b.prancScale); "
                + "lora r\(b.loraRank) c\(b.loraC)",
        ]
    }
}

extension ResNetFromScratch.Method {
    /// The house colour of the method.
    var color: Color {
        switch self {
        case .dense: .dense
        case .pranc: .pranc
        case .lora: .lora
        case .nola: .nola
        }
    }

    /// Table 8's count and accuracy for this row.
    var paper: (count: Int, accuracy: Double) {
        switch self {
        case .dense: (269_722, 88.92)
        case .pranc: (12_752, 81.5)
        case .lora: (13_295, 81.5)
        case .nola: (12_876, 82.4)
        }
    }
}

/// Where each number of a `(out, in, 3, 3)` kernel goes in its `(3·out, 3·in)` matrix: the
/// output channel (left) and the input channel (right) of every entry of the matrix.
func kernelLayoutFigure(outputs: Int, inputs: Int) -> Figure {
    let (rows, cols) = KernelReshape.matrixShape(outputs: outputs, inputs: inputs, kernel: 3)
    var outputChannel = [Double](repeating: 0, count: rows * cols)
    var inputChannel = outputChannel
    for o in 0..<outputs {
        for c in 0..<inputs {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let (r, j) = KernelReshape.matrixPosition(output: o, input: c, ky: ky, kx: kx, inputs: inputs, kernel: 3)
                    outputChannel[r * cols + j] = Double(o)
                    inputChannel[r * cols + j] = Double(c)
                }
            }
        }
    }
    let rowLabels = (0..<rows).map { $0 % 6 == 0 ? "\($0)" : "" }
    let columnLabels = (0..<cols).map { $0 % 12 == 0 ? "\($0)" : "" }
    return Figure.heatMaps(
        "kernel_as_matrix",
        title: "A 3×3 convolution \(inputs) → \(outputs) channels as the \(rows)×\(cols) matrix NOLA adapts (cf. paper A.2)",
        panels: [("output channel o of each entry", outputChannel), ("input channel c of each entry", inputChannel)],
        rowLabels: rowLabels, columnLabels: columnLabels, columns: 2, x: "column of M (in·3 = \(cols))",
        y: "row of M (out·3 = \(rows))",
        colorBar: .init(label: "channel index", range: 0...Double(max(outputs, inputs) - 1)), width: 1400)
}

/// A small kernel `(2, 2, 3, 3)` read into its `(6, 6)` matrix, each entry shown as `o,c,ky,kx`.
func smallReshapeTable() -> Table {
    var table = Table(["row"] + (0..<6).map { "col \($0)" })
    var cells = [[String]](repeating: [String](repeating: "", count: 6), count: 6)
    for o in 0..<2 {
        for c in 0..<2 {
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let (r, j) = KernelReshape.matrixPosition(output: o, input: c, ky: ky, kx: kx, inputs: 2, kernel: 3)
                    cells[r][j] = "\(o),\(c),\(ky),\(kx)"
                }
            }
        }
    }
    for r in 0..<6 { table.row(["\(r)"] + cells[r]) }
    return table
}

/// Wall and process-CPU milliseconds per training step of each model, on one batch, in
/// `rounds` interleaved rounds of `steps` steps (after one untimed warm-up step each), so that a
/// machine getting busier or quieter slows every model alike. Returns the medians over all steps.
func interleavedStepTimes(
    _ models: [(name: String, model: ResNet)], batch: DigitDataset, rounds: Int, steps: Int
) throws -> [String: (wall: Double, cpu: Double)] {
    var wall: [String: [Double]] = [:], cpu: [String: [Double]] = [:]
    var optimizers: [String: Adam] = [:]
    for (name, model) in models {
        optimizers[name] = Adam(parameters: model.parameters, learningRate: 1e-3)
        _ = try trainingStepSeconds(model, optimizer: optimizers[name]!, input: batch.images, labels: batch.labels, warmup: 0, steps: 1)
    }
    for _ in 0..<rounds {
        for (name, model) in models {
            for _ in 0..<steps {
                let before = ProcessMemory.cpuSeconds
                let seconds = try trainingStepSeconds(
                    model, optimizer: optimizers[name]!, input: batch.images, labels: batch.labels, warmup: 0, steps: 1)
                wall[name, default: []].append(1000 * seconds[0])
                cpu[name, default: []].append(1000 * (ProcessMemory.cpuSeconds - before))
            }
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return Dictionary(uniqueKeysWithValues: models.map { ($0.name, (median(wall[$0.name]!), median(cpu[$0.name]!))) })
}
