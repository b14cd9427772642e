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
            p.grad.data.withUnsafeBufferPointer { g in
                var sum: Float = 0
                var partial = 0.0
                for (j, v) in g.enumerated() {
                    sum += v * v
                    if j & 1023 == 1023 {
                        partial += Double(sum)
                        sum = 0
                    }
                }
                total += partial + Double(sum)
            }
        }
        return Float(total.squareRoot())
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
