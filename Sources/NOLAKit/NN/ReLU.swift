/// The rectified linear unit, `y = max(x, 0)`, element-wise.
///
/// Shapes: `x, y, dy, dx: (batch, n)`. Backward: `dx = dy` where `y > 0`, else 0 (the
/// derivative at exactly 0 is taken as 0, as PyTorch does). It keeps its own output for that
/// test, so it holds no reference to its input.
public final class ReLU: Layer {
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// A ReLU (no parameters).
    public init() {}

    /// None.
    public var parameters: [Parameter] { [] }

    /// `y = max(x, 0)`.
    public func forward(_ x: Matrix) -> Matrix {
        output.prepare(rows: x.rows, cols: x.cols)
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                for i in 0..<px.count { py[i] = max(px[i], 0) }
            }
        }
        return output
    }

    /// `dx = dy ⊙ [y > 0]`.
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == output.rows && dy.cols == output.cols,
            "ReLU.backward: dy is \(dy.shapeDescription) but the last output was \(output.shapeDescription)")
        inputGradient.prepare(rows: dy.rows, cols: dy.cols)
        dy.data.withUnsafeBufferPointer { pdy in
            output.data.withUnsafeBufferPointer { py in
                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                    // Both values are loaded before the test, so the loop compiles to a branch-free
                    // select (a branch on the sign of y mispredicts half the time: 20× slower).
                    for i in 0..<pdy.count {
                        let g = pdy[i]
                        pdx[i] = py[i] > 0 ? g : 0
                    }
                }
            }
        }
        return inputGradient
    }
}
