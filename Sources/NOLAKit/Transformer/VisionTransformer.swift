/// A vision transformer (ViT) classifier over square images: the GPT's blocks without the causal
/// mask, for the paper's ViT experiments (§3.4, Tables 6–7).
///
///     e  = patch_embed(images)                (B·N, C)   N patches of P×P pixels each
///     x₀ = [cls_token | e] + pos_embed        (B·T, C)   T = N + 1 (class token) or N (mean)
///     xᵢ = h.i(xᵢ₋₁)                          (B·T, C)   bidirectional attention
///     f  = pool(norm(x_L))                    (B, C)     class token's row, or the mean
///     z  = head(f)                            (B, classes)
///
/// Blocks carry the GPT's names (`h.0.attn.c_attn`, `h.0.mlp.c_fc`, …) so the same adapter
/// sites and site sets apply (`TransformerSites.queryKeyValue` for the paper's ViT LoRA, `.mlp`
/// for NOLA); the rest are named as timm's ViT: `patch_embed.proj`, `cls_token`, `pos_embed`,
/// `norm`, `head`.
///
/// It is a `Layer` (images in, logits out), so `fit`, `trainStep`, `evaluate` and `predictions`
/// train and test it on a `DigitDataset` as they do the MLPs. `features` gives `f` for
/// nearest-neighbour classification on frozen features.
///
/// Which pooling: the class token, as the paper's ViT-B/L (timm's default) — use it in lesson 14.
/// Mean pooling is there for comparison (it often trains a little faster from scratch).
public final class VisionTransformer: TransformerModel, Layer {
    /// The shape (its `classes` follows `replaceHead`).
    public private(set) var configuration: VisionTransformerConfiguration
    /// Patches to tokens.
    public let patchEmbedding: PatchEmbedding
    /// `cls_token: (1, C)`, with class-token pooling.
    public let classToken: Parameter?
    /// `pos_embed: (T, C)`.
    public let positionEmbedding: Parameter
    /// The blocks `h.0 … h.(L−1)`.
    public let blocks: [TransformerBlock]
    /// The final LayerNorm `norm`.
    public let finalNorm: LayerNorm
    /// The classifier `head: (classes, C)`.
    public private(set) var head: Linear

    private var tokens = Matrix(rows: 0, cols: 0)
    private var imagesInBatch = 0

    /// A model from `seed`: blocks as GPT-2's (`TransformerBlock.init`), `pos_embed`, `cls_token`
    /// and the head's weight N(0, 0.02²) (head bias 0), the patch projection as PyTorch's
    /// default `nn.Linear`; each tensor from its own seed derived from `seed` and its name.
    public init(_ configuration: VisionTransformerConfiguration, seed: UInt64) {
        checkPrecondition(configuration.problem == nil, "VisionTransformer: \(configuration.problem ?? "")")
        let c = configuration.embedding
        self.configuration = configuration
        patchEmbedding = PatchEmbedding(
            imageSize: configuration.imageSize, patchSize: configuration.patchSize, channels: configuration.channels,
            projection: Linear(
                name: "patch_embed.proj", inputs: configuration.patchFeatures, outputs: c,
                random: RandomStream(seed: BasisSeeds.layerSeed(root: seed, name: "patch_embed.proj"))))
        classToken = configuration.pooling == .classToken
            ? Parameter(name: "cls_token", value: gaussianWeight(rows: 1, cols: c, std: 0.02, seed: seed, name: "cls_token")) : nil
        positionEmbedding = Parameter(
            name: "pos_embed", value: gaussianWeight(rows: configuration.tokens, cols: c, std: 0.02, seed: seed, name: "pos_embed"))
        blocks = (0..<configuration.layers).map {
            TransformerBlock(index: $0, dimension: c, heads: configuration.heads, layers: configuration.layers, seed: seed)
        }
        finalNorm = LayerNorm(name: "norm", dimension: c)
        head = VisionTransformer.makeHead(classes: configuration.classes, width: c, seed: seed)
    }

    static func makeHead(classes: Int, width: Int, seed: UInt64) -> Linear {
        Linear(
            name: "head", weight: gaussianWeight(rows: classes, cols: width, std: 0.02, seed: seed, name: "head.weight"),
            bias: Matrix(rows: 1, cols: classes))
    }

