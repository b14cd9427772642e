#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Gaussian error linear unit in its tanh form (GPT-2's, PyTorch's
/// `GELU(approximate="tanh")`), element-wise:
///
///     y = ½ x (1 + tanh u),   u = √(2/π) (x + 0.044715 x³)
///
/// Backward: `dy/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)`.
/// Shapes: `x, y, dy, dx: (batch, n)`.
public final class GELU: Layer {
    private var input = Matrix(rows: 0, cols: 0)
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// `√(2/π)`.
    static let k: Float = 0.797_884_56
    /// The cubic coefficient of the approximation.
    static let c: Float = 0.044715

    /// A GELU (no parameters).
    public init() {}

    /// None.
    public var parameters: [Parameter] { [] }

    /// `y = ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))`.
    public func forward(_ x: Matrix) -> Matrix {
        input = x
        output.prepare(rows: x.rows, cols: x.cols)
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                for i in 0..<px.count {
                    let v = px[i]
                    let u = GELU.k * (v + GELU.c * v * v * v)
                    py[i] = 0.5 * v * (1 + tanhf(u))
                }
            }
        }
        return output
    }

    /// `dx = dy ⊙ gelu'(x)`.
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == input.rows && dy.cols == input.cols,
            "GELU.backward: dy is \(dy.shapeDescription) but the cached input is \(input.shapeDescription) "
                + "(call forward before each backward)")
        inputGradient.prepare(rows: dy.rows, cols: dy.cols)
        dy.data.withUnsafeBufferPointer { pdy in
            input.data.withUnsafeBufferPointer { px in
                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                    for i in 0..<pdy.count {
                        let v = px[i]
                        let t = tanhf(GELU.k * (v + GELU.c * v * v * v))
                        let du = GELU.k * (1 + 3 * GELU.c * v * v)
                        pdx[i] = pdy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
                    }
                }
            }
        }
        input = Matrix(rows: 0, cols: 0)
        return inputGradient
    }
}
