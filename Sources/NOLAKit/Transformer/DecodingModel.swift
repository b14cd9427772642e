import CMathAVX2

/// A GPT's weights prepared for generation, and its forward pass over a key–value cache whose
/// rows each sit at their own position: what greedy decoding and beam search run, one sentence
/// (`GPTGenerator`) or hundreds of beams of many sentences at once (`BeamSearch.decode(_:prompts:)`).
///
///     rows i = 0 ..< R: token tᵢ at position pᵢ of its sequence; its keys and values go to
///     position wᵢ of cache row sᵢ, and it attends to its sequence's positions there
///     x = wte[t] + wpe[p]                                          (R, C)
///     per block: a = ln_1(x); qkv = a W_attnᵀ + b; K, V of row i written at (sᵢ, wᵢ);
///                o_i = softmax(s · q_i K[sᵢ, seq(i)]ᵀ) V[sᵢ, seq(i)], per head;
///                x += o W_projᵀ + b; x += GELU(ln_2(x) W_fcᵀ + b) W_mpᵀ + b
///     logits = ln_f(x) wteᵀ, for the rows asked for                (·, V)
///
/// The same function as `GPT.forward` (up to rounding), computed so that **a row's numbers never
/// depend on the other rows of the call**: every product is `CMathAVX2`'s row-wise kernel (one
/// chain of fused multiply-adds per output, in a fixed order; AVX-512 where the CPU has it, about
/// 100 GFLOPS per core on the development machine's Zen 4, twice OpenBLAS at 10 rows) instead
/// of a BLAS sgemm (whose
/// kernels, and so its roundings, change with the number of rows: measured, OpenBLAS 0.3.21's
/// row 0 of a 1-row and of a 10-row product differ in the last bit). So a sentence decoded among
/// hundreds produces exactly the tokens it produces alone. Weights are copied once, transposed to
/// `(in, out)` for the kernel, with any adapter folded in (`W + ΔW`, as `Linear.mergeAdapter`
/// would); the model's own tensors are not touched.
final class DecodingModel {
    /// One `Linear`: `Wᵀ: (in, out)` (adapter folded in) and the bias.
    struct Projection {
        let inputs: Int
        let outputs: Int
        let transposed: [Float]
        let bias: [Float]?

        init(_ layer: Linear) {
            var w = layer.weight.value
            if let adapter = layer.adapter {
                var effective = Matrix(rows: 0, cols: 0)
                if adapter.effectiveWeight(base: w, into: &effective) {
                    w = effective
                } else {
                    BLAS.axpy(1, adapter.deltaWeight(), &w)
                }
            }
            inputs = layer.inputs
            outputs = layer.outputs
            transposed = w.transposed().data
            bias = layer.bias?.value.data
        }

        init(unembedding table: Matrix) {
            inputs = table.cols
            outputs = table.rows
            transposed = table.transposed().data
            bias = nil
        }
    }

    /// One block's tensors.
    struct Block {
        let ln1: (gamma: [Float], beta: [Float], epsilon: Float)
        let attention: Projection
        let projection: Projection
        let ln2: (gamma: [Float], beta: [Float], epsilon: Float)
        let expand: Projection
        let contract: Projection
    }

    let configuration: GPTConfiguration
    let blocks: [Block]
    let tokenTable: [Float]
    let positionTable: [Float]
    let finalNorm: (gamma: [Float], beta: [Float], epsilon: Float)
    let unembedding: Projection
    /// Whether rows are split across cores (`Parallel`); off for a caller that runs several
    /// decoders on threads of its own.
    let parallel: Bool

