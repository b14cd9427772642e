/// A layer that computes differently while training and in evaluation, as PyTorch's
/// `module.train()` and `module.eval()`: `BatchNorm2d` normalises with the batch's own statistics
/// while training and with its running averages in evaluation (so that an image's prediction does
/// not depend on the other images of its batch).
///
/// A network that holds such layers conforms too and passes the mode down. `fit` trains in
/// training mode; `evaluate` and `predictions` run in evaluation mode and restore the mode the
/// model had. Layers without the protocol compute the same in both.
///
/// ```swift
/// model.isTraining = false        // evaluation: running averages, nothing updated
/// let logits = model.forward(x)
/// ```
public protocol HasTrainingMode: AnyObject {
    /// Training (true, the default) or evaluation (false).
    var isTraining: Bool { get set }
}

/// Runs `body` with `model` in evaluation mode when it has a mode, then restores its mode.
func inEvaluationMode<T>(_ model: any Layer, _ body: () throws -> T) rethrows -> T {
    guard let switching = model as? any HasTrainingMode else { return try body() }
    let was = switching.isTraining
    switching.isTraining = false
    defer { switching.isTraining = was }
    return try body()
}
