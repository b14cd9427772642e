/// GPT-2's output layer: logits from the token embedding itself (weight tying), no bias.
///
///     z  = x Eᵀ            x: (N, C), E: (V, C)  →  z: (N, V)
///     dx = dz E            (N, V)·(V, C)
///     dE += dzᵀ x          (V, N)·(N, C): added to the same gradient the embedding lookup adds to
///
/// So `wte.weight` receives two gradients, one from each use, as in PyTorch with tied weights.
public final class TiedUnembedding {
    /// The shared table `E` (the token embedding's parameter).
    public let table: Parameter

    private var input = Matrix(rows: 0, cols: 0)
    private var logits = Matrix(rows: 0, cols: 0)
    var inputGradient = Matrix(rows: 0, cols: 0)
    /// Buffers of the fused pass (`lossAndInputGradient`): a block's inputs, logits, input gradient.
    var blockInput = Matrix(rows: 0, cols: 0)
    var blockLogits = Matrix(rows: 0, cols: 0)
    var blockGradient = Matrix(rows: 0, cols: 0)

    /// Logits over the rows of `table`.
    public init(table: Parameter) {
        self.table = table
    }

    /// `z = x Eᵀ`.  `x: (N, C)` → `z: (N, V)`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.cols == table.value.cols,
            "TiedUnembedding: input is \(x.shapeDescription) but the table is \(table.value.shapeDescription)")
        input = x
        logits.prepare(rows: x.rows, cols: table.value.rows)
        BLAS.gemm(x, table.value, into: &logits, transposeB: true)
        return logits
    }

    /// `dx = dz E`; `dE += dzᵀ x` when the table is trainable.  `dz: (N, V)` → `dx: (N, C)`.
    public func backward(_ dz: Matrix) -> Matrix {
        checkPrecondition(
            dz.rows == input.rows && dz.cols == table.value.rows,
            "TiedUnembedding.backward: dz is \(dz.shapeDescription) but the last input was \(input.shapeDescription) "
                + "(call forward before each backward)")
        if table.isTrainable {
            BLAS.gemm(dz, input, into: &table.grad, transposeA: true, beta: 1)
        }
        inputGradient.prepare(rows: dz.rows, cols: table.value.cols)
        BLAS.gemm(dz, table.value, into: &inputGradient)
        input = Matrix(rows: 0, cols: 0)
        return inputGradient
    }
}
