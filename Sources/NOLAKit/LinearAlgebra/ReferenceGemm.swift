/// Two hand-written matrix multiplies, `C = A·B` for row-major `A: (m, k)`, `B: (k, n)`, to set
/// beside OpenBLAS in lesson 02. They are correct but not meant for use: `BLAS.gemm` is.
public enum ReferenceGemm {
    /// The textbook triple loop, `C[i][j] = Σ_p A[i][p]·B[p][j]`: its inner loop walks down a
    /// column of `B`, one cache line per multiply.
    public static func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        checkPrecondition(a.cols == b.rows, "ReferenceGemm.naive: \(a.shapeDescription) · \(b.shapeDescription)")
        let (m, k, n) = (a.rows, a.cols, b.cols)
        var c = Matrix(rows: m, cols: n)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Float = 0
                            for p in 0..<k { sum += pa[i * k + p] * pb[p * n + j] }
                            pc[i * n + j] = sum
                        }
                    }
                }
            }
        }
        return c
    }

    /// A cache-blocked loop: tiles of `tile × tile` so that the pieces of `A`, `B` and `C` in use
    /// stay in cache, and an inner loop over contiguous rows of `B` and `C` that the compiler
    /// vectorizes (i–p–j order). Still one core, and no register blocking.
    public static func blocked(_ a: Matrix, _ b: Matrix, tile: Int = 64) -> Matrix {
        checkPrecondition(a.cols == b.rows, "ReferenceGemm.blocked: \(a.shapeDescription) · \(b.shapeDescription)")
        checkPrecondition(tile > 0, "ReferenceGemm.blocked: tile must be positive")
        let (m, k, n) = (a.rows, a.cols, b.cols)
        var c = Matrix(rows: m, cols: n)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    for i0 in stride(from: 0, to: m, by: tile) {
                        for p0 in stride(from: 0, to: k, by: tile) {
                            for j0 in stride(from: 0, to: n, by: tile) {
                                let iEnd = min(i0 + tile, m), pEnd = min(p0 + tile, k), jEnd = min(j0 + tile, n)
                                for i in i0..<iEnd {
                                    for p in p0..<pEnd {
                                        let aip = pa[i * k + p]
                                        let bRow = p * n, cRow = i * n
                                        for j in j0..<jEnd { pc[cRow + j] += aip * pb[bRow + j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return c
    }
}
