/// The parameter-free shortcut of a residual block that changes the image's shape: option A of
/// the ResNet paper's CIFAR models (He et al. 2016, §4.2: "the shortcut still performs identity
/// mapping, with extra zero entries padded for increasing dimensions"). The image is subsampled
/// by the stride (every `s`-th row and column, PyTorch's `x[:, :, ::s, ::s]`) and its channels
/// are placed in the middle of the wider output, `(Cout − Cin)/2` zero planes before and after
/// them (the common CIFAR code's `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4))`).
///
/// Shapes, channel-major: `x: (Cin, B·H·W)` → `y: (Cout, B·H'·W')`, `H' = ⌈H/s⌉`.
///
///     y[pad + c, n, y', x'] = x[c, n, s·y', s·x'],  every other row of y is 0
///
/// Backward: `dx[c, n, s·y', s·x'] = dy[pad + c, n, y', x']`, 0 elsewhere.
public final class ZeroPaddingShortcut: Layer {
    public let input: ImageShape
    public let outputChannels: Int
    public let stride: Int

    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// `Cin → Cout` channels (`Cout ≥ Cin`, an even difference) with stride `s`.
    public init(input: ImageShape, outputChannels: Int, stride: Int) {
        checkPrecondition(
            outputChannels >= input.channels && (outputChannels - input.channels) % 2 == 0 && stride > 0,
            "ZeroPaddingShortcut: \(input.channels) → \(outputChannels) channels with stride \(stride); "
                + "the output needs at least as many channels, and an even number more")
        self.input = input
        self.outputChannels = outputChannels
        self.stride = stride
    }

    /// The output image `Cout × ⌈H/s⌉ × ⌈W/s⌉`.
    public var outputShape: ImageShape {
        ImageShape(channels: outputChannels, height: (input.height + stride - 1) / stride,
                   width: (input.width + stride - 1) / stride)
    }

    /// Zero planes before the input's channels.
    public var padding: Int { (outputChannels - input.channels) / 2 }

    public var parameters: [Parameter] { [] }

    /// `x: (Cin, B·H·W)` → `y: (Cout, B·H'·W')`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(
            x.rows == input.channels && x.cols % input.plane == 0 && x.cols > 0,
            "ZeroPaddingShortcut: input is \(x.shapeDescription), \(input) images channel-major expected")
        let batch = x.cols / input.plane
        let out = outputShape
        output.prepare(rows: outputChannels, cols: batch * out.plane)
        output.zero()
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                move(batch: batch, from: px.baseAddress!, to: py.baseAddress!, gather: true)
            }
        }
        return output
    }

    /// `dy: (Cout, B·H'·W')` → `dx: (Cin, B·H·W)`.
    public func backward(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == outputChannels && dy.cols == output.cols,
            "ZeroPaddingShortcut.backward: dy is \(dy.shapeDescription) but the last output was \(output.shapeDescription)")
        let batch = dy.cols / outputShape.plane
        inputGradient.prepare(rows: input.channels, cols: batch * input.plane)
        inputGradient.zero()
        dy.data.withUnsafeBufferPointer { pdy in
            inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                move(batch: batch, from: pdy.baseAddress!, to: pdx.baseAddress!, gather: false)
            }
        }
        return inputGradient
    }

    /// Copies between `x[c, n, s·y', s·x']` and `y[pad + c, n, y', x']`: from x to y (`gather`)
    /// or back.
    private func move(batch: Int, from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, gather: Bool) {
        let out = outputShape
        let (w, s) = (input.width, stride)
        for c in 0..<input.channels {
            for n in 0..<batch {
                let big = (c * batch + n) * input.plane
                let small = ((padding + c) * batch + n) * out.plane
                for oy in 0..<out.height {
                    for ox in 0..<out.width {
                        let (i, o) = (big + oy * s * w + ox * s, small + oy * out.width + ox)
                        if gather { target[o] = source[i] } else { target[i] = source[o] }
                    }
                }
            }
        }
    }
}
