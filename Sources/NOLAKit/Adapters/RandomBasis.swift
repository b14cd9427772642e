import COpenBLAS

/// A frozen random basis: `count` matrices `M_0 … M_{count−1}`, each `(rows, cols)`, drawn
/// Uniform(−1, 1) from one Philox stream, `M_i` at positions `[i·rows·cols, (i+1)·rows·cols)`.
///
/// NOLA and PRANC only ever need two things from their basis, and both are one BLAS
/// matrix–vector product with the basis stacked as a `(count, rows·cols)` matrix `S`:
///
///     combine:  vec(out) += Sᵀ c      out = Σ_i c_i M_i        (forward: build A, B or ΔW)
///     project:  g += S vec(G)         g_i = ⟨M_i, G⟩            (backward: dα, dβ from dA, dB)
///
/// The basis can be stored in three ways that give identical numbers (the same words of the same
/// stream): materialized (`S` kept in memory), shared (one materialized basis referenced by every
/// layer of a shape: the caller shares the object), or generated on the fly in chunks of about
/// `chunkFloats` floats (whole matrices) for every combine and project, never holding more than
/// one chunk (memory O(chunk) instead of `count·rows·cols` floats). Random access into the stream is what
/// makes the last mode possible.
public final class RandomBasis {
    /// How the basis is held.
    public enum Storage: Sendable, Equatable {
        /// All `count` matrices in memory.
        case materialized
        /// Regenerated whenever it is used, in chunks of whole matrices holding at most
        /// `chunkFloats` floats (at least one matrix).
        case onTheFly(chunkFloats: Int)

        /// On the fly in chunks of 64 K floats (256 KB: stays in cache).
        public static let onTheFly = Storage.onTheFly(chunkFloats: 1 << 16)
    }

    /// Number of basis matrices.
    public let count: Int
    /// Rows of each matrix.
    public let rows: Int
    /// Columns of each matrix.
    public let cols: Int
    /// The stream the matrices come from.
    public let stream: RandomStream
    /// Materialized or on the fly.
    public let storage: Storage

    /// `S: (count, rows·cols)` when materialized; empty otherwise.
    private var stacked: [Float] = []
    /// The chunk buffer of the on-the-fly mode, reused.
    private var chunkBuffer: [Float] = []

    /// Elements per matrix, `rows·cols`.
    public var matrixSize: Int { rows * cols }

    /// Floats this basis keeps in memory (the whole basis, or one chunk).
    public var residentFloats: Int {
        switch storage {
        case .materialized: count * matrixSize
        case .onTheFly: min(matricesPerChunk, count) * matrixSize
        }
    }

    /// Matrices per generated chunk in the on-the-fly mode.
    public var matricesPerChunk: Int {
        switch storage {
        case .materialized: count
        case .onTheFly(let floats): max(1, floats / matrixSize)
        }
    }

    /// The basis of `count` matrices `(rows, cols)` from `stream`.
    public init(count: Int, rows: Int, cols: Int, stream: RandomStream, storage: Storage = .materialized) {
        checkPrecondition(count >= 0 && rows > 0 && cols > 0, "RandomBasis: bad shape \(count)×(\(rows)×\(cols))")
        if case .onTheFly(let floats) = storage {
            checkPrecondition(floats > 0, "RandomBasis: chunk must be positive, got \(floats)")
        }
        self.count = count
        self.rows = rows
        self.cols = cols
        self.stream = stream
        self.storage = storage
        if storage == .materialized {
            stacked = [Float](repeating: 0, count: count * rows * cols)
            stacked.withUnsafeMutableBufferPointer { stream.fillSymmetric(from: 0, into: $0) }
        }
    }

    /// Basis matrix `i`, regenerated from the stream (for tests, merging and figures).
    public func matrix(_ i: Int) -> Matrix {
        checkPrecondition(i >= 0 && i < count, "RandomBasis.matrix: index \(i) outside 0..<\(count)")
        return Matrix(rows: rows, cols: cols, data: stream.symmetric(matrixSize, from: UInt64(i * matrixSize)))
    }

    /// `out += Σ_i c_i M_i`.  `coefficients: count` values, `out: (rows, cols)`.
    public func combine(_ coefficients: [Float], into out: inout Matrix) {
        checkPrecondition(
            coefficients.count == count && out.rows == rows && out.cols == cols,
            "RandomBasis.combine: \(coefficients.count) coefficients into \(out.shapeDescription) "
                + "for a basis of \(count) matrices (\(rows)×\(cols))")
        guard count > 0 else { return }
        coefficients.withUnsafeBufferPointer { c in
            out.data.withUnsafeMutableBufferPointer { o in
                forEachChunk { first, n, s in
                    // vec(out) += S_chunkᵀ c_chunk:  (n, size)ᵀ · (n)
                    cblas_sgemv(
                        CblasRowMajor, CblasTrans, blasint(n), blasint(matrixSize), 1, s,
                        blasint(matrixSize), c.baseAddress! + first, 1, 1, o.baseAddress!, 1)
                }
            }
        }
    }

    /// `gradient[i] += ⟨M_i, G⟩`.  `G: (rows, cols)`, `gradient: count` values.
    public func project(_ g: Matrix, addingTo gradient: inout [Float]) {
        checkPrecondition(
            gradient.count == count && g.rows == rows && g.cols == cols,
            "RandomBasis.project: \(g.shapeDescription) onto \(gradient.count) coefficients "
                + "for a basis of \(count) matrices (\(rows)×\(cols))")
        guard count > 0 else { return }
        g.data.withUnsafeBufferPointer { pg in
            gradient.withUnsafeMutableBufferPointer { d in
                forEachChunk { first, n, s in
                    // d_chunk += S_chunk · vec(G):  (n, size) · (size)
                    cblas_sgemv(
                        CblasRowMajor, CblasNoTrans, blasint(n), blasint(matrixSize), 1, s,
                        blasint(matrixSize), pg.baseAddress!, 1, 1, d.baseAddress! + first, 1)
                }
            }
        }
    }

    /// Matrices per BLAS call in `combine` and `project`: the on-the-fly chunk, and for a
    /// materialized basis the default on-the-fly chunk (64 K floats). Both modes therefore make
    /// the same BLAS calls on the same numbers and agree bit for bit, not just to rounding.
    var matricesPerCall: Int {
        switch storage {
        case .materialized: max(1, (1 << 16) / matrixSize)
        case .onTheFly: matricesPerChunk
        }
    }

    /// Calls `body(first, n, S_chunk)` for consecutive chunks of `matricesPerCall` matrices of
    /// the stacked basis: slices of the stored basis when materialized, else freshly generated.
    private func forEachChunk(_ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let perChunk = min(matricesPerCall, count)
        switch storage {
        case .materialized:
            stacked.withUnsafeBufferPointer { all in
                var first = 0
                while first < count {
                    let n = min(perChunk, count - first)
                    body(first, n, all.baseAddress! + first * matrixSize)
                    first += n
                }
            }
        case .onTheFly:
            if chunkBuffer.count != perChunk * matrixSize {
                chunkBuffer = [Float](repeating: 0, count: perChunk * matrixSize)
            }
            var first = 0
            while first < count {
                let n = min(perChunk, count - first)
                chunkBuffer.withUnsafeMutableBufferPointer { buffer in
                    let part = UnsafeMutableBufferPointer(rebasing: buffer[0..<(n * matrixSize)])
                    stream.fillSymmetric(from: UInt64(first * matrixSize), into: part)
                    body(first, n, UnsafePointer(buffer.baseAddress!))
                }
                first += n
            }
        }
    }
}
