/// What a transform puts in place of a tensor's values for the forward pass, and how the
/// gradient comes back through it.
///
/// Quantization-aware training is the one user: `values` are the fake-quantized `x̂`, and the
/// backward pass hands `∂L/∂x̂` to the float copy `x` multiplied element by element by
/// `gradientMask` (the straight-through estimator, clipped where `x` fell outside the grid); a
/// nil mask passes the gradient unchanged.
public struct TransformedValues: Sendable, Equatable {
    /// The values the forward pass uses, as many as went in.
    public var values: [Float]
    /// `∂x̂/∂x` as the backward pass takes it, one factor per value; nil: 1 everywhere.
    public var gradientMask: [Float]?

    public init(values: [Float], gradientMask: [Float]? = nil) {
        self.values = values
        self.gradientMask = gradientMask
    }
}

/// A transform of one tensor's row-major values (see `LoRAAdapter.factorTransform` and
/// `NOLAAdapter.coefficientTransform`).
public typealias ValueTransform = @Sendable ([Float]) -> TransformedValues

/// `gradient[i] *= mask[i]` when there is a mask.
func applyGradientMask(_ mask: [Float]?, to gradient: inout [Float]) {
    guard let mask else { return }
    checkPrecondition(mask.count == gradient.count, "gradient mask of \(mask.count) for \(gradient.count) values")
    for i in gradient.indices { gradient[i] *= mask[i] }
}
