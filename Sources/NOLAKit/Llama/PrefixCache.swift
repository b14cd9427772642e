/// The keys and values every block computed for a prefix of tokens, kept so that sequences which
/// all start with that prefix need not compute it again: a 5-shot quiz puts the same header and
/// five answered questions before every question, about 80 % of each prompt.
///
///     let cache = model.prefixCache(sharedTokens)                         // one forward of the prefix
///     let h = model.hidden(suffixes: tokens, mask: mask, after: cache)     // the rest, batched
///
/// Inference only (nothing here has a backward). A suffix row `t` sits at position
/// `cache.length + t`: RoPE rotates it there, and its query attends to every prefix key and to
/// the suffix keys `0…t`, so the result equals the forward of the whole sequence.
public struct PrefixCache: Sendable {
    /// Prefix positions `p`.
    public let length: Int
    /// Per block: rotated keys and values of the prefix, `(p, G·hs)` each.
    let keys: [Matrix]
    let values: [Matrix]
}

extension GroupedQueryAttention {
    /// `y: (N, d)` for suffix rows `a: (N, d)` (B sequences of T positions under the causal
    /// `mask`) continuing after a prefix whose rotated keys and values are `prefixKeys`,
    /// `prefixValues: (p, G·hs)`. Per (b, h), with `n` real suffix positions:
    ///
    ///     S = s · Q_bh [K_prefix ; K_bg]ᵀ          (n, p + n)
    ///     P = softmax of row t over keys 0 ..< p + t + 1
    ///     O_bh = P[:, ..<p] V_prefix + P[:, p...] V_bg
    func forward(_ a: Matrix, mask: AttentionMask, prefixKeys: Matrix, prefixValues: Matrix) -> Matrix {
        let (t, p, nh, group, hs) = (mask.length, prefixKeys.rows, heads, heads / keyValueHeads, headSize)
        let (wq, wk) = (nh * hs, keyValueHeads * hs)
        checkPrecondition(mask.causal && a.rows == mask.rows && prefixKeys.cols == wk && prefixValues.rows == p && prefixValues.cols == wk,
                          "GroupedQueryAttention (after a prefix): input \(a.shapeDescription), prefix \(prefixKeys.shapeDescription)")
        var q = qProj.forward(a), k = kProj.forward(a)
        let v = vProj.forward(a)
        rope.rotate(&q, heads: nh) { p + $0 % t }
        rope.rotate(&k, heads: keyValueHeads) { p + $0 % t }
        var out = Matrix(rows: a.rows, cols: wq)
        let width = p + t
        let workers = Parallel.workers  // read once: the buffers and the loop agree on it
        var rows = [Float](repeating: 0, count: workers * t * width)
        let scale = 1 / Float(hs).squareRoot()
        q.data.withUnsafeBufferPointer { pq in
            k.data.withUnsafeBufferPointer { pk in
                v.data.withUnsafeBufferPointer { pv in
                    prefixKeys.data.withUnsafeBufferPointer { ppk in
                        prefixValues.data.withUnsafeBufferPointer { ppv in
                            out.data.withUnsafeMutableBufferPointer { po in
                                rows.withUnsafeMutableBufferPointer { ps in
                                    let (qs, ks, vs, pks, pvs, os, sc) = (pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, ppk.baseAddress!,
                                                                          ppv.baseAddress!, po.baseAddress!, ps.baseAddress!)
                                    Parallel.forEachSlice(mask.sequences * nh, workers: workers) { worker, pairs in
                                        let s = sc + worker * t * width
                                        for pair in pairs {
                                            let (b, h) = (pair / nh, pair % nh)
                                            let (g, n) = (h / group, mask.lengths[b])
                                            guard n > 0 else { continue }
                                            let (qh, kg, vg, o) = (qs + b * t * wq + h * hs, ks + b * t * wk + g * hs, vs + b * t * wk + g * hs, os + b * t * wq + h * hs)
                                            if p > 0 {
                                                BLAS.sgemm(.none, .transpose, m: n, n: p, k: hs, alpha: scale, qh, lda: wq, pks + g * hs, ldb: wk, beta: 0, s, ldc: width)
                                            }
                                            BLAS.sgemm(.none, .transpose, m: n, n: n, k: hs, alpha: scale, qh, lda: wq, kg, ldb: wk, beta: 0, s + p, ldc: width)
                                            for i in 0..<n {
                                                let end = p + i + 1
                                                VectorMath.softmax(s + i * width, count: end)
                                                (s + i * width + end).update(repeating: 0, count: width - end)
                                            }
                                            if p > 0 {
                                                BLAS.sgemm(.none, .none, m: n, n: hs, k: p, alpha: 1, s, lda: width, pvs + g * hs, ldb: wk, beta: 0, o, ldc: wq)
                                            }
                                            BLAS.sgemm(.none, .none, m: n, n: hs, k: n, alpha: 1, s + p, lda: width, vg, ldb: wk, beta: p > 0 ? 1 : 0, o, ldc: wq)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return oProj.forward(out)
    }

    /// The rotated keys and the values of sequence 0's first `length` rows in the last forward.
    func lastKeysValues(length: Int) -> (keys: Matrix, values: Matrix) {
        checkPrecondition(length <= k.rows && length <= v.rows, "GroupedQueryAttention: no keys kept for \(length) positions")
        return (k.rows(0..<length), v.rows(0..<length))
    }
}

extension LlamaModel {
    /// Every block's keys and values for `tokens`, one sequence (forward once, inference only).
    public func prefixCache(_ tokens: [Int]) -> PrefixCache {
        checkPrecondition(!tokens.isEmpty, "LlamaModel.prefixCache: an empty prefix")
        _ = hidden(tokens: tokens, mask: AttentionMask(sequences: 1, length: tokens.count, causal: true))
        let kv = blocks.map { $0.attention.lastKeysValues(length: tokens.count) }
        return PrefixCache(length: tokens.count, keys: kv.map(\.keys), values: kv.map(\.values))
    }

    /// `norm(x_L): (N, d)` for suffix tokens (`N` ids, B sequences of T positions under a causal
    /// `mask`) continuing after `cache`'s prefix.
    func hidden(suffixes tokens: [Int], mask: AttentionMask, after cache: PrefixCache) -> Matrix {
        checkPrecondition(mask.causal && tokens.count == mask.rows && cache.length + mask.length <= configuration.context,
                          "LlamaModel: \(cache.length) prefix + \(mask.length) suffix positions exceed the context \(configuration.context)")
        var h = embed(tokens)
        for (i, block) in blocks.enumerated() {
            let a = block.attention.forward(block.inputNorm.forward(h), mask: mask, prefixKeys: cache.keys[i], prefixValues: cache.values[i])
            let r = Self.add(h, a)
            h = Self.add(r, block.mlp.forward(block.postAttentionNorm.forward(r)))
        }
        return norm.forward(h)
    }

    /// `a + b` (same shape).
    static func add(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: 0, cols: 0)
        TransformerBlock.sum(a, b, into: &c)
        return c
    }
}
