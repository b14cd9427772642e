import Testing

@testable import NOLAKit

@Suite("LAPACK, numerical rank, reference matrix multiplies")
struct LinearAlgebraLAPACKTests {
    @Test("eigenvalues of known symmetric matrices")
    func eigenvalues() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let w = LAPACK.symmetricEigenvalues([2, 1, 1, 2], n: 2)
        #expect(abs(w[0] - 1) < 1e-12 && abs(w[1] - 3) < 1e-12)
        // A diagonal matrix: its diagonal, sorted.
        let d = LAPACK.symmetricEigenvalues([5, 0, 0, 0, -1, 0, 0, 0, 2], n: 3)
        #expect(d == [-1, 2, 5])
    }

    @Test("singular values of a known matrix, and of its transpose")
    func singularValues() {
        // [[3, 0], [4, 5]] has singular values √45 and √5.
        let m = Matrix(rows: 2, cols: 2, data: [3, 0, 4, 5])
        let s = LAPACK.singularValues(m)
        #expect(abs(s[0] - Float(45).squareRoot()) < 1e-5 && abs(s[1] - Float(5).squareRoot()) < 1e-5)
        let wide = RandomStream(seed: 3).uniformMatrix(rows: 3, cols: 7, bound: 1)
        #expect(LAPACK.singularValues(wide).count == 3)
        #expect(zip(LAPACK.singularValues(wide), LAPACK.singularValues(wide.transposed())).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("numerical rank of constructed rank-r matrices", arguments: [1, 3, 7])
    func rank(r: Int) {
        // (20 × r) · (r × 15) has rank r exactly.
        let u = RandomStream(seed: 1).uniformMatrix(rows: 20, cols: r, bound: 1)
        let v = RandomStream(seed: 2).uniformMatrix(rows: r, cols: 15, bound: 1)
        var m = Matrix(rows: 20, cols: 15)
        BLAS.gemm(u, v, into: &m)
        #expect(LAPACK.numericalRank(m) == r)
        #expect(LAPACK.numericalRank(Matrix(rows: 4, cols: 4)) == 0)
    }

    @Test("naive and blocked multiplies agree with BLAS on odd shapes")
    func referenceGemm() {
        for (m, k, n) in [(1, 1, 1), (5, 7, 3), (65, 33, 130), (64, 64, 64)] {
            let a = RandomStream(seed: 4).uniformMatrix(rows: m, cols: k, bound: 1)
            let b = RandomStream(seed: 5).uniformMatrix(rows: k, cols: n, bound: 1)
            let reference = BLAS.matmul(a, b)
            #expect(ReferenceGemm.naive(a, b).maxAbsDifference(reference) < 1e-4)
            #expect(ReferenceGemm.blocked(a, b, tile: 16).maxAbsDifference(reference) < 1e-4)
        }
    }
}

@Suite("Subspace coverage (paper A.1, Fig. 2)")
struct SubspaceCoverageTests {
    @Test("PRANC reaches exactly min(n, d²) dimensions", arguments: [1, 5, 20, 36, 50])
    func pranc(n: Int) {
        let d = 6
        let result = SubspaceCoverage.measure(.pranc(n: n), d: d, seed: 7)
        #expect(result.rank == min(n, d * d))
        #expect(result.coverage == SubspaceCoverage.Method.pranc(n: n).predictedCoverage(d: d))
    }

    @Test("NOLA spans min(k·l, d²) dimensions: full once k·l ≥ d², whatever the rank", arguments: [1, 2, 4])
    func nola(rank: Int) {
        let d = 6
        for k in [2, 3, 4, 6, 8] {
            let result = SubspaceCoverage.measure(.nola(k: k, l: k, rank: rank), d: d, seed: 8)
            #expect(result.rank <= min(k * k, d * d))
            if k * k >= d * d { #expect(result.rank == d * d, "k = l = \(k), rank \(rank)") }
        }
        // Below saturation the bilinear span is the k·l products A_i B_j.
        #expect(SubspaceCoverage.measure(.nola(k: 3, l: 3, rank: rank), d: d, seed: 9).rank == 9)
    }

    @Test("the same seed gives the same samples; another seed other samples")
    func deterministic() {
        let a = SubspaceCoverage.samples(.nola(k: 3, l: 3, rank: 2), d: 4, count: 10, seed: 1)
        #expect(a == SubspaceCoverage.samples(.nola(k: 3, l: 3, rank: 2), d: 4, count: 10, seed: 1))
        #expect(a != SubspaceCoverage.samples(.nola(k: 3, l: 3, rank: 2), d: 4, count: 10, seed: 2))
    }
}
