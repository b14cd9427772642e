/// Wall-clock seconds of each of `steps` consecutive classifier training steps (zero gradients,
/// forward, softmax cross-entropy, backward, optimizer update: one `trainStep`) of `model` on one
/// fixed batch, after `warmup` untimed steps that let the layers size their buffers and the BLAS
/// threads wake up.
///
/// The model's weights change as in training: time a copy when the trained one matters.
/// Shapes: `input: (batch, features)`, `labels: batch`. Throws `DivergenceError` as `trainStep`.
///
/// `clock: .threadCPU` counts the calling thread's CPU time instead of the wall clock: steady on a
/// busy machine, but only meaningful when all the work runs on this thread (`BLAS.threads = 1`).
public func trainingStepSeconds(
    _ model: any Layer, optimizer: any Optimizer, input: Matrix, labels: [Int], warmup: Int = 5, steps: Int,
    clock: StepClock = .wall
) throws -> [Double] {
    checkPrecondition(warmup >= 0 && steps > 0, "trainingStepSeconds: warmup \(warmup), steps \(steps)")
    let loss = SoftmaxCrossEntropy()
    for _ in 0..<warmup {
        try trainStep(model, input: input, labels: labels, loss: loss, optimizer: optimizer)
    }
    var seconds: [Double] = []
    seconds.reserveCapacity(steps)
    for _ in 0..<steps {
        switch clock {
        case .wall:
            let start = ContinuousClock.now
            try trainStep(model, input: input, labels: labels, loss: loss, optimizer: optimizer)
            let elapsed = ContinuousClock.now - start
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        case .threadCPU:
            let start = RandomThroughput.threadCPUSeconds()
            try trainStep(model, input: input, labels: labels, loss: loss, optimizer: optimizer)
            seconds.append(RandomThroughput.threadCPUSeconds() - start)
        }
    }
    return seconds
}

/// What `trainingStepSeconds` measures.
public enum StepClock: String, Sendable {
    /// Elapsed (wall-clock) time.
    case wall
    /// CPU time of the calling thread.
    case threadCPU = "cpu"
}
