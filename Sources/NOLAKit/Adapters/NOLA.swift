/// NOLA (Koohpayegani et al., ICLR 2024) on one `Linear` layer: LoRA whose `A` and `B` are
/// linear combinations of frozen random matrices, with only the mixing coefficients trained.
///
///     A  = A₀ + Σ_{i<k} α_i A_i        A₀, A_i: (r, in)
///     B  =      Σ_{j<l} β_j B_j        B_j: (out, r)
///     ΔW = (c/r) · B A                 (out, in), never formed in training
///
/// `A₀` is frozen Kaiming-uniform (LoRA's initial `A`), the basis is Uniform(−1, 1) from a seed
/// (`BasisSeeds`), and `α = β = 0` at the start: `ΔW = 0`, yet `∂L/∂β ≠ 0` because `A = A₀ ≠ 0`.
/// This follows the authors' GPT-2 code. The paper's Eq. 1 has no `A₀`: with it, `A` would start
/// at zero together with `B`, and both gradients would vanish (`dB ∝ A`, `dA ∝ B`), so nothing
/// would ever train from `α = β = 0`.
///
/// Trainable: `k + l`, whatever `in`, `out` and `r` are. Stored in a file: the seed and α, β.
///
/// Backward (see `LowRankUpdate`): `dB`, `dA` as LoRA's, then `dβ_j += ⟨B_j, dB⟩` and
/// `dα_i += ⟨A_i, dA⟩`, each one matrix–vector product with the stacked basis.
public final class NOLAAdapter: LinearAdapter {
    /// `α`: `(1, k)`.
    public let alpha: Parameter
    /// `β`: `(1, l)`.
    public let beta: Parameter
    /// Frozen `A₀: (r, in)`.
    public let a0: Parameter
    /// `A_i: (r, in)`, `k` of them.
    public let basisA: RandomBasis
    /// `B_j: (out, r)`, `l` of them.
    public let basisB: RandomBasis
    /// The rank `r`.
    public let rank: Int
    /// The constant `c` of the scale `c / r`.
    public let c: Float
    /// `c / r`.
    public var scale: Float { c / Float(rank) }

    private var update = LowRankUpdate()
    /// `A` and `B` as combined in the last forward, reused by the backward.
    private var a = Matrix(rows: 0, cols: 0)
    private var b = Matrix(rows: 0, cols: 0)
    private var dA: Matrix? = nil
    private var dB: Matrix? = nil
    /// The gradient masks of α and β from the last forward's `coefficientTransform`, if any.
    private var alphaMask: [Float]? = nil
    private var betaMask: [Float]? = nil

    /// NOLA for a layer named `name` with `A₀` from `initialA` and the two bases given (they may
    /// be shared with other layers of the same shape). `k = basisA.count`, `l = basisB.count`.
    public init(name: String, a0: Matrix, basisA: RandomBasis, basisB: RandomBasis, c: Float = 1) {
        let rank = a0.rows
        checkPrecondition(
            basisA.rows == rank && basisA.cols == a0.cols && basisB.cols == rank,
            "NOLA \(name): A₀ is \(a0.shapeDescription) but the A basis is (\(basisA.rows)×\(basisA.cols)) "
                + "and the B basis (\(basisB.rows)×\(basisB.cols))")
        self.rank = rank
        self.c = c
        self.a0 = Parameter(name: "\(name).nola_A0", value: a0, trainable: false)
        self.basisA = basisA
        self.basisB = basisB
        alpha = Parameter(name: "\(name).nola_alpha", value: Matrix(rows: 1, cols: basisA.count))
        beta = Parameter(name: "\(name).nola_beta", value: Matrix(rows: 1, cols: basisB.count))
    }

    /// NOLA with its own bases for a layer `(outputs, inputs)`: `A₀` from stream 1 of `seed`, the
    /// bases from streams 2 and 3 of `basisSeed` (default: `seed`). `AdaptableModel.attach` passes the
    /// layer seed and the shape's basis seed of `BasisSeeds`.
    public convenience init(
        name: String, inputs: Int, outputs: Int, rank: Int, k: Int, l: Int, c: Float = 1,
        seed: UInt64, basisSeed: UInt64? = nil, storage: RandomBasis.Storage = .materialized
    ) {
        let a0 = RandomStream(seed: seed, stream: BasisSeeds.initialA).kaimingUniform(rows: rank, cols: inputs)
        let basisSeed = basisSeed ?? seed
        self.init(
            name: name, a0: a0,
            basisA: RandomBasis(count: k, rows: rank, cols: inputs,
                                stream: RandomStream(seed: basisSeed, stream: BasisSeeds.nolaA), storage: storage),
            basisB: RandomBasis(count: l, rows: outputs, cols: rank,
                                stream: RandomStream(seed: basisSeed, stream: BasisSeeds.nolaB), storage: storage),
            c: c)
    }

