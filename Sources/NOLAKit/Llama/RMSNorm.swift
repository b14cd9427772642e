/// Root-mean-square normalisation over the last dimension, with a learned scale (LLaMA's
/// `LlamaRMSNorm`, Zhang & Sennrich 2019):
///
///     r = 1/√(mean(x_row²) + ε),   x̂ = x · r,   y = γ ⊙ x̂
///
/// Shapes: `x, y: (N, n)`, `γ: (1, n)`, starting at 1. Against `LayerNorm`: no mean is
/// subtracted and there is no shift β — one statistic per row instead of two, and n fewer
/// parameters; LLaMA uses ε = 10⁻⁵.
///
/// Backward, per row, with `g = dy ⊙ γ`:
/// - `dγ += Σ_rows dy ⊙ x̂`
/// - `dx = r · (g − x̂ · mean(g ⊙ x̂))`
///   (LayerNorm's formula without its `− mean(g)` term, since no mean was subtracted.)
public final class RMSNorm: Layer {
    /// A short name (`layers.0.input_layernorm`); the parameter is `<name>.weight`.
    public let name: String
    /// The normalised dimension `n`.
    public let dimension: Int
    /// ε inside the root.
    public let epsilon: Float
    /// The scale `γ: (1, n)`.
    public let gamma: Parameter

    /// Kept from the forward: `x̂: (N, n)` and `r: N`.
    private var normalized = Matrix(rows: 0, cols: 0)
    private var reciprocalRMS: [Float] = []
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// An RMS norm over `dimension` features, γ = 1.
    public init(name: String, dimension: Int, epsilon: Float = 1e-5) {
        checkPrecondition(dimension > 0, "RMSNorm \(name): dimension must be positive, got \(dimension)")
        self.name = name
        self.dimension = dimension
        self.epsilon = epsilon
        self.gamma = Parameter(name: "\(name).weight", value: Matrix(rows: 1, cols: dimension, repeating: 1))
    }

    /// γ.
    public var parameters: [Parameter] { [gamma] }

    /// `y = γ ⊙ x / rms(x)`, row by row.  `x: (N, n)` → `y: (N, n)`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == dimension, "RMSNorm \(name): input is \(x.shapeDescription) but the layer normalises \(dimension) features")
        let (n, rows, epsilon) = (dimension, x.rows, self.epsilon)
        normalized.prepare(rows: rows, cols: n)
        output.prepare(rows: rows, cols: n)
        if reciprocalRMS.count != rows { reciprocalRMS = [Float](repeating: 0, count: rows) }
        guard rows > 0 else { return output }
        x.data.withUnsafeBufferPointer { px in
            normalized.data.withUnsafeMutableBufferPointer { pn in
                output.data.withUnsafeMutableBufferPointer { py in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        reciprocalRMS.withUnsafeMutableBufferPointer { pr in
                            let (xs, ns, ys, gs, rs) = (px.baseAddress!, pn.baseAddress!, py.baseAddress!, pg.baseAddress!, pr.baseAddress!)
                            Parallel.forEachSlice(rows, minimumPerWorker: max(1, 16_384 / n)) { _, slice in
                                for i in slice {
                                    let row = xs + i * n
                                    let meanSquare = LayerNorm.sumOfSquares(row, n, minus: 0) / Float(n)
                                    let r = 1 / (meanSquare + epsilon).squareRoot()
                                    rs[i] = r
                                    let (xhat, y) = (ns + i * n, ys + i * n)
                                    for j in 0..<n {
                                        let v = row[j] * r
                                        xhat[j] = v
                                        y[j] = gs[j] * v
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

    /// `dx` from `dy: (N, n)`; accumulates `dγ` when γ is trainable (columns split across cores,
    /// each sum taken in row order, so the result does not depend on the number of cores).
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == normalized.rows && dy.cols == dimension,
            "RMSNorm \(name).backward: dy is \(dy.shapeDescription) but the last input was \(normalized.shapeDescription)")
        let (n, rows) = (dimension, dy.rows)
        inputGradient.prepare(rows: rows, cols: n)
        guard rows > 0 else { return inputGradient }
        let trainGamma = gamma.isTrainable
        dy.data.withUnsafeBufferPointer { pdy in
            normalized.data.withUnsafeBufferPointer { pn in
                reciprocalRMS.withUnsafeBufferPointer { pr in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        gamma.grad.data.withUnsafeMutableBufferPointer { dg in
                            inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                                let (dys, ns, rs, gs, dgs, dxs) = (
                                    pdy.baseAddress!, pn.baseAddress!, pr.baseAddress!, pg.baseAddress!, dg.baseAddress!, pdx.baseAddress!
                                )
                                Parallel.forEachSlice(rows, minimumPerWorker: max(1, 16_384 / n)) { _, slice in
                                    for i in slice {
                                        let (d, xhat, dx) = (dys + i * n, ns + i * n, dxs + i * n)
                                        var meanGX: Float = 0  // mean(g ⊙ x̂), g = dy ⊙ γ
                                        for j in 0..<n { meanGX += d[j] * gs[j] * xhat[j] }
                                        meanGX /= Float(n)
                                        for j in 0..<n { dx[j] = rs[i] * (d[j] * gs[j] - xhat[j] * meanGX) }
                                    }
                                }
                                guard trainGamma else { return }
                                Parallel.forEachSlice(n, minimumPerWorker: rows >= 256 ? 1 : n) { _, columns in
                                    for i in 0..<rows {
                                        let (d, xhat) = (dys + i * n, ns + i * n)
                                        for j in columns { dgs[j] += d[j] * xhat[j] }
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
}
