import COpenBLAS

/// Whether an operand of the raw `BLAS.sgemm` is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored.
    case none
    /// Use its transpose.
    case transpose

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Thin wrappers over OpenBLAS's CBLAS for `Matrix` and `[Float]`, row-major throughout.
///
/// Every wrapper checks shapes first: a mismatch is a precondition failure whose message names
/// both shapes. The wrappers hand OpenBLAS the arrays' own storage, so they cost nothing beyond
/// the BLAS call itself (lesson 02 measures this against a direct `cblas_sgemm`).
public enum BLAS {
    /// The number of threads OpenBLAS uses for a level-3 call.
    ///
    /// Set it only while no other thread is multiplying: OpenBLAS has one count for the whole
    /// process. (Switching it to 1 around attention's products while other threads trained or
    /// decoded made repeated trainings in one process give different weights; products that must
    /// stay on their thread use `sgemmOnCallingThread` instead.)
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// Multiply-adds up to which OpenBLAS 0.3.21 runs a product on the calling thread:
    /// `m·n·k ≤ SMP_THRESHOLD_MIN × GEMM_MULTITHREAD_THRESHOLD = 65,536 × 4` (interface/gemm.c).
    public static let callingThreadLimit = 262_144

    /// `sgemm` that never wakes OpenBLAS's own threads: a product larger than
    /// `callingThreadLimit` multiply-adds is computed as blocks of `C`'s rows, each under it.
    /// For loops that already share many small products among the cores (`Parallel`: the
    /// attention of each sequence and head), where OpenBLAS splitting each product again made
    /// the cores wait on each other at every call. Every element of `C` is still one call's dot
    /// product over all of `k`, whatever the thread count.
    ///
    ///     // S = Q Kᵀ for one head, on this thread: (n, hs) · (hs, n)
    ///     BLAS.sgemmOnCallingThread(.none, .transpose, m: n, n: n, k: hs, alpha: s, q, lda: 3 * c, key, ldb: 3 * c, beta: 0, p, ldc: t)
    @inlinable
    public static func sgemmOnCallingThread(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rows = max(1, callingThreadLimit / max(1, n * k))
        for first in stride(from: 0, to: m, by: rows) {
            // Row `first` of op(A): a row of A as stored, or a column of A when transposed.
            let aBlock = transA == .none ? a + first * lda : a + first
            sgemm(transA, transB, m: min(rows, m - first), n: n, k: k, alpha: alpha, aBlock, lda: lda, b, ldb: ldb,
                  beta: beta, c + first * ldc, ldc: ldc)
        }
    }

    /// `C = alpha · op(A) · op(B) + beta · C`, where `op(X)` is `X`, or `Xᵀ` when its flag is set.
    ///
    /// Shapes: `op(A): (m, k)`, `op(B): (k, n)`, `C: (m, n)`. With `beta == 0`, `C`'s old
    /// contents are ignored (but its shape must already be `(m, n)`).
    public static func gemm(
        _ a: Matrix, _ b: Matrix, into c: inout Matrix,
        transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) {
        let (m, ka) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        checkPrecondition(
            ka == kb,
            "gemm: inner dimensions differ: op(A) is (\(m)×\(ka)) from A\(a.shapeDescription), "
                + "op(B) is (\(kb)×\(n)) from B\(b.shapeDescription)")
        checkPrecondition(
            c.rows == m && c.cols == n,
            "gemm: C is \(c.shapeDescription) but op(A)·op(B) is (\(m)×\(n)) "
                + "(A\(a.shapeDescription), B\(b.shapeDescription))")
        guard m > 0, n > 0 else { return }
        guard ka > 0 else {
            if beta == 0 { c.zero() } else { scal(beta, &c) }
            return
        }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    sgemm(
                        transposeA ? .transpose : .none, transposeB ? .transpose : .none,
                        m: m, n: n, k: ka, alpha: alpha,
                        pa.baseAddress!, lda: a.cols, pb.baseAddress!, ldb: b.cols,
                        beta: beta, pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// `op(A) · op(B)` as a new matrix.
    public static func matmul(
        _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false
    ) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let n = transposeB ? b.rows : b.cols
        var c = Matrix(rows: m, cols: n)
        gemm(a, b, into: &c, transposeA: transposeA, transposeB: transposeB)
        return c
    }

    /// Raw row-major `sgemm` on pointers, for code that multiplies parts of larger buffers
    /// (a chunk of a basis generated on the fly, say). `lda`, `ldb`, `ldc` are row strides.
    @inlinable
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// `y = alpha · op(A) · x + beta · y`, `op(A)` being `Aᵀ` when `transpose` is set.
    /// Shapes: `op(A): (m, n)`, `x: n`, `y: m`.
    public static func gemv(
        _ a: Matrix, _ x: [Float], into y: inout [Float], transpose: Bool = false,
        alpha: Float = 1, beta: Float = 0
    ) {
        let (m, n) = transpose ? (a.cols, a.rows) : (a.rows, a.cols)
        checkPrecondition(
            x.count == n && y.count == m,
            "gemv: op(A) is (\(m)×\(n)) from A\(a.shapeDescription), "
                + "but x has \(x.count) and y has \(y.count) elements")
        guard a.rows > 0, a.cols > 0 else {
            if beta == 0 { y = [Float](repeating: 0, count: m) } else { scal(beta, &y) }
            return
        }
        a.data.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_sgemv(
                        CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
                        blasint(a.rows), blasint(a.cols), alpha,
                        pa.baseAddress!, blasint(a.cols), px.baseAddress!, 1, beta,
                        py.baseAddress!, 1)
                }
            }
        }
    }

    /// `y += alpha · x` (same length).
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) {
        checkPrecondition(x.count == y.count, "axpy: x has \(x.count) elements, y has \(y.count)")
        guard !x.isEmpty else { return }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_saxpy(blasint(x.count), alpha, px.baseAddress!, 1, py.baseAddress!, 1)
            }
        }
    }

    /// `Y += alpha · X` for matrices of one shape.
    public static func axpy(_ alpha: Float, _ x: Matrix, _ y: inout Matrix) {
        checkPrecondition(
            x.rows == y.rows && x.cols == y.cols,
            "axpy: X is \(x.shapeDescription) but Y is \(y.shapeDescription)")
        axpy(alpha, x.data, &y.data)
    }

    /// The dot product `⟨x, y⟩` (same length).
    public static func dot(_ x: [Float], _ y: [Float]) -> Float {
        checkPrecondition(x.count == y.count, "dot: x has \(x.count) elements, y has \(y.count)")
        guard !x.isEmpty else { return 0 }
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                cblas_sdot(blasint(x.count), px.baseAddress!, 1, py.baseAddress!, 1)
            }
        }
    }

    /// `x *= alpha`.
    public static func scal(_ alpha: Float, _ x: inout [Float]) {
        guard !x.isEmpty else { return }
        x.withUnsafeMutableBufferPointer { px in
            cblas_sscal(blasint(px.count), alpha, px.baseAddress!, 1)
        }
    }

    /// `X *= alpha`.
    public static func scal(_ alpha: Float, _ x: inout Matrix) {
        scal(alpha, &x.data)
    }
}
