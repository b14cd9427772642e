/// Transformer blocks alone, without embeddings or a head: `(B·T, C)` in, `(B·T, C)` out, under
/// a fixed attention mask. For timing and sizing blocks at real widths (GPT-2 L: C = 1,280,
/// 20 heads, paper Table 2) without a 50,257-token vocabulary dominating the step.
///
/// It is a `Layer`, so `trainingStepSeconds` times its training steps (with a softmax
/// cross-entropy over the `C` outputs of every row as a stand-in loss), and a `TransformerModel`,
/// so adapters attach to its blocks by the usual site names.
public final class TransformerStack: TransformerModel, Layer {
    /// The blocks `h.0 …`.
    public let blocks: [TransformerBlock]
    /// The mask every forward uses: its `rows` is the batch's rows `B·T`.
    public var mask: AttentionMask

    /// `layers` blocks of width `width` with `heads` heads, GPT-2's initialisation from `seed`,
    /// for batches shaped as `mask`.
    public init(layers: Int, width: Int, heads: Int, mask: AttentionMask, seed: UInt64) {
        checkPrecondition(layers > 0 && width > 0 && heads > 0 && width % heads == 0,
                          "TransformerStack: \(layers) blocks of width \(width) with \(heads) heads")
        blocks = (0..<layers).map { TransformerBlock(index: $0, dimension: width, heads: heads, layers: layers, seed: seed) }
        self.mask = mask
    }

    public var parameters: [Parameter] { blocks.flatMap(\.parameters).uniqued() }
    public var adapterSites: [AdapterSite] { blocks.flatMap(\.adapterSites) }

    /// `x: (B·T, C)` through every block.
    public func forward(_ x: Matrix) -> Matrix {
        var h = x
        for block in blocks { h = block.forward(h, mask: mask) }
        return h
    }

    /// `dx` from `dy`, accumulating the blocks' gradients.
    public func backward(_ dy: Matrix) -> Matrix {
        var g = dy
        for block in blocks.reversed() { g = block.backward(g) }
        return g
    }
}
