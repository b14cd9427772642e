/// What one epoch of `fit` measured.
public struct EpochRecord: Sendable, Equatable {
    /// 1-based epoch number.
    public let epoch: Int
    /// Mean training loss over the epoch's batches (each batch's loss before its update).
    public let trainLoss: Double
    /// Fraction of the epoch's training examples that their batch classified correctly, each
    /// batch judged before its own update (so it lags the weights by up to one epoch).
    public let trainAccuracy: Double
    /// Loss and accuracy on the validation set after the epoch (`nan` without one).
    public let validationLoss: Double
    public let validationAccuracy: Double
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    public let seconds: Double
}

/// How `fit` trains: epochs, batch size, the seed of the batch order, and an optional schedule.
public struct FitConfiguration: Sendable {
    public var epochs: Int
    public var batchSize: Int
    /// Seeds the shuffled batch order of every epoch (`DigitDataset.batches(size:seed:epoch:)`).
    public var seed: UInt64
    /// When set, the optimizer's rate is set from it before every step; otherwise it is left alone.
    public var schedule: LearningRateSchedule?
    /// Evaluate on the validation set after every epoch (true) or only after the last (false).
    public var evaluateEveryEpoch: Bool
    /// Examples per forward pass when evaluating (a network that keeps large activations, a
    /// convolutional one, needs fewer than the default 1,000 to stay small in memory).
    public var evaluationBatchSize = 1000

    public init(
        epochs: Int, batchSize: Int, seed: UInt64, schedule: LearningRateSchedule? = nil,
        evaluateEveryEpoch: Bool = true
    ) {
        checkPrecondition(epochs >= 0 && batchSize > 0, "FitConfiguration: epochs \(epochs), batch size \(batchSize)")
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.schedule = schedule
        self.evaluateEveryEpoch = evaluateEveryEpoch
    }

    /// Optimizer steps in a run over `count` examples: epochs × ⌈count / batch⌉.
    public func totalSteps(examples count: Int) -> Int { epochs * ((count + batchSize - 1) / batchSize) }
}

/// Trains a digit classifier with softmax cross-entropy: the loop every lesson uses.
///
/// Each epoch visits every training example once in a seeded shuffled order, takes one
/// `trainStep` per mini-batch (a model with a `HasTrainingMode` in training mode), then (if asked)
/// evaluates on `validation`. `afterStep(step, loss)`
/// runs after every optimizer step (for progress bars and per-step curves) and `afterEpoch`
/// after every epoch. Same model, data, optimizer and configuration ⇒ the same run, bit for bit
/// (at a fixed `BLAS.threads`).
///
/// Throws `DivergenceError` when a loss turns NaN or infinite.
@discardableResult
public func fit(
    _ model: any Layer, optimizer: any Optimizer, train: DigitDataset, validation: DigitDataset? = nil,
    configuration: FitConfiguration,
    afterStep: (_ step: Int, _ loss: Float) -> Void = { _, _ in },
    afterEpoch: (EpochRecord) -> Void = { _ in }
) throws -> [EpochRecord] {
    let loss = SoftmaxCrossEntropy()
    var records: [EpochRecord] = []
    for epoch in 0..<configuration.epochs {
        let clock = ContinuousClock.now
        var sum = 0.0, batches = 0, correct = 0, seen = 0
        (model as? any HasTrainingMode)?.isTraining = true
        for batch in train.batches(size: configuration.batchSize, seed: configuration.seed, epoch: epoch) {
            if let schedule = configuration.schedule {
                optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount)
            }
            let value = try trainStep(model, input: batch.x, labels: batch.labels, loss: loss, optimizer: optimizer)
            sum += Double(value)
            batches += 1
            // The loss kept the batch's softmax: its largest entry is the predicted class.
            for (predicted, label) in zip(predictedClasses(loss.probabilities), batch.labels) where predicted == label {
                correct += 1
            }
            seen += batch.count
            afterStep(optimizer.stepCount, value)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        var validationLoss = Double.nan, validationAccuracy = Double.nan
        if let validation, configuration.evaluateEveryEpoch || epoch == configuration.epochs - 1 {
            (validationLoss, validationAccuracy) = evaluate(model, on: validation, batchSize: configuration.evaluationBatchSize)
        }
        let record = EpochRecord(
            epoch: epoch + 1, trainLoss: sum / Double(max(1, batches)),
            trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : .nan,
            validationLoss: validationLoss, validationAccuracy: validationAccuracy, seconds: seconds)
        records.append(record)
        afterEpoch(record)
    }
    return records
}

/// Mean softmax cross-entropy and accuracy of `model` on `data`, in batches of `batchSize`, in
/// evaluation mode (`HasTrainingMode`). An empty set gives `(nan, nan)`.
public func evaluate(_ model: any Layer, on data: DigitDataset, batchSize: Int = 1000) -> (loss: Double, accuracy: Double) {
    guard data.count > 0 else { return (.nan, .nan) }
    return inEvaluationMode(model) { evaluateInCurrentMode(model, on: data, batchSize: batchSize) }
}

private func evaluateInCurrentMode(_ model: any Layer, on data: DigitDataset, batchSize: Int) -> (loss: Double, accuracy: Double) {
    let loss = SoftmaxCrossEntropy()
    var lossSum = 0.0, correct = 0.0
    for batch in data.batchesInOrder(size: batchSize) {
        let logits = model.forward(batch.x)
        lossSum += Double(loss.forward(logits, labels: batch.labels)) * Double(batch.count)
        correct += accuracy(logits: logits, labels: batch.labels) * Double(batch.count)
    }
    return (lossSum / Double(data.count), correct / Double(data.count))
}

/// The predicted digit of every example of `data`, in evaluation mode (`HasTrainingMode`).
public func predictions(_ model: any Layer, on data: DigitDataset, batchSize: Int = 1000) -> [Int] {
    inEvaluationMode(model) {
        var out: [Int] = []
        out.reserveCapacity(data.count)
        for batch in data.batchesInOrder(size: batchSize) { out += predictedClasses(model.forward(batch.x)) }
        return out
    }
}
