/// Post-training quantization and quantization-aware training of one adapter, compared on equal
/// training (lesson 10 on digits; a GPT the same way with its own training loop and metric).
///
/// The caller trains the float adapter up to the start of its last phase — say all epochs but
/// the last two, which run at a tenth of the rate — and calls `run`, which then:
///
/// 1. runs the last phase in float, evaluates (`float`), and quantizes these float weights with
///    every quantizer of `postTraining`, evaluating each (PTQ);
/// 2. for every quantizer of `quantizationAware`, puts the weights back to the start of the last
///    phase, runs the last phase again through that fake quantizer, ends QAT (the float copies
///    become the values the forward pass used) and evaluates.
///
/// PTQ and QAT thus see the same training steps and differ only in whether the rounding was seen
/// during the last phase. QAT starts from a trained float adapter, not from scratch, at the low
/// rate of the last phase: lesson 10 measures why (from scratch, at the full rate, QAT can end
/// below PTQ). `lastPhase` must train the model's current weights with a fresh optimizer each
/// call and nothing else: it is called `1 + quantizationAware.count` times.
///
/// Only the quantizable tensors (LoRA's A and B, NOLA's α and β) are saved and restored: the
/// base model is frozen. The model is left with the float weights after the last phase.
public enum QuantizationExperiment {
    /// What `run` measured, by quantizer.
    public struct Result: Sendable {
        /// The metric of the float adapter after the last phase.
        public var float: Double
        /// PTQ of that float adapter.
        public var postTraining: [SymmetricQuantizer: Double]
        /// QAT during the last phase.
        public var quantizationAware: [SymmetricQuantizer: Double]
    }

    /// See the type's description. `evaluate` measures the model as it is (accuracy, BLEU, …).
    public static func run(
        on model: any AdaptableModel, postTraining: [SymmetricQuantizer], quantizationAware: [SymmetricQuantizer],
        lastPhase: () throws -> Void, evaluate: () -> Double
    ) rethrows -> Result {
        let start = PostTrainingQuantization.snapshot(of: model)
        try lastPhase()
        let trained = PostTrainingQuantization.snapshot(of: model)
        var result = Result(float: evaluate(), postTraining: [:], quantizationAware: [:])
        for quantizer in postTraining {
            PostTrainingQuantization.apply(quantizer, to: model)
            result.postTraining[quantizer] = evaluate()
            PostTrainingQuantization.restore(trained)
        }
        for quantizer in quantizationAware {
            PostTrainingQuantization.restore(start)
            QuantizationAwareTraining.enable(quantizer, on: model)
            do {
                try lastPhase()
            } catch {
                QuantizationAwareTraining.disable(on: model)
                PostTrainingQuantization.restore(trained)
                throw error
            }
            QuantizationAwareTraining.finish(quantizer, on: model)
            result.quantizationAware[quantizer] = evaluate()
        }
        PostTrainingQuantization.restore(trained)
        return result
    }
}
