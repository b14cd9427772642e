/// The forward and backward passes shared by LoRA and NOLA: `Δ(x) = s · (x Aᵀ) Bᵀ`, computed
/// without ever forming `ΔW = s · B A` (that would cost `out·in` per step instead of
/// `r·(in + out)` per example).
///
/// Shapes: `x: (batch, in)`, `A: (r, in)`, `B: (out, r)`, `h: (batch, r)`, `s = c / r`; the
/// update's `out` outputs are the columns `columns` of a `(batch, width)` output `y` (all of it
/// for an adapter on a whole layer; the query's or value's block of GPT's fused `c_attn`).
///
/// The rank is small (1–16) beside the widths, so these are thin products, and BLAS kept them
/// on one core, plus a copy of the columns in and out (21.6 GFLOP per CPU second at 1 thread, 11.8
/// at 2, `gpt-speed --phases`). Here the batch is cut into blocks of rows, each block's products
/// are BLAS calls small enough to stay on the calling thread (`BLAS.callingThreadLimit`), the
/// blocks are shared out over the cores (`Parallel`), and `y`, `dy` are read and written in place
/// through their leading dimension. The gradients of `A` and `B` are sums over the batch: each
/// block sums its own, and the blocks' sums are added in block order. The blocks depend only on
/// the shapes, so the bits are the same on any number of cores.
///
///     var update = LowRankUpdate()
///     update.forward(x, a: a, b: b, scale: 0.5, adding: &y, columns: 0..<y.cols)
struct LowRankUpdate {
    /// `h = x Aᵀ` of the last forward, kept for the backward: `(batch, r)`.
    private(set) var h = Matrix(rows: 0, cols: 0)
    private var dh = Matrix(rows: 0, cols: 0)
    /// Each block's share of `dA: (r, in)` and of `dB: (out, r)`, block after block.
    private var blockDA: [Float] = []
    private var blockDB: [Float] = []

    /// Rows per block: as many as keep every product of a block under OpenBLAS's threading
    /// threshold, at most 256.
    static func blockRows(rank r: Int, inputs: Int, outputs: Int) -> Int {
        max(1, min(256, BLAS.callingThreadLimit / max(1, r * max(inputs, outputs))))
    }

