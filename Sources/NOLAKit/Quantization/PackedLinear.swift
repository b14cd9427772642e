/// A bias-free `Linear` layer whose weight can be frozen into packed storage (`PackedWeight`:
/// fp16, int8 or NF4), as QLoRA holds a base model: the products dequantize the weight tile by
/// tile, and adapters (LoRA, NOLA) keep adding their `Δ(x)` in float.
///
///     y  = x Ŵᵀ + Δ(x)             x: (N, in), Ŵ: (out, in) dequantized, y: (N, out)
///     dx = dy Ŵ + dy ΔW            (the adapter adds its part; ΔW is never formed)
///
/// A frozen weight needs no `dW = dyᵀ x`, so the backward pass has one product, not two. For a
/// tile of `t` rows of `W` (about 128 KB of floats), the forward dequantizes rows `r…r+t` into a
/// scratch buffer and writes `y[:, r…r+t] = x tileᵀ`; the backward adds `dy[:, r…r+t] tile` into
/// `dx`. The packed weight is dequantized once per forward and once per backward and never held
/// in float: memory is the packed bytes plus one tile.
///
///     let q = PackedLinear(Linear(name: "layers.0.self_attn.q_proj", inputs: 64, outputs: 64, bias: false, random: r))
///     q.pack(.nf4)                   // frozen; the float weight is released
///     q.adapter = myNOLA             // or attach through the model's AdapterSite
///
/// Before `pack` it is the plain `Linear` (trainable, used to pretrain). The `Linear` stays the
/// layer's identity after packing — its name, its shape and its adapter hook — so `AdapterSite`,
/// `AdaptableModel.attach` and `AdapterFile` work on a packed model unchanged; its float weight
/// becomes a frozen `(0×0)` tensor. Adapters that form a dense `W + ΔW` (PRANC) need the float
/// weight and are refused on a packed layer.
public final class PackedLinear: Layer {
    /// The float layer: name, shape, adapter. Its weight is the weight until `pack`.
    public let linear: Linear
    /// The packed weight, once packed.
    public private(set) var packed: PackedWeight?
    /// Whether `backward` computes `dx` (off for a first layer whose input needs no gradient).
    public var computesInputGradient = true

    private var input = Matrix(rows: 0, cols: 0)
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient: Matrix? = Matrix(rows: 0, cols: 0)
    private var tile: [Float] = []
    /// Dequantized weights held at a time: 32,768 floats (128 KB), at least one row.
    static let tileFloats = 32_768

    /// Wraps `linear` (which must have no bias: LLaMA's projections have none).
    public init(_ linear: Linear) {
        checkPrecondition(linear.bias == nil, "PackedLinear \(linear.name): the layer has a bias; packed layers are bias-free")
        self.linear = linear
    }

    /// The layer's name (`layers.0.mlp.up_proj`).
    public var name: String { linear.name }
    /// Input features.
    public var inputs: Int { linear.inputs }
    /// Output features.
    public var outputs: Int { linear.outputs }
    /// The adapter (the `Linear`'s).
    public var adapter: (any LinearAdapter)? {
        get { linear.adapter }
        set { linear.adapter = newValue }
    }

    /// The weight and the adapter's tensors (the weight is `(0×0)` and frozen once packed).
    public var parameters: [Parameter] { linear.parameters }

    /// Freezes the weight into `format` and releases the float copy. Packing twice is a
    /// programming error.
    public func pack(_ format: PackedWeight.Format) {
        checkPrecondition(packed == nil, "PackedLinear \(name): already packed")
        packed = PackedWeight(quantizing: linear.weight.value, format: format)
        linear.weight.freeze()
        linear.weight.value = Matrix(rows: 0, cols: 0)
        linear.weight.grad = Matrix(rows: 0, cols: 0)
    }

    /// Bytes of the packed weight (nil before `pack`).
    public var storageBytes: Int? { packed?.storageBytes }

    /// `y = x Ŵᵀ + Δ(x)`.  `x: (N, in)` → `y: (N, out)`.
    public func forward(_ x: Matrix) -> Matrix {
        guard let packed else { return linear.forward(x) }
        checkPrecondition(x.cols == inputs, "PackedLinear \(name): input is \(x.shapeDescription), the layer takes \(inputs) features")
        checkPrecondition(!(adapter is PRANCAdapter), "PackedLinear \(name): PRANC forms W + ΔW and needs the float weight")
        input = x
        output.prepare(rows: x.rows, cols: outputs)
        if x.rows > 0 {
            let (n, k, m) = (x.rows, inputs, outputs)
            x.data.withUnsafeBufferPointer { px in
                output.data.withUnsafeMutableBufferPointer { py in
                    forEachTile(of: packed) { start, count, tile in
                        BLAS.sgemm(.none, .transpose, m: n, n: count, k: k, alpha: 1, px.baseAddress!, lda: k,
                                   tile, ldb: k, beta: 0, py.baseAddress! + start, ldc: m)
                    }
                }
            }
        }
        adapter?.forward(x, adding: &output)
        return output
    }

    /// `dx = dy Ŵ + (the adapter's part)`, accumulating the adapter's gradients.
    /// `dy: (N, out)` → `dx: (N, in)` (empty when `computesInputGradient` is off).
    public func backward(_ dy: Matrix) -> Matrix {
        guard let packed else {
            linear.computesInputGradient = computesInputGradient
            return linear.backward(dy)
        }
        checkPrecondition(
            dy.rows == input.rows && dy.cols == outputs,
            "PackedLinear \(name).backward: dy is \(dy.shapeDescription) but the last input was \(input.shapeDescription)")
        if computesInputGradient {
            if inputGradient == nil { inputGradient = Matrix(rows: 0, cols: 0) }
            inputGradient!.prepare(rows: dy.rows, cols: inputs)
            inputGradient!.zero()
            if dy.rows > 0 {
                let (n, k, m) = (dy.rows, inputs, outputs)
                dy.data.withUnsafeBufferPointer { pdy in
                    inputGradient!.data.withUnsafeMutableBufferPointer { pdx in
                        forEachTile(of: packed) { start, count, tile in
                            BLAS.sgemm(.none, .none, m: n, n: k, k: count, alpha: 1, pdy.baseAddress! + start, lda: m,
                                       tile, ldb: k, beta: 1, pdx.baseAddress!, ldc: k)
                        }
                    }
                }
            }
        } else {
            inputGradient = nil
        }
        adapter?.backward(dy, input: input, addingTo: &inputGradient)
        input = Matrix(rows: 0, cols: 0)
        return inputGradient ?? Matrix(rows: 0, cols: 0)
    }

    /// Calls `body(firstRow, rowCount, tile)` for consecutive tiles of rows of `Ŵ`, each
    /// dequantized into the scratch buffer (rows split across cores) before the call.
    private func forEachTile(of packed: PackedWeight, _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let cols = max(packed.cols, 1)
        let rowsPerTile = max(1, Self.tileFloats / cols)
        if tile.count < min(rowsPerTile, packed.rows) * cols { tile = [Float](repeating: 0, count: min(rowsPerTile, packed.rows) * cols) }
        tile.withUnsafeMutableBufferPointer { pt in
            let base = pt.baseAddress!
            for start in stride(from: 0, to: packed.rows, by: rowsPerTile) {
                let count = min(rowsPerTile, packed.rows - start)
                Parallel.forEachSlice(count, minimumPerWorker: max(1, 4096 / cols)) { _, rows in
                    packed.dequantizeRows((start + rows.lowerBound)..<(start + rows.upperBound), into: base + rows.lowerBound * packed.cols)
                }
                body(start, count, base)
            }
        }
    }
}
