/// LoRA (Hu et al. 2021) on one `Linear` layer: `ΔW = (c/r) · B A`.
///
/// Shapes: `A: (r, in)`, Kaiming-uniform (PyTorch's `nn.Linear` default, bound `1/√in`);
/// `B: (out, r)`, zeros, so `ΔW = 0` at the start. Trainable: `r · (in + out)`.
///
/// The paper writes `ΔW = A × B` with `A ∈ R^{m×r}`, `B ∈ R^{r×n}`: its `A` is our `B` and its
/// `B` is our `A` (we follow the authors' code and PyTorch's `(out, in)` weight layout).
public final class LoRAAdapter: LinearAdapter {
    /// `A: (r, in)`.
    public let a: Parameter
    /// `B: (out, r)`.
    public let b: Parameter
    /// The rank `r`.
    public let rank: Int
    /// The constant `c` of the scale `c / r`.
    public let c: Float
    /// `c / r`.
    public var scale: Float { c / Float(rank) }

    private var update = LowRankUpdate()
    private var dA: Matrix? = nil
    private var dB: Matrix? = nil
    /// `A` and `B` after `factorTransform`, as used by the last forward, and their gradient
    /// masks (nil without a transform).
    private var transformedA: TransformedValues? = nil
    private var transformedB: TransformedValues? = nil

    /// The values of `A` and `B` used by forward, backward and `deltaWeight`, applied to each
    /// tensor separately (row-major data in, same count out); nil uses them as they are. A
    /// quantization-aware trainer sets it to a fake quantizer: the forward pass then sees the
    /// quantized `Â`, `B̂`, and the backward pass adds `∂L/∂Â`, `∂L/∂B̂` (times the transform's
    /// gradient mask, if any) to the float `A`, `B`: the straight-through estimator. NOLA's
    /// equivalent is `coefficientTransform`.
    public var factorTransform: ValueTransform? = nil

    /// LoRA of rank `rank` for a layer `(outputs, inputs)` named `name`; `A` is drawn from
    /// `random` (use stream `BasisSeeds.initialA` of the layer's seed).
    public init(name: String, inputs: Int, outputs: Int, rank: Int, c: Float = 1, random: RandomStream) {
        checkPrecondition(rank > 0, "LoRA \(name): rank must be positive, got \(rank)")
        self.rank = rank
        self.c = c
        a = Parameter(name: "\(name).lora_A", value: random.kaimingUniform(rows: rank, cols: inputs))
        b = Parameter(name: "\(name).lora_B", value: Matrix(rows: outputs, cols: rank))
    }

    public var parameters: [Parameter] { [a, b] }

    /// `A` and `B` through `factorTransform`, or nil for both when there is none.
    private func transformedFactors() -> (a: TransformedValues, b: TransformedValues)? {
        guard let t = factorTransform else { return nil }
        let ta = t(a.value.data), tb = t(b.value.data)
        checkPrecondition(
            ta.values.count == a.count && tb.values.count == b.count,
            "LoRA \(a.name): factorTransform changed the number of values of A \(a.value.shapeDescription) or B \(b.value.shapeDescription)")
        return (ta, tb)
    }

    /// `A` or `B` as the forward pass uses it: `p` through the transform, or `p` itself.
    private func used(_ p: Parameter, _ transformed: TransformedValues?) -> Matrix {
        transformed.map { Matrix(rows: p.value.rows, cols: p.value.cols, data: $0.values) } ?? p.value
    }

    /// `y += Δ(x)`.  `x: (batch, in)`, `y: (batch, out)`.
    public func forward(_ x: Matrix, adding y: inout Matrix) {
        forward(x, adding: &y, columns: 0..<y.cols)
    }

    /// `backward(_:columns:input:addingTo:)` over all of `dy: (batch, out)`.
    public func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        backward(dy, columns: 0..<dy.cols, input: x, addingTo: &dx)
    }

    /// `y[:, columns] += (c/r) · (x Aᵀ) Bᵀ`.  `x: (batch, in)`, `y: (batch, width)`, `out` columns.
    public func forward(_ x: Matrix, adding y: inout Matrix, columns: Range<Int>) {
        let factors = transformedFactors()
        transformedA = factors?.a
        transformedB = factors?.b
        update.forward(x, a: used(a, transformedA), b: used(b, transformedB), scale: scale, adding: &y, columns: columns)
    }

    /// From `dy[:, columns]`: `dA += dhᵀ x`, `dB += (c/r) dyᵀ h`, `dx += dh A` with `dh = (c/r) dy B`.
    public func backward(_ dy: Matrix, columns: Range<Int>, input x: Matrix, addingTo dx: inout Matrix?) {
        prepare(&dA, like: a, when: a.isTrainable)
        prepare(&dB, like: b, when: b.isTrainable)
        update.backward(
            dy, columns: columns, input: x, a: used(a, transformedA), b: used(b, transformedB), scale: scale,
            dA: &dA, dB: &dB, dx: &dx)
        if dA != nil { applyGradientMask(transformedA?.gradientMask, to: &dA!.data) }
        if dB != nil { applyGradientMask(transformedB?.gradientMask, to: &dB!.data) }
        if let dA { BLAS.axpy(1, dA, &a.grad) }
        if let dB { BLAS.axpy(1, dB, &b.grad) }
    }

    /// `ΔW = (c/r) · B A`: `(out, in)` (with `A`, `B` through `factorTransform`, if any).
    public func deltaWeight() -> Matrix {
        let factors = transformedFactors()
        var delta = Matrix(rows: b.value.rows, cols: a.value.cols)
        BLAS.gemm(used(b, factors?.b), used(a, factors?.a), into: &delta, alpha: scale)
        return delta
    }
}

/// Makes `buffer` a matrix shaped like `p` when `needed`, or nil.
func prepare(_ buffer: inout Matrix?, like p: Parameter, when needed: Bool) {
    guard needed else {
        buffer = nil
        return
    }
    if buffer == nil { buffer = Matrix(rows: 0, cols: 0) }
    buffer!.prepare(rows: p.value.rows, cols: p.value.cols)
}