    /// A fresh head for `classes` classes (a new task), drawn from `seed` as at construction.
    public func replaceHead(classes: Int, seed: UInt64) {
        checkPrecondition(classes > 0, "VisionTransformer.replaceHead: classes must be positive, got \(classes)")
        head = VisionTransformer.makeHead(classes: classes, width: configuration.embedding, seed: seed)
        configuration.classes = classes
    }

    /// Every tensor in model order, adapters included.
    public var parameters: [Parameter] {
        (embeddingParameters + blocks.flatMap(\.parameters) + finalNorm.parameters + head.parameters).uniqued()
    }

    /// The model's own tensors without adapters: what a checkpoint holds.
    public var baseParameters: [Parameter] {
        embeddingParameters + blocks.flatMap(\.baseParameters) + finalNorm.parameters + [head.weight] + (head.bias.map { [$0] } ?? [])
    }

    /// Patch projection, class token, position embedding.
    var embeddingParameters: [Parameter] {
        patchEmbedding.parameters + (classToken.map { [$0] } ?? []) + [positionEmbedding]
    }

    /// Every block's sites (the head is not a site: it is trained, not adapted).
    public var adapterSites: [AdapterSite] { blocks.flatMap(\.adapterSites) }

    // MARK: Forward and backward

    /// The pooled features `f: (B, C)` of `images: (B, S·S·ch)` (no head).
    public func features(_ images: Matrix) -> Matrix {
        let t = configuration.tokens
        let e = patchEmbedding.forward(images)
        let (b, n, c) = (images.rows, configuration.patches, configuration.embedding)
        let offset = classToken == nil ? 0 : 1
        imagesInBatch = b
        tokens.prepare(rows: b * t, cols: c)
        for i in 0..<b {
            for s in 0..<t {
                for j in 0..<c {
                    let source = s < offset ? classToken!.value[0, j] : e[i * n + s - offset, j]
                    tokens[i * t + s, j] = source + positionEmbedding.value[s, j]
                }
            }
        }
        let mask = AttentionMask(sequences: b, length: t, causal: false)
        var h = tokens
        for block in blocks { h = block.forward(h, mask: mask) }
        return configuration.pooling.forward(finalNorm.forward(h), length: t)
    }

    /// Logits `(B, classes)` of `images: (B, S·S·ch)`.
    public func forward(_ images: Matrix) -> Matrix {
        head.forward(features(images))
    }

    /// Back from `dz: (B, classes)`, accumulating the trainable tensors' gradients; stops as
    /// soon as nothing further down trains (the head alone, say). Returns an empty matrix
    /// (images are data).
    public func backward(_ dLogits: Matrix) -> Matrix {
        let dPooled = head.backward(dLogits)
        let belowTrains = (embeddingParameters + blocks.flatMap(\.parameters) + finalNorm.parameters).contains(where: \.isTrainable)
        guard belowTrains else { return Matrix(rows: 0, cols: 0) }
        let t = configuration.tokens
        var dh = finalNorm.backward(configuration.pooling.backward(dPooled, length: t))
        let embeddingsTrain = embeddingParameters.contains(where: \.isTrainable)
        for block in blocks.reversed() {
            dh = block.backward(dh, inputGradient: block.index > 0 || embeddingsTrain)
        }
        guard embeddingsTrain else { return Matrix(rows: 0, cols: 0) }
        let (b, n, c) = (imagesInBatch, configuration.patches, configuration.embedding)
        let offset = classToken == nil ? 0 : 1
        var dPatches = Matrix(rows: b * n, cols: c)
        for i in 0..<b {
            for s in 0..<t {
                for j in 0..<c {
                    let g = dh[i * t + s, j]
                    if positionEmbedding.isTrainable { positionEmbedding.grad[s, j] += g }
                    if s < offset {
                        if classToken!.isTrainable { classToken!.grad[0, j] += g }
                    } else {
                        dPatches[i * n + s - offset, j] = g
                    }
                }
            }
        }
        if patchEmbedding.parameters.contains(where: \.isTrainable) { patchEmbedding.backward(dPatches) }
        return Matrix(rows: 0, cols: 0)
    }
}
