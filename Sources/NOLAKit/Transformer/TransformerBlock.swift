/// One pre-LN transformer block, GPT-2's (and ViT's) `h.<i>`:
///
///     r = x + attn(ln_1(x))         x, r, y: (B·T, C)
///     y = r + mlp(ln_2(r))
///
/// Backward, from `dy`:
///
///     dr = dy + ln_2ᵀ(mlpᵀ(dy))     (each ᵀ the sub-layer's backward)
///     dx = dr + ln_1ᵀ(attnᵀ(dr))
///
/// Parameters are named as GPT-2's (`h.0.ln_1.weight`, `h.0.attn.c_attn.weight`,
/// `h.0.mlp.c_fc.bias`, …), so a PyTorch model maps one to one.
public final class TransformerBlock {
    /// The block's number `i` (its names start with `h.<i>`).
    public let index: Int
    /// `h.<i>.ln_1`.
    public let ln1: LayerNorm
    /// `h.<i>.attn`: `c_attn`, attention, `c_proj`.
    public let attention: SelfAttention
    /// `h.<i>.ln_2`.
    public let ln2: LayerNorm
    /// `h.<i>.mlp`: `c_fc`, GELU, `c_proj`.
    public let mlp: FeedForward

    private var residual1 = Matrix(rows: 0, cols: 0)
    private var residual2 = Matrix(rows: 0, cols: 0)
    private var gradient1 = Matrix(rows: 0, cols: 0)
    private var gradient0 = Matrix(rows: 0, cols: 0)

    /// Block `index` of width `dimension` with `heads` heads, initialised as GPT-2 from `seed`:
    /// every weight N(0, 0.02²), the two residual projections (`attn.c_proj`, `mlp.c_proj`)
    /// N(0, (0.02/√(2·layers))²), biases 0, LayerNorms γ = 1, β = 0. Each weight is drawn from
    /// its own seed, `BasisSeeds.layerSeed(root: seed, name: <its name>)` (stream 0), so the
    /// draw does not depend on the order of construction.
    public init(index: Int, dimension c: Int, heads: Int, layers: Int, seed: UInt64) {
        checkPrecondition(layers > 0, "TransformerBlock: the model must have at least one block")
        let name = "h.\(index)"
        let residualStd = 0.02 / Float(2 * layers).squareRoot()
        func linear(_ part: String, inputs: Int, outputs: Int, std: Float) -> Linear {
            let layer = "\(name).\(part)"
            return Linear(
                name: layer, weight: gaussianWeight(rows: outputs, cols: inputs, std: std, seed: seed, name: "\(layer).weight"),
                bias: Matrix(rows: 1, cols: outputs))
        }
        self.index = index
        ln1 = LayerNorm(name: "\(name).ln_1", dimension: c)
        attention = SelfAttention(
            cAttn: linear("attn.c_attn", inputs: c, outputs: 3 * c, std: 0.02),
            cProj: linear("attn.c_proj", inputs: c, outputs: c, std: residualStd), heads: heads)
        ln2 = LayerNorm(name: "\(name).ln_2", dimension: c)
        mlp = FeedForward(
            cFc: linear("mlp.c_fc", inputs: c, outputs: 4 * c, std: 0.02),
            cProj: linear("mlp.c_proj", inputs: 4 * c, outputs: c, std: residualStd))
    }

    /// Width `C`.
    public var dimension: Int { ln1.dimension }

    /// Every tensor in model order (`ln_1`, `c_attn`, `c_proj`, `ln_2`, `c_fc`, `c_proj`),
    /// adapters included.
    public var parameters: [Parameter] {
        ln1.parameters + attention.parameters + ln2.parameters + mlp.parameters
    }

    /// The four `Linear` layers: `attn.c_attn`, `attn.c_proj`, `mlp.c_fc`, `mlp.c_proj`.
    public var linearLayers: [Linear] { [attention.cAttn, attention.cProj, mlp.cFc, mlp.cProj] }

    /// The block's own tensors, without any adapter's: what a checkpoint stores.
    public var baseParameters: [Parameter] {
        func base(_ l: Linear) -> [Parameter] { [l.weight] + (l.bias.map { [$0] } ?? []) }
        return ln1.parameters + base(attention.cAttn) + base(attention.cProj) + ln2.parameters + base(mlp.cFc)
            + base(mlp.cProj)
    }

    /// The adapter sites: `h.<i>.attn.c_attn.q`, `.k`, `.v` (output blocks `0..<C`, `C..<2C`,
    /// `2C..<3C` of `c_attn`), `h.<i>.attn.c_proj`, `h.<i>.mlp.c_fc`, `h.<i>.mlp.c_proj`.
    public var adapterSites: [AdapterSite] {
        let c = dimension
        let fused = attention.cAttn
        return [
            AdapterSite(layer: fused, part: "q", outputs: 0..<c),
            AdapterSite(layer: fused, part: "k", outputs: c..<(2 * c)),
            AdapterSite(layer: fused, part: "v", outputs: (2 * c)..<(3 * c)),
            AdapterSite(layer: attention.cProj), AdapterSite(layer: mlp.cFc), AdapterSite(layer: mlp.cProj),
        ]
    }

