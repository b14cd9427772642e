/// A frozen random basis: `count` matrices `M_0 … M_{count−1}`, each `(rows, cols)`, drawn
/// Uniform(−1, 1) from one Philox stream, `M_i` at positions `[i·rows·cols, (i+1)·rows·cols)`.
///
/// NOLA and PRANC only ever need two things from their basis, both a pass over the basis stacked
/// as a `(count, rows·cols)` matrix `S`:
///
///     combine:  vec(out) += Sᵀ c      out += Σ_i c_i M_i       (forward: build A, B or W + ΔW)
///     project:  g += S vec(G)         g_i += ⟨M_i, G⟩           (backward: dα, dβ from dA, dB)
///
/// Both walk `S` once, in tiles of `tileColumns` consecutive elements of every matrix (a
/// `(count, tileColumns)` block of `S`): a tile of `out` stays in the first-level cache while
/// each basis float is read once. A PRANC layer of 784→256 with n = 32 has a 25.7 MB basis, so
/// one pass is the whole cost; the earlier matrix-by-matrix passes read `out` 32 times.
///
/// The basis can be stored in three ways that give identical numbers (the same words of the same
/// stream): materialized (`S` kept in memory), shared (one materialized basis referenced by every
/// layer of a shape: the caller shares the object), or generated on the fly, tile by tile, for
/// every combine and project, never holding more than one tile of about `chunkFloats` floats
/// (memory O(chunk) instead of `count·rows·cols` floats). Random access into the stream is what
/// makes the last mode possible: tile `[j, j + w)` of matrix `i` is the stream's words
/// `[i·rows·cols + j, … + w)`. Both modes run the same arithmetic on the same tiles
/// (`combineTile`, `projectTile`, fixed summation orders), so they agree bit for bit.
public final class RandomBasis {
    /// How the basis is held.
    public enum Storage: Sendable, Equatable {
        /// All `count` matrices in memory.
        case materialized
        /// Regenerated whenever it is used, one tile of at most `chunkFloats` floats at a time
        /// (at least one element of each matrix).
        case onTheFly(chunkFloats: Int)

        /// On the fly in tiles of 64 K floats (256 KB: stays in cache).
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
    /// The tile buffer of the on-the-fly mode, and the sums of one tile in `combine`, reused.
    private var tileBuffer: [Float] = []
    private var sumBuffer: [Float] = []

    /// Elements per matrix, `rows·cols`.
    public var matrixSize: Int { rows * cols }

    /// Floats this basis keeps in memory (the whole basis, or one tile).
    public var residentFloats: Int {
        switch storage {
        case .materialized: count * matrixSize
        case .onTheFly: count * tileColumns
        }
    }

