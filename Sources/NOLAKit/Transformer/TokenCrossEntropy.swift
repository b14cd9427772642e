#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Next-token cross-entropy averaged over the scored positions only (PyTorch's
/// `F.cross_entropy(logits, targets, ignore_index=-1, label_smoothing=ε)`):
///
///     L = (1/M) Σ_{i: target_i ≥ 0} [ (1 − ε)(−log p_i[target_i]) + ε · (1/V) Σ_k (−log p_i[k]) ]
///
/// with `p_i = softmax(z_i)` (max subtracted first: no overflow) and `M` the number of scored
/// rows. ε = 0 is plain cross-entropy; the LoRA GPT-2 recipe uses ε = 0.1. Backward:
///
///     dz_i = (p_i − (1 − ε) onehot(target_i) − ε/V) / M      for scored rows, 0 for the others
///
/// Shapes: `z, dz: (N, V)`, `targets: N`. The gradient is computed in the forward pass (as llm.c
/// does) and returned by `backward`; rows run in parallel.
public final class TokenCrossEntropy {
    /// The label-smoothing weight ε.
    public let labelSmoothing: Float
    /// Scored rows of the last forward, `M`.
    public private(set) var targetCount = 0
    private var gradient = Matrix(rows: 0, cols: 0)
    private var rowLosses: [Double] = []

    public init(labelSmoothing: Float = 0) {
        checkPrecondition(labelSmoothing >= 0 && labelSmoothing < 1, "TokenCrossEntropy: label smoothing \(labelSmoothing) is not in [0, 1)")
        self.labelSmoothing = labelSmoothing
    }

    /// The mean loss over rows whose target is not `TokenBatch.ignored`; 0 when there are none.
    /// `logits: (N, V)`, `targets: N` in `0..<V` or −1.
    public func forward(_ logits: Matrix, targets: [Int]) -> Float {
        let (n, v) = (logits.rows, logits.cols)
        checkPrecondition(targets.count == n, "TokenCrossEntropy: logits are \(logits.shapeDescription) but there are \(targets.count) targets")
        for t in targets {
            checkPrecondition(t == TokenBatch.ignored || (t >= 0 && t < v), "TokenCrossEntropy: target \(t) is outside 0..<\(v)")
        }
        let m = targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        targetCount = m
        gradient.prepare(rows: n, cols: v)
        let scale = m > 0 ? 1 / Float(m) : 0
        let eps = labelSmoothing
        if rowLosses.count != n { rowLosses = [Double](repeating: 0, count: n) }
        logits.data.withUnsafeBufferPointer { pz in
            gradient.data.withUnsafeMutableBufferPointer { pg in
                rowLosses.withUnsafeMutableBufferPointer { pl in
                    let (zBase, gBase, lossBase) = (pz.baseAddress!, pg.baseAddress!, pl.baseAddress!)
                    Parallel.forEachSlice(n, minimumPerWorker: 16) { _, rows in
                        for i in rows {
                            let (z, g) = (zBase + i * v, gBase + i * v)
                            let target = targets[i]
                            guard target >= 0 else {
                                g.update(repeating: 0, count: v)
                                lossBase[i] = 0
                                continue
                            }
                            lossBase[i] = TokenCrossEntropy.row(z, gradient: g, count: v, target: target, smoothing: eps, scale: scale)
                        }
                    }
                }
            }
        }
        // Summed in row order: the same loss whatever the number of cores.
        return m > 0 ? Float(rowLosses.reduce(0, +) / Double(m)) : 0
    }

    /// One scored row: returns its loss and writes `g = (softmax(z) − (1 − ε) onehot − ε/V) · scale`
    /// (`g` may be `z`: everything read from `z` is read before `g` is written).
    static func row(
        _ z: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count v: Int, target: Int, smoothing eps: Float,
        scale: Float
    ) -> Double {
        let top = VectorMath.maximum(z, count: v)
        let zTarget = z[target]
        var meanZ: Float = 0
        if eps > 0 {
            var total: Double = 0
            for k in 0..<v { total += Double(z[k]) }
            meanZ = Float(total / Double(v))
        }
        // g = e^(z − max); −log p[k] = log Σ e^(z−max) − (z[k] − max).
        let sum = VectorMath.expShifted(z, into: g, count: v, shift: top)
        let logSum = logf(sum)
        var loss = (1 - eps) * (logSum - (zTarget - top))
        if eps > 0 { loss += eps * (logSum + top - meanZ) }
        // dz = (p − ε/V) · scale, then − (1 − ε) · scale at the target; p = g / sum.
        let (factor, offset) = (scale / sum, eps / Float(v) * scale)
        for k in 0..<v { g[k] = g[k] * factor - offset }
        g[target] -= (1 - eps) * scale
        return Double(loss)
    }

    /// Sets the number of scored rows (for `TiedUnembedding`'s fused pass).
    func record(targetCount m: Int) { targetCount = m }

    /// `dz: (N, V)` of the last forward.
    public func backward() -> Matrix {
        checkPrecondition(gradient.rows > 0, "TokenCrossEntropy.backward: call forward first")
        return gradient
    }
}
