/// How a vision transformer turns its `T` output tokens per image into one feature vector.
public enum TokenPooling: String, Sendable, CaseIterable {
    /// The output at the class token, position 0 (ViT's and timm's default; the paper's ViT-B/L).
    case classToken = "cls"
    /// The mean over the tokens (every position real).
    case mean

    /// `pooled: (B, C)` from `x: (B·T, C)` (sequences of `T` rows).
    ///
    ///     classToken:  pooled[b] = x[b·T]
    ///     mean:        pooled[b] = (1/T) Σ_t x[b·T + t]
    public func forward(_ x: Matrix, length t: Int) -> Matrix {
        checkPrecondition(t > 0 && x.rows % t == 0, "TokenPooling: \(x.rows) rows are not whole sequences of \(t)")
        let (b, c) = (x.rows / t, x.cols)
        var out = Matrix(rows: b, cols: c)
        for i in 0..<b {
            switch self {
            case .classToken:
                for j in 0..<c { out[i, j] = x[i * t, j] }
            case .mean:
                for s in 0..<t { for j in 0..<c { out[i, j] += x[i * t + s, j] } }
                for j in 0..<c { out[i, j] /= Float(t) }
            }
        }
        return out
    }

    /// `dx: (B·T, C)` from `dpooled: (B, C)`: the class token's rows get `dpooled`, the others 0;
    /// or every row of image `b` gets `dpooled[b] / T`.
    public func backward(_ dPooled: Matrix, length t: Int) -> Matrix {
        let (b, c) = (dPooled.rows, dPooled.cols)
        var dx = Matrix(rows: b * t, cols: c)
        for i in 0..<b {
            switch self {
            case .classToken:
                for j in 0..<c { dx[i * t, j] = dPooled[i, j] }
            case .mean:
                for s in 0..<t { for j in 0..<c { dx[i * t + s, j] = dPooled[i, j] / Float(t) } }
            }
        }
        return dx
    }
}
