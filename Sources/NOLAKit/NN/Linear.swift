/// A fully connected layer, `y = x Wᵀ + b`, as PyTorch's `nn.Linear`.
///
/// Shapes: `x: (batch, in)`, `W: (out, in)`, `b: (1, out)`, `y: (batch, out)`.
///
/// Backward, from `dy: (batch, out)`:
/// - `dW += dyᵀ x`   `(out, batch)·(batch, in)`
/// - `db += Σ_rows dy`
/// - `dx  = dy W`    `(batch, out)·(out, in)`, skipped when `computesInputGradient` is false
///   (the first layer of a network, whose input is data: half of its backward cost).
///
/// An optional `adapter` adds `Δ(x)` to the output and takes part in backward and `parameters`;
/// `mergeAdapter()` folds it into `W` so inference costs nothing extra. An adapter that forms a
/// dense `ΔW` anyway (PRANC) hands the layer `W + ΔW` instead, which it multiplies by once
/// (`LinearAdapter.effectiveWeight`).
public final class Linear: Layer {
    /// A short name (`fc1`); the parameters are named `fc1.weight`, `fc1.bias`.
    public let name: String
    /// Input features, `in`.
    public let inputs: Int
    /// Output features, `out`.
    public let outputs: Int
    /// `W: (out, in)`.
    public let weight: Parameter
    /// `b: (1, out)`, or nil for a layer without bias.
    public let bias: Parameter?
    /// Whether `backward` computes `dx`. Off for a first layer: `backward` then returns an
    /// empty `(0×0)` matrix.
    public var computesInputGradient: Bool
    /// The learned update added to the output (LoRA, PRANC, NOLA), or nil.
    public var adapter: (any LinearAdapter)?

    /// The input of the last forward, kept for `dW = dyᵀ x` (released by backward).
    private var input = Matrix(rows: 0, cols: 0)
    /// Reused buffers for `y` and `dx`.
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient: Matrix? = Matrix(rows: 0, cols: 0)
    /// `W + ΔW` of the last forward when the adapter forms it (PRANC), and the buffer for
    /// `G = dyᵀ x` handed back to that adapter.
    private var effective = Matrix(rows: 0, cols: 0)
    private var usesEffectiveWeight = false
    private var effectiveGradient = Matrix(rows: 0, cols: 0)

    /// A layer with the given weight `(out, in)` and optional bias `(1, out)`.
    public init(
        name: String, weight: Matrix, bias: Matrix?, computesInputGradient: Bool = true
    ) {
        if let bias {
            checkPrecondition(
                bias.rows == 1 && bias.cols == weight.rows,
                "Linear \(name): bias is \(bias.shapeDescription) but W is \(weight.shapeDescription), "
                    + "so the bias must be (1×\(weight.rows))")
        }
        self.name = name
        self.inputs = weight.cols
        self.outputs = weight.rows
        self.weight = Parameter(name: "\(name).weight", value: weight)
        self.bias = bias.map { Parameter(name: "\(name).bias", value: $0) }
        self.computesInputGradient = computesInputGradient
    }

    /// A layer initialised as PyTorch does by default, from `random`: `W` Kaiming-uniform,
    /// Uniform(±1/√in), from positions `[0, out·in)`; then `b` Uniform(±1/√in) from positions
    /// `[out·in, out·in + out)` of the same stream.
    public convenience init(
        name: String, inputs: Int, outputs: Int, bias: Bool = true,
        computesInputGradient: Bool = true, random: RandomStream
    ) {
        checkPrecondition(inputs > 0 && outputs > 0, "Linear \(name): shape (\(outputs)×\(inputs)) must be positive")
        let w = random.kaimingUniform(rows: outputs, cols: inputs)
        let b =
            bias
            ? random.uniformMatrix(
                rows: 1, cols: outputs, bound: RandomStream.kaimingBound(fanIn: inputs),
                from: UInt64(outputs * inputs))
            : nil
        self.init(name: name, weight: w, bias: b, computesInputGradient: computesInputGradient)
    }

    /// `W` and `b` (if any), then the adapter's tensors.
    public var parameters: [Parameter] {
        [weight] + (bias.map { [$0] } ?? []) + (adapter?.parameters ?? [])
    }

    /// `y = x Wᵀ + b (+ Δ(x))`.  `x: (batch, in)` → `y: (batch, out)`.
    public func forward(_ x: Matrix) -> Matrix {
        StepPhaseRecorder.time(.linear) { forwardPass(x) }
    }