    /// A snapshot of `model`'s weights as they are now (adapters folded in).
    init(_ model: GPT, parallel: Bool = true) {
        func norm(_ layer: LayerNorm) -> (gamma: [Float], beta: [Float], epsilon: Float) {
            (layer.gamma.value.data, layer.beta.value.data, layer.epsilon)
        }
        configuration = model.configuration
        blocks = model.blocks.map {
            Block(
                ln1: norm($0.ln1), attention: Projection($0.attention.cAttn), projection: Projection($0.attention.cProj),
                ln2: norm($0.ln2), expand: Projection($0.mlp.cFc), contract: Projection($0.mlp.cProj))
        }
        tokenTable = model.tokenEmbedding.table.value.data
        positionTable = model.positionEmbedding.table.value.data
        finalNorm = norm(model.finalNorm)
        unembedding = Projection(unembedding: model.tokenEmbedding.table.value)
        self.parallel = parallel
    }

    /// One token read by `forward`: its keys and values go to position `write` of cache row
    /// `slot`; it sits at `position` of its sequence (its position embedding); it attends to
    /// positions `keys` of that row, in order (its own `write` last), or to `0...write` when
    /// `keys` is nil (a sequence stored contiguously).
    struct Row {
        var token: Int
        var slot: Int
        var write: Int
        var position: Int
        var keys: [Int32]?
    }

    /// Logits `(logitRows.count, V)` after reading `tokens[i]` into cache row `slots[i]` at that
    /// row's next free position (several tokens for one row take consecutive positions, in
    /// order: a prompt), each attending to its row's positions up to its own. Row `k` of the
    /// result belongs to input row `logitRows[k]`. The cache's lengths are advanced.
    func forward(tokens: [Int], slots: [Int], cache: KeyValueCache, logitRows: [Int]) -> Matrix {
        checkPrecondition(
            slots.count == tokens.count && slots.allSatisfy { (0..<cache.rows).contains($0) },
            "GPT (cached): \(tokens.count) tokens for slots \(slots) of a cache of \(cache.rows) rows")
        var next = cache.lengths
        var rows: [Row] = []
        rows.reserveCapacity(tokens.count)
        for (token, slot) in zip(tokens, slots) {
            rows.append(Row(token: token, slot: slot, write: next[slot], position: next[slot], keys: nil))
            next[slot] += 1
        }
        let logits = forward(rows, cache: cache, logitRows: logitRows)
        for (slot, length) in next.enumerated() where length != cache.lengths[slot] { cache.setLength(length, row: slot) }
        return logits
    }

