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
    /// stay in cache, and an inner loop over contiguous rows of `B` and `C` done eight floats at
    /// a time with SIMD (i–p–j order). Still one core, and no register blocking.
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
                                    let cRow = UnsafeMutableRawPointer(pc.baseAddress! + i * n)
                                    for p in p0..<pEnd {
                                        let aip = SIMD8<Float>(repeating: pa[i * k + p])
                                        let bRow = UnsafeRawPointer(pb.baseAddress! + p * n)
                                        // Eight columns at a time (one AVX register), then the rest.
                                        var j = j0
                                        while j + 8 <= jEnd {
                                            let offset = j * MemoryLayout<Float>.stride
                                            let sum = cRow.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                                                + aip * bRow.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                                            cRow.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
                                            j += 8
                                        }
                                        while j < jEnd {
                                            pc[i * n + j] += aip[0] * pb[p * n + j]
                                            j += 1
                                        }
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