    private func forwardPass(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == inputs,
            "Linear \(name): input is \(x.shapeDescription) but W is \(weight.value.shapeDescription), "
                + "so the input needs \(inputs) columns")
        input = x
        output.prepare(rows: x.rows, cols: outputs)
        usesEffectiveWeight = false
        if let adapter {
            usesEffectiveWeight = StepPhaseRecorder.time(.adapters) { adapter.effectiveWeight(base: weight.value, into: &effective) }
        }
        let w = usesEffectiveWeight ? effective : weight.value
        // y starts as b in every row, then the product is added to it.
        if let bias { Linear.broadcastRows(bias.value, into: &output) }
        let beta: Float = bias == nil ? 0 : 1
        if let block = oneThreadRowBlock(batch: x.rows) {
            Linear.productInRowBlocks(x, w, into: &output, transposeB: true, beta: beta, block: block)
        } else {
            BLAS.gemm(x, w, into: &output, transposeB: true, beta: beta)
        }
        if !usesEffectiveWeight, let adapter {
            StepPhaseRecorder.time(.adapters) { adapter.forward(x, adding: &output) }
        }
        return output
    }

    /// `dx = dy W` (or an empty matrix, see `computesInputGradient`); `dW += dyᵀ x`,
    /// `db += Σ_rows dy` for trainable `W`, `b`.  `dy: (batch, out)` → `dx: (batch, in)`.
    public func backward(_ dy: Matrix) -> Matrix {
        StepPhaseRecorder.time(.linear) { backwardPass(dy) }
    }

    private func backwardPass(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == input.rows && dy.cols == outputs && input.cols == inputs,
            "Linear \(name).backward: dy is \(dy.shapeDescription) but the cached input is "
                + "\(input.shapeDescription) and W is \(weight.value.shapeDescription) "
                + "(call forward before each backward)")
        let block = oneThreadRowBlock(batch: dy.rows)
        // G = dyᵀ x: the gradient of W (when it trains) and of W + ΔW (for an adapter that forms
        // it), computed once.
        let adapterNeedsG = usesEffectiveWeight && adapter?.needsEffectiveWeightGradient == true
        if adapterNeedsG {
            effectiveGradient.prepare(rows: outputs, cols: inputs)
            if let block {
                effectiveGradient.zero()
                Linear.weightGradientInBatchBlocks(dy, input, into: &effectiveGradient, block: block)
            } else {
                BLAS.gemm(dy, input, into: &effectiveGradient, transposeA: true)
            }
            if weight.isTrainable { BLAS.axpy(1, effectiveGradient, &weight.grad) }
            if let adapter { StepPhaseRecorder.time(.adapters) { adapter.backward(effectiveWeightGradient: effectiveGradient) } }
        } else if weight.isTrainable {
            if let block {
                Linear.weightGradientInBatchBlocks(dy, input, into: &weight.grad, block: block)
            } else {
                BLAS.gemm(dy, input, into: &weight.grad, transposeA: true, beta: 1)
            }
        }
        if let bias, bias.isTrainable {
            Linear.addColumnSums(dy, into: &bias.grad)
        }
        let w = usesEffectiveWeight ? effective : weight.value
        if computesInputGradient {
            if inputGradient == nil { inputGradient = Matrix(rows: 0, cols: 0) }
            inputGradient!.prepare(rows: dy.rows, cols: inputs)
            if let block {
                Linear.productInRowBlocks(dy, w, into: &inputGradient!, transposeB: false, beta: 0, block: block)
            } else {
                BLAS.gemm(dy, w, into: &inputGradient!)
            }
        } else {
            inputGradient = nil
        }
        if !usesEffectiveWeight, let adapter {
            StepPhaseRecorder.time(.adapters) { adapter.backward(dy, input: input, addingTo: &inputGradient) }
        }
        input = Matrix(rows: 0, cols: 0)
        return inputGradient ?? Matrix(rows: 0, cols: 0)
    }

    /// Folds the adapter into the weight, `W += ΔW`, and detaches it: the layer then computes
    /// the same function with no adapter cost.
    public func mergeAdapter() {
        guard let adapter else {
            fatalError("Linear \(name).mergeAdapter: there is no adapter to merge")
        }
        let delta = adapter.deltaWeight()
        checkPrecondition(
            delta.rows == outputs && delta.cols == inputs,
            "Linear \(name).mergeAdapter: ΔW is \(delta.shapeDescription) but W is \(weight.value.shapeDescription)")
        BLAS.axpy(1, delta, &weight.value)
        self.adapter = nil
    }

    // MARK: Narrow layers: products kept on one thread

    /// The largest product, in multiply-adds `m·n·k`, that OpenBLAS 0.3 runs on one thread
    /// (65,536 × its default GEMM_MULTITHREAD_THRESHOLD of 4); it splits larger ones across
    /// all cores.
    static let oneThreadWork = 262_144

    /// Rows per block when this layer's products should run as several one-thread products,
    /// or nil when one BLAS call (threaded as OpenBLAS sees fit) is better.
    ///
    /// A narrow layer, such as a 10-class head after 256 features, has products of
    /// `batch·in·out` = 1.3 M multiply-adds at batch 512: above OpenBLAS's threshold, yet too
    /// small to repay waking a second thread. Measured on 2 cores, its forward product takes
    /// 110 µs as one call and 66 µs as five one-thread calls of ≤ 102 rows; all three of its
    /// products together drop from about 400 µs to about 230 µs, 6% of a training step.
    func oneThreadRowBlock(batch: Int) -> Int? {
        let work = inputs * outputs
        guard outputs <= 32, batch * work > Linear.oneThreadWork else { return nil }
        let block = Linear.oneThreadWork / work
        return block >= 32 ? block : nil
    }

    /// `C = op(A)·op(B) + beta·C` computed `block` rows of `A` and `C` at a time.
    /// `A: (m, k)`, `op(B): (k, n)`, `C: (m, n)`; `op(B)` is `Bᵀ` when `transposeB` is set.
    static func productInRowBlocks(
        _ a: Matrix, _ b: Matrix, into c: inout Matrix, transposeB: Bool, beta: Float, block: Int
    ) {
        let (m, k) = (a.rows, a.cols)
        let n = transposeB ? b.rows : b.cols
        checkPrecondition(
            (transposeB ? b.cols : b.rows) == k && c.rows == m && c.cols == n,
            "Linear: product of A\(a.shapeDescription) and B\(b.shapeDescription)\(transposeB ? "ᵀ" : "") "
                + "cannot fill C\(c.shapeDescription)")
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    for start in stride(from: 0, to: m, by: block) {
                        BLAS.sgemm(
                            .none, transposeB ? .transpose : .none, m: min(block, m - start), n: n, k: k,
                            alpha: 1, pa.baseAddress! + start * k, lda: k, pb.baseAddress!, ldb: b.cols,
                            beta: beta, pc.baseAddress! + start * n, ldc: n)
                    }
                }
            }
        }
    }

    /// `dW += dyᵀ x` summed over blocks of `block` batch rows.
    /// `dy: (batch, out)`, `x: (batch, in)`, `dW: (out, in)`.
    static func weightGradientInBatchBlocks(_ dy: Matrix, _ x: Matrix, into dW: inout Matrix, block: Int) {
        checkPrecondition(
            dy.rows == x.rows && dW.rows == dy.cols && dW.cols == x.cols,
            "Linear: dW\(dW.shapeDescription) cannot hold dyᵀ x for dy\(dy.shapeDescription), x\(x.shapeDescription)")
        let (batch, out, inputs) = (dy.rows, dy.cols, x.cols)
        dy.data.withUnsafeBufferPointer { pdy in
            x.data.withUnsafeBufferPointer { px in
                dW.data.withUnsafeMutableBufferPointer { pw in
                    for start in stride(from: 0, to: batch, by: block) {
                        BLAS.sgemm(
                            .transpose, .none, m: out, n: inputs, k: min(block, batch - start), alpha: 1,
                            pdy.baseAddress! + start * out, lda: out, px.baseAddress! + start * inputs, ldb: inputs,
                            beta: 1, pw.baseAddress!, ldc: inputs)
                    }
                }
            }
        }
    }

    // MARK: Row and column loops

    /// Copies the row vector `b: (1, n)` into every row of `y: (batch, n)` (rows split across
    /// cores when there are many).
    static func broadcastRows(_ b: Matrix, into y: inout Matrix) {
        let n = y.cols
        guard n > 0 else { return }
        b.data.withUnsafeBufferPointer { pb in
            y.data.withUnsafeMutableBufferPointer { py in
                let (source, rows) = (pb.baseAddress!, py.baseAddress!)
                Parallel.forEachSlice(y.rows, minimumPerWorker: max(1, 65_536 / n)) { _, slice in
                    for i in slice { (rows + i * n).update(from: source, count: n) }
                }
            }
        }
    }

    /// `sums[j] += Σ_i m[i, j]`, each column summed in row order (columns split across cores when
    /// there are many: the same sums on any number of cores).  `m: (batch, n)`, `sums: (1, n)`.
    static func addColumnSums(_ m: Matrix, into sums: inout Matrix) {
        let (rows, n) = (m.rows, m.cols)
        guard rows > 0, n > 0 else { return }
        m.data.withUnsafeBufferPointer { pm in
            sums.data.withUnsafeMutableBufferPointer { ps in
                let (base, total) = (pm.baseAddress!, ps.baseAddress!)
                Parallel.forEachSlice(n, minimumPerWorker: max(16, 65_536 / rows)) { _, columns in
                    for i in 0..<rows {
                        let row = base + i * n
                        for j in columns { total[j] += row[j] }
                    }
                }
            }
        }
    }
}
