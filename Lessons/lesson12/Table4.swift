import LessonKit
import NOLAKit

/// Cell 10's protocol (Table 4 on the GPT), as lesson 10 runs it on digits: an adapter trains in
/// float for 80 % of the run's epochs, then a last phase of 20 % at a tenth of the rate, in float
/// for PTQ (then quantized to each bit width) or through the quantizer for QAT
/// (`QuantizationExperiment`). `ptqBits` and `qatBits` empty of QAT: PTQ only, of the float model.
@MainActor
struct QuantizationProtocol {
    let adaptation: Adaptation
    let rules: [QuantRule]
    let ptqBits: [Int]
    let qatBits: [Int]
    /// The test MRs BLEU is measured on (a prefix of the test set) and their references.
    let mrs: [MeaningRepresentation]
    let references: E2EScores.References

    /// The methods compared: LoRA QV r=1 against NOLA QV rank 4 with 0.78 of its count (the
    /// paper's 144K / 184K on GPT-2 L).
    static func methods(kR1: Int) -> [(name: String, slug: String, method: AdapterMethod, color: Color)] {
        [("LoRA QV r=1", "lora_r1", .lora(rank: 1, c: 1), .lora),
         ("NOLA QV r=4", "nola_qv_r4", nola(4, Int((0.78 * Double(kR1)).rounded())), .nola)]
    }

    /// The setting's key in `JobPayload.quantization`: "float", "ptq absmax 3", "qat mse_g32 2".
    static func key(_ qat: Bool, _ rule: QuantRule, _ bits: Int) -> String { "\(qat ? "qat" : "ptq") \(rule.slug) \(bits)" }

    /// Trains `method` on Q,V with `seed` and measures BLEU in float, after PTQ and after QAT.
    func run(_ method: AdapterMethod, seed: UInt64) throws -> JobPayload {
        let model = adaptation.model(method, sites: .queryValue, seed: seed)
        var first = adaptation.recipe(method)
        first.epochs *= 0.8
        first.warmup = min(first.warmup, first.steps(rows: adaptation.train.count) / 4)
        var last = adaptation.recipe(method)
        last.epochs *= 0.2
        last.learningRate *= 0.1
        last.warmup = 0
        let train = adaptation.train
        try E2EFineTuning.train(model, on: train, validation: nil, recipe: first, seed: seed &+ 1, evaluations: 1)
        func bleu() -> Double {
            let outputs = adaptation.decode(model, method, .queryValue, seed: seed, mrs: mrs)
            return E2EScores(hypotheses: outputs, references: references).bleu.score
        }
        let quantizers = { (bits: [Int]) in rules.flatMap { r in bits.map { (r, $0, r.quantizer($0)) } } }
        let result = try QuantizationExperiment.run(
            on: model, postTraining: quantizers(ptqBits).map(\.2), quantizationAware: quantizers(qatBits).map(\.2),
            lastPhase: { try E2EFineTuning.train(model, on: train, validation: nil, recipe: last, seed: seed &+ 2, evaluations: 1) },
            evaluate: bleu)
        var values = ["float": result.float]
        for (r, bits, q) in quantizers(ptqBits) { values[Self.key(false, r, bits)] = result.postTraining[q] }
        for (r, bits, q) in quantizers(qatBits) { values[Self.key(true, r, bits)] = result.quantizationAware[q] }
        return JobPayload(quantization: values)
    }

    /// PTQ of an adapter already trained (the default run's cell 10, on cell 5's models): BLEU in
    /// float and after each quantizer of `ptqBits`.
    func postTraining(_ model: GPT, _ method: AdapterMethod, seed: UInt64) -> [String: Double] {
        func bleu() -> Double {
            E2EScores(hypotheses: adaptation.decode(model, method, .queryValue, seed: seed, mrs: mrs), references: references).bleu.score
        }
        let quantizers = rules.flatMap { r in ptqBits.map { (r, $0, r.quantizer($0)) } }
        let result = QuantizationExperiment.run(on: model, postTraining: quantizers.map(\.2), quantizationAware: [],
                                                lastPhase: {}, evaluate: bleu)
        var values = ["float": result.float]
        for (r, bits, q) in quantizers { values[Self.key(false, r, bits)] = result.postTraining[q] }
        return values
    }
}