    /// `h = x Aᵀ`, then `y[:, columns] += s · h Bᵀ`.
    mutating func forward(_ x: Matrix, a: Matrix, b: Matrix, scale s: Float, adding y: inout Matrix, columns: Range<Int>) {
        let (n, inputs, r, outputs) = (x.rows, x.cols, a.rows, columns.count)
        checkShapes(x, a: a, b: b, y, columns: columns)
        h.prepare(rows: n, cols: r)
        guard n > 0 else { return }
        let rows = Self.blockRows(rank: r, inputs: inputs, outputs: outputs)
        let width = y.cols, first = columns.lowerBound
        x.data.withUnsafeBufferPointer { px in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    h.data.withUnsafeMutableBufferPointer { ph in
                        y.data.withUnsafeMutableBufferPointer { py in
                            let (x, a, b, h, y) = (px.baseAddress!, pa.baseAddress!, pb.baseAddress!, ph.baseAddress!, py.baseAddress!)
                            Parallel.forEachSlice((n + rows - 1) / rows) { _, blocks in
                                for block in blocks {
                                    let (i, m) = (block * rows, min(rows, n - block * rows))
                                    // h = x Aᵀ: (m, in) · (in, r); y[:, columns] += s h Bᵀ: (m, r) · (r, out)
                                    BLAS.sgemm(.none, .transpose, m: m, n: r, k: inputs, alpha: 1, x + i * inputs, lda: inputs,
                                               a, ldb: inputs, beta: 0, h + i * r, ldc: r)
                                    BLAS.sgemm(.none, .transpose, m: m, n: outputs, k: r, alpha: s, h + i * r, lda: r,
                                               b, ldb: r, beta: 1, y + i * width + first, ldc: width)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// From `dy[:, columns]` (`dy: (batch, width)`, `out` columns):
    ///
    ///     dB  = s · dyᵀ h     (out, r)       written into `dB` when it is non-nil
    ///     dh  = s · dy B      (batch, r)
    ///     dA  = dhᵀ x         (r, in)        written into `dA` when it is non-nil
    ///     dx += dh A          (batch, in)    when `dx` is non-nil
    ///
    /// `dA`, `dB` are overwritten: callers decide whether they are gradients to accumulate (LoRA)
    /// or intermediate results to project onto a basis (NOLA). `h` is the last forward's.
    mutating func backward(
        _ dy: Matrix, columns: Range<Int>, input x: Matrix, a: Matrix, b: Matrix, scale s: Float,
        dA: inout Matrix?, dB: inout Matrix?, dx: inout Matrix?
    ) {
        let (n, inputs, r, outputs) = (x.rows, x.cols, a.rows, columns.count)
        checkShapes(x, a: a, b: b, dy, columns: columns)
        checkPrecondition(h.rows == n && h.cols == r, "LowRankUpdate.backward: no forward of this batch \(x.shapeDescription) and rank \(r)")
        if let dx { checkPrecondition(dx.rows == n && dx.cols == inputs, "LowRankUpdate.backward: dx is \(dx.shapeDescription), x \(x.shapeDescription)") }
        let (wantA, wantB, wantX) = (dA != nil, dB != nil, dx != nil)
        guard wantA || wantB || wantX else { return }
        guard n > 0 else {
            if wantA { dA!.prepare(rows: r, cols: inputs); dA!.zero() }
            if wantB { dB!.prepare(rows: outputs, cols: r); dB!.zero() }
            return
        }
        let rows = Self.blockRows(rank: r, inputs: inputs, outputs: outputs)
        let blocks = (n + rows - 1) / rows
        dh.prepare(rows: n, cols: r)
        blockDA = Array(repeating: 0, count: wantA ? blocks * r * inputs : 1)
        blockDB = Array(repeating: 0, count: wantB ? blocks * outputs * r : 1)
        var noDx = [Float](repeating: 0, count: 1)
        let width = dy.cols, first = columns.lowerBound
        x.data.withUnsafeBufferPointer { px in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    h.data.withUnsafeBufferPointer { ph in
                        dy.data.withUnsafeBufferPointer { pdy in
                            dh.data.withUnsafeMutableBufferPointer { pdh in
                                blockDA.withUnsafeMutableBufferPointer { pda in
                                    blockDB.withUnsafeMutableBufferPointer { pdb in
                                        withMutableData(&dx, or: &noDx) { pdx in
                                            let (x, a, b, h, dy, dh) = (px.baseAddress!, pa.baseAddress!, pb.baseAddress!, ph.baseAddress!, pdy.baseAddress!, pdh.baseAddress!)
                                            let (da, db, dx) = (pda.baseAddress!, pdb.baseAddress!, pdx)
                                            Parallel.forEachSlice(blocks) { _, blockRange in
                                                for block in blockRange {
                                                    let (i, m) = (block * rows, min(rows, n - block * rows))
                                                    let dyi = dy + i * width + first
                                                    if wantB {  // this block's s · dyᵀ h: (out, m) · (m, r)
                                                        BLAS.sgemm(.transpose, .none, m: outputs, n: r, k: m, alpha: s, dyi, lda: width,
                                                                   h + i * r, ldb: r, beta: 0, db + block * outputs * r, ldc: r)
                                                    }
                                                    guard wantA || wantX else { continue }
                                                    // dh = s dy B: (m, out) · (out, r)
                                                    BLAS.sgemm(.none, .none, m: m, n: r, k: outputs, alpha: s, dyi, lda: width,
                                                               b, ldb: r, beta: 0, dh + i * r, ldc: r)
                                                    if wantA {  // this block's dhᵀ x: (r, m) · (m, in)
                                                        BLAS.sgemm(.transpose, .none, m: r, n: inputs, k: m, alpha: 1, dh + i * r, lda: r,
                                                                   x + i * inputs, ldb: inputs, beta: 0, da + block * r * inputs, ldc: inputs)
                                                    }
                                                    if wantX {  // dx += dh A: (m, r) · (r, in)
                                                        BLAS.sgemm(.none, .none, m: m, n: inputs, k: r, alpha: 1, dh + i * r, lda: r,
                                                                   a, ldb: inputs, beta: 1, dx + i * inputs, ldc: inputs)
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
        if wantA { sumBlocks(blockDA, blocks: blocks, into: &dA!, rows: r, cols: inputs) }
        if wantB { sumBlocks(blockDB, blocks: blocks, into: &dB!, rows: outputs, cols: r) }
    }

    /// `out = Σ_blocks parts[block]` (each `(rows, cols)`), added block by block in order.
    private func sumBlocks(_ parts: [Float], blocks: Int, into out: inout Matrix, rows: Int, cols: Int) {
        out.prepare(rows: rows, cols: cols)
        let size = rows * cols
        out.data.withUnsafeMutableBufferPointer { po in
            parts.withUnsafeBufferPointer { pp in
                po.baseAddress!.update(from: pp.baseAddress!, count: size)
                for block in 1..<max(1, blocks) {
                    let part = pp.baseAddress! + block * size
                    for e in 0..<size { po[e] += part[e] }
                }
            }
        }
    }

    private func checkShapes(_ x: Matrix, a: Matrix, b: Matrix, _ y: Matrix, columns: Range<Int>) {
        checkPrecondition(
            a.cols == x.cols && b.cols == a.rows && b.rows == columns.count && y.rows == x.rows
                && columns.lowerBound >= 0 && columns.upperBound <= y.cols,
            "LowRankUpdate: x \(x.shapeDescription), A \(a.shapeDescription), B \(b.shapeDescription) and columns "
                + "\(columns) of \(y.shapeDescription) do not fit (A: (r, in), B: (out, r), out = the columns' count)")
    }
}

/// Calls `body` with `matrix`'s storage, or with `spare`'s when `matrix` is nil.
private func withMutableData(_ matrix: inout Matrix?, or spare: inout [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) {
    if matrix == nil { return spare.withUnsafeMutableBufferPointer { body($0.baseAddress!) } }
    matrix!.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

