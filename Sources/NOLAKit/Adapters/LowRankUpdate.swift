/// The forward and backward passes shared by LoRA and NOLA: `Δ(x) = s · (x Aᵀ) Bᵀ`, computed
/// without ever forming `ΔW = s · B A` (that would cost `out·in` per step instead of
/// `r·(in + out)` per example).
///
/// Shapes: `x: (batch, in)`, `A: (r, in)`, `B: (out, r)`, `h: (batch, r)`, `y: (batch, out)`,
/// `s = c / r`.
struct LowRankUpdate {
    /// `h = x Aᵀ` of the last forward, kept for the backward.
    private(set) var h = Matrix(rows: 0, cols: 0)
    private var dh = Matrix(rows: 0, cols: 0)

    /// `h = x Aᵀ`, then `y += s · h Bᵀ`.
    mutating func forward(_ x: Matrix, a: Matrix, b: Matrix, scale s: Float, adding y: inout Matrix) {
        h.prepare(rows: x.rows, cols: a.rows)
        BLAS.gemm(x, a, into: &h, transposeB: true)
        BLAS.gemm(h, b, into: &y, transposeB: true, alpha: s, beta: 1)
    }

    /// From `dy: (batch, out)`:
    ///
    ///     dB  = s · dyᵀ h     (out, r)       written into `dB` when it is non-nil
    ///     dh  = s · dy B      (batch, r)
    ///     dA  = dhᵀ x         (r, in)        written into `dA` when it is non-nil
    ///     dx += dh A          (batch, in)    when `dx` is non-nil
    ///
    /// `dA`, `dB` are overwritten (`beta = 0`): callers decide whether they are gradients to
    /// accumulate (LoRA) or intermediate results to project onto a basis (NOLA).
    mutating func backward(
        _ dy: Matrix, input x: Matrix, a: Matrix, b: Matrix, scale s: Float,
        dA: inout Matrix?, dB: inout Matrix?, dx: inout Matrix?
    ) {
        if dB != nil {
            BLAS.gemm(dy, h, into: &dB!, transposeA: true, alpha: s)
        }
        guard dA != nil || dx != nil else { return }
        dh.prepare(rows: dy.rows, cols: b.cols)
        BLAS.gemm(dy, b, into: &dh, alpha: s)
        if dA != nil {
            BLAS.gemm(dh, x, into: &dA!, transposeA: true)
        }
        if dx != nil {
            BLAS.gemm(dh, a, into: &dx!, beta: 1)
        }
    }
}
