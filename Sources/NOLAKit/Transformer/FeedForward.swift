/// GPT-2's MLP sub-layer: `c_fc` to `4C`, GELU (tanh form), `c_proj` back to `C` (named
/// `h.<i>.mlp.c_fc`, `h.<i>.mlp.c_proj`; both are adapter sites, "NOLA MLP" in the paper).
///
///     f = b W_fcᵀ + b_fc      b: (B·T, C)  →  f: (B·T, 4C)
///     y = GELU(f) W_projᵀ + b_proj          →  y: (B·T, C)
public final class FeedForward {
    /// `c_fc: (4C, C)`.
    public let cFc: Linear
    /// The activation.
    public let gelu = GELU()
    /// `c_proj: (C, 4C)`.
    public let cProj: Linear

    init(cFc: Linear, cProj: Linear) {
        checkPrecondition(
            cProj.inputs == cFc.outputs && cProj.outputs == cFc.inputs,
            "FeedForward: c_fc is (\(cFc.outputs)×\(cFc.inputs)) but c_proj is (\(cProj.outputs)×\(cProj.inputs))")
        self.cFc = cFc
        self.cProj = cProj
    }

    /// Both layers' tensors, adapters included.
    public var parameters: [Parameter] { cFc.parameters + cProj.parameters }

    /// `y: (B·T, C)` from `b: (B·T, C)`.
    public func forward(_ b: Matrix) -> Matrix {
        cProj.forward(gelu.forward(cFc.forward(b)))
    }

    /// `db: (B·T, C)` from `dy: (B·T, C)`.
    public func backward(_ dy: Matrix) -> Matrix {
        cFc.backward(gelu.backward(cProj.backward(dy)))
    }
}
