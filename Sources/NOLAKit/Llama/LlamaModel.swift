/// A LLaMA-style language model, forward and backward by hand, at classroom size.
///
///     x₀ = embed_tokens[tokens]              (N, d)     no position table: RoPE rotates q, k instead
///     xᵢ = layers.i(xᵢ₋₁)                    (N, d)     `LlamaBlock`s: RMSNorm, GQA + RoPE, SwiGLU
///     z  = norm(x_L) lm_headᵀ                (N, V)     final RMSNorm; an untied output head
///
/// `N = B·T` rows, sequences contiguous and right-padded as `TokenBatch` lays them out; nothing at
/// a padded position reaches a real one. Against lesson 11's GPT: RMSNorm for LayerNorm, rotary
/// embeddings for the learned position table, SwiGLU for GELU, grouped-query attention, no
/// biases, and `lm_head` separate from `embed_tokens`.
///
///     let model = LlamaModel(configuration, seed: 1)      // pretrain it in float …
///     model.packBase(.nf4)                                  // … then freeze it packed, as QLoRA
///     model.attach(.nola(rank: 16, k: 64, l: 64, c: 4, basis: .shared), seed: 1, sites: model.allSites)
///
/// `packBase` stores the seven projections of every block at 16, 8 or 4 bits (`PackedWeight`),
/// the embedding table and `lm_head` at 16 bits (QLoRA keeps them unquantized), and freezes
/// everything: only adapters train after it, and they never see how the base is stored.
public final class LlamaModel: AdaptableModel {
    public let configuration: LlamaConfiguration
    /// `embed_tokens: (V, d)`.
    public let embedTokens: Embedding
    /// `layers.0 …`.
    public let blocks: [LlamaBlock]
    /// The final `norm`.
    public let norm: RMSNorm
    /// `lm_head: (V, d)`, untied.
    public let lmHead: PackedLinear
    /// The rotation every block shares.
    public let rope: RotaryEmbedding
    /// The format of the seven projections, once `packBase` was called.
    public private(set) var baseFormat: PackedWeight.Format?
    /// The embedding table stored at 16 bits, once packed.
    private var packedEmbedding: PackedWeight?

    private var embedded = Matrix(rows: 0, cols: 0)

    /// A model initialised as LLaMA from `seed`: every matrix N(0, 0.02²), each from its own seed
    /// derived from `seed` and its name; norms γ = 1. The configuration must be valid.
    public init(_ configuration: LlamaConfiguration, seed: UInt64) {
        checkPrecondition(configuration.problem == nil, "LlamaModel: \(configuration.problem ?? "")")
        let (d, v) = (configuration.hidden, configuration.vocabulary)
        self.configuration = configuration
        let rope = RotaryEmbedding(headSize: configuration.headSize, maxPositions: configuration.context)
        self.rope = rope
        embedTokens = Embedding(name: "embed_tokens", table: gaussianWeight(rows: v, cols: d, std: 0.02, seed: seed, name: "embed_tokens.weight"))
        blocks = (0..<configuration.layers).map { LlamaBlock(index: $0, configuration: configuration, rope: rope, seed: seed) }
        norm = RMSNorm(name: "norm", dimension: d)
        lmHead = PackedLinear(Linear(name: "lm_head", weight: gaussianWeight(rows: v, cols: d, std: 0.02, seed: seed, name: "lm_head.weight"), bias: nil))
    }

    /// Every tensor in model order, adapters included.
    public var parameters: [Parameter] {
        ([embedTokens.table] + blocks.flatMap(\.parameters) + norm.parameters + lmHead.parameters).uniqued()
    }

    /// The model's own tensors without adapters: what a checkpoint holds.
    public var baseParameters: [Parameter] {
        [embedTokens.table] + blocks.flatMap(\.baseParameters) + norm.parameters + [lmHead.linear.weight]
    }

    /// The seven projections of every block, named as the released checkpoints
    /// (`layers.0.self_attn.q_proj` … `layers.0.mlp.down_proj`).
    public var adapterSites: [AdapterSite] { blocks.flatMap(\.adapterSites) }

    /// The names of every site: Table 5's "all linear layers" (q, k, v, o, gate, up, down).
    public var allSites: Set<String> { Set(adapterSites.map(\.name)) }

    // MARK: The packed base

    /// Freezes every tensor and stores the projections in `format`, the embedding table and
    /// `lm_head` at 16 bits; the float copies are released. Call before attaching adapters.
    public func packBase(_ format: PackedWeight.Format) {
        checkPrecondition(baseFormat == nil, "LlamaModel.packBase: the base is packed already")
        parameters.freezeAll()
        for block in blocks { for p in block.projections { p.pack(format) } }
        lmHead.pack(.float16)
        packedEmbedding = PackedWeight(quantizing: embedTokens.table.value, format: .float16)
        embedTokens.table.value = Matrix(rows: 0, cols: 0)
        embedTokens.table.grad = Matrix(rows: 0, cols: 0)
        baseFormat = format
    }