    /// Elements of each matrix per tile: as many as fit `count` rows in the chunk (64 K floats
    /// for a materialized basis, the same as the default on-the-fly chunk, so that both make the
    /// same tiles), at least one, at most the whole matrix.
    public var tileColumns: Int {
        let floats: Int
        switch storage {
        case .materialized: floats = 1 << 16
        case .onTheFly(let chunk): floats = chunk
        }
        return max(1, min(matrixSize, floats / max(count, 1)))
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
    ///
    /// Element by element, the sum `Σ_i c_i M_i[j]` is accumulated first, in the order of `i`,
    /// and then added to `out[j]` (so `A₀ + Σ α_i A_i` and `W + Σ α_i W_i` round like PyTorch's
    /// `A0 + alpha @ basis`).
    public func combine(_ coefficients: [Float], into out: inout Matrix) {
        checkPrecondition(
            coefficients.count == count && out.rows == rows && out.cols == cols,
            "RandomBasis.combine: \(coefficients.count) coefficients into \(out.shapeDescription) "
                + "for a basis of \(count) matrices (\(rows)×\(cols))")
        guard count > 0 else { return }
        let n = count
        if sumBuffer.count < tileColumns { sumBuffer = [Float](repeating: 0, count: tileColumns) }
        coefficients.withUnsafeBufferPointer { c in
            out.data.withUnsafeMutableBufferPointer { o in
                sumBuffer.withUnsafeMutableBufferPointer { sum in
                    forEachTile { first, width, tile, stride in
                        RandomBasis.combineTile(
                            c.baseAddress!, count: n, tile: tile, stride: stride, width: width, sum: sum.baseAddress!,
                            into: o.baseAddress! + first)
                    }
                }
            }
        }
    }

    /// `gradient[i] += ⟨M_i, G⟩`.  `G: (rows, cols)`, `gradient: count` values.
    ///
    /// Each inner product is summed tile by tile (`projectTile`), the tiles in order.
    public func project(_ g: Matrix, addingTo gradient: inout [Float]) {
        checkPrecondition(
            gradient.count == count && g.rows == rows && g.cols == cols,
            "RandomBasis.project: \(g.shapeDescription) onto \(gradient.count) coefficients "
                + "for a basis of \(count) matrices (\(rows)×\(cols))")
        guard count > 0 else { return }
        let n = count
        g.data.withUnsafeBufferPointer { pg in
            gradient.withUnsafeMutableBufferPointer { d in
                forEachTile { first, width, tile, stride in
                    RandomBasis.projectTile(
                        tile, count: n, stride: stride, width: width, g: pg.baseAddress! + first, addingTo: d.baseAddress!)
                }
            }
        }
    }

    /// Calls `body(first, width, tile, stride)` for consecutive tiles: elements
    /// `[first, first + width)` of every matrix, row `i` of the tile at `tile + i·stride`. A
    /// materialized basis hands out blocks of `S` (stride `rows·cols`); on the fly, each tile is
    /// generated into a reused buffer (stride `width`).
    private func forEachTile(_ body: (Int, Int, UnsafePointer<Float>, Int) -> Void) {
        let size = matrixSize, columns = tileColumns
        switch storage {
        case .materialized:
            stacked.withUnsafeBufferPointer { all in
                for first in Swift.stride(from: 0, to: size, by: columns) {
                    body(first, min(columns, size - first), all.baseAddress! + first, size)
                }
            }
        case .onTheFly:
            if tileBuffer.count != count * columns {
                tileBuffer = [Float](repeating: 0, count: count * columns)
            }
            for first in Swift.stride(from: 0, to: size, by: columns) {
                let width = min(columns, size - first)
                tileBuffer.withUnsafeMutableBufferPointer { buffer in
                    for i in 0..<count {
                        let row = UnsafeMutableBufferPointer(rebasing: buffer[(i * width)..<((i + 1) * width)])
                        stream.fillSymmetric(from: UInt64(i * size + first), into: row)
                    }
                    body(first, width, UnsafePointer(buffer.baseAddress!), width)
                }
            }
        }
    }

    // MARK: The two kernels (the only arithmetic on the basis)

    /// `out[j] += Σ_{i<count} c[i] · tile[i·stride + j]` for `j < width`: the sum from 0 in the
    /// order of `i` (products and sums rounded separately) in `sum` (room for `width` floats),
    /// then one addition to `out[j]`. Eight rows at a time stream through (eight prefetch
    /// streams; `sum` is loaded and stored once per eight rows), eight columns at a time in SIMD
    /// lanes, the rest one by one with the same operations in the same order.
    static func combineTile(
        _ c: UnsafePointer<Float>, count: Int, tile: UnsafePointer<Float>, stride: Int, width: Int,
        sum: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        let whole = width & ~7
        let raw = UnsafeRawPointer(tile), rawSum = UnsafeMutableRawPointer(sum), rawOut = UnsafeMutableRawPointer(out)
        let rowBytes = stride * 4
        sum.update(repeating: 0, count: width)
        var i = 0
        while i + 8 <= count {
            let c0 = V(repeating: c[i]), c1 = V(repeating: c[i + 1]), c2 = V(repeating: c[i + 2]), c3 = V(repeating: c[i + 3])
            let c4 = V(repeating: c[i + 4]), c5 = V(repeating: c[i + 5]), c6 = V(repeating: c[i + 6]), c7 = V(repeating: c[i + 7])
            let base = i * rowBytes
            var j = 0
            while j < whole {
                let at = base + j * 4
                var s = rawSum.loadUnaligned(fromByteOffset: j * 4, as: V.self)
                s = s + c0 * raw.loadUnaligned(fromByteOffset: at, as: V.self)
                s = s + c1 * raw.loadUnaligned(fromByteOffset: at + rowBytes, as: V.self)
                s = s + c2 * raw.loadUnaligned(fromByteOffset: at + 2 * rowBytes, as: V.self)
                s = s + c3 * raw.loadUnaligned(fromByteOffset: at + 3 * rowBytes, as: V.self)
                s = s + c4 * raw.loadUnaligned(fromByteOffset: at + 4 * rowBytes, as: V.self)
                s = s + c5 * raw.loadUnaligned(fromByteOffset: at + 5 * rowBytes, as: V.self)
                s = s + c6 * raw.loadUnaligned(fromByteOffset: at + 6 * rowBytes, as: V.self)
                s = s + c7 * raw.loadUnaligned(fromByteOffset: at + 7 * rowBytes, as: V.self)
                rawSum.storeBytes(of: s, toByteOffset: j * 4, as: V.self)
                j += 8
            }
            while j < width {
                var s = sum[j]
                for r in i..<(i + 8) { s = s + c[r] * tile[r * stride + j] }
                sum[j] = s
                j += 1
            }
            i += 8
        }
        while i < count {
            let ci = c[i], lanes = V(repeating: c[i])
            var j = 0
            while j < whole {
                let s = rawSum.loadUnaligned(fromByteOffset: j * 4, as: V.self)
                rawSum.storeBytes(of: s + lanes * raw.loadUnaligned(fromByteOffset: i * rowBytes + j * 4, as: V.self), toByteOffset: j * 4, as: V.self)
                j += 8
            }
            while j < width {
                sum[j] = sum[j] + ci * tile[i * stride + j]
                j += 1
            }
            i += 1
        }
        var j = 0
        while j < whole {
            let o = rawOut.loadUnaligned(fromByteOffset: j * 4, as: V.self)
            rawOut.storeBytes(of: o + rawSum.loadUnaligned(fromByteOffset: j * 4, as: V.self), toByteOffset: j * 4, as: V.self)
            j += 8
        }
        while j < width {
            out[j] = out[j] + sum[j]
            j += 1
        }
    }

    /// `d[i] += Σ_{j<width} tile[i·stride + j] · g[j]` for `i < count`: eight partial sums over
    /// columns `j ≡ 0 … 7 (mod 8)` of the whole octets, added lane 0 to 7, then the remaining
    /// columns in order, then one addition to `d[i]`. Four rows at a time share each load of `g`
    /// (rows are independent: grouping them changes no bit).
    static func projectTile(
        _ tile: UnsafePointer<Float>, count: Int, stride: Int, width: Int, g: UnsafePointer<Float>,
        addingTo d: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        let raw = UnsafeRawPointer(tile), rawG = UnsafeRawPointer(g)
        let whole = width & ~7, rowBytes = stride * 4
        @inline(__always) func finish(_ lanes: V, row i: Int) {
            var s: Float = 0
            for lane in 0..<8 { s = s + lanes[lane] }
            for j in whole..<width { s = s + tile[i * stride + j] * g[j] }
            d[i] = d[i] + s
        }
        var i = 0
        while i + 4 <= count {
            var a0 = V(repeating: 0), a1 = V(repeating: 0), a2 = V(repeating: 0), a3 = V(repeating: 0)
            let base = i * rowBytes
            var j = 0
            while j < whole {
                let gj = rawG.loadUnaligned(fromByteOffset: j * 4, as: V.self), at = base + j * 4
                a0 = a0 + raw.loadUnaligned(fromByteOffset: at, as: V.self) * gj
                a1 = a1 + raw.loadUnaligned(fromByteOffset: at + rowBytes, as: V.self) * gj
                a2 = a2 + raw.loadUnaligned(fromByteOffset: at + 2 * rowBytes, as: V.self) * gj
                a3 = a3 + raw.loadUnaligned(fromByteOffset: at + 3 * rowBytes, as: V.self) * gj
                j += 8
            }
            finish(a0, row: i)
            finish(a1, row: i + 1)
            finish(a2, row: i + 2)
            finish(a3, row: i + 3)
            i += 4
        }
        while i < count {
            var a = V(repeating: 0)
            var j = 0
            while j < whole {
                a = a + raw.loadUnaligned(fromByteOffset: i * rowBytes + j * 4, as: V.self)
                    * rawG.loadUnaligned(fromByteOffset: j * 4, as: V.self)
                j += 8
            }
            finish(a, row: i)
            i += 1
        }
    }
}
