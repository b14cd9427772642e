extension MultiHeadAttention {
    /// Attention for `n` new positions per row, reading and extending a key–value cache: the
    /// inference path of generation (no backward).
    ///
    /// `qkv: (rows·n, 3C)`, row `r·n + i` = new position `p₀ + i` of sequence `r`, where
    /// `p₀ = cache.length`. The new keys and values are written into the cache at `p₀ ..< p₀ + n`
    /// of block `layer`; query `p₀ + i` then attends causally to positions `0 … p₀ + i`:
    ///
    ///     S = s · Q_new K[0..<p₀+n]ᵀ  (n, p₀+n),  P = causal softmax,  O = P V[0..<p₀+n]  (n, hs)
    ///
    /// The same numbers as the full forward up to summation order. Returns `(rows·n, C)`.
    func forward(_ qkv: Matrix, cache: KeyValueCache, layer: Int, newPositions n: Int) -> Matrix {
        let (c, hs, nh) = (dimension, headSize, heads)
        let (p0, rows, capacity) = (cache.length, cache.rows, cache.capacity)
        let total = p0 + n
        checkPrecondition(
            qkv.cols == 3 * c && qkv.rows == rows * n && cache.width == c && total <= capacity,
            "MultiHeadAttention (cached): qkv is \(qkv.shapeDescription) for \(rows) rows × \(n) new positions of width \(c); "
                + "the cache holds \(p0) of \(capacity) positions of width \(cache.width)")
        output.prepare(rows: rows * n, cols: c)
        // Write the new keys and values into the cache.
        qkv.data.withUnsafeBufferPointer { pqkv in
            cache.keys[layer].withUnsafeMutableBufferPointer { pk in
                cache.values[layer].withUnsafeMutableBufferPointer { pv in
                    for r in 0..<rows {
                        for i in 0..<n {
                            let source = pqkv.baseAddress! + (r * n + i) * 3 * c
                            let slot = (r * capacity + p0 + i) * c
                            (pk.baseAddress! + slot).update(from: source + c, count: c)
                            (pv.baseAddress! + slot).update(from: source + 2 * c, count: c)
                        }
                    }
                }
            }
        }
        let pairs = rows * nh
        let workers = Parallel.workers
        if scratch.count < workers * n * total { scratch = [Float](repeating: 0, count: workers * n * total) }
        let scale = 1 / Float(hs).squareRoot()
        // Pairs in parallel only when there is enough work to repay waking the other cores, and
        // each pair's products are small enough that OpenBLAS keeps them on one thread.
        let perPair = n * total * hs
        let parallel = pairs * perPair > 1 << 18 && perPair < 262_144
        qkv.data.withUnsafeBufferPointer { pqkv in
            cache.keys[layer].withUnsafeBufferPointer { pk in
                cache.values[layer].withUnsafeBufferPointer { pv in
                    output.data.withUnsafeMutableBufferPointer { po in
                        scratch.withUnsafeMutableBufferPointer { ps in
                            let (qkvBase, kBase, vBase, oBase, sBase) = (
                                pqkv.baseAddress!, pk.baseAddress!, pv.baseAddress!, po.baseAddress!, ps.baseAddress!
                            )
                            Parallel.forEachSlice(pairs, minimumPerWorker: parallel ? 1 : pairs) { worker, slice in
                                let s = sBase + worker * n * total
                                for pair in slice {
                                    let (r, h) = (pair / nh, pair % nh)
                                    let q = qkvBase + r * n * 3 * c + h * hs
                                    let k = kBase + r * capacity * c + h * hs
                                    let v = vBase + r * capacity * c + h * hs
                                    BLAS.sgemm(
                                        .none, .transpose, m: n, n: total, k: hs, alpha: scale, q, lda: 3 * c, k, ldb: c,
                                        beta: 0, s, ldc: total)
                                    for i in 0..<n {
                                        let row = s + i * total
                                        let end = p0 + i + 1
                                        VectorMath.softmax(row, count: end)
                                        (row + end).update(repeating: 0, count: total - end)
                                    }
                                    BLAS.sgemm(
                                        .none, .none, m: n, n: hs, k: total, alpha: 1, s, lda: total, v, ldb: c,
                                        beta: 0, oBase + r * n * c + h * hs, ldc: c)
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