    /// What the base holds in memory, measured from its storage, by part: the packed projections,
    /// the 16-bit embedding and head, the float norms. Nil before `packBase`.
    public var baseStorage: (projections: Int, embeddingAndHead: Int, norms: Int)? {
        guard baseFormat != nil, let embedding = packedEmbedding?.storageBytes, let head = lmHead.storageBytes else { return nil }
        let projections = blocks.flatMap(\.projections).reduce(0) { $0 + ($1.storageBytes ?? 0) }
        let norms = (blocks.flatMap { [$0.inputNorm, $0.postAttentionNorm] } + [norm])
            .reduce(0) { $0 + $1.gamma.value.data.count * MemoryLayout<Float>.stride }
        return (projections, embedding + head, norms)
    }

    /// The base's weights as its products use them, under their checkpoint names: the float
    /// weights, or once packed the dequantized ones (`Ŵ`, the embedding and head from 16 bits).
    public func effectiveBaseWeights() -> [(name: String, value: Matrix)] {
        let embedding = packedEmbedding?.dequantized() ?? embedTokens.table.value
        let projections = blocks.flatMap(\.projections) + [lmHead]
        var out: [(name: String, value: Matrix)] = [(embedTokens.table.name, embedding)]
        for block in blocks {
            out.append((block.inputNorm.gamma.name, block.inputNorm.gamma.value))
            out.append((block.postAttentionNorm.gamma.name, block.postAttentionNorm.gamma.value))
        }
        out.append((norm.gamma.name, norm.gamma.value))
        for p in projections { out.append((p.linear.weight.name, p.packed?.dequantized() ?? p.linear.weight.value)) }
        return out
    }

    // MARK: Forward and backward

    /// Logits `(N, V)` for `tokens` (`N` ids, row `b·T + t`) under a causal `mask`.
    public func forward(tokens: [Int], mask: AttentionMask) -> Matrix {
        lmHead.forward(hidden(tokens: tokens, mask: mask))
    }

    /// `norm(x_L): (N, d)`, the head's input.
    func hidden(tokens: [Int], mask: AttentionMask) -> Matrix {
        checkPrecondition(mask.causal && tokens.count == mask.rows && mask.length <= configuration.context,
                          "LlamaModel: \(tokens.count) tokens for \(mask.sequences) sequences of length \(mask.length) "
                            + "(the context is \(configuration.context))")
        embedded = embed(tokens)
        var h = embedded
        for block in blocks { h = block.forward(h, mask: mask) }
        return norm.forward(h)
    }

    /// `embed_tokens[tokens]: (N, d)`, from the 16-bit table once the base is packed.
    func embed(_ tokens: [Int]) -> Matrix {
        guard let packedEmbedding else { return embedTokens.forward(tokens) }
        for t in tokens { checkPrecondition(t >= 0 && t < configuration.vocabulary, "LlamaModel: token \(t) outside 0..<\(configuration.vocabulary)") }
        var x = Matrix(rows: tokens.count, cols: configuration.hidden)
        x.data.withUnsafeMutableBufferPointer { p in
            for (i, t) in tokens.enumerated() { packedEmbedding.dequantizeRows(t..<(t + 1), into: p.baseAddress! + i * configuration.hidden) }
        }
        return x
    }

    /// Back from `dz: (N, V)` of the last forward, accumulating every trainable tensor's gradient.
    /// When the embedding is frozen, the first block stops where nothing below needs a gradient.
    public func backward(_ dLogits: Matrix) {
        var dh = norm.backward(lmHead.backward(dLogits))
        let embeddingTrains = packedEmbedding == nil && embedTokens.table.isTrainable
        for block in blocks.reversed() {
            dh = block.backward(dh, inputGradient: block.index > 0 || embeddingTrains)
        }
        if embeddingTrains { embedTokens.backward(dh) }
    }

    /// The mean cross-entropy of `batch` over its scored targets, forward only.
    public func loss(_ batch: TokenBatch, using loss: TokenCrossEntropy) -> Float {
        loss.forward(forward(tokens: batch.tokens, mask: batch.mask), targets: batch.targets)
    }

    /// The loss of `batch`, with its gradient added into every trainable tensor (zero the
    /// gradients first). Skips the backward when the loss is not finite.
    @discardableResult
    public func lossAndGradient(_ batch: TokenBatch, using loss: TokenCrossEntropy) -> Float {
        let value = self.loss(batch, using: loss)
        if value.isFinite { backward(loss.backward()) }
        return value
    }

    /// The attention probabilities of block `layer`, query head `head`, sequence `sequence` of the
    /// last forward: `(T, T)`.
    public func attentionProbabilities(layer: Int, head: Int, sequence: Int = 0) -> Matrix {
        checkPrecondition(layer >= 0 && layer < blocks.count, "LlamaModel: there is no block \(layer)")
        return blocks[layer].attention.probabilities(sequence: sequence, head: head)
    }
}
