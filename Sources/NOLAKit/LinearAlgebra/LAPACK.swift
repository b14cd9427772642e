import COpenBLAS

/// The two LAPACK routines the lessons need, through OpenBLAS: eigenvalues of a symmetric matrix
/// (in Double, for numerical ranks) and singular values of a matrix.
public enum LAPACK {
    /// Eigenvalues, in ascending order, of the symmetric `n × n` matrix `a` (row-major or
    /// column-major: it is symmetric). LAPACK `dsyevd` with `jobz = 'N'`.
    public static func symmetricEigenvalues(_ a: [Double], n: Int) -> [Double] {
        checkPrecondition(a.count == n * n, "LAPACK.symmetricEigenvalues: \(a.count) values for \(n)×\(n)")
        guard n > 0 else { return [] }
        var a = a
        var w = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "N")), uplo = CChar(UInt8(ascii: "L"))
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        // Workspace query, then the call.
        var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
        dsyevd_(&jobz, &uplo, &size, &a, &lda, &w, &workSize, &query, &iworkSize, &query, &info)
        var lwork = Int32(workSize), liwork = max(1, iworkSize)
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &size, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        checkPrecondition(info == 0, "LAPACK dsyevd failed with info \(info) on a \(n)×\(n) matrix")
        return w
    }

    /// Singular values, in descending order, of `m`. LAPACK `sgesdd` with `jobz = 'N'`.
    public static func singularValues(_ m: Matrix) -> [Float] {
        let k = min(m.rows, m.cols)
        guard k > 0 else { return [] }
        // Row-major (rows, cols) is column-major (cols, rows): same singular values.
        var a = m.data
        var s = [Float](repeating: 0, count: k)
        var jobz = CChar(UInt8(ascii: "N"))
        var rows = Int32(m.cols), cols = Int32(m.rows), lda = Int32(m.cols), one: Int32 = 1, info: Int32 = 0
        var u: Float = 0, vt: Float = 0
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var workSize: Float = 0, query: Int32 = -1
        sgesdd_(&jobz, &rows, &cols, &a, &lda, &s, &u, &one, &vt, &one, &workSize, &query, &iwork, &info)
        var lwork = Int32(workSize)
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_(&jobz, &rows, &cols, &a, &lda, &s, &u, &one, &vt, &one, &work, &lwork, &iwork, &info)
        checkPrecondition(info == 0, "LAPACK sgesdd failed with info \(info) on \(m.shapeDescription)")
        return s
    }

    /// The numerical rank of a matrix from its singular values: how many exceed
    /// `relativeTolerance · σ_max`. The default, `max(rows, cols) · ε_float`, is numpy's
    /// `matrix_rank` rule for fp32 data.
    public static func numericalRank(singularValues s: [Float], rows: Int, cols: Int, relativeTolerance: Float? = nil) -> Int {
        guard let top = s.max(), top > 0 else { return 0 }
        let tolerance = relativeTolerance ?? Float(max(rows, cols)) * Float.ulpOfOne
        return s.filter { $0 > tolerance * top }.count
    }

    /// The numerical rank of a matrix from `m`'s singular values (see above).
    public static func numericalRank(_ m: Matrix, relativeTolerance: Float? = nil) -> Int {
        numericalRank(singularValues: singularValues(m), rows: m.rows, cols: m.cols, relativeTolerance: relativeTolerance)
    }
}
