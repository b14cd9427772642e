/// A lookup table: token `t` becomes row `t` of `E: (vocabulary, dimension)` (PyTorch's
/// `nn.Embedding`, initialised N(0, 1) as there).
///
/// Shapes: `ids: [Int]` of length `n` → `y: (n, dimension)`. Backward adds row `i` of `dy` into
/// row `ids[i]` of `dE` (a token seen twice gets both contributions). The input is integers, so
/// there is no input gradient and Embedding is not a `Layer`: it is the first stage of a model.
public final class Embedding {
    /// A short name (`wte`); the table is `wte.weight`.
    public let name: String
    /// `E: (vocabulary, dimension)`.
    public let table: Parameter

    private var ids: [Int] = []
    private var output = Matrix(rows: 0, cols: 0)

    /// A table with the given rows.
    public init(name: String, table: Matrix) {
        self.name = name
        self.table = Parameter(name: "\(name).weight", value: table)
    }

    /// A `vocabulary × dimension` table of standard normals from `random` (positions
    /// `[0, vocabulary·dimension)`).
    public convenience init(name: String, vocabulary: Int, dimension: Int, random: RandomStream) {
        checkPrecondition(vocabulary > 0 && dimension > 0, "Embedding \(name): shape (\(vocabulary)×\(dimension)) must be positive")
        let e = Matrix(rows: vocabulary, cols: dimension, data: random.normal(vocabulary * dimension))
        self.init(name: name, table: e)
    }

    /// Number of rows (tokens).
    public var vocabulary: Int { table.value.rows }
    /// Length of each row.
    public var dimension: Int { table.value.cols }

    /// The table.
    public var parameters: [Parameter] { [table] }

    /// `y[i] = E[ids[i]]`.  `ids: n` → `y: (n, dimension)`.
    public func forward(_ ids: [Int]) -> Matrix {
        let v = vocabulary
        let d = dimension
        for t in ids {
            checkPrecondition(t >= 0 && t < v, "Embedding \(name): token id \(t) is outside 0..<\(v)")
        }
        self.ids = ids
        output.prepare(rows: ids.count, cols: d)
        table.value.data.withUnsafeBufferPointer { pe in
            output.data.withUnsafeMutableBufferPointer { py in
                for (i, t) in ids.enumerated() {
                    (py.baseAddress! + i * d).update(from: pe.baseAddress! + t * d, count: d)
                }
            }
        }
        return output
    }

    /// `dE[ids[i]] += dy[i]` (when the table is trainable).  `dy: (n, dimension)`.
    public func backward(_ dy: Matrix) {
        checkPrecondition(
            dy.rows == ids.count && dy.cols == dimension,
            "Embedding \(name).backward: dy is \(dy.shapeDescription) but the last forward looked up "
                + "\(ids.count) tokens of dimension \(dimension)")
        guard table.isTrainable else { return }
        let d = dimension
        dy.data.withUnsafeBufferPointer { pdy in
            table.grad.data.withUnsafeMutableBufferPointer { pe in
                for (i, t) in ids.enumerated() {
                    for j in 0..<d { pe[t * d + j] += pdy[i * d + j] }
                }
            }
        }
    }
}
