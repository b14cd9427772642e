/// One LLaMA decoder block, `layers.<i>`: pre-norm like GPT-2's, with RMSNorm, grouped-query
/// attention under RoPE and the SwiGLU MLP, and no biases anywhere.
///
///     r = x + attn(input_layernorm(x))             x, r, y: (N, d)
///     y = r + mlp(post_attention_layernorm(r))
///
/// Backward, from `dy`:
///
///     dr = dy + normᵀ(mlpᵀ(dy))
///     dx = dr + normᵀ(attnᵀ(dr))
///
/// Tensors carry the released checkpoints' names (`layers.0.input_layernorm.weight`,
/// `layers.0.self_attn.q_proj.weight`, …, `layers.0.mlp.down_proj.weight`), and the seven
/// projections are the adapter sites of Table 5 under the same names (`ModelShape.sites(.all)`).
public final class LlamaBlock {
    /// The block's number `i`.
    public let index: Int
    public let inputNorm: RMSNorm
    public let attention: GroupedQueryAttention
    public let postAttentionNorm: RMSNorm
    public let mlp: SwiGLU

    private var residual1 = Matrix(rows: 0, cols: 0)
    private var residual2 = Matrix(rows: 0, cols: 0)
    private var gradient1 = Matrix(rows: 0, cols: 0)
    private var gradient0 = Matrix(rows: 0, cols: 0)

    /// Block `index` of `configuration`, every projection N(0, 0.02²) (LLaMA's initializer range)
    /// from its own seed, `BasisSeeds.layerSeed(root: seed, name: <weight's name>)`; norms γ = 1.
    public init(index: Int, configuration c: LlamaConfiguration, rope: RotaryEmbedding, seed: UInt64) {
        let name = "layers.\(index)"
        func projection(_ part: String, inputs: Int, outputs: Int) -> PackedLinear {
            let layer = "\(name).\(part)"
            return PackedLinear(Linear(
                name: layer, weight: gaussianWeight(rows: outputs, cols: inputs, std: 0.02, seed: seed, name: "\(layer).weight"),
                bias: nil))
        }
        let (d, kv, i) = (c.hidden, c.keyValueWidth, c.intermediate)
        self.index = index
        inputNorm = RMSNorm(name: "\(name).input_layernorm", dimension: d)
        attention = GroupedQueryAttention(
            q: projection("self_attn.q_proj", inputs: d, outputs: d), k: projection("self_attn.k_proj", inputs: d, outputs: kv),
            v: projection("self_attn.v_proj", inputs: d, outputs: kv), o: projection("self_attn.o_proj", inputs: d, outputs: d),
            heads: c.heads, keyValueHeads: c.keyValueHeads, rope: rope)
        postAttentionNorm = RMSNorm(name: "\(name).post_attention_layernorm", dimension: d)
        mlp = SwiGLU(gate: projection("mlp.gate_proj", inputs: d, outputs: i), up: projection("mlp.up_proj", inputs: d, outputs: i),
                     down: projection("mlp.down_proj", inputs: i, outputs: d))
    }

    /// The seven projections: q, k, v, o, gate, up, down.
    public var projections: [PackedLinear] { attention.projections + mlp.projections }

    /// Every tensor in model order, adapters included.
    public var parameters: [Parameter] {
        inputNorm.parameters + attention.parameters + postAttentionNorm.parameters + mlp.parameters
    }

    /// The block's own tensors (no adapter's): what a checkpoint stores.
    public var baseParameters: [Parameter] {
        inputNorm.parameters + attention.projections.map(\.linear.weight) + postAttentionNorm.parameters
            + mlp.projections.map(\.linear.weight)
    }

    /// The seven adapter sites, each projection whole, named as the projection.
    public var adapterSites: [AdapterSite] { projections.map { AdapterSite(layer: $0.linear) } }

    /// Every tensor one forward computes for `b` sequences of `t` positions, with its shape: what
    /// lesson 16 prints beside lesson 11's GPT block.
    public func activationShapes(sequences b: Int, length t: Int) -> [(name: String, shape: [Int])] {
        let (n, d, h, g, hs) = (b * t, inputNorm.dimension, attention.heads, attention.keyValueHeads, attention.headSize)
        let inner = mlp.gateProj.outputs
        return [
            ("x, the block's input", [n, d]), ("a = RMSNorm(x)", [n, d]),
            ("q = RoPE(a W_qᵀ)", [n, h * hs]), ("k = RoPE(a W_kᵀ)", [n, g * hs]), ("v = a W_vᵀ", [n, g * hs]),
            ("S = q kᵀ / √hs, per sequence and query head", [b, h, t, t]), ("P = softmax(S), causal", [b, h, t, t]),
            ("o = P v, heads side by side", [n, h * hs]), ("attn = o W_oᵀ", [n, d]), ("r = x + attn", [n, d]),
            ("m = RMSNorm(r)", [n, d]), ("gate = m W_gᵀ", [n, inner]), ("up = m W_uᵀ", [n, inner]),
            ("h = silu(gate) ⊙ up", [n, inner]), ("mlp = h W_dᵀ", [n, d]), ("y = r + mlp, the block's output", [n, d]),
        ]
    }

    /// `y: (N, d)` from `x: (N, d)`.
    public func forward(_ x: Matrix, mask: AttentionMask) -> Matrix {
        checkPrecondition(x.cols == inputNorm.dimension && x.rows == mask.rows,
                          "LlamaBlock \(index): input is \(x.shapeDescription), the block is \(inputNorm.dimension) wide, the mask has \(mask.rows) rows")
        let a = attention.forward(inputNorm.forward(x), mask: mask)
        TransformerBlock.sum(x, a, into: &residual1)
        let m = mlp.forward(postAttentionNorm.forward(residual1))
        TransformerBlock.sum(residual1, m, into: &residual2)
        return residual2
    }

    /// `dx: (N, d)` from `dy: (N, d)`. With `inputGradient: false` (the first block under frozen
    /// embeddings and a frozen norm) `dx` is not computed and an empty matrix is returned.
    public func backward(_ dy: Matrix, inputGradient: Bool = true) -> Matrix {
        let dm = mlp.backward(dy)
        TransformerBlock.sum(dy, postAttentionNorm.backward(dm), into: &gradient1)
        let throughNorm = inputGradient || inputNorm.gamma.isTrainable
        let da = attention.backward(gradient1, inputGradient: throughNorm)
        guard throughNorm else { return Matrix(rows: 0, cols: 0) }
        let dxNorm = inputNorm.backward(da)
        guard inputGradient else { return Matrix(rows: 0, cols: 0) }
        TransformerBlock.sum(gradient1, dxNorm, into: &gradient0)
        return gradient0
    }
}
