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

    /// `y = γ ⊙ (x − μ)/√(σ² + ε) + β`, row by row (rows split across cores when there are
    /// many).  `x: (batch, n)` → `y: (batch, n)`.
    public func forward(_ x: Matrix) -> Matrix {
        StepPhaseRecorder.time(.layerNorm) { forwardPass(x) }
    }

    private func forwardPass(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == dimension,
            "LayerNorm \(name): input is \(x.shapeDescription) but the layer normalises \(dimension) features")
        let n = dimension
        let rows = x.rows
        normalized.prepare(rows: rows, cols: n)
        output.prepare(rows: rows, cols: n)
        if reciprocalStd.count != rows { reciprocalStd = [Float](repeating: 0, count: rows) }
        guard rows > 0 else { return output }
        let epsilon = self.epsilon
        x.data.withUnsafeBufferPointer { px in
            normalized.data.withUnsafeMutableBufferPointer { pn in
                output.data.withUnsafeMutableBufferPointer { py in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        beta.value.data.withUnsafeBufferPointer { pb in
                            reciprocalStd.withUnsafeMutableBufferPointer { pr in
                                let (xs, ns, ys, gs, bs, rs) = (
                                    px.baseAddress!, pn.baseAddress!, py.baseAddress!, pg.baseAddress!, pb.baseAddress!,
                                    pr.baseAddress!
                                )
                                Parallel.forEachSlice(rows, minimumPerWorker: max(1, 16_384 / n)) { _, slice in
                                    for i in slice {
                                        rs[i] = LayerNorm.normalize(
                                            row: xs + i * n, count: n, gamma: gs, beta: bs, epsilon: epsilon, xhat: ns + i * n, y: ys + i * n)
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

    /// `dx` from `dy: (batch, n)`; accumulates `dγ`, `dβ` when trainable. Rows (for `dx`) and
    /// then columns (for `dγ`, `dβ`) are split across cores, so every sum is taken in the same
    /// order whatever the number of cores.
    public func backward(_ dy: Matrix) -> Matrix {
        StepPhaseRecorder.time(.layerNorm) { backwardPass(dy) }
    }

    private func backwardPass(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == normalized.rows && dy.cols == dimension,
            "LayerNorm \(name).backward: dy is \(dy.shapeDescription) but the last input was "
                + "\(normalized.shapeDescription)")
        let n = dimension
        let rows = dy.rows
        let (trainGamma, trainBeta) = (gamma.isTrainable, beta.isTrainable)
        inputGradient.prepare(rows: rows, cols: n)
        guard rows > 0 else { return inputGradient }
        dy.data.withUnsafeBufferPointer { pdy in
            normalized.data.withUnsafeBufferPointer { pn in
                reciprocalStd.withUnsafeBufferPointer { pr in
                    gamma.value.data.withUnsafeBufferPointer { pg in
                        gamma.grad.data.withUnsafeMutableBufferPointer { dg in
                            beta.grad.data.withUnsafeMutableBufferPointer { db in
                                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                                    let (dys, ns, rs, gs, dgs, dbs, dxs) = (
                                        pdy.baseAddress!, pn.baseAddress!, pr.baseAddress!, pg.baseAddress!,
                                        dg.baseAddress!, db.baseAddress!, pdx.baseAddress!
                                    )
                                    Parallel.forEachSlice(rows, minimumPerWorker: max(1, 16_384 / n)) { _, slice in
                                        for i in slice {
                                            LayerNorm.backwardRow(dy: dys + i * n, xhat: ns + i * n, gamma: gs, r: rs[i], count: n, dx: dxs + i * n)
                                        }
                                    }
                                    guard trainGamma || trainBeta else { return }
                                    // Columns in groups of 16 (one cache line): each core sums its own columns over all rows, in row order.
                                    let groups = (n + 15) / 16
                                    Parallel.forEachSlice(groups, minimumPerWorker: rows >= 256 ? 1 : groups) { _, slice in
                                        for group in slice {
                                            LayerNorm.accumulateColumns(
                                                dy: dys, xhat: ns, rows: rows, count: n, columns: (group * 16)..<min(n, group * 16 + 16),
                                                dGamma: trainGamma ? dgs : nil, dBeta: trainBeta ? dbs : nil)
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

    /// One row of the backward: `dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂))`, `g = dy ⊙ γ`, the two
    /// means summed in eight running sums (as `sum`), `dx` eight values at a time.
    @inline(__always)
    static func backwardRow(
        dy d: UnsafePointer<Float>, xhat: UnsafePointer<Float>, gamma gs: UnsafePointer<Float>, r: Float, count n: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var (accG, accGX) = (V(repeating: 0), V(repeating: 0))
        var j = 0
        while j + 8 <= n {
            let g = load(d + j) * load(gs + j)
            accG += g
            accGX += g * load(xhat + j)
            j += 8
        }
        var (sumG, sumGX) = (accG.sum(), accGX.sum())
        while j < n {
            let g = d[j] * gs[j]
            sumG += g
            sumGX += g * xhat[j]
            j += 1
        }
        let (meanG, meanGX) = (sumG / Float(n), sumGX / Float(n))
        j = 0
        while j + 8 <= n {
            let v = r * (load(d + j) * load(gs + j) - meanG - load(xhat + j) * meanGX)
            UnsafeMutableRawPointer(dx + j).storeBytes(of: v, as: V.self)
            j += 8
        }
        while j < n {
            dx[j] = r * (d[j] * gs[j] - meanG - xhat[j] * meanGX)
            j += 1
        }
    }

    /// `dγ[j] += Σ_rows dy ⊙ x̂`, `dβ[j] += Σ_rows dy` for the `columns` (at most 16) of a
    /// `(rows, n)` batch, each column's sum taken over the rows in order (the same bits however
    /// the columns are shared among cores); nil skips a gradient.
    @inline(__always)
    static func accumulateColumns(
        dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rows: Int, count n: Int, columns: Range<Int>,
        dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?
    ) {
        typealias V = SIMD16<Float>
        guard columns.count == 16 else {
            for i in 0..<rows {
                for j in columns {
                    dGamma?[j] += dy[i * n + j] * xhat[i * n + j]
                    dBeta?[j] += dy[i * n + j]
                }
            }
            return
        }
        let j = columns.lowerBound
        func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var (g, b) = (dGamma.map { load($0 + j) } ?? V(), dBeta.map { load($0 + j) } ?? V())
        for i in 0..<rows {
            let d = load(dy + i * n + j)
            g += d * load(xhat + i * n + j)
            b += d
        }
        if let dGamma { UnsafeMutableRawPointer(dGamma + j).storeBytes(of: g, as: V.self) }
        if let dBeta { UnsafeMutableRawPointer(dBeta + j).storeBytes(of: b, as: V.self) }
    }

    /// One row of the forward: `y = γ ⊙ x̂ + β` (and `x̂` itself when `xhat` is given) for the
    /// `count` values at `row`; returns `r = 1/√(σ² + ε)`. Each row's numbers depend on that row
    /// alone (generation relies on it: `DecodingModel`).
    @inline(__always)
    static func normalize(
        row: UnsafePointer<Float>, count n: Int, gamma gs: UnsafePointer<Float>, beta bs: UnsafePointer<Float>, epsilon: Float,
        xhat: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>
    ) -> Float {
        let mean = sum(row, n) / Float(n)
        let variance = sumOfSquares(row, n, minus: mean) / Float(n)
        let r = 1 / (variance + epsilon).squareRoot()
        if let xhat {
            for j in 0..<n {
                let v = (row[j] - mean) * r
                xhat[j] = v
                y[j] = gs[j] * v + bs[j]
            }
        } else {
            for j in 0..<n { y[j] = gs[j] * ((row[j] - mean) * r) + bs[j] }
        }
        return r
    }

    /// `Σ x[j]` over `n` values, in eight running sums.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n {
            acc += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var total = acc.sum()
        while j < n {
            total += x[j]
            j += 1
        }
        return total
    }

    /// `Σ (x[j] − m)²` over `n` values, in eight running sums.
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, minus m: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n {
            let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - m
            acc += d * d
            j += 8
        }
        var total = acc.sum()
        while j < n {
            let d = x[j] - m
            total += d * d
            j += 1
        }
        return total
    }
}
