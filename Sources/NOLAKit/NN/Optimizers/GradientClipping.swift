/// Gradient clipping by global norm, as PyTorch's `torch.nn.utils.clip_grad_norm_` (the GPT-2
/// LoRA recipe's `--clip`):
///
///     n = √(Σ_p Σ_j g_pj²)          over every trainable tensor (each shared tensor once)
///     if n > maxNorm:  g ← g · maxNorm / (n + 10⁻⁶)
///
/// so one bad batch cannot throw the weights far, while the direction of the step is kept.
public enum GradientClipping {
    /// `√(Σ g²)` over the trainable tensors of `parameters`, summed in `Double`. NaN or `+∞`
    /// when a gradient is.
    public static func globalNorm(_ parameters: [Parameter]) -> Float {
        var total = 0.0
        for p in parameters.uniqued() where p.isTrainable {
            total += p.grad.data.withUnsafeBufferPointer { sumOfSquares($0) }
        }
        return Float(total.squareRoot())
    }

    /// Values per block of `sumOfSquares`: each block is summed in `Float`, the blocks in `Double`.
    static let blockSize = 4_096

    /// `Σ v²` over `values`: blocks of 4,096 values, each summed in `Float` by
    /// `LayerNorm.sumOfSquares` (eight running sums), the blocks spread over the cores
    /// (`Parallel`) and their sums added in order in `Double`, so the result has the same bits on
    /// any core count.
    ///
    ///     let values: [Float] = [3, 4]
    ///     values.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) }   // 25
    static func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
        let blocks = (values.count + blockSize - 1) / blockSize
        guard blocks > 0, let base = values.baseAddress else { return 0 }
        var blockSums = [Double](repeating: 0, count: blocks)
        blockSums.withUnsafeMutableBufferPointer { sums in
            // Blocks are short: at least 16 per worker, so that small tensors stay on one core.
            Parallel.forEachSlice(blocks, minimumPerWorker: 16) { _, range in
                for block in range {
                    let start = block * blockSize
                    let count = min(blockSize, values.count - start)
                    sums[block] = Double(LayerNorm.sumOfSquares(base + start, count, minus: 0))
                }
            }
        }
        return blockSums.reduce(0, +)
    }

    /// Scales every trainable gradient by `maxNorm / (n + 10⁻⁶)` when the global norm `n`
    /// exceeds `maxNorm`; returns `n` (before clipping).
    @discardableResult
    public static func clip(_ parameters: [Parameter], maxNorm: Float) -> Float {
        checkPrecondition(maxNorm > 0, "GradientClipping: maxNorm must be positive, got \(maxNorm)")
        let norm = globalNorm(parameters)
        let factor = maxNorm / (norm + 1e-6)
        if norm.isFinite && factor < 1 {
            for p in parameters.uniqued() where p.isTrainable { BLAS.scal(factor, &p.grad) }
        }
        return norm
    }
}
