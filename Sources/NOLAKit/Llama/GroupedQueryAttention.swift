/// LLaMA's attention sub-layer: separate query, key, value and output projections (no biases),
/// rotary position embeddings on queries and keys, causal attention with grouped-query
/// attention (GQA, Ainslie et al. 2023): `H` query heads share `G ≤ H` key/value heads, query
/// head `h` reading key/value head `g = h / (H/G)`. `G = H` is ordinary multi-head attention;
/// LLaMA-2 70B has `H = 64`, `G = 8`, so its keys and values (and their cache) are 8× smaller.
///
///     q = RoPE(a W_qᵀ)     (N, H·hs)        a: (N, d), the normed input
///     k = RoPE(a W_kᵀ)     (N, G·hs)
///     v = a W_vᵀ           (N, G·hs)
///     for every sequence b and query head h, g = h / (H/G), n = lengths[b]:
///         S = s · Q_bh K_bgᵀ                (n, n)    s = 1/√hs
///         P = softmax over keys 0…t of row t (causal; `AttentionMask`)
///         O_bh = P V_bg                     (n, hs)   columns h·hs… of o: (N, H·hs)
///     y = o W_oᵀ           (N, d)
///
/// Backward, from `dy`: `do = dy W_o` (and W_o's adapter), then per (b, h):
///
///     dP = dO Vᵀ,   dV_g += Pᵀ dO                   (every head of the group adds to its K, V)
///     dS = P ⊙ (dP − rowsum(P ⊙ dP))
///     dQ_h = s · dS K_g,   dK_g += s · dSᵀ Q_h
///
/// then the inverse rotation of `dQ`, `dK` (RoPE's backward), and `da = dq W_q + dk W_k + dv W_v`.
/// The (sequence, key/value head) pairs run in parallel, each owning its columns of `dK`, `dV`.
/// Padded rows (t ≥ n) give and get nothing.
public final class GroupedQueryAttention {
    /// `W_q: (H·hs, d)`, `W_k, W_v: (G·hs, d)`, `W_o: (d, H·hs)` (packable, adaptable).
    public let qProj: PackedLinear
    public let kProj: PackedLinear
    public let vProj: PackedLinear
    public let oProj: PackedLinear
    /// Query heads `H`.
    public let heads: Int
    /// Key/value heads `G` (divides `H`).
    public let keyValueHeads: Int
    /// `hs`.
    public let headSize: Int
    /// The rotation of queries and keys.
    public let rope: RotaryEmbedding

