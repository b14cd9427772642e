import Foundation
import NOLAKit
import Testing

/// The BLAS wrappers against plain loops: every transpose combination of gemm with alpha and
/// beta on odd shapes, gemv both ways, axpy, dot, scal, and the shape-mismatch message.
@Suite("BLAS wrappers against plain loops")
struct LinearAlgebraBLASTests {
    static func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        RandomStream(seed: seed).uniformMatrix(rows: rows, cols: cols, bound: 1)
    }

    /// `alpha · op(A) · op(B) + beta · C` by the definition, in Double.
    static func loops(_ a: Matrix, _ b: Matrix, _ c: Matrix, tA: Bool, tB: Bool, alpha: Float, beta: Float) -> Matrix {
        var out = Matrix(rows: c.rows, cols: c.cols)
        let k = tA ? a.rows : a.cols
        for i in 0..<c.rows {
            for j in 0..<c.cols {
                var s = 0.0
                for p in 0..<k { s += Double(tA ? a[p, i] : a[i, p]) * Double(tB ? b[j, p] : b[p, j]) }
                out[i, j] = Float(Double(alpha) * s + Double(beta) * Double(c[i, j]))
            }
        }
        return out
    }

    @Test("gemm equals the definition for every transpose combination, alpha and beta, odd shapes",
          arguments: [(1, 1, 1), (7, 13, 5), (129, 65, 33)])
    func gemm(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        for tA in [false, true] {
            for tB in [false, true] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                    let a = tA ? Self.random(k, m, seed: 1) : Self.random(m, k, seed: 1)
                    let b = tB ? Self.random(n, k, seed: 2) : Self.random(k, n, seed: 2)
                    let c0 = Self.random(m, n, seed: 3)
                    var c = c0
                    BLAS.gemm(a, b, into: &c, transposeA: tA, transposeB: tB, alpha: alpha, beta: beta)
                    let expected = Self.loops(a, b, c0, tA: tA, tB: tB, alpha: alpha, beta: beta)
                    #expect(c.maxAbsDifference(expected) < 1e-4 * Float(k),
                            "(\(m)×\(k)×\(n)) tA \(tA) tB \(tB) α \(alpha) β \(beta): \(c.maxAbsDifference(expected))")
                }
            }
        }
    }

    @Test("gemv both ways, axpy, dot and scal equal plain loops")
    func level1and2() {
        let a = Self.random(7, 13, seed: 4)
        let x13 = Self.random(1, 13, seed: 5).data, x7 = Self.random(1, 7, seed: 6).data
        var y = x7
        BLAS.gemv(a, x13, into: &y, alpha: 2, beta: -1)
        for i in 0..<7 {
            let s = (0..<13).reduce(0.0) { $0 + Double(a[i, $1]) * Double(x13[$1]) }
            #expect(abs(Double(y[i]) - (2 * s - Double(x7[i]))) < 1e-5)
        }
        var z = [Float](repeating: 9, count: 13)
        BLAS.gemv(a, x7, into: &z, transpose: true)
        for j in 0..<13 {
            let s = (0..<7).reduce(0.0) { $0 + Double(a[$1, j]) * Double(x7[$1]) }
            #expect(abs(Double(z[j]) - s) < 1e-5, "beta 0 ignores what y held")
        }
        var w = x13
        BLAS.axpy(3, x13, &w)
        #expect(zip(w, x13).allSatisfy { abs($0 - 4 * $1) < 1e-6 })
        let d = BLAS.dot(x13, w)
        #expect(abs(Double(d) - zip(x13, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }) < 1e-5)
        BLAS.scal(-0.5, &w)
        #expect(zip(w, x13).allSatisfy { abs($0 + 2 * $1) < 1e-6 })
    }

    @Test("a gemm shape mismatch stops with a message naming both shapes")
    func shapeMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var c = Matrix(rows: 2, cols: 3)
            BLAS.gemm(Matrix(rows: 2, cols: 4), Matrix(rows: 5, cols: 3), into: &c)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("(2×4)") && message.contains("(5×3)"), "\(message)")
    }
}
