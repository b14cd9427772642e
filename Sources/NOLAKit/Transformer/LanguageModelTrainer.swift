/// What one training step of a language model measured.
public struct LanguageModelStep: Sendable, Equatable {
    /// Optimizer steps taken, this one included.
    public let step: Int
    /// The batch's mean loss per scored token, before the update.
    public let loss: Float
    /// The global gradient norm before clipping.
    public let gradientNorm: Float
    /// The learning rate of this step.
    public let learningRate: Float
    /// Scored tokens in the batch.
    public let tokens: Int
}

/// Trains a `GPT` on `TokenBatch`es: the GPT-2 LoRA recipe the paper reuses — AdamW, a linear
/// warm-up and decay (`LearningRateSchedule.warmupLinear`), gradient clipping by global norm,
/// the loss on scored tokens only (`TokenBatch.targets`).
///
///     let trainer = LanguageModelTrainer(
///         model: gpt, optimizer: Adam.adamW(parameters: gpt.parameters, learningRate: 2e-4, weightDecay: 0.01),
///         schedule: .warmupLinear(peak: 2e-4, warmup: 500, total: steps), clipNorm: 1)
///     for batch in batches { try trainer.step(batch) }
///
/// Attach adapters before creating the optimizer (so their tensors are in its list).
public final class LanguageModelTrainer {
    /// The model being trained.
    public let model: GPT
    /// The optimizer over the model's tensors (only the trainable ones move).
    public let optimizer: any Optimizer
    /// The loss (with its label smoothing).
    public let loss: TokenCrossEntropy
    /// Sets the optimizer's rate before every step, when given.
    public var schedule: LearningRateSchedule?
    /// Clips the global gradient norm to this, when given.
    public var clipNorm: Float?
    private let evaluationLoss = TokenCrossEntropy()

    public init(
        model: GPT, optimizer: any Optimizer, loss: TokenCrossEntropy = TokenCrossEntropy(),
        schedule: LearningRateSchedule? = nil, clipNorm: Float? = nil
    ) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.schedule = schedule
        self.clipNorm = clipNorm
    }

    /// One step: set the rate, zero the gradients, forward, loss, backward (`GPT.lossAndGradient`),
    /// clip, update. Throws `DivergenceError` (and changes no weight) when the loss is NaN or
    /// infinite.
    @discardableResult
    public func step(_ batch: TokenBatch) throws -> LanguageModelStep {
        if let schedule { optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount) }
        StepPhaseRecorder.time(.zeroGradients) { optimizer.zeroGradients() }
        let value = model.lossAndGradient(batch, using: loss)
        guard value.isFinite else {
            throw DivergenceError(step: optimizer.stepCount, loss: value, learningRate: optimizer.learningRate)
        }
        let trainable = optimizer.parameters
        let norm = StepPhaseRecorder.time(.clipping) {
            clipNorm.map { GradientClipping.clip(trainable, maxNorm: $0) } ?? GradientClipping.globalNorm(trainable)
        }
        let rate = optimizer.learningRate
        StepPhaseRecorder.time(.optimizer) { optimizer.step() }
        return LanguageModelStep(step: optimizer.stepCount, loss: value, gradientNorm: norm, learningRate: rate, tokens: loss.targetCount)
    }

    /// The mean cross-entropy per scored token over `batches` (forward only, no label
    /// smoothing, each batch weighted by its scored tokens): the validation loss. NaN when no
    /// batch scores any token.
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
