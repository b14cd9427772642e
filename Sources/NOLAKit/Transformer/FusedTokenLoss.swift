extension TiedUnembedding {
    /// Rows of logits computed at a time by `lossAndInputGradient` for a vocabulary of `v`
    /// tokens: as many as fit in 4 MB (512 rows of a 2,048-token vocabulary), from 64 to 512.
    ///
    /// Each of the block's three products reads all of `E: (V, C)` (OpenBLAS packs it anew every
    /// call) for only `R` rows of work, so small blocks spend their time packing: with `C` = 1,024
    /// and one thread, the pass took 180 ms per step in blocks of 64 rows and 136 ms in blocks of
    /// 512 (`gpt-speed --phases --size 1x1024`, CPU time). The block's logits then live in the
    /// last-level cache rather than in a core's own.
    static func fusedRows(vocabulary v: Int) -> Int {
        var rows = 64
        while rows < 512 && 2 * rows * max(1, v) * MemoryLayout<Float>.size <= 4 << 20 { rows *= 2 }
        return rows
    }

    /// The logits, the token cross-entropy and their backward in one pass over blocks of rows
    /// (llm.c's fused classifier), never holding the whole `(N, V)` logits:
    ///
    ///     for each block of scored rows (gathered; unscored rows have dz = 0 and are skipped):
    ///         z  = x_blk Eᵀ                 (R, V)
    ///         loss += per row; dz = (softmax(z) − (1 − ε) onehot − ε/V) / M   in place of z
    ///         dx_blk = dz E                 (R, C)
    ///         dE += dzᵀ x_blk               when E is trainable
    ///
    /// The same numbers as `forward`, `TokenCrossEntropy.forward`/`backward` and `backward` up to
    /// summation order, with `R·V` floats of memory instead of two `N·V`. Returns the mean loss
    /// over the scored rows (0 when there are none) and `dx: (N, C)` (0 at unscored rows).
    /// `loss.targetCount` is set. With `gradient: false` only the loss is computed (evaluation:
    /// no backward products, `dx` empty, `E`'s gradient untouched). `rowsPerBlock` is `R`
    /// (default: `fusedRows(vocabulary:)`); `dE` is summed block by block, so its rounding, and
    /// only its, depends on `R`.
    public func lossAndInputGradient(
        _ x: Matrix, targets: [Int], loss: TokenCrossEntropy, gradient: Bool = true, rowsPerBlock: Int? = nil
    ) -> (loss: Float, dx: Matrix) {
        let (n, c, v) = (x.rows, x.cols, table.value.rows)
        checkPrecondition(
            c == table.value.cols && targets.count == n,
            "TiedUnembedding: input is \(x.shapeDescription) with \(targets.count) targets but the table is \(table.value.shapeDescription)")
        for t in targets {
            checkPrecondition(t == TokenBatch.ignored || (t >= 0 && t < v), "TiedUnembedding: target \(t) is outside 0..<\(v)")
        }
        let scored = targets.indices.filter { targets[$0] >= 0 }
        loss.record(targetCount: scored.count)
        if gradient {
            inputGradient.prepare(rows: n, cols: c)
            inputGradient.zero()
        }
        guard !scored.isEmpty else { return (0, gradient ? inputGradient : Matrix(rows: 0, cols: 0)) }
        checkPrecondition(rowsPerBlock.map { $0 > 0 } ?? true, "TiedUnembedding: \(rowsPerBlock ?? 0) rows per block")
        let r = rowsPerBlock ?? Self.fusedRows(vocabulary: v)
        let scale = 1 / Float(scored.count)
        let eps = loss.labelSmoothing
        blockInput.prepare(rows: r, cols: c)
        blockGradient.prepare(rows: r, cols: c)
        blockLogits.prepare(rows: r, cols: v)
        var rowLosses = [Double](repeating: 0, count: scored.count)
        for start in stride(from: 0, to: scored.count, by: r) {
            let rows = Array(scored[start..<min(start + r, scored.count)])
            let m = rows.count
            x.data.withUnsafeBufferPointer { px in
                blockInput.data.withUnsafeMutableBufferPointer { pb in
                    for (k, i) in rows.enumerated() { (pb.baseAddress! + k * c).update(from: px.baseAddress! + i * c, count: c) }
                }
            }
            table.value.data.withUnsafeBufferPointer { pe in
                blockInput.data.withUnsafeBufferPointer { pb in
                    blockLogits.data.withUnsafeMutableBufferPointer { pz in
                        let (e, xb, z) = (pe.baseAddress!, pb.baseAddress!, pz.baseAddress!)
                        BLAS.sgemm(.none, .transpose, m: m, n: v, k: c, alpha: 1, xb, lda: c, e, ldb: c, beta: 0, z, ldc: v)
                        rowLosses.withUnsafeMutableBufferPointer { pl in
                            let lossBase = pl.baseAddress! + start
                            Parallel.forEachSlice(m, minimumPerWorker: 8) { _, slice in
                                for k in slice {
                                    lossBase[k] = TokenCrossEntropy.row(
                                        z + k * v, gradient: z + k * v, count: v, target: targets[rows[k]], smoothing: eps, scale: scale)
                                }
                            }
                        }
                        guard gradient else { return }
                        blockGradient.data.withUnsafeMutableBufferPointer { pd in
                            BLAS.sgemm(.none, .none, m: m, n: c, k: v, alpha: 1, z, lda: v, e, ldb: c, beta: 0, pd.baseAddress!, ldc: c)
                        }
                        if table.isTrainable {
                            table.grad.data.withUnsafeMutableBufferPointer { pg in
                                BLAS.sgemm(.transpose, .none, m: v, n: c, k: m, alpha: 1, z, lda: v, xb, ldb: c, beta: 1, pg.baseAddress!, ldc: c)
                            }
                        }
                    }
                }
            }
            guard gradient else { continue }
            blockGradient.data.withUnsafeBufferPointer { pd in
                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                    for (k, i) in rows.enumerated() { (pdx.baseAddress! + i * c).update(from: pd.baseAddress! + k * c, count: c) }
                }
            }
        }
        // Summed in row order: the same loss whatever the number of cores.
        return (Float(rowLosses.reduce(0, +) / Double(scored.count)), gradient ? inputGradient : Matrix(rows: 0, cols: 0))
    }
}
