import Foundation

/// LLaMA's MLP, the gated SwiGLU feed-forward (Shazeer 2020): two projections up to the inner
/// width, one passed through SiLU and used as a gate on the other, and one projection down.
///
///     gate = m W_gᵀ              (N, I)     m: (N, d), the normed input; W_g: (I, d)
///     up   = m W_uᵀ              (N, I)     W_u: (I, d)
///     h    = silu(gate) ⊙ up     (N, I)     silu(z) = z · σ(z)
///     y    = h W_dᵀ              (N, d)     W_d: (d, I)
///
/// Against GPT-2's MLP (`c_fc` → GELU → `c_proj`, inner width 4d): three matrices instead of two,
/// so LLaMA takes I ≈ (2/3)·4d (LLaMA-2 7B: d = 4,096, I = 11,008) to spend about the same
/// parameters; and no biases.
///
/// Backward, from `dy`:
///
///     dh    = dy W_d                            (W_d's backward)
///     dup   = dh ⊙ silu(gate)
///     dgate = dh ⊙ up ⊙ silu'(gate),   silu'(z) = σ(z) · (1 + z · (1 − σ(z)))
///     dm    = dgate W_g + dup W_u
public final class SwiGLU {
    /// `W_g: (I, d)`, `W_u: (I, d)`, `W_d: (d, I)`.
    public let gateProj: PackedLinear
    public let upProj: PackedLinear
    public let downProj: PackedLinear

    /// `gate`, `up` and `σ(gate)` of the last forward.
    private var gate = Matrix(rows: 0, cols: 0)
    private var up = Matrix(rows: 0, cols: 0)
    private var sigmoid = Matrix(rows: 0, cols: 0)
    private var hidden = Matrix(rows: 0, cols: 0)
    private var dGate = Matrix(rows: 0, cols: 0)
    private var dUp = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// The MLP over the three projections (shapes checked).
    public init(gate: PackedLinear, up: PackedLinear, down: PackedLinear) {
        checkPrecondition(
            gate.inputs == up.inputs && gate.outputs == up.outputs && down.inputs == gate.outputs && down.outputs == gate.inputs,
            "SwiGLU: gate (\(gate.outputs)×\(gate.inputs)), up (\(up.outputs)×\(up.inputs)), down (\(down.outputs)×\(down.inputs)) "
                + "must be (I×d), (I×d), (d×I)")
        (gateProj, upProj, downProj) = (gate, up, down)
    }

    /// The three projections, in LLaMA's order.
    public var projections: [PackedLinear] { [gateProj, upProj, downProj] }
    /// Their tensors, adapters included.
    public var parameters: [Parameter] { projections.flatMap(\.parameters) }

    /// `y: (N, d)` from `m: (N, d)`.
    public func forward(_ m: Matrix) -> Matrix {
        gate = gateProj.forward(m)
        up = upProj.forward(m)
        let count = gate.count
        sigmoid.prepare(rows: gate.rows, cols: gate.cols)
        hidden.prepare(rows: gate.rows, cols: gate.cols)
        gate.data.withUnsafeBufferPointer { pg in
            up.data.withUnsafeBufferPointer { pu in
                sigmoid.data.withUnsafeMutableBufferPointer { ps in
                    hidden.data.withUnsafeMutableBufferPointer { ph in
                        let (g, u, s, h) = (pg.baseAddress!, pu.baseAddress!, ps.baseAddress!, ph.baseAddress!)
                        Parallel.forEachSlice(count, minimumPerWorker: 32_768) { _, slice in
                            for i in slice {
                                let sg = 1 / (1 + expf(-g[i]))
                                s[i] = sg
                                h[i] = g[i] * sg * u[i]
                            }
                        }
                    }
                }
            }
        }
        return downProj.forward(hidden)
    }

    /// `dm: (N, d)` from `dy: (N, d)`; with `inputGradient: false` only the adapters' and weights'
    /// gradients are accumulated and an empty matrix is returned.
    public func backward(_ dy: Matrix, inputGradient wanted: Bool = true) -> Matrix {
        let dh = downProj.backward(dy)
        checkPrecondition(dh.rows == gate.rows && dh.cols == gate.cols, "SwiGLU.backward: call forward before each backward")
        dGate.prepare(rows: gate.rows, cols: gate.cols)
        dUp.prepare(rows: gate.rows, cols: gate.cols)
        let count = gate.count
        dh.data.withUnsafeBufferPointer { pdh in
            gate.data.withUnsafeBufferPointer { pg in
                up.data.withUnsafeBufferPointer { pu in
                    sigmoid.data.withUnsafeBufferPointer { ps in
                        dGate.data.withUnsafeMutableBufferPointer { pdg in
                            dUp.data.withUnsafeMutableBufferPointer { pdu in
                                let (d, g, u, s, dg, du) = (pdh.baseAddress!, pg.baseAddress!, pu.baseAddress!, ps.baseAddress!,
                                                            pdg.baseAddress!, pdu.baseAddress!)
                                Parallel.forEachSlice(count, minimumPerWorker: 32_768) { _, slice in
                                    for i in slice {
                                        let silu = g[i] * s[i]
                                        du[i] = d[i] * silu
                                        dg[i] = d[i] * u[i] * s[i] * (1 + g[i] * (1 - s[i]))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        gateProj.computesInputGradient = wanted
        upProj.computesInputGradient = wanted
        let fromGate = gateProj.backward(dGate)
        let fromUp = upProj.backward(dUp)
        guard wanted else { return Matrix(rows: 0, cols: 0) }
        inputGradient.prepare(rows: fromGate.rows, cols: fromGate.cols)
        for i in 0..<inputGradient.count { inputGradient.data[i] = fromGate.data[i] + fromUp.data[i] }
        return inputGradient
    }
}
