/// Batch normalisation over the images of a batch, per channel, with a learned scale and shift
/// (Ioffe & Szegedy 2015; PyTorch's `nn.BatchNorm2d(C)`, momentum 0.1, ε = 1e-5).
///
/// Shapes, channel-major (`ImageShape`): `x, y: (C, N)` with `N = B·H·W`, `γ, β: (1, C)`.
/// Row `c` of `x` is every value of channel `c` in the batch, so a channel's statistics are a
/// row's.
///
/// Training (`isTraining`), with the batch's statistics:
///
///     μ_c = mean(x_c),  σ²_c = mean((x_c − μ_c)²) (biased),  r_c = 1/√(σ²_c + ε)
///     x̂ = (x − μ_c) · r_c,  y = γ_c x̂ + β_c
///
/// and the running averages for evaluation move towards them: `μ̄ ← 0.9 μ̄ + 0.1 μ`,
/// `σ̄² ← 0.9 σ̄² + 0.1 · σ² · N/(N − 1)` (the unbiased variance, as PyTorch keeps it). With
/// `momentum = nil` they are instead the plain averages over every batch since
/// `resetRunningStatistics()` (PyTorch's `momentum=None`): how `ResNet.recalibrateBatchNorm`
/// measures them afresh for the current weights.
///
/// Evaluation: `y = γ_c (x − μ̄_c)/√(σ̄²_c + ε) + β_c`, one affine map per channel.
///
/// Backward, per channel, with `g = dy`:
/// - `dγ += Σ g ⊙ x̂`,  `dβ += Σ g`
/// - training: `dx = γ r (g − mean(g) − x̂ · mean(g ⊙ x̂))` (μ and σ² depend on every x of the
///   channel); evaluation: `dx = γ r̄ g` (μ̄ and σ̄² are constants).
///
/// The running averages are buffers, not parameters (PyTorch's `running_mean`, `running_var`):
/// no gradient, not counted as trained, yet part of what a trained network must store (PRANC
/// counts them, see `ConvNetShape`).
public final class BatchNorm2d: Layer, HasTrainingMode {
    /// A short name (`layer1.0.bn1`); the parameters are `<name>.weight` (γ) and `<name>.bias` (β).
    public let name: String
    /// Channels `C`.
    public let channels: Int
    /// The variance floor ε.
    public let epsilon: Float
    /// The weight of the newest batch in the running averages; nil: the plain average of the
    /// batches since the last reset.
    public var momentum: Float?
    /// Training batches seen since the running averages were reset (PyTorch's `num_batches_tracked`).
    public private(set) var batchesTracked = 0
    /// `γ: (1, C)`, starting at 1.
    public let gamma: Parameter
    /// `β: (1, C)`, starting at 0.
    public let beta: Parameter
    /// `μ̄` and `σ̄²`, starting at 0 and 1.
    public var runningMean: [Float]
    public var runningVariance: [Float]
    /// Batch statistics (true) or running averages (false).
    public var isTraining = true

    /// Kept from the forward: `x̂: (C, N)`, `r: C`, and the mode it ran in.
    private var normalized = Matrix(rows: 0, cols: 0)
    private var reciprocalStd: [Float] = []
    private var trainedLast = true
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    public init(name: String, channels: Int, epsilon: Float = 1e-5, momentum: Float? = 0.1) {
        checkPrecondition(channels > 0, "BatchNorm2d \(name): channels must be positive, got \(channels)")
        self.name = name
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        gamma = Parameter(name: "\(name).weight", value: Matrix(rows: 1, cols: channels, repeating: 1))
        beta = Parameter(name: "\(name).bias", value: Matrix(rows: 1, cols: channels))
        runningMean = [Float](repeating: 0, count: channels)
        runningVariance = [Float](repeating: 1, count: channels)
        reciprocalStd = [Float](repeating: 0, count: channels)
    }

    /// γ and β.
    public var parameters: [Parameter] { [gamma, beta] }

    /// `μ̄ = 0`, `σ̄² = 1`, no batch seen (PyTorch's `reset_running_stats()`).
    public func resetRunningStatistics() {
        runningMean = [Float](repeating: 0, count: channels)
        runningVariance = [Float](repeating: 1, count: channels)
        batchesTracked = 0
    }

