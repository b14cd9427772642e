/// A trainable tensor: its value, the gradient the backward passes accumulate into it, and
/// whether it is trainable at all.
///
/// Every weight of every layer and adapter is a `Parameter`, so optimizers, parameter counts and
/// freezing work the same way for a base model, LoRA, PRANC and NOLA. It is a class: a layer and
/// an optimizer hold the same object, and an update by one is seen by the other.
///
/// - Backward passes ADD into `grad` (`grad += ∂L/∂value`); `zeroGradient()` clears it.
/// - A frozen parameter (`isTrainable == false`) is skipped by backward passes (its gradient is
///   not even computed, which is what makes adapter training cheap) and never touched by an
///   optimizer. Freezing the base model is how LoRA, PRANC and NOLA fine-tune.
/// - Vectors (a bias, LayerNorm's γ and β) are stored as `(1, n)` matrices.
public final class Parameter {
    /// A dotted name such as `fc1.weight`, used in messages, gradient-check reports and files.
    public let name: String
    /// The current value.
    public var value: Matrix
    /// `∂L/∂value`, same shape as `value`, accumulated by backward passes.
    public var grad: Matrix
    /// Whether optimizers update this tensor and backward passes compute its gradient.
    public var isTrainable: Bool

    /// A parameter holding `value`, with a zero gradient.
    public init(name: String, value: Matrix, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.grad = Matrix(rows: value.rows, cols: value.cols)
        self.isTrainable = trainable
    }

    /// Number of scalars, `rows * cols`.
    public var count: Int { value.count }

    /// Sets the gradient to zero (keeps its storage).
    public func zeroGradient() {
        grad.zero()
    }

    /// Stops training this tensor.
    public func freeze() {
        isTrainable = false
    }
}

extension Parameter: CustomStringConvertible {
    /// `fc1.weight (256×784), trainable`.
    public var description: String {
        "\(name) \(value.shapeDescription), \(isTrainable ? "trainable" : "frozen")"
    }
}

extension Array where Element == Parameter {
    /// The same parameters with repeats removed (by identity), in first-seen order. A tensor
    /// shared by several layers (a shared random basis, say) is counted and updated once.
    public func uniqued() -> [Parameter] {
        var seen = Set<ObjectIdentifier>()
        return filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// The exact number of trainable scalars, each shared tensor counted once.
    public var trainableCount: Int {
        uniqued().reduce(0) { $0 + ($1.isTrainable ? $1.count : 0) }
    }

    /// The number of scalars, trainable or frozen, each shared tensor counted once.
    public var totalCount: Int {
        uniqued().reduce(0) { $0 + $1.count }
    }

    /// Freezes every parameter in the list.
    public func freezeAll() {
        for p in self { p.isTrainable = false }
    }

    /// Zeroes every gradient in the list.
    public func zeroGradients() {
        for p in self { p.zeroGradient() }
    }
}
