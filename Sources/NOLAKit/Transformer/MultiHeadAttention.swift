/// Multi-head scaled dot-product attention over the fused query–key–value projection, as GPT-2
/// computes it (the projections themselves are `Linear` layers around it, see `SelfAttention`).
///
/// Input `qkv: (B·T, 3C)`, row `b·T + t`: columns `0..<C` are the queries, `C..<2C` the keys,
/// `2C..<3C` the values; head `h` owns columns `h·hs ..< (h+1)·hs` of each (`hs = C / H`). For
/// every sequence `b` and head `h`, with `n = lengths[b]` real positions:
///
///     S = s · Q Kᵀ                 (n, n)    s = 1/√hs
///     P = softmax over each row's allowed keys (`AttentionMask`); 0 elsewhere
///     O = P V                      (n, hs)   written to columns h·hs… of the output (B·T, C)
///
/// Padded rows (`t ≥ n`) of the output are 0. Backward, from `dO`:
///
///     dP = dO Vᵀ,   dV = Pᵀ dO
///     dS = P ⊙ (dP − rowsum(P ⊙ dP))          (the softmax's Jacobian, row by row)
///     dQ = s · dS K,   dK = s · dSᵀ Q         into `dqkv: (B·T, 3C)`, 0 at padded rows
///
/// Every product is BLAS on strided views of `qkv` (no copies), split in two under a causal mask
/// so that the upper-right quarter of `S`, all masked, is never computed (`split`); the (sequence, head)
/// pairs run in parallel, each pair's products on the core that runs it
/// (`BLAS.sgemmOnCallingThread`: OpenBLAS splitting a 128 × 128 product across cores again made a
/// 2-thread step of 6 blocks × 256 spend 8 times the CPU time of one thread in attention). The
/// probabilities of the last forward are kept for the backward and can be read (`probabilities(sequence:head:)`) to draw which token looks at which.
public final class MultiHeadAttention {
    /// Number of heads `H`.
    public let heads: Int
    /// Model width `C` (the queries' width; `qkv` has `3C` columns).
    public let dimension: Int
    /// `hs = C / H`.
    public var headSize: Int { dimension / heads }
    /// The mask of the last forward.
    public private(set) var mask = AttentionMask(sequences: 0, length: 1, causal: true)

