/// Layer normalisation over the last dimension, with a learned scale and shift (PyTorch's
/// `nn.LayerNorm(n)`):
///
///     μ = mean(x_row),  σ² = mean((x_row − μ)²)  (biased),  r = 1/√(σ² + ε)
///     x̂ = (x − μ) · r,  y = γ ⊙ x̂ + β
///
/// Shapes: `x, y: (batch, n)`, `γ, β: (1, n)`. γ starts at 1, β at 0.
///
/// Backward, per row, with `g = dy ⊙ γ`:
/// - `dγ += Σ_rows dy ⊙ x̂`,  `dβ += Σ_rows dy`
/// - `dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂))`
public final class LayerNorm: Layer {
    /// A short name (`ln1`); the parameters are `ln1.weight` (γ) and `ln1.bias` (β).
    public let name: String
    /// The normalised dimension `n`.
    public let dimension: Int
    /// The variance floor ε.
    public let epsilon: Float
    /// The scale `γ: (1, n)`.
    public let gamma: Parameter
    /// The shift `β: (1, n)`.
    public let beta: Parameter

    /// Kept from the forward: `x̂: (batch, n)` and `r: batch`.
    private var normalized = Matrix(rows: 0, cols: 0)
    private var reciprocalStd: [Float] = []
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// A layer norm over `dimension` features.
    public init(name: String, dimension: Int, epsilon: Float = 1e-5) {
        checkPrecondition(dimension > 0, "LayerNorm \(name): dimension must be positive, got \(dimension)")
        self.name = name
        self.dimension = dimension
        self.epsilon = epsilon
        self.gamma = Parameter(name: "\(name).weight", value: Matrix(rows: 1, cols: dimension, repeating: 1))
        self.beta = Parameter(name: "\(name).bias", value: Matrix(rows: 1, cols: dimension))
    }

    /// γ and β.
    public var parameters: [Parameter] { [gamma, beta] }

    /// `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, row by row.  `x: (batch, n)` → `y: (batch, n)`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == dimension,
            "LayerNorm \(name): input is \(x.shapeDescription) but the layer normalises \(dimension) features")
        let n = dimension
        let rows = x.rows
        normalized.prepare(rows: rows, cols: n)
        output.prepare(rows: rows, cols: n)
        if reciprocalStd.count != rows { reciprocalStd = [Float](repeating: 0, count: rows) }
        x.data.withUnsafeBufferPointer { px in
            normalized.data.withUnsafeMutableBufferPointer { pn in
                output.data.withUnsafeMutableBufferPointer { py in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        beta.value.data.withUnsafeBufferPointer { pb in
                            reciprocalStd.withUnsafeMutableBufferPointer { pr in
                                for i in 0..<rows {
                                    let row = px.baseAddress! + i * n
                                    var mean: Float = 0
                                    for j in 0..<n { mean += row[j] }
                                    mean /= Float(n)
                                    var variance: Float = 0
                                    for j in 0..<n {
                                        let d = row[j] - mean
                                        variance += d * d
                                    }
                                    variance /= Float(n)
                                    let r = 1 / (variance + epsilon).squareRoot()
                                    pr[i] = r
                                    for j in 0..<n {
                                        let xhat = (row[j] - mean) * r
                                        pn[i * n + j] = xhat
                                        py[i * n + j] = pg[j] * xhat + pb[j]
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

    /// `dx` from `dy: (batch, n)`; accumulates `dγ`, `dβ` when trainable.
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == normalized.rows && dy.cols == dimension,
            "LayerNorm \(name).backward: dy is \(dy.shapeDescription) but the last input was "
                + "\(normalized.shapeDescription)")
        let n = dimension
        let rows = dy.rows
        let (trainGamma, trainBeta) = (gamma.isTrainable, beta.isTrainable)
        inputGradient.prepare(rows: rows, cols: n)
        dy.data.withUnsafeBufferPointer { pdy in
            normalized.data.withUnsafeBufferPointer { pn in
                reciprocalStd.withUnsafeBufferPointer { pr in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        gamma.grad.data.withUnsafeMutableBufferPointer { dg in
                            beta.grad.data.withUnsafeMutableBufferPointer { db in
                                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                                    for i in 0..<rows {
                                        let o = i * n
                                        // mean(g) and mean(g ⊙ x̂), g = dy ⊙ γ
                                        var meanG: Float = 0
                                        var meanGX: Float = 0
                                        for j in 0..<n {
                                            let g = pdy[o + j] * pg[j]
                                            meanG += g
                                            meanGX += g * pn[o + j]
                                        }
                                        meanG /= Float(n)
                                        meanGX /= Float(n)
                                        for j in 0..<n {
                                            let g = pdy[o + j] * pg[j]
                                            pdx[o + j] = pr[i] * (g - meanG - pn[o + j] * meanGX)
                                            if trainGamma { dg[j] += pdy[o + j] * pn[o + j] }
                                            if trainBeta { db[j] += pdy[o + j] }
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
}
