/// Serves a batch in which every sequence has its own adapter, unmerged: the base weight is
/// shared and each sequence adds its own low-rank update,
///
///     y_b = x_b Wᵀ + bias + s_b · (x_b A_bᵀ) B_bᵀ        rows of sequence b only
///
/// Shapes: the batch is `sequences` sequences of `rowsPerSequence` rows each, contiguous (row
/// `b·T + t`), as `AttentionMask` lays them out; `x: (B·T, in)`, `y: (B·T, out)`, `A_b: (r_b, in)`,
/// `B_b: (out, r_b)`, `h_b = x_b A_bᵀ: (T, r_b)`. A sequence whose adapter is nil gets the base
/// model. Merging cannot serve such a batch (one `W` per batch), so this costs
/// `2·T·r·(in + out)` multiply-adds per sequence beyond the base product.
///
/// The factors are frozen (serving): `backward` adds only the input gradient
/// `dx_b += s_b (dy_b B_b) A_b`, and there are no parameters. Attach it at an `AdapterSite` (a
/// whole layer or a part, such as a GPT's query) like any adapter.
public final class PerSequenceAdapters: LinearAdapter {
    /// Rows per sequence, `T`.
    public let rowsPerSequence: Int
    /// The adapter of each sequence in the batch (nil: the base model), `B` entries.
    public var factors: [LowRankFactors?]
    /// Input and output features of the site.
    public let inputs: Int
    public let outputs: Int

    private var h: [Float] = []

    /// A site `(outputs, inputs)` serving `factors.count` sequences of `rowsPerSequence` rows.
    public init(inputs: Int, outputs: Int, rowsPerSequence: Int, factors: [LowRankFactors?]) {
        checkPrecondition(inputs > 0 && outputs > 0 && rowsPerSequence > 0, "PerSequenceAdapters: bad shape")
        self.inputs = inputs
        self.outputs = outputs
        self.rowsPerSequence = rowsPerSequence
        self.factors = factors
        checkFactors()
    }

    private func checkFactors() {
        for case let f? in factors {
            checkPrecondition(
                f.inputs == inputs && f.outputs == outputs,
                "PerSequenceAdapters: factors for (\(f.outputs)×\(f.inputs)) on a site (\(outputs)×\(inputs))")
        }
    }

    /// Sequences in a batch, `B`.
    public var sequences: Int { factors.count }

    /// No trainable tensors: the factors are served, not trained.
    public var parameters: [Parameter] { [] }

    /// `y_b += s_b · (x_b A_bᵀ) B_bᵀ` for every sequence `b` with an adapter.
    public func forward(_ x: Matrix, adding y: inout Matrix) {
        checkFactors()
        checkBatch(x.rows, y.cols == outputs && x.cols == inputs)
        let t = rowsPerSequence
        let rank = factors.compactMap { $0?.rank }.max() ?? 0
        if h.count < t * rank { h = [Float](repeating: 0, count: t * rank) }
        x.data.withUnsafeBufferPointer { px in
            y.data.withUnsafeMutableBufferPointer { py in
                h.withUnsafeMutableBufferPointer { ph in
                    for (s, f) in factors.enumerated() {
                        guard let f else { continue }
                        let r = f.rank
                        f.a.data.withUnsafeBufferPointer { pa in
                            BLAS.sgemm(.none, .transpose, m: t, n: r, k: inputs, alpha: 1,
                                       px.baseAddress! + s * t * inputs, lda: inputs, pa.baseAddress!, ldb: inputs,
                                       beta: 0, ph.baseAddress!, ldc: r)
                        }
                        f.b.data.withUnsafeBufferPointer { pb in
                            BLAS.sgemm(.none, .transpose, m: t, n: outputs, k: r, alpha: f.scale,
                                       ph.baseAddress!, lda: r, pb.baseAddress!, ldb: r,
                                       beta: 1, py.baseAddress! + s * t * outputs, ldc: outputs)
                        }
                    }
                }
            }
        }
    }

    /// `dx_b += s_b · (dy_b B_b) A_b`; the frozen factors get no gradient.
    public func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        guard dx != nil else { return }
        checkBatch(dy.rows, dy.cols == outputs && dx!.cols == inputs && dx!.rows == dy.rows)
        let t = rowsPerSequence
        let rank = factors.compactMap { $0?.rank }.max() ?? 0
        if h.count < t * rank { h = [Float](repeating: 0, count: t * rank) }
        dy.data.withUnsafeBufferPointer { pdy in
            dx!.data.withUnsafeMutableBufferPointer { pdx in
                h.withUnsafeMutableBufferPointer { pdh in
                    for (s, f) in factors.enumerated() {
                        guard let f else { continue }
                        let r = f.rank
                        f.b.data.withUnsafeBufferPointer { pb in
                            BLAS.sgemm(.none, .none, m: t, n: r, k: outputs, alpha: f.scale,
                                       pdy.baseAddress! + s * t * outputs, lda: outputs, pb.baseAddress!, ldb: r,
                                       beta: 0, pdh.baseAddress!, ldc: r)
                        }
                        f.a.data.withUnsafeBufferPointer { pa in
                            BLAS.sgemm(.none, .none, m: t, n: inputs, k: r, alpha: 1,
                                       pdh.baseAddress!, lda: r, pa.baseAddress!, ldb: inputs,
                                       beta: 1, pdx.baseAddress! + s * t * inputs, ldc: inputs)
                        }
                    }
                }
            }
        }
    }

    /// A batch carries one `ΔW` per sequence, so there is no single one to merge: calling this
    /// is a programming error.
    public func deltaWeight() -> Matrix {
        checkPrecondition(false, "PerSequenceAdapters: a batch of per-sequence adapters has no single ΔW to merge")
        return Matrix(rows: outputs, cols: inputs)
    }

    private func checkBatch(_ rows: Int, _ shapesAgree: Bool) {
        checkPrecondition(
            shapesAgree && rows == sequences * rowsPerSequence,
            "PerSequenceAdapters: a batch of \(rows) rows for \(sequences) sequences of \(rowsPerSequence) rows "
                + "on a site (\(outputs)×\(inputs))")
    }
}
