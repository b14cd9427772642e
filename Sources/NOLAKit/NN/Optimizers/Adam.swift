import CMathAVX2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), as PyTorch's
/// `torch.optim.Adam` and `torch.optim.AdamW`. At step `t = 1, 2, …`, for each trainable `p`:
///
///     g = ∇p + λ p                 (Adam only: weight decay as an L2 term in the gradient)
///     p = p − η λ p                (AdamW only: decoupled decay, before the Adam step)
///     m = β₁ m + (1 − β₁) g
///     v = β₂ v + (1 − β₂) g²
///     p = p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: Optimizer {
    /// How weight decay enters the update.
    public enum WeightDecay: Sendable, Equatable {
        /// Adam's L2 penalty: `λ p` is added to the gradient (and so rescaled by Adam).
        case coupled(Float)
        /// AdamW's: `p ← p − η λ p`, outside the adaptive step.
        case decoupled(Float)
    }

    public let parameters: [Parameter]
    public var learningRate: Float
    /// β₁, β₂.
    public let betas: (Float, Float)
    /// ε.
    public let epsilon: Float
    /// λ and how it is applied.
    public let weightDecay: WeightDecay
    public private(set) var stepCount = 0

    /// First and second moment estimates `m`, `v`, one per parameter, allocated when first used.
    private var firstMoment: [[Float]]
    private var secondMoment: [[Float]]

    /// Adam over `parameters`. Defaults are PyTorch's (`weightDecay: .coupled(0)` is plain Adam).
    public init(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: WeightDecay = .coupled(0)
    ) {
        self.parameters = parameters.uniqued()
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.firstMoment = Array(repeating: [], count: self.parameters.count)
        self.secondMoment = Array(repeating: [], count: self.parameters.count)
    }

    /// AdamW: Adam with decoupled weight decay λ (PyTorch's default λ = 0.01).
    public static func adamW(
        parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        epsilon: Float = 1e-8, weightDecay: Float = 0.01
    ) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, betas: betas, epsilon: epsilon, weightDecay: .decoupled(weightDecay))
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(betas.0), t))
        let correction2 = Float(1 - pow(Double(betas.1), t))
        for (i, p) in parameters.enumerated() where p.isTrainable {
            if firstMoment[i].count != p.count {
                firstMoment[i] = [Float](repeating: 0, count: p.count)
                secondMoment[i] = [Float](repeating: 0, count: p.count)
            }
            Adam.update(
                p, m: &firstMoment[i], v: &secondMoment[i], learningRate: learningRate, betas: betas,
                epsilon: epsilon, weightDecay: weightDecay, correction1: correction1, correction2: correction2)
        }
    }

    /// The update loop for one tensor; with `CMathAVX2`'s kernel when `avx2` (default: when the
    /// CPU has it), the same operations in the same order, eight values at a time: the same bits.
    static func update(
        _ p: Parameter, m: inout [Float], v: inout [Float], learningRate lr: Float, betas: (Float, Float),
        epsilon: Float, weightDecay: WeightDecay, correction1: Float, correction2: Float, avx2: Bool = VectorMath.hasAVX2
    ) {
        let (b1, b2) = betas
        var coupled: Float = 0
        var decay: Float = 1  // AdamW's factor (1 − η λ)
        switch weightDecay {
        case .coupled(let wd): coupled = wd
        case .decoupled(let wd): decay = 1 - lr * wd
        }
        let stepSize = lr / correction1
        let rootCorrection2 = correction2.squareRoot()
        guard p.count > 0 else { return }
        p.grad.data.withUnsafeBufferPointer { pg in
            p.value.data.withUnsafeMutableBufferPointer { pw in
                m.withUnsafeMutableBufferPointer { pm in
                    v.withUnsafeMutableBufferPointer { pv in
                        let (g, w, ms, vs) = (pg.baseAddress!, pw.baseAddress!, pm.baseAddress!, pv.baseAddress!)
                        // Element by element: the same numbers however the tensor is split across cores.
                        Parallel.forEachSlice(pw.count, minimumPerWorker: 32_768) { _, slice in
                            if avx2 {
                                let j = slice.lowerBound
                                nola_adam_avx2(
                                    w + j, g + j, ms + j, vs + j, slice.count, coupled, b1, b2, 1 - b1, 1 - b2, rootCorrection2, epsilon,
                                    decay, stepSize)
                                return
                            }
                            for j in slice {
                                let gj = g[j] + coupled * w[j]
                                ms[j] = b1 * ms[j] + (1 - b1) * gj
                                vs[j] = b2 * vs[j] + (1 - b2) * gj * gj
                                let denominator = vs[j].squareRoot() / rootCorrection2 + epsilon
                                w[j] = w[j] * decay - stepSize * ms[j] / denominator
                            }
                        }
                    }
                }
            }
        }
    }
}