    /// `α`, `β` (trainable) and `A₀` (frozen); the basis is not a parameter: it is regenerated
    /// from the seed and never stored.
    public var parameters: [Parameter] { [alpha, beta, a0] }

    /// The coefficients used by the forward pass, applied to α and to β separately; nil uses
    /// them as they are. A quantization-aware trainer sets a fake quantizer: the forward pass then
    /// combines the quantized `α̂`, `β̂`, and the backward pass adds `∂L/∂α̂`, `∂L/∂β̂` (times the
    /// transform's gradient mask, if any) to the float α, β: the straight-through estimator.
    public var coefficientTransform: ValueTransform? = nil

    /// `A = A₀ + Σ α_i A_i` and `B = Σ β_j B_j` from the current coefficients.
    public func combinedFactors() -> (a: Matrix, b: Matrix) {
        combine().factors
    }

    /// `combinedFactors`, and the gradient masks of α and β the transform gave.
    private func combine() -> (factors: (a: Matrix, b: Matrix), alphaMask: [Float]?, betaMask: [Float]?) {
        var a = a0.value
        var b = Matrix(rows: basisB.rows, cols: rank)
        let alphas = coefficientTransform?(alpha.value.data) ?? TransformedValues(values: alpha.value.data)
        let betas = coefficientTransform?(beta.value.data) ?? TransformedValues(values: beta.value.data)
        checkPrecondition(
            alphas.values.count == alpha.count && betas.values.count == beta.count,
            "NOLA \(alpha.name): coefficientTransform changed the number of coefficients")
        basisA.combine(alphas.values, into: &a)
        basisB.combine(betas.values, into: &b)
        return ((a, b), alphas.gradientMask, betas.gradientMask)
    }

    /// `y += Δ(x)`.  `x: (batch, in)`, `y: (batch, out)`.
    public func forward(_ x: Matrix, adding y: inout Matrix) {
        forward(x, adding: &y, columns: 0..<y.cols)
    }

    /// `backward(_:columns:input:addingTo:)` over all of `dy: (batch, out)`.
    public func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        backward(dy, columns: 0..<dy.cols, input: x, addingTo: &dx)
    }

    /// `y[:, columns] += (c/r) · (x Aᵀ) Bᵀ` with `A`, `B` combined from the basis.
    public func forward(_ x: Matrix, adding y: inout Matrix, columns: Range<Int>) {
        let combined = combine()
        (a, b) = combined.factors
        (alphaMask, betaMask) = (combined.alphaMask, combined.betaMask)
        update.forward(x, a: a, b: b, scale: scale, adding: &y, columns: columns)
    }

    /// From `dy[:, columns]`: `dβ += S_B vec(dB)`, `dα += S_A vec(dA)`, `dx += dh A`.
    public func backward(_ dy: Matrix, columns: Range<Int>, input x: Matrix, addingTo dx: inout Matrix?) {
        prepare(&dA, like: a0, when: alpha.isTrainable)
        if beta.isTrainable {
            if dB == nil { dB = Matrix(rows: 0, cols: 0) }
            dB!.prepare(rows: b.rows, cols: b.cols)
        } else {
            dB = nil
        }
        update.backward(dy, columns: columns, input: x, a: a, b: b, scale: scale, dA: &dA, dB: &dB, dx: &dx)
        if let dA { project(dA, on: basisA, mask: alphaMask, addingTo: alpha) }
        if let dB { project(dB, on: basisB, mask: betaMask, addingTo: beta) }
    }

    /// `p.grad += mask ⊙ (S vec(d))`: the coefficients' gradient, through the transform's mask.
    private func project(_ d: Matrix, on basis: RandomBasis, mask: [Float]?, addingTo p: Parameter) {
        guard mask != nil else { return basis.project(d, addingTo: &p.grad.data) }
        var g = [Float](repeating: 0, count: p.count)
        basis.project(d, addingTo: &g)
        applyGradientMask(mask, to: &g)
        for i in g.indices { p.grad.data[i] += g[i] }
    }

    /// `ΔW = (c/r) · B A`: `(out, in)`.
    public func deltaWeight() -> Matrix {
        let (a, b) = combinedFactors()
        var delta = Matrix(rows: b.rows, cols: a.cols)
        BLAS.gemm(b, a, into: &delta, alpha: scale)
        return delta
    }
}
