/// Updates parameters from their gradients.
///
/// An optimizer is created over a list of parameters (repeats removed) and keeps its state
/// (momentum, moment estimates) per parameter. At every `step()` it updates only the parameters
/// that are trainable at that moment: a frozen tensor is never read or written. Attach adapters
/// and freeze the base model before creating the optimizer, so the adapters' tensors are in its
/// list.
public protocol Optimizer: AnyObject {
    /// The parameters it updates (when trainable).
    var parameters: [Parameter] { get }
    /// The learning rate of the next step; set it from a `LearningRateSchedule` each step.
    var learningRate: Float { get set }
    /// Number of `step()` calls so far.
    var stepCount: Int { get }
    /// One update of every trainable parameter from its `grad`.
    func step()
}

extension Optimizer {
    /// Zeroes the gradients of the trainable parameters (backward passes add into them).
    public func zeroGradients() {
        for p in parameters where p.isTrainable { p.zeroGradient() }
    }
}
