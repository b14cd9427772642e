import Foundation
import LessonKit
import NOLAKit

/// What one job of lesson 12's grid measured (`JobResult.payload`, a JSON file per job in the
/// results folder). A Table 1/3 job or a sweep job fills `scores`, `outputs` and `curve`; a
/// Table 4 job fills `quantization`; a base job (`base-…`) fills `base`.
struct JobPayload: Codable, Sendable {
    /// The challenge's metrics on the test MRs (fractions, as the scorer prints them; BLEU 0.6512).
    var scores: Scores?
    /// One sentence per test MR, in the test file's order (`swift run e2e-score` rescores them).
    var outputs: [String]?
    /// Validation loss along the adaptation; the point early stopping kept is marked.
    var curve: [CurvePoint]?
    /// Tokens the adaptation's training steps read (padding aside) and their seconds (wall clock,
    /// the validation passes not counted).
    var trainedTokens: Int?
    var trainSeconds: Double?
    var decodeSeconds: Double?
    /// Table 4: BLEU (fraction) by setting: "float", "ptq absmax 3", "qat mse 2", ….
    var quantization: [String: Double]?
    /// A base of the sweep (or the lesson's base): what it is and how good.
    var base: BaseFacts?

    struct Scores: Codable, Sendable {
        var bleu: Double
        var nist: Double
        var rougeL: Double
        var cider: Double
        init(_ s: E2EScores) {
            (bleu, nist, rougeL, cider) = (s.bleu.score, s.nist.score, s.rougeL.score, s.cider.score)
        }
    }

    struct CurvePoint: Codable, Sendable {
        var epoch: Double
        var trainingLoss: Double
        var validationLoss: Double
        var kept: Bool
        init(_ r: E2EFineTuning.Record) {
            (epoch, trainingLoss, validationLoss, kept) = (r.epoch, r.trainingLoss, r.validationLoss, r.isBest)
        }
    }

    struct BaseFacts: Codable, Sendable {
        /// Pretraining steps of the base (0: the random initialization) out of the run's total.
        var steps: Int
        var totalSteps: Int
        /// Validation loss per token on the validation split's reference documents.
        var validationLoss: Double
        /// "loaded from the cache …" or "trained now in 412.3 s, cached in …".
        var origin: String
        /// The GPT's shape and size, the tokenizer, and the pretraining documents.
        var shape: String
        var parameters: Int
        var tokenizer: String
        var documents: Int
        /// Pretraining throughput, tokens per second (nil when loaded from the cache).
        var tokensPerSecond: Double?

        init(_ base: E2EBaseModel, steps: Int, totalSteps: Int, tokensPerSecond: Double?) {
            self.steps = steps
            self.totalSteps = totalSteps
            validationLoss = base.validationLoss
            origin = base.origin
            shape = base.configuration.description
            parameters = base.configuration.parameterCount
            tokenizer = base.tokenizer.description
            documents = base.documentCount
            self.tokensPerSecond = tokensPerSecond
        }
    }

    /// "BLEU 61.2, stopped at epoch 0.38", "float BLEU 58.1", "validation loss 1.471", for a line per job.
    var summary: String {
        if let scores {
            let kept = curve?.first { $0.kept }.map { ", kept epoch \(Format.fixed($0.epoch, 2))" } ?? ""
            return "BLEU \(Format.fixed(100 * scores.bleu, 1))\(kept)" + (tokensPerSecond.map { ", \(Format.rate($0)) tokens/s" } ?? "")
        }
        if let float = quantization?["float"] { return "float BLEU \(Format.fixed(100 * float, 1))" }
        if let base { return "validation loss \(Format.fixed(base.validationLoss, 3))" }
        return "done"
    }

    /// Adaptation throughput: tokens per second of training (nil when not trained).
    var tokensPerSecond: Double? {
        guard let trainedTokens, let trainSeconds, trainSeconds > 0 else { return nil }
        return Double(trainedTokens) / trainSeconds
    }
}

/// What a job of the grid does.
enum Job {
    /// The base stopped at a part of its pretraining run ("1": finished): its facts.
    case base(String)
    /// A row of Table 1 or 3 with a seed, on the finished base.
    case row(Row, seed: UInt64)
    /// A row of the sweep on an earlier base (first seed).
    case sweep(Row, base: String)
    /// Table 4's protocol for one method and seed.
    case quant(AdapterMethod, seed: UInt64)

    /// "LoRA QV r=1, seed 2", for the progress bar.
    var title: String {
        switch self {
        case .base(let label): "base \(label)"
        case .row(let row, let seed): "\(row.name), seed \(seed)"
        case .sweep(let row, let label): "\(row.name) on the base at \(label) of its pretraining"
        case .quant(let method, let seed): "Table 4, \(method.name), seed \(seed)"
        }
    }

