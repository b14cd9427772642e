/// A GPT-2 language model, forward and backward by hand (llm.c's `gpt2_forward`/`gpt2_backward`).
///
///     x₀ = wte[tokens] + wpe[positions]      (B·T, C)   token + position embeddings
///     xᵢ = h.i(xᵢ₋₁)                         (B·T, C)   `layers` pre-LN blocks, causal attention
///     z  = ln_f(x_L) wteᵀ                    (B·T, V)   final LayerNorm, unembedding tied to wte
///
/// Activations are `(B·T, C)` matrices, sequences contiguous (row `b·T + t`). Batches of mixed
/// lengths are right-padded (`TokenBatch`, `AttentionMask`): nothing at a padded position reaches
/// a real one. Backward runs the same path in reverse; `wte` gets the gradients of both its uses.
///
/// Parameters carry GPT-2's names (`wte.weight`, `wpe.weight`, `h.0.ln_1.weight`,
/// `h.0.attn.c_attn.weight`, …, `ln_f.bias`) and PyTorch's layouts, so `Benchmarks/pytorch/
/// gpt_reference.py` loads a checkpoint one to one. Adapters attach at the sites of
/// `TransformerBlock.adapterSites` (`model.attach(.lora(rank: 4, c: 1), seed: 1, sites: model.sites(.queryValue))`).
public final class GPT: TransformerModel {
    /// The shape.
    public let configuration: GPTConfiguration
    /// Token embedding `wte: (V, C)`, also the unembedding.
    public let tokenEmbedding: Embedding
    /// Position embedding `wpe: (n_ctx, C)`.
    public let positionEmbedding: Embedding
    /// The blocks `h.0 … h.(L−1)`.
    public let blocks: [TransformerBlock]
    /// The final LayerNorm `ln_f`.
    public let finalNorm: LayerNorm
    /// `z = x wteᵀ`.
    public let unembedding: TiedUnembedding

    private var embedded = Matrix(rows: 0, cols: 0)

    /// A model initialised as GPT-2 from `seed` (embeddings N(0, 0.02²); blocks as
    /// `TransformerBlock.init`); each tensor from its own seed derived from `seed` and its name.
    /// The configuration must be valid (`configuration.problem == nil`).
    public init(_ configuration: GPTConfiguration, seed: UInt64) {
        checkPrecondition(configuration.problem == nil, "GPT: \(configuration.problem ?? "")")
        let (c, v) = (configuration.embedding, configuration.vocabulary)
        self.configuration = configuration
        tokenEmbedding = Embedding(
            name: "wte", table: gaussianWeight(rows: v, cols: c, std: 0.02, seed: seed, name: "wte.weight"))
        positionEmbedding = Embedding(
            name: "wpe", table: gaussianWeight(rows: configuration.context, cols: c, std: 0.02, seed: seed, name: "wpe.weight"))
        blocks = (0..<configuration.layers).map {
            TransformerBlock(index: $0, dimension: c, heads: configuration.heads, layers: configuration.layers, seed: seed)
        }
        finalNorm = LayerNorm(name: "ln_f", dimension: c)
        unembedding = TiedUnembedding(table: tokenEmbedding.table)
    }

    /// Every tensor in model order (`wte`, `wpe`, the blocks, `ln_f`), adapters included.
    public var parameters: [Parameter] {
        ([tokenEmbedding.table, positionEmbedding.table] + blocks.flatMap(\.parameters) + finalNorm.parameters).uniqued()
    }

    /// The model's own tensors without adapters: what a checkpoint holds.
    public var baseParameters: [Parameter] {
        [tokenEmbedding.table, positionEmbedding.table] + blocks.flatMap(\.baseParameters) + finalNorm.parameters
    }

    /// Every block's sites, in block order.
    public var adapterSites: [AdapterSite] { blocks.flatMap(\.adapterSites) }

    // MARK: Forward and backward

    /// Logits `(B·T, V)` of a batch.
    public func forward(_ batch: TokenBatch) -> Matrix {
        forward(tokens: batch.tokens, mask: batch.mask)
    }

    /// Logits `(B·T, V)` for `tokens` (`B·T` ids, row `b·T + t`) under a causal `mask`.
    public func forward(tokens: [Int], mask: AttentionMask) -> Matrix {
        let h = hidden(tokens: tokens, mask: mask)
        return StepPhaseRecorder.time(.logitsAndLoss) { unembedding.forward(h) }
    }

