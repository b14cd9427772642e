/// The mean squared error over all elements (PyTorch's `F.mse_loss`, reduction "mean"):
///
///     L = (1/N) Σ (p − t)²,   N = rows · cols
///
/// Backward: `dp = 2 (p − t) / N`. Shapes: `p, t, dp: (B, n)`.
public final class MeanSquaredError {
    /// `p − t` of the last forward, kept for backward.
    private var difference = Matrix(rows: 0, cols: 0)
    private var predictionGradient = Matrix(rows: 0, cols: 0)

    /// A loss (it keeps `p − t` between forward and backward).
    public init() {}

    /// `mean((prediction − target)²)`.
    public func forward(_ prediction: Matrix, target: Matrix) -> Float {
        checkPrecondition(
            prediction.rows == target.rows && prediction.cols == target.cols,
            "MeanSquaredError: prediction is \(prediction.shapeDescription) but target is \(target.shapeDescription)")
        checkPrecondition(prediction.count > 0, "MeanSquaredError: prediction \(prediction.shapeDescription) is empty")
        difference.prepare(rows: prediction.rows, cols: prediction.cols)
        var total: Double = 0
        prediction.data.withUnsafeBufferPointer { pp in
            target.data.withUnsafeBufferPointer { pt in
                difference.data.withUnsafeMutableBufferPointer { pd in
                    for i in 0..<pp.count {
                        let d = pp[i] - pt[i]
                        pd[i] = d
                        total += Double(d * d)
                    }
                }
            }
        }
        return Float(total / Double(prediction.count))
    }

    /// `dp = 2 (p − t) / N`: same shape as the prediction.
    public func backward() -> Matrix {
        checkPrecondition(difference.count > 0, "MeanSquaredError.backward: call forward first")
        predictionGradient.prepare(rows: difference.rows, cols: difference.cols)
        let scale = 2 / Float(difference.count)
        difference.data.withUnsafeBufferPointer { pd in
            predictionGradient.data.withUnsafeMutableBufferPointer { pg in
                for i in 0..<pd.count { pg[i] = pd[i] * scale }
            }
        }
        return predictionGradient
    }
}