    /// The input of the last forward, kept for the backward (released by it).
    private var qkv = Matrix(rows: 0, cols: 0)
    /// `P` of every pair: pair `(b, h)` at `(b·H + h)·T·T`, row-major `(T, T)`.
    private var weights: [Float] = []
    var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)
    /// One `(T, T)` buffer for `dP` per worker, worker `w`'s at `w·T·T`.
    var scratch: [Float] = []

    /// Attention with `heads` heads over width `dimension` (a multiple of `heads`).
    public init(heads: Int, dimension: Int) {
        checkPrecondition(
            heads > 0 && dimension > 0 && dimension % heads == 0,
            "MultiHeadAttention: width \(dimension) is not a positive multiple of \(heads) heads")
        self.heads = heads
        self.dimension = dimension
    }

    /// `O` from `qkv: (B·T, 3C)` under `mask` → `(B·T, C)`.
    public func forward(_ qkv: Matrix, mask: AttentionMask) -> Matrix {
        StepPhaseRecorder.time(.attention) { forwardPass(qkv, mask: mask) }
    }

    private func forwardPass(_ qkv: Matrix, mask: AttentionMask) -> Matrix {
        let (c, nh, t) = (dimension, heads, mask.length)
        checkPrecondition(
            qkv.rows == mask.rows && qkv.cols == 3 * c,
            "MultiHeadAttention: qkv is \(qkv.shapeDescription) but the mask is \(mask.sequences)×\(t) "
                + "positions of width 3·\(c)")
        self.qkv = qkv
        self.mask = mask
        output.prepare(rows: qkv.rows, cols: c)
        if weights.count != mask.sequences * nh * t * t {
            weights = [Float](repeating: 0, count: mask.sequences * nh * t * t)
        }
        qkv.data.withUnsafeBufferPointer { pqkv in
            weights.withUnsafeMutableBufferPointer { pw in
                output.data.withUnsafeMutableBufferPointer { po in
                    let (qkvBase, wBase, oBase) = (pqkv.baseAddress!, pw.baseAddress!, po.baseAddress!)
                    Parallel.forEachSlice(mask.sequences * nh) { _, pairs in
                        for pair in pairs {
                            let (b, h) = (pair / nh, pair % nh)
                            forwardPair(
                                sequence: b, mask: mask, qkv: qkvBase + b * t * 3 * c + h * headSize,
                                p: wBase + pair * t * t, o: oBase + b * t * c + h * headSize)
                        }
                    }
                }
            }
        }
        return output
    }

    /// One (sequence, head) pair: `S = s Q Kᵀ`, row softmax over the allowed keys, `O = P V`.
    /// `qkv` points at the pair's query columns in the sequence's first row (keys `C` and values
    /// `2C` further, row stride `3C`); `p` at its `(T, T)` probabilities; `o` at its output
    /// columns (row stride `C`). Rows past the sequence's length get zeros.
    private func forwardPair(
        sequence b: Int, mask: AttentionMask, qkv q: UnsafePointer<Float>, p: UnsafeMutablePointer<Float>,
        o: UnsafeMutablePointer<Float>
    ) {
        let (c, hs, t, n) = (dimension, headSize, mask.length, mask.lengths[b])
        let (s, scale, v) = (Self.split(n, causal: mask.causal), 1 / Float(hs).squareRoot(), q + 2 * c)
        if n > 0 {
            // S = s·Q Kᵀ: queries 0..<s against keys 0..<s, queries s..<n against all n.
            BLAS.sgemmOnCallingThread(.none, .transpose, m: s, n: s, k: hs, alpha: scale, q, lda: 3 * c, q + c, ldb: 3 * c, beta: 0, p, ldc: t)
            BLAS.sgemmOnCallingThread(
                .none, .transpose, m: n - s, n: n, k: hs, alpha: scale, q + s * 3 * c, lda: 3 * c, q + c, ldb: 3 * c,
                beta: 0, p + s * t, ldc: t)
            for i in 0..<n {
                let end = mask.keyCount(sequence: b, query: i)
                VectorMath.softmax(p + i * t, count: end)
                (p + i * t + end).update(repeating: 0, count: t - end)
            }
            // O = P V, the same halves.
            BLAS.sgemmOnCallingThread(.none, .none, m: s, n: hs, k: s, alpha: 1, p, lda: t, v, ldb: 3 * c, beta: 0, o, ldc: c)
            BLAS.sgemmOnCallingThread(
                .none, .none, m: n - s, n: hs, k: n, alpha: 1, p + s * t, lda: t, v, ldb: 3 * c, beta: 0, o + s * c, ldc: c)
        }
        for i in n..<t {
            (p + i * t).update(repeating: 0, count: t)
            (o + i * c).update(repeating: 0, count: hs)
        }
    }

    /// Where a pair's products split the `n` queries: under a causal mask queries `0..<n/2` see
    /// only keys `0..<n/2`, so each product runs as two — the first half of the queries against
    /// the first half of the keys, the rest against all — skipping the quarter of `S` (and of
    /// every product after it) that the mask makes 0. Bidirectional: `n` (one product).
    static func split(_ n: Int, causal: Bool) -> Int { causal ? n / 2 : n }

    /// `dqkv: (B·T, 3C)` from `dO: (B·T, C)` of the last forward.
    public func backward(_ dOut: Matrix) -> Matrix {
        StepPhaseRecorder.time(.attention) { backwardPass(dOut) }
    }

    private func backwardPass(_ dOut: Matrix) -> Matrix {
        let (c, nh, t) = (dimension, heads, mask.length)
        checkPrecondition(
            dOut.rows == qkv.rows && dOut.cols == c && qkv.rows == mask.rows,
            "MultiHeadAttention.backward: dO is \(dOut.shapeDescription) but the last forward had "
                + "\(qkv.rows) rows of width \(c) (call forward before each backward)")
        inputGradient.prepare(rows: qkv.rows, cols: 3 * c)
        let workers = Parallel.workers
        if scratch.count != workers * t * t { scratch = [Float](repeating: 0, count: workers * t * t) }
        let mask = self.mask
        qkv.data.withUnsafeBufferPointer { pqkv in
            weights.withUnsafeBufferPointer { pw in
                dOut.data.withUnsafeBufferPointer { pdo in
                    inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                        scratch.withUnsafeMutableBufferPointer { ps in
                            let (qkvBase, wBase, doBase, dxBase, sBase) = (
                                pqkv.baseAddress!, pw.baseAddress!, pdo.baseAddress!, pdx.baseAddress!, ps.baseAddress!
                            )
                            Parallel.forEachSlice(mask.sequences * nh, workers: workers) { worker, pairs in
                                for pair in pairs {
                                    let (b, h) = (pair / nh, pair % nh)
                                    backwardPair(
                                        sequence: b, mask: mask, qkv: qkvBase + b * t * 3 * c + h * headSize,
                                        p: wBase + pair * t * t, dO: doBase + b * t * c + h * headSize,
                                        dqkv: dxBase + b * t * 3 * c + h * headSize, dP: sBase + worker * t * t)
                                }
                            }
                        }
                    }
                }
            }
        }
        qkv = Matrix(rows: 0, cols: 0)
        return inputGradient
    }

    /// One (sequence, head) pair's backward, pointers as in `forwardPair` (`dO` row stride `C`,
    /// `dqkv` row stride `3C`), with `dP` a `(T, T)` scratch buffer of the calling worker.
    private func backwardPair(
        sequence b: Int, mask: AttentionMask, qkv q: UnsafePointer<Float>, p: UnsafePointer<Float>,
        dO: UnsafePointer<Float>, dqkv dq: UnsafeMutablePointer<Float>, dP dp: UnsafeMutablePointer<Float>
    ) {
        let (c, hs, t, n) = (dimension, headSize, mask.length, mask.lengths[b])
        let (s, scale) = (Self.split(n, causal: mask.causal), 1 / Float(hs).squareRoot())
        let (k, v, dk, dv) = (q + c, q + 2 * c, dq + c, dq + 2 * c)
        if n > 0 {
            // dP = dO Vᵀ: queries 0..<s against keys 0..<s, queries s..<n against all n (as S).
            BLAS.sgemmOnCallingThread(.none, .transpose, m: s, n: s, k: hs, alpha: 1, dO, lda: c, v, ldb: 3 * c, beta: 0, dp, ldc: t)
            BLAS.sgemmOnCallingThread(
                .none, .transpose, m: n - s, n: n, k: hs, alpha: 1, dO + s * c, lda: c, v, ldb: 3 * c, beta: 0, dp + s * t, ldc: t)
            // dV = Pᵀ dO: keys 0..<s hear from every query, keys s..<n from queries s..<n only.
            BLAS.sgemmOnCallingThread(.transpose, .none, m: s, n: hs, k: n, alpha: 1, p, lda: t, dO, ldb: c, beta: 0, dv, ldc: 3 * c)
            BLAS.sgemmOnCallingThread(
                .transpose, .none, m: n - s, n: hs, k: n - s, alpha: 1, p + s * t + s, lda: t, dO + s * c, ldb: c,
                beta: 0, dv + s * 3 * c, ldc: 3 * c)
            // dS = P ⊙ (dP − rowsum(P ⊙ dP)), in place of dP (0 outside the allowed keys).
            for i in 0..<n {
                let (pr, dr) = (p + i * t, dp + i * t)
                let end = mask.keyCount(sequence: b, query: i)
                var dot: Float = 0
                for j in 0..<end { dot += pr[j] * dr[j] }
                for j in 0..<end { dr[j] = pr[j] * (dr[j] - dot) }
                (dr + end).update(repeating: 0, count: n - end)
            }
            // dQ = s dS K (as O = P V),  dK = s dSᵀ Q (as dV = Pᵀ dO)
            BLAS.sgemmOnCallingThread(.none, .none, m: s, n: hs, k: s, alpha: scale, dp, lda: t, k, ldb: 3 * c, beta: 0, dq, ldc: 3 * c)
            BLAS.sgemmOnCallingThread(
                .none, .none, m: n - s, n: hs, k: n, alpha: scale, dp + s * t, lda: t, k, ldb: 3 * c, beta: 0, dq + s * 3 * c, ldc: 3 * c)
            BLAS.sgemmOnCallingThread(.transpose, .none, m: s, n: hs, k: n, alpha: scale, dp, lda: t, q, ldb: 3 * c, beta: 0, dk, ldc: 3 * c)
            BLAS.sgemmOnCallingThread(
                .transpose, .none, m: n - s, n: hs, k: n - s, alpha: scale, dp + s * t + s, lda: t, q + s * 3 * c, ldb: 3 * c,
                beta: 0, dk + s * 3 * c, ldc: 3 * c)
        }
        for i in n..<t {
            (dq + i * 3 * c).update(repeating: 0, count: hs)
            (dk + i * 3 * c).update(repeating: 0, count: hs)
            (dv + i * 3 * c).update(repeating: 0, count: hs)
        }
    }

    /// The attention probabilities of the last forward for sequence `b`, head `h`: `(T, T)`,
    /// row `t` = how much query `t` attends to each key (rows of padded queries are 0).
    public func probabilities(sequence b: Int, head h: Int) -> Matrix {
        checkPrecondition(
            b >= 0 && b < mask.sequences && h >= 0 && h < heads,
            "MultiHeadAttention.probabilities: sequence \(b), head \(h) of \(mask.sequences) sequences, \(heads) heads")
        let t = mask.length
        let start = (b * heads + h) * t * t
        return Matrix(rows: t, cols: t, data: Array(weights[start..<(start + t * t)]))
    }
}
