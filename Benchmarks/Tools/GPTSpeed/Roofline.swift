/// The floating-point work of one training step, counted from the shapes (a multiply-add is 2
/// operations), as the roofline of `gpt-speed` reports it. `N = B·T` rows, `C` width, `L`
/// blocks, `V` vocabulary, `H` heads:
///
///     matrix products   forward 24·N·C²·L (c_attn 6, c_proj 2, c_fc 8, mlp c_proj 8)
///                       backward: dx of each, and dW of each that trains (2× forward when all do)
///     attention         forward 4·B·T²·C·L (S = QKᵀ and PV over the full T×T square, the
///                       usual count; under the causal mask ours computes ¾ of it,
///                       `MultiHeadAttention.split`), backward 8·B·T²·C·L (dP, dV, dQ, dK)
///     unembedding       forward 2·N·C·V; backward dx 2·N·C·V, dE 2·N·C·V when wte trains
///     adapters          LoRA/NOLA r on Q,V: 4·N·C·r forward per site, 8·N·C·r backward (dA, dB, dh, dx)
///
/// The first block's c_attn skips its input gradient when nothing below it trains (adapters),
/// on both sides. Not counted (element-wise, memory-bound, listed per step by `rest`): LayerNorm
/// (2L + 1 of N·C), GELU (L of 4·N·C), softmax (B·H·T² per block, and N·V in the loss),
/// residual adds, AdamW over the trainable scalars.
struct Roofline {
    let size: BenchmarkSize
    /// nil: full fine-tuning; else the adapter's rank on Q and V.
    let adapterRank: Int?

    private var n: Double { Double(size.batch * size.tokens) }
    private var c: Double { Double(size.width) }
    private var l: Double { Double(size.layers) }

    /// The four `Linear` layers of every block.
    var matrixProducts: Double {
        let forward = 24 * n * c * c * l
        guard adapterRank != nil else { return 3 * forward }
        // Frozen weights: dx only, and block 0's c_attn (6·N·C²) not even that.
        return forward + (forward - 6 * n * c * c)
    }

    var attention: Double { 12 * Double(size.batch) * Double(size.tokens * size.tokens) * c * l }

    var unembedding: Double { 2 * n * c * Double(size.vocabulary) * (adapterRank == nil ? 3 : 2) }

    var adapters: Double {
        guard let r = adapterRank else { return 0 }
        return 12 * n * c * Double(r) * 2 * l
    }

    /// Everything counted.
    var total: Double { matrixProducts + attention + unembedding + adapters }

    /// The element-wise work not counted, one line.
    var rest: String {
        let nc = Int(n) * size.width
        return "not counted: LayerNorm \(2 * size.layers + 1)×\(format(Double(nc))) values, GELU \(size.layers)×\(format(Double(4 * nc))), "
            + "softmax \(format(Double(size.batch * size.heads * size.tokens * size.tokens * size.layers))) + loss \(format(n * Double(size.vocabulary))), "
            + "AdamW over the trainable scalars"
    }

    /// `13.7 G`.
    func format(_ x: Double) -> String {
        if x >= 1e9 { return String(format: "%.2f G", x / 1e9) }
        if x >= 1e6 { return String(format: "%.1f M", x / 1e6) }
        return String(format: "%.0f", x)
    }
}
