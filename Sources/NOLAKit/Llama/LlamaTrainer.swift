/// Trains a `LlamaModel` on `TokenBatch`es, as `LanguageModelTrainer` trains the GPT: AdamW, a
/// learning-rate schedule, clipping by global norm, the loss on scored tokens only — QLoRA's
/// recipe when the model carries adapters on a packed base.
///
///     let trainer = LlamaTrainer(model: model, optimizer: Adam.adamW(parameters: model.parameters, learningRate: 1e-3),
///                                schedule: .warmupLinear(peak: 1e-3, warmup: 10, total: steps), clipNorm: 1)
///     for batch in batches { try trainer.step(batch) }
///
/// Attach adapters before creating the optimizer (so their tensors are in its list).
public final class LlamaTrainer {
    public let model: LlamaModel
    public let optimizer: any Optimizer
    /// The training loss (with its label smoothing).
    public let loss: TokenCrossEntropy
    public var schedule: LearningRateSchedule?
    public var clipNorm: Float?
    private let evaluationLoss = TokenCrossEntropy()

    public init(model: LlamaModel, optimizer: any Optimizer, loss: TokenCrossEntropy = TokenCrossEntropy(),
                schedule: LearningRateSchedule? = nil, clipNorm: Float? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.schedule = schedule
        self.clipNorm = clipNorm
    }

    /// One step: rate, zero gradients, loss and backward, clip, update. Throws `DivergenceError`
    /// (changing no weight) when the loss is not finite.
    @discardableResult
    public func step(_ batch: TokenBatch) throws -> LanguageModelStep {
        if let schedule { optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount) }
        optimizer.zeroGradients()
        let value = model.lossAndGradient(batch, using: loss)
        guard value.isFinite else {
            throw DivergenceError(step: optimizer.stepCount, loss: value, learningRate: optimizer.learningRate)
        }
        let trainable = optimizer.parameters
        let norm = clipNorm.map { GradientClipping.clip(trainable, maxNorm: $0) } ?? GradientClipping.globalNorm(trainable)
        let rate = optimizer.learningRate
        optimizer.step()
        return LanguageModelStep(step: optimizer.stepCount, loss: value, gradientNorm: norm, learningRate: rate, tokens: loss.targetCount)
    }

    /// The mean cross-entropy per scored token over `batches`, forward only, no label smoothing;
    /// NaN when no batch scores a token.
    public func evaluate(_ batches: [TokenBatch]) -> Double {
        var total = 0.0
        var tokens = 0
        for batch in batches {
            let value = model.loss(batch, using: evaluationLoss)
            total += Double(value) * Double(evaluationLoss.targetCount)
            tokens += evaluationLoss.targetCount
        }
        return tokens > 0 ? total / Double(tokens) : .nan
    }
}
