import Testing

@testable import NOLAKit

/// `LowRankUpdate`'s blocked products against the same products as whole-batch BLAS calls, and
/// its bits on one and on two threads.
@Suite("Adapters: the thin products of LoRA and NOLA")
struct AdapterLowRankTests {
    /// `(batch, in, out, r, width, first)`: one row, one block, several blocks (600 rows; 300 rows
    /// of a wide input, 127 rows per block),
    /// widths that are not multiples of eight, ranks 1–5, the columns at the start, inside and at
    /// the end of a wider output.
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 7, 5, 1, 5, 0), (3, 17, 9, 2, 30, 11), (63, 24, 16, 3, 48, 16), (64, 128, 128, 1, 384, 256),
        (65, 33, 40, 4, 120, 0), (200, 9, 13, 5, 39, 26), (600, 24, 16, 3, 16, 0), (300, 1030, 24, 2, 48, 24),
    ]

    /// The same results by BLAS products: `y[:, cols] += s (x Aᵀ) Bᵀ`; `dB = s dyᵀ h`,
    /// `dh = s dy B`, `dA = dhᵀ x`, `dx += dh A`.
    static func reference(
        x: Matrix, a: Matrix, b: Matrix, s: Float, y: Matrix, dy: Matrix, dx: Matrix, columns: Range<Int>
    ) -> (y: Matrix, dA: Matrix, dB: Matrix, dx: Matrix) {
        var h = Matrix(rows: x.rows, cols: a.rows)
        BLAS.gemm(x, a, into: &h, transposeB: true)
        var part = Matrix(rows: x.rows, cols: b.rows)
        BLAS.gemm(h, b, into: &part, transposeB: true, alpha: s)
        var y = y
        OutputSliceAdapters.addColumns(part, into: &y, at: columns.lowerBound)
        var dyPart = Matrix(rows: 0, cols: 0)
        OutputSliceAdapters.copyColumns(dy, columns, into: &dyPart)
        var dB = Matrix(rows: b.rows, cols: b.cols)
        BLAS.gemm(dyPart, h, into: &dB, transposeA: true, alpha: s)
        var dh = Matrix(rows: x.rows, cols: a.rows)
        BLAS.gemm(dyPart, b, into: &dh, alpha: s)
        var dA = Matrix(rows: a.rows, cols: a.cols)
        BLAS.gemm(dh, x, into: &dA, transposeA: true)
        var dx = dx
        BLAS.gemm(dh, a, into: &dx, beta: 1)
        return (y, dA, dB, dx)
    }

    static func expectClose(_ got: Matrix, _ want: Matrix, _ what: String) {
        #expect(got.rows == want.rows && got.cols == want.cols, "\(what): \(got.shapeDescription) vs \(want.shapeDescription)")
        let worst = zip(got.data, want.data).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst < 2e-5, "\(what): largest relative difference \(worst)")
    }

    @Test("forward and backward equal BLAS's products, columns of a wider output untouched elsewhere", arguments: shapes.indices)
    func matchesBLAS(index: Int) {
        let (n, inputs, outputs, r, width, first) = Self.shapes[index]
        let columns = first..<(first + outputs)
        let x = randomMatrix(n, inputs, seed: 1), a = randomMatrix(r, inputs, seed: 2), b = randomMatrix(outputs, r, seed: 3)
        let y0 = randomMatrix(n, width, seed: 4), dy = randomMatrix(n, width, seed: 5), dx0 = randomMatrix(n, inputs, seed: 6)
        let want = Self.reference(x: x, a: a, b: b, s: 0.75, y: y0, dy: dy, dx: dx0, columns: columns)

        var update = LowRankUpdate()
        var y = y0
        update.forward(x, a: a, b: b, scale: 0.75, adding: &y, columns: columns)
        Self.expectClose(y, want.y, "y")
        for i in 0..<n {
            for j in 0..<width where !columns.contains(j) { #expect(y[i, j] == y0[i, j], "y[\(i), \(j)] outside the columns changed") }
        }
        var dA: Matrix? = Matrix(rows: 0, cols: 0), dB: Matrix? = Matrix(rows: 0, cols: 0), dx: Matrix? = dx0
        update.backward(dy, columns: columns, input: x, a: a, b: b, scale: 0.75, dA: &dA, dB: &dB, dx: &dx)
        Self.expectClose(dA!, want.dA, "dA")
        Self.expectClose(dB!, want.dB, "dB")
        Self.expectClose(dx!, want.dx, "dx")

        // Each output alone: the others nil give the same values.
        var onlyB: Matrix? = Matrix(rows: 0, cols: 0), none: Matrix? = nil, noneX: Matrix? = nil
        update.backward(dy, columns: columns, input: x, a: a, b: b, scale: 0.75, dA: &none, dB: &onlyB, dx: &noneX)
        #expect(onlyB!.data == dB!.data)
    }

    @Test("an empty batch: y untouched, dA and dB zero")
    func emptyBatch() {
        let x = Matrix(rows: 0, cols: 6), a = randomMatrix(2, 6, seed: 2), b = randomMatrix(4, 2, seed: 3)
        var y = Matrix(rows: 0, cols: 4), update = LowRankUpdate()
        update.forward(x, a: a, b: b, scale: 1, adding: &y, columns: 0..<4)
        #expect(update.h.rows == 0 && update.h.cols == 2)
        var dA: Matrix? = randomMatrix(2, 6, seed: 7), dB: Matrix? = randomMatrix(4, 2, seed: 8), dx: Matrix? = Matrix(rows: 0, cols: 6)
        update.backward(Matrix(rows: 0, cols: 4), columns: 0..<4, input: x, a: a, b: b, scale: 1, dA: &dA, dB: &dB, dx: &dx)
        #expect(dA!.data == [Float](repeating: 0, count: 12) && dB!.data == [Float](repeating: 0, count: 8))
    }

    @Test("the same bits on one thread and on two (blocks of rows, summed in order)")
    func sameBitsOnAnyThreadCount() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            func run() -> [Float] {
                let (n, inputs, outputs, r) = (301, 40, 24, 3)
                let x = randomMatrix(n, inputs, seed: 1), a = randomMatrix(r, inputs, seed: 2), b = randomMatrix(outputs, r, seed: 3)
                var y = randomMatrix(n, 2 * outputs, seed: 4)
                let dy = randomMatrix(n, 2 * outputs, seed: 5)
                var update = LowRankUpdate()
                update.forward(x, a: a, b: b, scale: 0.5, adding: &y, columns: outputs..<(2 * outputs))
                var dA: Matrix? = Matrix(rows: 0, cols: 0), dB: Matrix? = Matrix(rows: 0, cols: 0), dx: Matrix? = Matrix(rows: n, cols: inputs)
                update.backward(dy, columns: outputs..<(2 * outputs), input: x, a: a, b: b, scale: 0.5, dA: &dA, dB: &dB, dx: &dx)
                return y.data + dA!.data + dB!.data + dx!.data
            }
            BLAS.threads = 1
            let one = run()
            BLAS.threads = 2
            let two = run()
            print("workers \(Parallel.workers) same \(one == two)")
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(output.contains("workers 2 same true"), "\(output)")
    }
}