    /// `y = γ x̂ + β`, per channel (channels split across cores).  `x: (C, N)` → `y: (C, N)`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.rows == channels && x.cols > 0,
            "BatchNorm2d \(name): input is \(x.shapeDescription) but the layer normalises \(channels) channels, "
                + "channel-major (\(channels)×N)")
        let n = x.cols
        checkPrecondition(!isTraining || n > 1, "BatchNorm2d \(name): training needs more than one value per channel")
        output.prepare(rows: channels, cols: n)
        trainedLast = isTraining
        normalized.prepare(rows: channels, cols: n)
        if isTraining { batchesTracked += 1 }
        let (training, epsilon) = (isTraining, epsilon)
        let momentum = self.momentum ?? 1 / Float(batchesTracked)
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                normalized.data.withUnsafeMutableBufferPointer { pn in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        beta.value.data.withUnsafeBufferPointer { pb in
                            reciprocalStd.withUnsafeMutableBufferPointer { pr in
                                runningMean.withUnsafeMutableBufferPointer { pm in
                                    runningVariance.withUnsafeMutableBufferPointer { pv in
                                        Parallel.forEachSlice(channels, minimumPerWorker: max(1, 32_768 / n)) { _, slice in
                                            for c in slice {
                                                let row = px.baseAddress! + c * n
                                                let y = py.baseAddress! + c * n
                                                let mean: Float, r: Float
                                                if training {
                                                    mean = LayerNorm.sum(row, n) / Float(n)
                                                    let variance = LayerNorm.sumOfSquares(row, n, minus: mean) / Float(n)
                                                    r = 1 / (variance + epsilon).squareRoot()
                                                    pm[c] = (1 - momentum) * pm[c] + momentum * mean
                                                    pv[c] = (1 - momentum) * pv[c] + momentum * variance * Float(n) / Float(n - 1)
                                                } else {
                                                    mean = pm[c]
                                                    r = 1 / (pv[c] + epsilon).squareRoot()
                                                }
                                                BatchNorm2d.normalize(row, n, mean: mean, r: r, into: pn.baseAddress! + c * n,
                                                                      gamma: pg[c], beta: pb[c], output: y)
                                                pr[c] = r
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// `dx` from `dy: (C, N)`; accumulates `dγ`, `dβ` when trainable.
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == channels && dy.cols == output.cols,
            "BatchNorm2d \(name).backward: dy is \(dy.shapeDescription) but the last output was \(output.shapeDescription)")
        let n = dy.cols
        inputGradient.prepare(rows: channels, cols: n)
        let (trainGamma, trainBeta, training) = (gamma.isTrainable, beta.isTrainable, trainedLast)
        dy.data.withUnsafeBufferPointer { pdy in
            normalized.data.withUnsafeBufferPointer { pn in
                reciprocalStd.withUnsafeBufferPointer { pr in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        gamma.grad.data.withUnsafeMutableBufferPointer { dg in
                            beta.grad.data.withUnsafeMutableBufferPointer { db in
                                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                                    Parallel.forEachSlice(channels, minimumPerWorker: max(1, 32_768 / n)) { _, slice in
                                        for c in slice {
                                            let (g, xhat, dx) = (pdy.baseAddress! + c * n, pn.baseAddress! + c * n, pdx.baseAddress! + c * n)
                                            let (sumG, sumGX) = BatchNorm2d.sums(g, xhat, n)
                                            if trainGamma { dg[c] += sumGX }
                                            if trainBeta { db[c] += sumG }
                                            // In evaluation μ̄, σ̄² are constants: no mean terms.
                                            BatchNorm2d.inputGradient(
                                                g, xhat, n, scale: pg[c] * pr[c], meanG: training ? sumG / Float(n) : 0,
                                                meanGX: training ? sumGX / Float(n) : 0, into: dx)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }

    // MARK: Row loops (SIMD, eight lanes)

    /// `x̂ = (x − mean)·r` into `xhat`, `y = γ x̂ + β` into `output`.
    @inline(__always)
    static func normalize(
        _ x: UnsafePointer<Float>, _ n: Int, mean: Float, r: Float, into xhat: UnsafeMutablePointer<Float>,
        gamma: Float, beta: Float, output y: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 8 <= n {
            let v = (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - mean) * r
            UnsafeMutableRawPointer(xhat + j).storeBytes(of: v, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: v * gamma + beta, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n {
            let v = (x[j] - mean) * r
            xhat[j] = v
            y[j] = v * gamma + beta
            j += 1
        }
    }

    /// `(Σ g, Σ g ⊙ x̂)`.
    @inline(__always)
    static func sums(_ g: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
        var (a, b) = (SIMD8<Float>(repeating: 0), SIMD8<Float>(repeating: 0))
        var j = 0
        while j + 8 <= n {
            let gv = UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self)
            a += gv
            b += gv * UnsafeRawPointer(xhat + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var (sumG, sumGX) = (a.sum(), b.sum())
        while j < n {
            sumG += g[j]
            sumGX += g[j] * xhat[j]
            j += 1
        }
        return (sumG, sumGX)
    }

    /// `dx = scale · (g − meanG − x̂ · meanGX)`.
    @inline(__always)
    static func inputGradient(
        _ g: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ n: Int, scale: Float, meanG: Float, meanGX: Float,
        into dx: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 8 <= n {
            let gv = UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self)
            let xv = UnsafeRawPointer(xhat + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dx + j).storeBytes(of: (gv - meanG - xv * meanGX) * scale, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n {
            dx[j] = (g[j] - meanG - xhat[j] * meanGX) * scale
            j += 1
        }
    }
}
