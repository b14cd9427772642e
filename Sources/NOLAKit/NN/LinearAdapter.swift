/// Adds a learned update `Δ(x)` to a `Linear` layer's output: the hook LoRA, PRANC and NOLA
/// implement.
///
/// A `Linear` with an adapter computes `y = x Wᵀ + b + Δ(x)`, where `Δ(x) = x ΔWᵀ` for some
/// weight update `ΔW: (out, in)` that the adapter may never form (LoRA computes `(x Aᵀ) Bᵀ`).
/// The layer calls the adapter right after its own forward and backward, with the same input:
///
///     linear.adapter = myAdapter       // attach
///     linear.weight.freeze()           // adapters usually train alone
///     ...train...
///     linear.mergeAdapter()            // W += ΔW; the adapter is detached
///
/// Conventions an adapter follows (the same as `Layer`'s): gradients are ADDED into its
/// parameters' `grad`, and not computed at all for frozen parameters (a random basis).
public protocol LinearAdapter: AnyObject {
    /// `y += Δ(x)`.  `x: (batch, in)`, `y: (batch, out)`.
    func forward(_ x: Matrix, adding y: inout Matrix)

    /// Accumulates the adapter's parameter gradients from `dy: (batch, out)` and the same
    /// `x: (batch, in)` as the forward; when `dx` is non-nil, adds the adapter's contribution
    /// `dy ΔW` to it (`dx: (batch, in)`). `dx` is nil when the layer skips its input gradient.
    func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?)

    /// `y[:, columns] += Δ(x)` for an adapter of `columns.count` outputs inside a wider output
    /// `y: (batch, width)`: how GPT's query and value get adapters of their own in the fused
    /// `c_attn` (`OutputSliceAdapters`). The default copies through a `(batch, out)` buffer;
    /// LoRA and NOLA read and write the columns in place.
    func forward(_ x: Matrix, adding y: inout Matrix, columns: Range<Int>)

    /// `backward` from the columns `columns` of `dy: (batch, width)`; the default copies them out.
    func backward(_ dy: Matrix, columns: Range<Int>, input x: Matrix, addingTo dx: inout Matrix?)

    /// The adapter's tensors, trainable and frozen.
    var parameters: [Parameter] { get }

    /// `ΔW: (out, in)`, for merging into `W`.
    func deltaWeight() -> Matrix

    /// For an adapter that forms `ΔW` on every step anyway (PRANC): writes `W + ΔW` for this
    /// forward pass into `effective` and returns true. The layer then multiplies by `W + ΔW` once,
    /// forward and for `dx`, instead of by `W` and by `ΔW` separately, and calls
    /// `backward(effectiveWeightGradient:)` instead of `backward(_:input:addingTo:)`. The
    /// default returns false: `Δ(x)` is added by `forward(_:adding:)` (LoRA, NOLA).
    func effectiveWeight(base w: Matrix, into effective: inout Matrix) -> Bool

    /// Whether `backward(effectiveWeightGradient:)` needs `G` (its coefficients train).
    var needsEffectiveWeightGradient: Bool { get }

    /// With an effective weight: accumulates the adapter's gradients from
    /// `G = ∂L/∂(W + ΔW) = dyᵀ x`, `(out, in)`.
    func backward(effectiveWeightGradient g: Matrix)
}

extension LinearAdapter {
    public func forward(_ x: Matrix, adding y: inout Matrix, columns: Range<Int>) {
        var part = Matrix(rows: x.rows, cols: columns.count)
        forward(x, adding: &part)
        OutputSliceAdapters.addColumns(part, into: &y, at: columns.lowerBound)
    }

    public func backward(_ dy: Matrix, columns: Range<Int>, input x: Matrix, addingTo dx: inout Matrix?) {
        var part = Matrix(rows: 0, cols: 0)
        OutputSliceAdapters.copyColumns(dy, columns, into: &part)
        backward(part, input: x, addingTo: &dx)
    }

    public func effectiveWeight(base w: Matrix, into effective: inout Matrix) -> Bool { false }
    public var needsEffectiveWeightGradient: Bool { false }
    public func backward(effectiveWeightGradient g: Matrix) {}
}