    /// Runs the job: `adaptation(label)` gives the adaptation on the base at `label`,
    /// `recordBase(label)` makes sure that base's facts are a result too.
    @MainActor
    func run(adaptation: (String) -> Adaptation, baseFacts recordBase: (String) -> Void, quantize: QuantizationProtocol.Settings,
             size: RunSize, progress: @escaping (Int, Int, Float) -> Void) throws -> JobPayload {
        switch self {
        case .base(let label):
            recordBase(label)
            throw GridError("the facts of base \(label) are recorded by their own job")
        case .row(let row, let seed):
            let a = adaptation("1")
            let ptq = quantize.ptqOfRows && ["lora_r1", "nola_qv_1"].contains(row.slug) ? row.method : nil
            return try a.run(row, seed: seed, quantize: ptq.map { method in
                { QuantizationProtocol(adaptation: a, settings: quantize).postTraining($0, method, seed: seed) }
            }, progress: progress)
        case .sweep(let row, let label):
            recordBase(label)
            return try adaptation(label).run(row, seed: size.seeds[0], progress: progress)
        case .quant(let method, let seed):
            return try QuantizationProtocol(adaptation: adaptation("1"), settings: quantize).run(method, seed: seed)
        }
    }
}

/// The job ids of the grid, one place: `t1-<row>-s<seed>`, `sweep-b1of8-<row>`, `t4-<method>-s<seed>`, `base-b1of8`.
enum JobID {
    static func row(_ slug: String, seed: UInt64) -> String { "t1-\(slug)-s\(seed)" }
    static func sweep(_ slug: String, base: String) -> String { "sweep-b\(tag(base))-\(slug)" }
    static func quant(_ slug: String, seed: UInt64) -> String { "t4-\(slug)-s\(seed)" }
    static func base(_ label: String) -> String { "base-b\(tag(label))" }
    /// "1/8" → "1of8": a base's label in a file name.
    static func tag(_ label: String) -> String { label.replacingOccurrences(of: "/", with: "of") }
}

/// Everything one adaptation needs: a base, the corpora, the test set, the decoder and the
/// recipe rules. Runs a job's work and returns its payload.
@MainActor
struct Adaptation {
    let base: E2EBaseModel
    let train: E2EFineTuning.Corpus
    let validation: E2EFineTuning.Corpus
    let test: E2EDataset
    let references: E2EScores.References
    let search: BeamSearch
    let epochs: Double
    /// Every recipe's learning rate is multiplied by this (`--rate-scale`).
    let rateScale: Float
    let evaluations: Int
    let patience: Int?

    /// A fresh copy of the base with `method` attached at `sites` (seeded), all else frozen;
    /// nil method: every tensor trainable (full fine-tuning).
    func model(_ method: AdapterMethod?, sites: TransformerSites?, seed: UInt64) -> GPT {
        let model = base.makeModel()
        if let method, let sites { model.attach(method, seed: seed, sites: model.sites(sites)) }
        return model
    }

    /// Beam search over `mrs` on both cores: `model` and a copy of it (built as `method`, `sites`,
    /// `seed` say, with `model`'s values) each decode half of them.
    func decode(_ model: GPT, _ method: AdapterMethod?, _ sites: TransformerSites?, seed: UInt64, mrs: [MeaningRepresentation]) -> [String] {
        let copy = self.model(method, sites: sites, seed: seed)
        copy.copyValues(from: model)
        return E2EDecoding.decode(copies: [model, copy], tokenizer: base.tokenizer, mrs: mrs, search: search)
    }

    /// The recipe of `method` for this run's epochs (`E2EFineTuning.Recipe.standard`), its rate
    /// times `rateScale`.
    func recipe(_ method: AdapterMethod?) -> E2EFineTuning.Recipe {
        var recipe = E2EFineTuning.Recipe.standard(for: method, epochs: epochs)
        recipe.learningRate *= rateScale
        return recipe
    }

    /// Adapts a fresh base as `row` says with `seed`, keeping the point of lowest validation loss,
    /// then decodes and scores the test MRs. The frozen row only decodes. `quantize`, when given,
    /// measures the trained model under quantization (the default run's cell 10: PTQ of this model).
    func run(_ row: Row, seed: UInt64, quantize: ((GPT) -> [String: Double])? = nil,
             progress: (Int, Int, Float) -> Void = { _, _, _ in }) throws -> JobPayload {
        let model = self.model(row.method, sites: row.sites, seed: seed)
        var payload = JobPayload()
        if row.trains {
            let curve = try E2EFineTuning.train(model, on: train, validation: validation, recipe: recipe(row.method), seed: seed &+ 1,
                                                evaluations: evaluations, keepBest: true, patience: patience, progress: progress)
            payload.trainSeconds = curve.last?.trainingSeconds
            payload.trainedTokens = curve.last?.trainingTokens
            payload.curve = curve.map(JobPayload.CurvePoint.init)
        } else {
            model.parameters.freezeAll()
        }
        let clock = ContinuousClock.now
        let outputs = decode(model, row.method, row.sites, seed: seed, mrs: test.examples.map(\.mr))
        payload.decodeSeconds = (ContinuousClock.now - clock).seconds
        payload.outputs = outputs
        payload.scores = JobPayload.Scores(E2EScores(hypotheses: outputs, references: references))
        payload.quantization = quantize?(model)
        return payload
    }
}