    /// Every tensor one forward of this block computes for `sequences` sequences of `length`
    /// positions, in order, with its shape (`[B, H, T, T]` for the attention's per-head
    /// matrices, `[rows, cols]` for the rest): what lesson 11 prints beside the code.
    public func activationShapes(sequences b: Int, length t: Int) -> [(name: String, shape: [Int])] {
        let (n, c, h) = (b * t, dimension, attention.core.heads)
        return [
            ("x, the block's input", [n, c]), ("a = ln_1(x)", [n, c]), ("qkv = c_attn(a)", [n, 3 * c]),
            ("S = Q Kᵀ / √hs, per sequence and head", [b, h, t, t]), ("P = softmax(S), causal", [b, h, t, t]),
            ("o = P V, heads side by side", [n, c]), ("attn = c_proj(o)", [n, c]), ("r = x + attn", [n, c]),
            ("m = ln_2(r)", [n, c]), ("f = c_fc(m)", [n, 4 * c]), ("g = GELU(f)", [n, 4 * c]),
            ("mlp = c_proj(g)", [n, c]), ("y = r + mlp, the block's output", [n, c]),
        ]
    }

    /// `y: (B·T, C)` from `x: (B·T, C)`.
    public func forward(_ x: Matrix, mask: AttentionMask) -> Matrix {
        checkPrecondition(
            x.cols == dimension && x.rows == mask.rows,
            "TransformerBlock h.\(index): input is \(x.shapeDescription) but the block is \(dimension) wide "
                + "and the mask has \(mask.rows) rows")
        return forward(x) { attention.forward($0, mask: mask) }
    }

    /// The block around a given attention: `r = x + attend(ln_1(x))`, `y = r + mlp(ln_2(r))`.
    private func forward(_ x: Matrix, attend: (Matrix) -> Matrix) -> Matrix {
        let a = attend(ln1.forward(x))
        Self.sum(x, a, into: &residual1)
        let m = mlp.forward(ln2.forward(residual1))
        Self.sum(residual1, m, into: &residual2)
        return residual2
    }

    /// `dx: (B·T, C)` from `dy: (B·T, C)`, accumulating the gradients of trainable tensors. With
    /// `inputGradient: false` (the first block when the embeddings are frozen), `dx` is not
    /// computed (nor `c_attn`'s input gradient) and an empty matrix is returned.
    public func backward(_ dy: Matrix, inputGradient: Bool = true) -> Matrix {
        let db = mlp.backward(dy)
        Self.sum(dy, ln2.backward(db), into: &gradient1)
        let lnTrainable = ln1.gamma.isTrainable || ln1.beta.isTrainable
        attention.cAttn.computesInputGradient = inputGradient || lnTrainable
        let da = attention.backward(gradient1)
        guard attention.cAttn.computesInputGradient else { return Matrix(rows: 0, cols: 0) }
        let dxNorm = ln1.backward(da)
        guard inputGradient else { return Matrix(rows: 0, cols: 0) }
        Self.sum(gradient1, dxNorm, into: &gradient0)
        return gradient0
    }

    /// `c = a + b` (same shape), into a reused buffer.
    static func sum(_ a: Matrix, _ b: Matrix, into c: inout Matrix) {
        StepPhaseRecorder.time(.residualAndEmbedding) { add(a, b, into: &c) }
    }

    private static func add(_ a: Matrix, _ b: Matrix, into c: inout Matrix) {
        checkPrecondition(
            a.rows == b.rows && a.cols == b.cols,
            "TransformerBlock: cannot add \(a.shapeDescription) and \(b.shapeDescription)")
        c.prepare(rows: a.rows, cols: a.cols)
        guard c.count > 0 else { return }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    let (x, y, z) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    Parallel.forEachSlice(pc.count, minimumPerWorker: 65_536) { _, slice in
                        for i in slice { z[i] = x[i] + y[i] }
                    }
                }
            }
        }
    }
}

/// A `rows × cols` matrix N(0, std²) for the tensor `name` of a model seeded by `seed`: standard
/// normals from stream 0 of `BasisSeeds.layerSeed(root: seed, name: name)`, times `std`.
func gaussianWeight(rows: Int, cols: Int, std: Float, seed: UInt64, name: String) -> Matrix {
    let normals = RandomStream(seed: BasisSeeds.layerSeed(root: seed, name: name)).normal(rows * cols)
    return Matrix(rows: rows, cols: cols, data: normals.map { $0 * std })
}
