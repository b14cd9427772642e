/// Training stopped because the loss became NaN or infinite: the run has diverged, and further
/// steps would only turn the weights into garbage.
public struct DivergenceError: Error, CustomStringConvertible, Equatable {
    /// Optimizer steps taken before the bad loss (0: the very first forward pass).
    public let step: Int
    /// The non-finite loss.
    public let loss: Float
    /// The learning rate of the step that would have followed.
    public let learningRate: Float

    /// One line naming the likely cause and what to try.
    public var description: String {
        let loss = self.loss.isNaN ? "NaN" : (self.loss > 0 ? "+∞" : "−∞")
        if step == 0 {
            return "training diverged before the first update (loss \(loss)): the input batch or the "
                + "initial weights contain NaN or ∞, or an adapter's scale c is far too large — check the data and c"
        }
        return "training diverged at step \(step) (loss \(loss)): the learning rate \(learningRate) is "
            + "probably too high, or an adapter's scale c too large — try a 10× smaller rate or c, or a warm-up"
    }
}

/// One training step of a classifier: zero the gradients, forward, softmax cross-entropy,
/// backward, optimizer step. Returns the loss of the batch (before the update).
///
/// Throws `DivergenceError`, without touching the weights, when the loss is NaN or infinite.
/// Shapes: `input: (batch, features)`, `labels: batch`.
@discardableResult
public func trainStep(
    _ model: any Layer, input: Matrix, labels: [Int], loss: SoftmaxCrossEntropy, optimizer: any Optimizer
) throws -> Float {
    optimizer.zeroGradients()
    let value = loss.forward(model.forward(input), labels: labels)
    guard value.isFinite else {
        throw DivergenceError(step: optimizer.stepCount, loss: value, learningRate: optimizer.learningRate)
    }
    _ = model.backward(loss.backward())
    optimizer.step()
    return value
}

/// One training step of a regression model: as the classifier's, with the mean squared error
/// against `target: (batch, outputs)`.
@discardableResult
public func trainStep(
    _ model: any Layer, input: Matrix, target: Matrix, loss: MeanSquaredError, optimizer: any Optimizer
) throws -> Float {
    optimizer.zeroGradients()
    let value = loss.forward(model.forward(input), target: target)
    guard value.isFinite else {
        throw DivergenceError(step: optimizer.stepCount, loss: value, learningRate: optimizer.learningRate)
    }
    _ = model.backward(loss.backward())
    optimizer.step()
    return value
}

/// The index of the largest logit in each row (the predicted class).  `logits: (B, classes)` → `B`.
public func predictedClasses(_ logits: Matrix) -> [Int] {
    checkPrecondition(logits.cols > 0, "predictedClasses: logits \(logits.shapeDescription) have no classes")
    var out = [Int](repeating: 0, count: logits.rows)
    logits.data.withUnsafeBufferPointer { pz in
        for i in 0..<logits.rows {
            var best = 0
            for k in 1..<logits.cols where pz[i * logits.cols + k] > pz[i * logits.cols + best] { best = k }
            out[i] = best
        }
    }
    return out
}

/// The fraction of rows whose largest logit is the label, in [0, 1].
public func accuracy(logits: Matrix, labels: [Int]) -> Double {
    checkPrecondition(
        logits.rows == labels.count,
        "accuracy: logits are \(logits.shapeDescription) but there are \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = predictedClasses(logits)
    let correct = zip(predicted, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    return Double(correct) / Double(labels.count)
}
