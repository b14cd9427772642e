import Foundation
import LessonKit
import NOLAKit

/// How big this run is: the parts of the data it uses, the base it pretrains, the adaptation
/// and decoding settings, and the results folder — from the scale (`--quick`, default, `--full`)
/// and the options that override it. The configuration lines (`configuration`) are what a
/// results folder is keyed on.
struct RunSize {
    let scale: Scale
    let source: E2ESource
    let seeds: [UInt64]
    let beam: Int
    let epochs: Double
    /// Every row's learning rate is its standard one times this (`--rate-scale`; 1 by default).
    let rateScale: Float
    /// Evaluations of the validation loss per adaptation, and how many in a row without
    /// improvement stop it (nil: never stop early; the best point is kept either way).
    let evaluations: Int
    let patience: Int?
    /// The parts adaptation and scoring use: prefixes of the data's training, validation and test MRs.
    let data: E2EData
    /// What the base is pretrained on: all the data (the same base for every scale but --quick,
    /// whose tiny base reads `data`).
    let baseData: E2EData
    private(set) var pretraining: E2EBaseModel.Pretraining
    /// Steps of the base's pretraining run whose bases the sweep (cell 9) adapts, besides the
    /// finished base; empty: no sweep.
    let sweepFractions: [Double]
    /// "4" bases besides the finished one, for narration.
    var sweepFractionsText: String { "\(max(sweepFractions.count, 4))" }

    /// Test MRs scored in cell 10.
    let quantMRs: Int
    /// The results folder (nil: results are not kept).
    let resultsFolder: String?

    init(options: Options, scale: Scale, seed: UInt64, data all: E2EData) {
        self.scale = scale
        source = all.source
        let real = all.source != .synthetic(seed: seed)
        seeds = (0..<UInt64(options.seeds ?? scale.pick(quick: 1, standard: 1, full: 3))).map { seed &+ $0 }
        beam = options.beam ?? scale.pick(quick: 2, standard: 4, full: 10)
        epochs = options.epochs ?? scale.pick(quick: 1, standard: 1, full: 0.5)
        rateScale = options.rateScale ?? 1
        evaluations = scale.pick(quick: 2, standard: 4, full: 8)
        patience = scale == .full ? 3 : nil
        let trainMRs = scale.pick(quick: 60, standard: real ? 300 : all.train.count, full: all.train.count)
        let validationMRs = scale.pick(quick: 8, standard: real ? 60 : all.validation.count, full: real ? 100 : all.validation.count)
        let testMRs = min(all.test.count, options.testMRs.map { $0 == 0 ? Int.max : $0 } ?? scale.pick(quick: 6, standard: 30, full: .max))
        data = E2EData(train: all.train.prefix(trainMRs), validation: all.validation.prefix(validationMRs),
                       test: all.test.prefix(testMRs), source: all.source)
        baseData = scale == .quick ? data : all
        var p = E2EBaseModel.Pretraining()
        if scale == .quick {
            p = .tiny
        } else {
            p.tokenizerReadsMRs = false
            p.records = real ? 15_000 : 1_500
            p.epochs = real ? 2 : 8
        }
        if let shape = try? options.parsedBaseShape() { p = Self.shaped(p, layers: shape.layers, width: shape.width) }
        pretraining = p
        sweepFractions = scale == .full && options.rows == nil && !options.table4Only ? [1.0 / 2, 1.0 / 8, 1.0 / 32, 0] : []
        quantMRs = min(testMRs, options.quantMRs.map { $0 == 0 ? Int.max : $0 } ?? scale.pick(quick: testMRs, standard: 20, full: 100))
        resultsFolder = options.grid.resultsFolder
            ?? (scale == .full ? "Lessons/lesson12/results/\(real ? "e2e" : "synthetic")-full" + Self.shapeSuffix(p)
                + (rateScale == 1 ? "" : "-lr\(rateScale)x") : nil)
    }

    /// The same run on a base of `layers` blocks of `width` (heads: width / 32): the configuration
    /// cell 9 reads a wider base's own --full results with.
    func reshaped(layers: Int, width: Int) -> RunSize {
        var other = self
        other.pretraining = Self.shaped(pretraining, layers: layers, width: width)
        return other
    }

    /// `p` with `layers` blocks of `width`, one head per 32 channels (`--base-shape`).
    static func shaped(_ p: E2EBaseModel.Pretraining, layers: Int, width: Int) -> E2EBaseModel.Pretraining {
        var q = p
        (q.layers, q.embedding, q.heads) = (layers, width, width / 32)
        return q
    }

    /// "" for the default base's shape (4 × 128), "-l6c256" for another: a --full run on another
    /// base keeps its results apart.
    static func shapeSuffix(_ p: E2EBaseModel.Pretraining) -> String {
        let standard = E2EBaseModel.Pretraining()
        return (p.layers, p.embedding) == (standard.layers, standard.embedding) ? "" : "-l\(p.layers)c\(p.embedding)"
    }

    /// The rows Table 1 runs: `--rows`, else all of them in `--full`, else the four that answer
    /// the lesson's question; none with `--table4-only`.
    func table1(_ rows: [Row], options: Options) -> [Row] {
        if options.table4Only { return [] }
        let chosen = options.chosenRows ?? (scale == .full ? Set(rows.filter { !$0.probe }.map(\.slug)) : ["frozen", "lora_r1", "nola_qv_1", "nola_qv_quarter"])
        return rows.filter { chosen.contains($0.slug) }
    }

    /// Everything that changes what a job measures, as `name = value` lines (a results folder is
    /// keyed on them with `protocolVersion`); the grid's axes — rows, seeds, bases — are not here.
    func configuration(rules: [QuantRule]) -> [String] {
        func fingerprint(_ set: E2EDataset) -> String {
            let text = set.examples.map { ([$0.mr.description] + $0.references).joined(separator: "\n") }.joined(separator: "\n\n")
            return "\(set.count) MRs, \(set.rowCount) rows, fnv1a64 \(String(BasisSeeds.fnv1a64(text), radix: 16))"
        }
        return [
            "scale = \(scale.rawValue)",
            "data = \(source)",
            "train = \(fingerprint(data.train))",
            "validation = \(fingerprint(data.validation))",
            "test = \(fingerprint(data.test))",
            "base = \(pretraining.key), seed \(seeds.first ?? 0), on \(fingerprint(baseData.train))",
            "adaptation = \(epochs) epochs, E2EFineTuning.Recipe.standard, batches of similar length, "
                + "\(evaluations) evaluations, keep best, patience \(patience.map(String.init) ?? "none")",
            "rates = full fine-tuning 1e-3, LoRA 3e-2, NOLA 0.2/sqrt(k), AdamW, warm-up 20, linear decay, weight decay 0.01, clip 1"
                + (rateScale == 1 ? "" : ", all times \(rateScale)"),
            "decoding = beam \(beam), length penalty 0.9, no repeated 4-grams, 64 new tokens",
            "quantization = \(rules.map(\.slug).joined(separator: ",")), \(quantMRs) test MRs, "
                + (scale == .standard ? "PTQ 3,2 of cell 5's models" : "PTQ \(SymmetricQuantizer.paperBits), QAT 4,3,2"),
        ]
    }

    /// Bumped whenever a result's meaning changes without the configuration lines changing
    /// (a metric, the recipe's rules, the decoder's output).
    static let protocolVersion = 2
}
