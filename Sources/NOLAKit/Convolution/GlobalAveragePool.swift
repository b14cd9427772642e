/// The mean of every channel's plane: a feature map becomes one number per channel, ready for a
/// linear classifier (ResNet's `AdaptiveAvgPool2d(1)` followed by `flatten`).
///
/// Shapes: `x: (C, B·H·W)` channel-major (`ImageShape`) → `y: (B, C)` batch-major, a row of
/// features per image, as `Linear` takes them.
///
///     y[n, c] = (1 / H·W) Σ_{i < H·W} x[c, n·H·W + i]
///
/// Backward: every pixel of plane `(n, c)` gets `dy[n, c] / (H·W)`.
public final class GlobalAveragePool: Layer {
    /// The pooled image `C × H × W`.
    public let input: ImageShape

    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    public init(input: ImageShape) {
        self.input = input
    }

    /// None.
    public var parameters: [Parameter] { [] }

    /// `x: (C, B·H·W)` → `y: (B, C)`.
    public func forward(_ x: Matrix) -> Matrix {
        let (c, p) = (input.channels, input.plane)
        checkPrecondition(
            x.rows == c && x.cols % p == 0 && x.cols > 0,
            "GlobalAveragePool: input is \(x.shapeDescription) but the layer pools \(input) images, channel-major (\(c)×B·\(p))")
        let batch = x.cols / p
        output.prepare(rows: batch, cols: c)
        let scale = 1 / Float(p)
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                for k in 0..<c {
                    for n in 0..<batch {
                        py[n * c + k] = LayerNorm.sum(px.baseAddress! + (k * batch + n) * p, p) * scale
                    }
                }
            }
        }
        return output
    }

    /// `dy: (B, C)` → `dx: (C, B·H·W)`, each plane filled with `dy[n, c] / (H·W)`.
    public func backward(_ dy: Matrix) -> Matrix {
        let (c, p) = (input.channels, input.plane)
        checkPrecondition(
            dy.cols == c && dy.rows == output.rows,
            "GlobalAveragePool.backward: dy is \(dy.shapeDescription) but the last output was \(output.shapeDescription)")
        let batch = dy.rows
        inputGradient.prepare(rows: c, cols: batch * p)
        let scale = 1 / Float(p)
        dy.data.withUnsafeBufferPointer { pdy in
            inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                for k in 0..<c {
                    for n in 0..<batch {
                        (pdx.baseAddress! + (k * batch + n) * p).update(repeating: pdy[n * c + k] * scale, count: p)
                    }
                }
            }
        }
        return inputGradient
    }
}