    /// Logits `(logitRows.count, V)` after reading `input` (see `Row`); row `k` of the result
    /// belongs to `input[logitRows[k]]`. Writes every row's keys and values into `cache` (its
    /// lengths are the caller's to keep).
    func forward(_ input: [Row], cache: KeyValueCache, logitRows: [Int]) -> Matrix {
        let (c, v, nh) = (configuration.embedding, configuration.vocabulary, configuration.heads)
        let hs = c / nh
        let rows = input.count
        let limit = min(cache.capacity, configuration.context)
        checkPrecondition(
            cache.layers == blocks.count && cache.width == c && logitRows.allSatisfy { (0..<rows).contains($0) },
            "GPT (cached): a cache of \(cache.layers) blocks of width \(cache.width) for a model of \(blocks.count) × \(c)")
        for row in input {
            checkPrecondition(row.token >= 0 && row.token < v, "GPT (cached): token id \(row.token) is outside 0..<\(v)")
            checkPrecondition(
                (0..<cache.rows).contains(row.slot) && row.write >= 0 && row.write < cache.capacity && row.position >= 0
                    && row.position < limit && (row.keys.map { $0.last == Int32(row.write) } ?? true),
                "GPT (cached): position \(row.position) (written at \(row.write) of row \(row.slot)) is outside the context \(limit)")
        }
        let tokens = input.map(\.token), positions = input.map(\.position)
        var x = [Float](repeating: 0, count: rows * c)
        for i in 0..<rows {
            for j in 0..<c { x[i * c + j] = tokenTable[tokens[i] * c + j] + positionTable[positions[i] * c + j] }
        }
        var a = [Float](repeating: 0, count: rows * c)
        var qkv = [Float](repeating: 0, count: rows * 3 * c)
        var o = [Float](repeating: 0, count: rows * c)
        var wide = [Float](repeating: 0, count: rows * 4 * c)
        var tanh = wide
        let scale = 1 / Float(hs).squareRoot()
        for (l, block) in blocks.enumerated() {
            normalize(x, rows: rows, block.ln1, into: &a)
            project(a, rows: rows, block.attention, into: &qkv)
            // The new keys and values into the cache, then each row's attention over its prefix.
            let stride = cache.capacity * c
            qkv.withUnsafeBufferPointer { pq in
                cache.keys[l].withUnsafeMutableBufferPointer { pk in
                    cache.values[l].withUnsafeMutableBufferPointer { pv in
                        for i in 0..<rows {
                            let slot = input[i].slot * stride + input[i].write * c
                            (pk.baseAddress! + slot).update(from: pq.baseAddress! + i * 3 * c + c, count: c)
                            (pv.baseAddress! + slot).update(from: pq.baseAddress! + i * 3 * c + 2 * c, count: c)
                        }
                    }
                }
            }
            let capacity = cache.capacity
            qkv.withUnsafeBufferPointer { pq in
                cache.keys[l].withUnsafeBufferPointer { pk in
                    cache.values[l].withUnsafeBufferPointer { pv in
                        o.withUnsafeMutableBufferPointer { po in
                            let (qBase, kBase, vBase, oBase) = (pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, po.baseAddress!)
                            split(rows * nh, minimumPerWorker: 16) { pairs in
                                var scores = [Float](repeating: 0, count: capacity)
                                scores.withUnsafeMutableBufferPointer { ps in
                                    for pair in pairs {
                                        let (i, h) = (pair / nh, pair % nh)
                                        let start = input[i].slot * stride + h * hs
                                        Self.attend(
                                            qBase + i * 3 * c + h * hs, keys: kBase + start, values: vBase + start, order: input[i].keys,
                                            count: input[i].keys?.count ?? input[i].write + 1, stride: c, headSize: hs, scale: scale,
                                            scores: ps.baseAddress!, out: oBase + i * c + h * hs)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            project(o, rows: rows, block.projection, into: &a)
            add(a, into: &x)
            normalize(x, rows: rows, block.ln2, into: &a)
            project(a, rows: rows, block.expand, into: &wide)
            wide.withUnsafeMutableBufferPointer { pw in
                tanh.withUnsafeMutableBufferPointer { pt in
                    GELU.forward(pw.baseAddress!, into: pw.baseAddress!, tanh: pt.baseAddress!, count: pw.count)
                }
            }
            project(wide, rows: rows, block.contract, into: &a)
            add(a, into: &x)
        }
        var picked = [Float](repeating: 0, count: logitRows.count * c)
        for (k, i) in logitRows.enumerated() { for j in 0..<c { picked[k * c + j] = x[i * c + j] } }
        var normalized = picked
        normalize(picked, rows: logitRows.count, finalNorm, into: &normalized)
        var logits = Matrix(rows: logitRows.count, cols: v)
        project(normalized, rows: logitRows.count, unembedding, into: &logits.data)
        return logits
    }

    /// `y = LayerNorm(x)` row by row.
    private func normalize(_ x: [Float], rows: Int, _ ln: (gamma: [Float], beta: [Float], epsilon: Float), into y: inout [Float]) {
        let c = ln.gamma.count
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                ln.gamma.withUnsafeBufferPointer { pg in
                    ln.beta.withUnsafeBufferPointer { pb in
                        let (xs, ys, gs, bs) = (px.baseAddress!, py.baseAddress!, pg.baseAddress!, pb.baseAddress!)
                        split(rows, minimumPerWorker: 64) { slice in
                            for i in slice {
                                _ = LayerNorm.normalize(row: xs + i * c, count: c, gamma: gs, beta: bs, epsilon: ln.epsilon, xhat: nil, y: ys + i * c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `y = x Wᵀ + b`, `x: (rows, in)` → `y: (rows, out)`, rows split across cores.
    private func project(_ x: [Float], rows: Int, _ p: Projection, into y: inout [Float]) {
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                p.transposed.withUnsafeBufferPointer { pw in
                    let (xs, ys, ws) = (px.baseAddress!, py.baseAddress!, pw.baseAddress!)
                    let (k, n) = (p.inputs, p.outputs)
                    func run(_ slice: Range<Int>, _ bias: UnsafePointer<Float>?) {
                        guard !slice.isEmpty else { return }
                        Self.rowwiseProduct(xs + slice.lowerBound * k, rows: slice.count, k: k, ws, n: n, bias: bias, into: ys + slice.lowerBound * n)
                    }
                    // At least 4 rows per worker and ~64 K multiply-adds: below that one core is faster.
                    let minimum = max(4, 65_536 / max(1, k * n))
                    if let bias = p.bias {
                        bias.withUnsafeBufferPointer { pb in split(rows, minimumPerWorker: minimum) { run($0, pb.baseAddress!) } }
                    } else {
                        split(rows, minimumPerWorker: minimum) { run($0, nil) }
                    }
                }
            }
        }
    }

    /// `body` over consecutive slices of `0..<count`, on every core (`Parallel`) when `parallel`.
    private func split(_ count: Int, minimumPerWorker: Int, _ body: (Range<Int>) -> Void) {
        if parallel {
            Parallel.forEachSlice(count, minimumPerWorker: minimumPerWorker) { _, slice in body(slice) }
        } else if count > 0 {
            body(0..<count)
        }
    }

    /// `x += y` (same length).
    private func add(_ y: [Float], into x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                for i in 0..<px.count { px[i] += py[i] }
            }
        }
    }

    /// The row-wise kernels: AVX-512 and AVX2 give the same bits (the same chain of fused
    /// multiply-adds per output); the portable one has no fused multiply-add.
    enum Kernel: CaseIterable {
        case avx512, avx2, portable

        /// The fastest this CPU runs.
        static let best: Kernel = nola_math_avx512_available() != 0 ? .avx512 : VectorMath.hasAVX2 ? .avx2 : .portable

        /// Whether this CPU runs it.
        var isAvailable: Bool {
            switch self {
            case .avx512: nola_math_avx512_available() != 0
            case .avx2: VectorMath.hasAVX2
            case .portable: true
            }
        }
    }

    /// `y = x·wt + bias` with the row-wise kernel (see the type's comment). `x: (m, k)`,
    /// `wt: (k, n)`, `bias: n` or nil, `y: (m, n)`.
    static func rowwiseProduct(
        _ x: UnsafePointer<Float>, rows m: Int, k: Int, _ wt: UnsafePointer<Float>, n: Int, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, kernel: Kernel = .best
    ) {
        switch kernel {
        case .avx512: nola_rowwise_linear_avx512(x, m, k, wt, n, bias, y)
        case .avx2: nola_rowwise_linear_avx2(x, m, k, wt, n, bias, y)
        case .portable: nola_rowwise_linear_portable(x, m, k, wt, n, bias, y)
        }
    }

    /// One query of one head over `count` cached positions, those of `order` (else `0..<count`),
    /// see `nola_cached_attention_avx2`.
    static func attend(
        _ q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, order: [Int32]?, count: Int, stride: Int,
        headSize: Int, scale: Float, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        func run(_ index: UnsafePointer<Int32>?) {
            if VectorMath.hasAVX2 {
                nola_cached_attention_avx2(q, keys, values, index, count, stride, headSize, scale, scores, out)
            } else {
                nola_cached_attention_portable(q, keys, values, index, count, stride, headSize, scale, scores, out)
            }
        }
        if let order { order.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
    }
}