    /// The rotated q and k and the v of the last forward, and its probabilities (pair (b, h) at
    /// `(b·H + h)·T·T`).
    private var q = Matrix(rows: 0, cols: 0)
    private(set) var k = Matrix(rows: 0, cols: 0)
    private(set) var v = Matrix(rows: 0, cols: 0)
    private var weights: [Float] = []
    private(set) var mask = AttentionMask(sequences: 0, length: 1, causal: true)
    private var attended = Matrix(rows: 0, cols: 0)
    private var dq = Matrix(rows: 0, cols: 0)
    private var dk = Matrix(rows: 0, cols: 0)
    private var dv = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)
    private var scratch: [Float] = []

    /// Attention over the given projections: `heads` query heads, `keyValueHeads` key/value heads.
    public init(q: PackedLinear, k: PackedLinear, v: PackedLinear, o: PackedLinear, heads: Int, keyValueHeads: Int, rope: RotaryEmbedding) {
        let d = q.inputs
        checkPrecondition(heads > 0 && keyValueHeads > 0 && heads % keyValueHeads == 0,
                          "GroupedQueryAttention: \(heads) query heads cannot share \(keyValueHeads) key/value heads")
        checkPrecondition(q.outputs % heads == 0, "GroupedQueryAttention: W_q has \(q.outputs) outputs for \(heads) heads")
        let hs = q.outputs / heads
        checkPrecondition(
            k.inputs == d && v.inputs == d && k.outputs == keyValueHeads * hs && v.outputs == keyValueHeads * hs
                && o.inputs == heads * hs && o.outputs == d && rope.headSize == hs,
            "GroupedQueryAttention: projections q (\(q.outputs)×\(q.inputs)), k (\(k.outputs)×\(k.inputs)), "
                + "v (\(v.outputs)×\(v.inputs)), o (\(o.outputs)×\(o.inputs)) do not fit \(heads) heads, "
                + "\(keyValueHeads) key/value heads of \(hs)")
        (qProj, kProj, vProj, oProj) = (q, k, v, o)
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headSize = hs
        self.rope = rope
    }

    /// The four projections, in LLaMA's order.
    public var projections: [PackedLinear] { [qProj, kProj, vProj, oProj] }
    /// Their tensors, adapters included.
    public var parameters: [Parameter] { projections.flatMap(\.parameters) }

    /// `y: (N, d)` from the normed input `a: (N, d)` under a causal `mask`.
    public func forward(_ a: Matrix, mask: AttentionMask) -> Matrix {
        checkPrecondition(mask.causal && a.rows == mask.rows,
                          "GroupedQueryAttention: input \(a.shapeDescription) for a mask of \(mask.rows) rows (causal: \(mask.causal))")
        let t = mask.length
        q = qProj.forward(a)
        k = kProj.forward(a)
        v = vProj.forward(a)
        rope.rotate(&q, heads: heads) { $0 % t }
        rope.rotate(&k, heads: keyValueHeads) { $0 % t }
        self.mask = mask
        attended.prepare(rows: a.rows, cols: heads * headSize)
        let size = mask.sequences * heads * t * t
        if weights.count != size { weights = [Float](repeating: 0, count: size) }
        let (nh, group, wq, wk, hs) = (heads, heads / keyValueHeads, heads * headSize, keyValueHeads * headSize, headSize)
        let scale = 1 / Float(hs).squareRoot()
        q.data.withUnsafeBufferPointer { pq in
            k.data.withUnsafeBufferPointer { pk in
                v.data.withUnsafeBufferPointer { pv in
                    weights.withUnsafeMutableBufferPointer { pw in
                        attended.data.withUnsafeMutableBufferPointer { po in
                            let (qs, ks, vs, ws, os) = (pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, pw.baseAddress!, po.baseAddress!)
                            Parallel.forEachSlice(mask.sequences * nh) { _, pairs in
                                for pair in pairs {
                                    let (b, h) = (pair / nh, pair % nh)
                                    let g = h / group
                                    let n = mask.lengths[b]
                                    let (qh, kg, vg) = (qs + b * t * wq + h * hs, ks + b * t * wk + g * hs, vs + b * t * wk + g * hs)
                                    let (p, o) = (ws + pair * t * t, os + b * t * wq + h * hs)
                                    if n > 0 {
                                        BLAS.sgemm(.none, .transpose, m: n, n: n, k: hs, alpha: scale, qh, lda: wq, kg, ldb: wk, beta: 0, p, ldc: t)
                                        for i in 0..<n {
                                            let end = mask.keyCount(sequence: b, query: i)
                                            VectorMath.softmax(p + i * t, count: end)
                                            (p + i * t + end).update(repeating: 0, count: t - end)
                                        }
                                        BLAS.sgemm(.none, .none, m: n, n: hs, k: n, alpha: 1, p, lda: t, vg, ldb: wk, beta: 0, o, ldc: wq)
                                    }
                                    for i in n..<t {
                                        (p + i * t).update(repeating: 0, count: t)
                                        (o + i * wq).update(repeating: 0, count: hs)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return oProj.forward(attended)
    }

    /// `da: (N, d)` from `dy: (N, d)`, accumulating the adapters' (and trainable weights')
    /// gradients. With `inputGradient: false`, `da` is not computed and an empty matrix is returned.
    public func backward(_ dy: Matrix, inputGradient wanted: Bool = true) -> Matrix {
        let dAttended = oProj.backward(dy)
        let (t, nh, nkv, group, hs) = (mask.length, heads, keyValueHeads, heads / keyValueHeads, headSize)
        let (wq, wk) = (nh * hs, nkv * hs)
        checkPrecondition(dAttended.rows == mask.rows && q.rows == mask.rows,
                          "GroupedQueryAttention.backward: call forward before each backward")
        dq.prepare(rows: mask.rows, cols: wq)
        dk.prepare(rows: mask.rows, cols: wk)
        dv.prepare(rows: mask.rows, cols: wk)
        dk.zero()
        dv.zero()
        let workers = Parallel.workers  // read once: the buffer and the loop agree on it
        if scratch.count != workers * t * t { scratch = [Float](repeating: 0, count: workers * t * t) }
        let scale = 1 / Float(hs).squareRoot()
        let mask = self.mask
        q.data.withUnsafeBufferPointer { pq in
            k.data.withUnsafeBufferPointer { pk in
                v.data.withUnsafeBufferPointer { pv in
                    weights.withUnsafeBufferPointer { pw in
                        dAttended.data.withUnsafeBufferPointer { pdo in
                            dq.data.withUnsafeMutableBufferPointer { pdq in
                                dk.data.withUnsafeMutableBufferPointer { pdk in
                                    dv.data.withUnsafeMutableBufferPointer { pdv in
                                        scratch.withUnsafeMutableBufferPointer { psc in
                                            let (qs, ks, vs, ws, dos) = (pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, pw.baseAddress!, pdo.baseAddress!)
                                            let (dqs, dks, dvs, sc) = (pdq.baseAddress!, pdk.baseAddress!, pdv.baseAddress!, psc.baseAddress!)
                                            Parallel.forEachSlice(mask.sequences * nkv, workers: workers) { worker, pairs in
                                                let dp = sc + worker * t * t
                                                for pair in pairs {
                                                    let (b, g) = (pair / nkv, pair % nkv)
                                                    let n = mask.lengths[b]
                                                    let (kg, vg) = (ks + b * t * wk + g * hs, vs + b * t * wk + g * hs)
                                                    let (dkg, dvg) = (dks + b * t * wk + g * hs, dvs + b * t * wk + g * hs)
                                                    for h in (g * group)..<((g + 1) * group) {
                                                        let (qh, doh, dqh) = (qs + b * t * wq + h * hs, dos + b * t * wq + h * hs, dqs + b * t * wq + h * hs)
                                                        let p = ws + (b * nh + h) * t * t
                                                        if n > 0 {
                                                            // dP = dO Vᵀ,  dV += Pᵀ dO
                                                            BLAS.sgemm(.none, .transpose, m: n, n: n, k: hs, alpha: 1, doh, lda: wq, vg, ldb: wk, beta: 0, dp, ldc: t)
                                                            BLAS.sgemm(.transpose, .none, m: n, n: hs, k: n, alpha: 1, p, lda: t, doh, ldb: wq, beta: 1, dvg, ldc: wk)
                                                            // dS = P ⊙ (dP − rowsum(P ⊙ dP)), in place of dP.
                                                            for i in 0..<n {
                                                                let (pr, dr) = (p + i * t, dp + i * t)
                                                                let end = mask.keyCount(sequence: b, query: i)
                                                                var dot: Float = 0
                                                                for j in 0..<end { dot += pr[j] * dr[j] }
                                                                for j in 0..<end { dr[j] = pr[j] * (dr[j] - dot) }
                                                                (dr + end).update(repeating: 0, count: n - end)
                                                            }
                                                            // dQ = s dS K,  dK += s dSᵀ Q
                                                            BLAS.sgemm(.none, .none, m: n, n: hs, k: n, alpha: scale, dp, lda: t, kg, ldb: wk, beta: 0, dqh, ldc: wq)
                                                            BLAS.sgemm(.transpose, .none, m: n, n: hs, k: n, alpha: scale, dp, lda: t, qh, ldb: wq, beta: 1, dkg, ldc: wk)
                                                        }
                                                        for i in n..<t { (dqh + i * wq).update(repeating: 0, count: hs) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        rope.rotate(&dq, heads: nh, inverse: true) { $0 % t }
        rope.rotate(&dk, heads: nkv, inverse: true) { $0 % t }
        for p in [qProj, kProj, vProj] { p.computesInputGradient = wanted }
        let gq = qProj.backward(dq)
        let gk = kProj.backward(dk)
        let gv = vProj.backward(dv)
        q = Matrix(rows: 0, cols: 0)
        k = Matrix(rows: 0, cols: 0)
        v = Matrix(rows: 0, cols: 0)
        guard wanted else { return Matrix(rows: 0, cols: 0) }
        inputGradient.prepare(rows: gq.rows, cols: gq.cols)
        for i in 0..<inputGradient.count { inputGradient.data[i] = gq.data[i] + gk.data[i] + gv.data[i] }
        return inputGradient
    }

    /// The attention probabilities of the last forward for sequence `b`, head `h`: `(T, T)`.
    public func probabilities(sequence b: Int, head h: Int) -> Matrix {
        checkPrecondition(b >= 0 && b < mask.sequences && h >= 0 && h < heads,
                          "GroupedQueryAttention.probabilities: sequence \(b), head \(h) of \(mask.sequences), \(heads)")
        let t = mask.length
        let start = (b * heads + h) * t * t
        return Matrix(rows: t, cols: t, data: Array(weights[start..<(start + t * t)]))
    }
}
