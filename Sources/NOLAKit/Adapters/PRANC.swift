/// PRANC (Nooralinejad et al., ICCV 2023) on one `Linear` layer: the weight change is a linear
/// combination of full-size random matrices, and only the coefficients train.
///
///     ΔW = s · Σ_{i<n} α_i W_i         W_i: (out, in), Uniform(−1, 1), frozen
///
/// `α = 0` at the start. Unlike NOLA, every step must form `ΔW` (the basis is as large as the
/// layer): combining costs `n · out · in` multiply-adds forward and the same again backward
/// (`dα_i = ⟨W_i, dΔW⟩`), against NOLA's `≈ (k + l) · r · (in + out)` — the paper's `d/r`
/// speed-up argument (§2, "Efficiency of NOLA compared to PRANC").
///
/// In a `Linear` layer a step forms `W + ΔW` in one pass over the basis, multiplies by it once
/// forward and once for `dx`, and projects `G = dyᵀ x` (computed once) onto the basis in a second
/// pass: the same work as PyTorch's `F.linear(x, W + ΔW, b)` (see `effectiveWeight`).
///
/// Trainable: `n` per layer. (PRANC's paper reshapes a whole network into one vector; here each
/// layer has its own `n`, as in the NOLA paper's MNIST comparison, appendix A.2.)
public final class PRANCAdapter: LinearAdapter {
    /// `α`: `(1, n)`.
    public let alpha: Parameter
    /// `W_i: (out, in)`, `n` of them.
    public let basis: RandomBasis
    /// The scale `s` applied to the combination.
    public let s: Float

    /// `ΔW` of the last forward, kept for the backward.
    private var delta = Matrix(rows: 0, cols: 0)
    private var dDelta = Matrix(rows: 0, cols: 0)

    /// PRANC over `basis` (of `(out, in)` matrices) for a layer named `name`.
    public convenience init(name: String, basis: RandomBasis, s: Float = 1) {
        self.init(alpha: Parameter(name: "\(name).pranc_alpha", value: Matrix(rows: 1, cols: basis.count)), basis: basis, s: s)
    }

    /// PRANC whose coefficients `alpha: (1, n)` may be shared with other layers: PRANC's own
    /// form, one vector of `n` coefficients for the whole network, each basis vector spanning
    /// every layer (`AdaptableModel.attachWholeModelPRANC`). Each layer adds its projection into
    /// the shared gradient.
    public init(alpha: Parameter, basis: RandomBasis, s: Float = 1) {
        checkPrecondition(
            alpha.value.rows == 1 && alpha.count == basis.count,
            "PRANC \(alpha.name): \(alpha.count) coefficients for a basis of \(basis.count) matrices")
        self.basis = basis
        self.s = s
        self.alpha = alpha
    }

    /// PRANC with `n` basis matrices for a layer `(outputs, inputs)`, drawn from stream
    /// `BasisSeeds.pranc` of `seed`.
    public convenience init(
        name: String, inputs: Int, outputs: Int, n: Int, s: Float = 1, seed: UInt64,
        storage: RandomBasis.Storage = .materialized
    ) {
        let basis = RandomBasis(
            count: n, rows: outputs, cols: inputs, stream: RandomStream(seed: seed, stream: BasisSeeds.pranc),
            storage: storage)
        self.init(name: name, basis: basis, s: s)
    }

    public var parameters: [Parameter] { [alpha] }

    /// `ΔW = s Σ α_i W_i`, then `y += x ΔWᵀ`. (A `Linear` layer does not call this: it uses
    /// `effectiveWeight`, one product by `W + ΔW`.)
    public func forward(_ x: Matrix, adding y: inout Matrix) {
        delta = deltaWeight()
        BLAS.gemm(x, delta, into: &y, transposeB: true, beta: 1)
    }

    /// `dΔW = dyᵀ x`, `dα_i += s ⟨W_i, dΔW⟩`, `dx += dy ΔW` (after `forward(_:adding:)`).
    public func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        if alpha.isTrainable {
            dDelta.prepare(rows: delta.rows, cols: delta.cols)
            BLAS.gemm(dy, x, into: &dDelta, transposeA: true)
            backward(effectiveWeightGradient: dDelta)
        }
        if dx != nil {
            BLAS.gemm(dy, delta, into: &dx!, beta: 1)
        }
    }

    /// `W + s Σ α_i W_i`: `W` copied, then the basis combined into it in one pass.
    public func effectiveWeight(base w: Matrix, into effective: inout Matrix) -> Bool {
        checkPrecondition(
            w.rows == basis.rows && w.cols == basis.cols,
            "PRANC \(alpha.name): W is \(w.shapeDescription) but the basis is (\(basis.rows)×\(basis.cols))")
        effective.prepare(rows: w.rows, cols: w.cols)
        effective.data.withUnsafeMutableBufferPointer { e in
            w.data.withUnsafeBufferPointer { e.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        basis.combine(scaledCoefficients(), into: &effective)
        return true
    }

    public var needsEffectiveWeightGradient: Bool { alpha.isTrainable }

    /// `dα_i += s ⟨W_i, G⟩`.
    public func backward(effectiveWeightGradient g: Matrix) {
        guard alpha.isTrainable else { return }
        if s == 1 {
            basis.project(g, addingTo: &alpha.grad.data)
        } else {
            var projected = [Float](repeating: 0, count: basis.count)
            basis.project(g, addingTo: &projected)
            for i in projected.indices { alpha.grad.data[i] += s * projected[i] }
        }
    }

    /// `s α`, the coefficients of the combination (α itself when `s` is 1).
    private func scaledCoefficients() -> [Float] {
        s == 1 ? alpha.value.data : alpha.value.data.map { $0 * s }
    }

    /// `ΔW = s · Σ α_i W_i`: `(out, in)`.
    public func deltaWeight() -> Matrix {
        var d = Matrix(rows: basis.rows, cols: basis.cols)
        basis.combine(scaledCoefficients(), into: &d)
        return d
    }
}
