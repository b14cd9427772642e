/// One adapter ready to serve without merging: `Δ(x) = s · (x Aᵀ) Bᵀ`, with `A: (r, in)`,
/// `B: (out, r)` and `s = c / r`. LoRA holds these factors itself; NOLA builds them from its
/// coefficients (`A = A₀ + Σ α_i A_i`, `B = Σ β_j B_j`) whenever it switches to an adapter.
public struct LowRankFactors: Sendable, Equatable {
    /// `A: (r, in)`.
    public var a: Matrix
    /// `B: (out, r)`.
    public var b: Matrix
    /// `s = c / r`.
    public var scale: Float

    public init(a: Matrix, b: Matrix, scale: Float) {
        checkPrecondition(a.rows == b.cols && a.rows > 0, "LowRankFactors: A \(a.shapeDescription) and B \(b.shapeDescription) disagree on the rank")
        self.a = a
        self.b = b
        self.scale = scale
    }

    /// LoRA's own `A`, `B` and scale.
    public init(_ lora: LoRAAdapter) {
        self.init(a: lora.a.value, b: lora.b.value, scale: lora.scale)
    }

    /// NOLA's `A`, `B` combined from its current coefficients, and its scale.
    public init(_ nola: NOLAAdapter) {
        let (a, b) = nola.combinedFactors()
        self.init(a: a, b: b, scale: nola.scale)
    }

    /// The rank `r`.
    public var rank: Int { a.rows }
    /// Input features, `in`.
    public var inputs: Int { a.cols }
    /// Output features, `out`.
    public var outputs: Int { b.rows }
    /// Floats held: `r · (in + out)`.
    public var floatCount: Int { a.count + b.count }

    /// `ΔW = s · B A`: `(out, in)`, for merging into `W`.
    public func deltaWeight() -> Matrix {
        var delta = Matrix(rows: outputs, cols: inputs)
        BLAS.gemm(b, a, into: &delta, alpha: scale)
        return delta
    }
}
