import COpenBLAS

/// How much of the space of `d × d` weight changes a method can reach with `n` trainable numbers
/// (the paper's appendix A.1 and Fig. 2).
///
/// Draw `S` random coefficient vectors, form each `ΔW`, flatten it to a vector of `d²` numbers,
/// stack them as the rows of `X: (S, d²)`, and count the dimensions they span: the numerical rank
/// of `XᵀX: (d², d²)` (eigenvalues through LAPACK `dsyevd`, in Double, counting those above
/// `relativeTolerance · λ_max`). Coverage is that rank over `d²`.
///
/// - PRANC: `ΔW = Σ_{i<n} α_i W_i`, `W_i: (d, d)` Uniform(−1, 1). Linear in α: the reachable set
///   is the span of the `n` matrices, so coverage is `min(n, d²)/d²` — one dimension per number.
/// - NOLA: `ΔW = (Σ_{i<k} α_i A_i)(Σ_{j<l} β_j B_j)`, `A_i: (d, r)`, `B_j: (r, d)`, `k = l = n/2`.
///   Bilinear in (α, β): `ΔW = Σ_ij α_i β_j A_i B_j`, so the reachable set spans the `k·l`
///   products `A_i B_j`, and coverage is `min(k·l, d²)/d²` — quadratic in the numbers trained.
/// Coefficients are standard normal, basis matrices Uniform(−1, 1) from Philox streams of `seed`.
public enum SubspaceCoverage {
    public enum Method: Sendable, Equatable {
        /// PRANC with `n` basis matrices.
        case pranc(n: Int)
        /// NOLA with `k` and `l` basis matrices of rank `r`.
        case nola(k: Int, l: Int, rank: Int)

        /// Trainable numbers: `n`, or `k + l`.
        public var trainable: Int {
            switch self {
            case .pranc(let n): n
            case .nola(let k, let l, _): k + l
            }
        }

        /// What the argument above predicts: `min(n, d²)/d²` or `min(k·l, d²)/d²`.
        public func predictedCoverage(d: Int) -> Double {
            switch self {
            case .pranc(let n): Double(min(n, d * d)) / Double(d * d)
            case .nola(let k, let l, _): Double(min(k * l, d * d)) / Double(d * d)
            }
        }
    }

    /// The measured rank and coverage.
    public struct Result: Sendable {
        public let rank: Int
        public let dimension: Int
        public var coverage: Double { Double(rank) / Double(dimension) }
    }

    /// Default relative tolerance on the eigenvalues of `XᵀX` (singular values of `X` above
    /// `√1e-10 ≈ 1e-5 · σ_max`): far above Double's rounding (`≈ 1e-16`), far below the smallest
    /// genuine direction in these experiments.
    public static let defaultTolerance = 1e-10

    /// `S` samples of `ΔW` as the rows of `(S, d²)`, in Double.
    public static func samples(_ method: Method, d: Int, count: Int, seed: UInt64) -> [Double] {
        checkPrecondition(d > 0 && count > 0, "SubspaceCoverage.samples: d \(d), count \(count)")
        let size = d * d
        func doubles(_ stream: UInt64, _ n: Int, normal: Bool) -> [Double] {
            let r = RandomStream(seed: seed, stream: stream)
            return (normal ? r.normal(n, from: 0) : r.symmetric(n, from: 0)).map(Double.init)
        }
        var x = [Double](repeating: 0, count: count * size)
        switch method {
        case .pranc(let n):
            // X = α · W  with α: (S, n) normal and W: (n, d²) the stacked basis.
            let basis = doubles(1, n * size, normal: false), alpha = doubles(2, count * n, normal: true)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(size), Int32(n),
                        1, alpha, Int32(n), basis, Int32(size), 0, &x, Int32(size))
        case .nola(let k, let l, let r):
            // A_s = Σ α_si A_i: (S, d·r); B_s = Σ β_sj B_j: (S, r·d); ΔW_s = A_s · B_s.
            let basisA = doubles(3, k * d * r, normal: false), basisB = doubles(4, l * r * d, normal: false)
            let alpha = doubles(5, count * k, normal: true), beta = doubles(6, count * l, normal: true)
            var a = [Double](repeating: 0, count: count * d * r), b = [Double](repeating: 0, count: count * r * d)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(d * r), Int32(k),
                        1, alpha, Int32(k), basisA, Int32(d * r), 0, &a, Int32(d * r))
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(r * d), Int32(l),
                        1, beta, Int32(l), basisB, Int32(r * d), 0, &b, Int32(r * d))
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    x.withUnsafeMutableBufferPointer { px in
                        for s in 0..<count {
                            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(d), Int32(r),
                                        1, pa.baseAddress! + s * d * r, Int32(r), pb.baseAddress! + s * r * d, Int32(d),
                                        0, px.baseAddress! + s * size, Int32(d))
                        }
                    }
                }
            }
        }
        return x
    }

    /// The numerical rank of `S` samples of `method`'s `ΔW` (default `S = 5d²/4 + 16`).
    public static func measure(
        _ method: Method, d: Int, samples count: Int? = nil, seed: UInt64, relativeTolerance: Double = defaultTolerance
    ) -> Result {
        let size = d * d
        let s = count ?? (5 * size / 4 + 16)
        let x = samples(method, d: d, count: s, seed: seed)
        var gram = [Double](repeating: 0, count: size * size)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(size), Int32(size), Int32(s),
                    1, x, Int32(size), x, Int32(size), 0, &gram, Int32(size))
        let eigenvalues = LAPACK.symmetricEigenvalues(gram, n: size)
        let top = eigenvalues.last ?? 0
        let rank = top > 0 ? eigenvalues.filter { $0 > relativeTolerance * top }.count : 0
        return Result(rank: rank, dimension: size)
    }
}
