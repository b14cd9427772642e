/// GPT-2's attention sub-layer: the fused projection `c_attn`, multi-head attention, and the
/// output projection `c_proj` (named `h.<i>.attn.c_attn`, `h.<i>.attn.c_proj`).
///
///     qkv = a W_attnᵀ + b_attn       a: (B·T, C)  →  qkv: (B·T, 3C)   [q | k | v]
///     o   = attention(qkv, mask)                      o: (B·T, C)
///     y   = o W_projᵀ + b_proj                        y: (B·T, C)
///
/// The query, key and value parts of `c_attn` are separate adapter sites (`.q`, `.k`, `.v`), so
/// LoRA and NOLA adapt them separately as the authors' GPT-2 code does.
public final class SelfAttention {
    /// `c_attn: (3C, C)`.
    public let cAttn: Linear
    /// The attention itself (no parameters).
    public let core: MultiHeadAttention
    /// `c_proj: (C, C)`.
    public let cProj: Linear

    /// The sub-layer over the given projections, with `heads` heads.
    init(cAttn: Linear, cProj: Linear, heads: Int) {
        checkPrecondition(
            cAttn.outputs == 3 * cAttn.inputs && cProj.inputs == cAttn.inputs && cProj.outputs == cAttn.inputs,
            "SelfAttention: c_attn is (\(cAttn.outputs)×\(cAttn.inputs)) and c_proj (\(cProj.outputs)×\(cProj.inputs)); "
                + "they must be (3C×C) and (C×C)")
        self.cAttn = cAttn
        self.core = MultiHeadAttention(heads: heads, dimension: cAttn.inputs)
        self.cProj = cProj
    }

    /// Both projections' tensors, adapters included.
    public var parameters: [Parameter] { cAttn.parameters + cProj.parameters }

    /// `y: (B·T, C)` from `a: (B·T, C)`.
    public func forward(_ a: Matrix, mask: AttentionMask) -> Matrix {
        cProj.forward(core.forward(cAttn.forward(a), mask: mask))
    }

    /// `da: (B·T, C)` from `dy: (B·T, C)` (empty when `c_attn` skips its input gradient).
    public func backward(_ dy: Matrix) -> Matrix {
        cAttn.backward(core.backward(cProj.backward(dy)))
    }
}