    /// `ln_f(x_L): (B·T, C)`, the input of the unembedding.
    func hidden(tokens: [Int], mask: AttentionMask) -> Matrix {
        checkPrecondition(mask.causal, "GPT: a language model's attention mask must be causal")
        checkPrecondition(
            tokens.count == mask.rows && mask.length <= configuration.context,
            "GPT: \(tokens.count) tokens for \(mask.sequences) sequences of length \(mask.length) "
                + "(the context is \(configuration.context))")
        let positions = (0..<tokens.count).map { $0 % mask.length }
        StepPhaseRecorder.time(.residualAndEmbedding) {
            TransformerBlock.sum(tokenEmbedding.forward(tokens), positionEmbedding.forward(positions), into: &embedded)
        }
        var h = embedded
        for block in blocks { h = block.forward(h, mask: mask) }
        return finalNorm.forward(h)
    }

    /// Logits `(rows·n, V)` for `n` new tokens per sequence of `cache`, continuing them at
    /// positions `cache.length ..< cache.length + n` (`tokens`: row `r`'s new tokens at
    /// `r·n ..< (r+1)·n`; every row of the cache at the same length). Every block reads the
    /// earlier positions' keys and values from the cache and adds the new ones: generation costs
    /// one position's work per token. Runs `DecodingModel` (rows computed independently of each
    /// other), from a snapshot of the weights taken at each call: a decoder calling it many times
    /// keeps one snapshot instead (`GPTGenerator`).
    public func forward(tokens: [Int], cache: KeyValueCache) -> Matrix {
        let rows = cache.rows
        checkPrecondition(
            !tokens.isEmpty && tokens.count % rows == 0 && cache.layers == blocks.count && cache.width == configuration.embedding
                && Set(cache.lengths).count == 1,
            "GPT (cached): \(tokens.count) tokens for a cache of \(rows) rows at lengths \(Set(cache.lengths).sorted()), "
                + "\(cache.layers) blocks of width \(cache.width)")
        let n = tokens.count / rows
        checkPrecondition(
            cache.length + n <= min(cache.capacity, configuration.context),
            "GPT (cached): \(cache.length) + \(n) positions exceed the context \(min(cache.capacity, configuration.context))")
        return DecodingModel(self).forward(
            tokens: tokens, slots: (0..<tokens.count).map { $0 / n }, cache: cache, logitRows: Array(0..<tokens.count))
    }

    /// Back from `dz: (B·T, V)` of the last forward, accumulating every trainable tensor's
    /// gradient. When neither embedding is trainable (adapters, say), the first block stops
    /// at its attention: nothing below needs a gradient.
    public func backward(_ dLogits: Matrix) {
        backward(hidden: StepPhaseRecorder.time(.logitsAndLoss) { unembedding.backward(dLogits) })
    }

    /// Back from `d ln_f(x_L): (B·T, C)` (the unembedding's input gradient).
    func backward(hidden dHidden: Matrix) {
        var dh = finalNorm.backward(dHidden)
        let embeddingsTrain = tokenEmbedding.table.isTrainable || positionEmbedding.table.isTrainable
        for block in blocks.reversed() {
            dh = block.backward(dh, inputGradient: block.index > 0 || embeddingsTrain)
        }
        if embeddingsTrain {
            StepPhaseRecorder.time(.residualAndEmbedding) {
                tokenEmbedding.backward(dh)
                positionEmbedding.backward(dh)
            }
        }
    }

    /// The loss of `batch`, forward only: the logits made and scored block by block
    /// (`TiedUnembedding.lossAndInputGradient` without its backward), so evaluating a large batch
    /// never holds its `(B·T, V)` logits.
    public func loss(_ batch: TokenBatch, using loss: TokenCrossEntropy) -> Float {
        unembedding.lossAndInputGradient(
            hidden(tokens: batch.tokens, mask: batch.mask), targets: batch.targets, loss: loss, gradient: false
        ).loss
    }

    /// The loss of `batch`, with its gradient added into every trainable tensor (zero the
    /// gradients first). The logits, the loss and their backward run block by block
    /// (`TiedUnembedding.lossAndInputGradient`): the same numbers as `loss` then `backward`, up
    /// to summation order, without the `(B·T, V)` logits in memory. Stops before the blocks'
    /// backward when the loss is not finite (the gradient would be NaN anyway).
    @discardableResult
    public func lossAndGradient(_ batch: TokenBatch, using loss: TokenCrossEntropy) -> Float {
        let h = hidden(tokens: batch.tokens, mask: batch.mask)
        let (value, dHidden) = StepPhaseRecorder.time(.logitsAndLoss) {
            unembedding.lossAndInputGradient(h, targets: batch.targets, loss: loss)
        }
        if value.isFinite { backward(hidden: dHidden) }
        return value
    }

    /// The attention probabilities of block `layer`, head `head`, for sequence `sequence` of the
    /// last forward: `(T, T)`, row `t` = how much position `t` attends to each position.
    public func attentionProbabilities(layer: Int, head: Int, sequence: Int = 0) -> Matrix {
        checkPrecondition(layer >= 0 && layer < blocks.count, "GPT: there is no block \(layer)")
        return blocks[layer].attention.core.probabilities(sequence: sequence, head: head)
    }
}
