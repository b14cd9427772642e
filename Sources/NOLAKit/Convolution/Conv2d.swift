/// A 2-D convolution without bias (a ResNet's convolutions feed BatchNorm), as PyTorch's
/// `nn.Conv2d(in, out, k, stride=s, padding=p, bias=False)`, computed as im2col and one BLAS
/// product per chunk of images.
///
/// Shapes, channel-major (`ImageShape`): `x: (Cin, B·H·W)`, `y: (Cout, B·H'·W')`, and the kernel
/// `W: (Cout, Cin·k·k)`, PyTorch's `(Cout, Cin, k, k)` read row-major.
///
///     cols = im2col(x)      (Cin·k·k, B·H'·W')     see `ConvolutionGeometry`
///     y    = W · cols       (Cout, B·H'·W')
///
/// Backward, from `dy: (Cout, B·H'·W')`:
/// - `dW += dy · colsᵀ`          `(Cout, B·H'W')·(B·H'W', Cin·k·k)`
/// - `dx  = col2im(Wᵀ · dy)`     skipped when `computesInputGradient` is false (the first
///   convolution of a network, whose input is data). For a stride-1 convolution that keeps the
///   image's size this is computed as a convolution of `dy` with the kernel turned half a turn
///   (`transposedGeometry`): the same numbers, one better-shaped product.
///
/// Only one chunk of `cols` exists at a time (about `chunkFloats` floats, so it stays in cache
/// between im2col and the product); the backward pass rebuilds it from the kept input.
///
/// **Adapters.** The kernel is stored as the near-square matrix `M: (Cout·k, Cin·k)` of
/// `KernelReshape` — the same numbers, row-major, as `W` — inside `kernel`, a `Linear` layer
/// named like the convolution, so every adapter of `Adapters/` (LoRA, PRANC, NOLA) attaches to it
/// through the usual `AdaptableModel.attach`, with its seeds drawn from the convolution's name.
/// `kernel.weight` is this convolution's weight. A linear map applied to the identity is its own
/// matrix, so with an adapter attached the convolution asks `kernel` for
///
///     kernel.forward(I) = I · (M + ΔM)ᵀ          (I: (Cin·k, Cin·k))
///
/// and reads `W + ΔW` out of it; the backward pass hands `kernel.backward` the gradient
/// `∂L/∂(M + ΔM)` (transposed, as `dy` of that product), and the adapter's own backward turns it
/// into the gradients of its coefficients. Nothing about LoRA, PRANC or NOLA is written twice;
/// the two small products with `I` cost `(Cin·k)²·Cout·k` multiply-adds, about 1% of the
/// convolution's.
public final class Conv2d: Layer {
    /// A short name (`layer1.0.conv1`); the weight is `<name>.weight`.
    public let name: String
    /// Input and output geometry.
    public let geometry: ConvolutionGeometry
    /// The kernel as the adapted matrix `M: (Cout·k, Cin·k)`, as a `Linear` without bias: the
    /// adapter site. Its weight is this convolution's weight.
    public let kernel: Linear
    /// Whether `backward` computes `dx`. Off for a first layer: `backward` returns `(0×0)`.
    public var computesInputGradient: Bool
    /// Floats of `cols` held at once (at least one image's worth): 256 K floats, 1 MB, about a
    /// core's second-level cache. (Measured on 2 cores of a shared Zen 4: a 16-channel layer at
    /// 28×28 runs its forward product at 34 GFLOPS per core with 64 K-float chunks, 28 with
    /// 256 K and 16 with 4 M, which spill to memory.)
    public var chunkFloats = 1 << 18

    /// The input of the last forward, kept for the backward (released by it).
    private var input = Matrix(rows: 0, cols: 0)
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)
    private var cols: [Float] = []
    private var columnGradient: [Float] = []
    /// `∂L/∂W: (Cout, Cin·k·k)` of the last backward.
    private var kernelGradient = Matrix(rows: 0, cols: 0)
    /// `W̃: (Cin, Cout·k·k)`, the kernel of `dx`'s convolution (see `transposedGeometry`).
    private var flipped = Matrix(rows: 0, cols: 0)
    /// With an adapter: `I`, and `M + ΔM` read back from `(M + ΔM)ᵀ` (the kernel used).
    private var identity = Matrix(rows: 0, cols: 0)
    private var adapted = Matrix(rows: 0, cols: 0)
    private var usesAdapter = false

    /// A convolution with the given kernel `W: (Cout, Cin·k·k)`.
    public init(name: String, geometry: ConvolutionGeometry, weight: Matrix, computesInputGradient: Bool = true) {
        checkPrecondition(
            weight.rows == geometry.outputChannels && weight.cols == geometry.patch,
            "Conv2d \(name): the kernel is \(weight.shapeDescription) but \(geometry.input) → \(geometry.outputChannels) "
                + "channels with a \(geometry.kernel)×\(geometry.kernel) kernel needs (\(geometry.outputChannels)×\(geometry.patch))")
        self.name = name
        self.geometry = geometry
        let shape = KernelReshape.matrixShape(
            outputs: geometry.outputChannels, inputs: geometry.input.channels, kernel: geometry.kernel)
        kernel = Linear(name: name, weight: weight.reshaped(shape.rows, shape.cols), bias: nil, computesInputGradient: false)
        self.computesInputGradient = computesInputGradient
    }

    /// A convolution initialised as PyTorch's default: `W` Kaiming-uniform, Uniform(±1/√(Cin·k·k)),
    /// from positions `[0, Cout·Cin·k·k)` of `random`.
    public convenience init(name: String, geometry: ConvolutionGeometry, computesInputGradient: Bool = true, random: RandomStream) {
        self.init(
            name: name, geometry: geometry,
            weight: random.kaimingUniform(rows: geometry.outputChannels, cols: geometry.patch),
            computesInputGradient: computesInputGradient)
    }

    /// The weight, stored as `M: (Cout·k, Cin·k)` (the numbers of `W: (Cout, Cin·k·k)`).
    public var weight: Parameter { kernel.weight }

    /// The weight and the adapter's tensors.
    public var parameters: [Parameter] { kernel.parameters }

    /// `W` as a `(Cout, Cin·k·k)` matrix, adapter folded in when one is attached: the kernel a
    /// forward pass uses.
    public func effectiveKernel() -> Matrix {
        var w = kernel.weight.value
        if let adapter = kernel.adapter {
            let delta = adapter.deltaWeight()
            BLAS.axpy(1, delta, &w)
        }
        return w.reshaped(geometry.outputChannels, geometry.patch)
    }

    /// `y = W · im2col(x)`.  `x: (Cin, B·H·W)` → `y: (Cout, B·H'·W')`.
    public func forward(_ x: Matrix) -> Matrix {
        let (inShape, outShape) = (geometry.input, geometry.output)
        checkPrecondition(
            x.rows == inShape.channels && x.cols % inShape.plane == 0 && x.cols > 0,
            "Conv2d \(name): input is \(x.shapeDescription) but the layer takes \(inShape) images, channel-major "
                + "(\(inShape.channels)×B·\(inShape.plane))")
        let batch = x.cols / inShape.plane
        input = x
        output.prepare(rows: outShape.channels, cols: batch * outShape.plane)
        prepareKernel()
        let w = usesAdapter ? adapted : kernel.weight.value
        let (patch, outPlane, cout) = (geometry.patch, outShape.plane, outShape.channels)
        let chunk = imagesPerChunk(batch: batch)
        if cols.count < patch * chunk * outPlane { cols = [Float](repeating: 0, count: patch * chunk * outPlane) }
        x.data.withUnsafeBufferPointer { px in
            w.data.withUnsafeBufferPointer { pw in
                cols.withUnsafeMutableBufferPointer { pc in
                    output.data.withUnsafeMutableBufferPointer { py in
                        for first in stride(from: 0, to: batch, by: chunk) {
                            let count = min(chunk, batch - first)
                            geometry.im2col(px.baseAddress!, batch: batch, first: first, count: count, into: pc.baseAddress!)
                            BLAS.sgemm(
                                .none, .none, m: cout, n: count * outPlane, k: patch, alpha: 1,
                                pw.baseAddress!, lda: patch, pc.baseAddress!, ldb: count * outPlane,
                                beta: 0, py.baseAddress! + first * outPlane, ldc: batch * outPlane)
                        }
                    }
                }
            }
        }
        return output
    }

    /// `dx = col2im(Wᵀ dy)` (or an empty matrix, see `computesInputGradient`); `dW += dy colsᵀ`
    /// when the weight trains or an adapter needs it.  `dy: (Cout, B·H'·W')` → `dx: (Cin, B·H·W)`.
    public func backward(_ dy: Matrix) -> Matrix {
        let (inShape, outShape) = (geometry.input, geometry.output)
        let batch = input.cols / inShape.plane
        checkPrecondition(
            input.count > 0 && dy.rows == outShape.channels && dy.cols == batch * outShape.plane,
            "Conv2d \(name).backward: dy is \(dy.shapeDescription) but the last input was \(input.shapeDescription) "
                + "(\(outShape.channels)×\(batch * outShape.plane) expected; call forward before each backward)")
        let (patch, outPlane, cout) = (geometry.patch, outShape.plane, outShape.channels)
        let needsKernelGradient = usesAdapter || kernel.weight.isTrainable
        let w = usesAdapter ? adapted : kernel.weight.value
        if needsKernelGradient {
            kernelGradient.prepare(rows: cout, cols: patch)
            kernelGradient.zero()
            let chunk = imagesPerChunk(batch: batch)
            input.data.withUnsafeBufferPointer { px in
                dy.data.withUnsafeBufferPointer { pdy in
                    cols.withUnsafeMutableBufferPointer { pc in
                        kernelGradient.data.withUnsafeMutableBufferPointer { pg in
                            for first in stride(from: 0, to: batch, by: chunk) {
                                let count = min(chunk, batch - first)
                                geometry.im2col(px.baseAddress!, batch: batch, first: first, count: count, into: pc.baseAddress!)
                                BLAS.sgemm(
                                    .none, .transpose, m: cout, n: patch, k: count * outPlane, alpha: 1,
                                    pdy.baseAddress! + first * outPlane, lda: batch * outPlane, pc.baseAddress!, ldb: count * outPlane,
                                    beta: 1, pg.baseAddress!, ldc: patch)
                            }
                        }
                    }
                }
            }
        }
        if computesInputGradient {
            inputGradient.prepare(rows: inShape.channels, cols: batch * inShape.plane)
            if let transposed = transposedGeometry {
                inputGradientAsConvolution(dy, w, transposed, batch: batch)
            } else {
                inputGradientByCol2im(dy, w, batch: batch)
            }
        } else {
            inputGradient = Matrix(rows: 0, cols: 0)
        }
        if usesAdapter {
            // ∂L/∂(M + ΔM), handed to the kernel's product with I as its dy = (∂L/∂(M + ΔM))ᵀ.
            _ = kernel.backward(Conv2d.transposed(kernelGradient.reshaped(kernel.outputs, kernel.inputs)))
        } else if needsKernelGradient {
            BLAS.axpy(1, kernelGradient.data, &kernel.weight.grad.data)
        }
        input = Matrix(rows: 0, cols: 0)
        return inputGradient
    }

    /// For a stride-1 convolution that keeps the image's size (padding `(k − 1)/2`), `dx` is itself
    /// such a convolution: of `dy`, with the kernel turned half a turn and its in and out channels
    /// swapped, `W̃[c, o, ky, kx] = W[o, c, k−1−ky, k−1−kx]`. Computed so, it is one product with
    /// `Cout·k·k` terms per output instead of `Cout`, written straight into `dx`: no col2im, no
    /// zeroing. Nil for other convolutions (strided ones: ResNet-20's two downsampling ones).
    var transposedGeometry: ConvolutionGeometry? {
        guard geometry.stride == 1, 2 * geometry.padding == geometry.kernel - 1 else { return nil }
        return ConvolutionGeometry(input: geometry.output, outputChannels: geometry.input.channels, kernel: geometry.kernel,
                                   stride: 1, padding: geometry.kernel - 1 - geometry.padding)
    }

    /// `dx = conv(dy, W̃)` (see `transposedGeometry`), chunk by chunk.
    private func inputGradientAsConvolution(_ dy: Matrix, _ w: Matrix, _ t: ConvolutionGeometry, batch: Int) {
        let (cin, cout, k) = (geometry.input.channels, geometry.outputChannels, geometry.kernel)
        flipped.prepare(rows: cin, cols: t.patch)
        w.data.withUnsafeBufferPointer { pw in
            flipped.data.withUnsafeMutableBufferPointer { pf in
                for c in 0..<cin {
                    for o in 0..<cout {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                pf[c * t.patch + (o * k + ky) * k + kx] = pw[o * geometry.patch + (c * k + k - 1 - ky) * k + k - 1 - kx]
                            }
                        }
                    }
                }
            }
        }
        let plane = geometry.input.plane
        let chunk = max(1, min(batch, chunkFloats / max(1, t.patch * plane)))
        if columnGradient.count < t.patch * chunk * plane { columnGradient = [Float](repeating: 0, count: t.patch * chunk * plane) }
        dy.data.withUnsafeBufferPointer { pdy in
            flipped.data.withUnsafeBufferPointer { pf in
                columnGradient.withUnsafeMutableBufferPointer { pc in
                    inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                        for first in stride(from: 0, to: batch, by: chunk) {
                            let count = min(chunk, batch - first)
                            t.im2col(pdy.baseAddress!, batch: batch, first: first, count: count, into: pc.baseAddress!)
                            BLAS.sgemm(
                                .none, .none, m: cin, n: count * plane, k: t.patch, alpha: 1,
                                pf.baseAddress!, lda: t.patch, pc.baseAddress!, ldb: count * plane,
                                beta: 0, pdx.baseAddress! + first * plane, ldc: batch * plane)
                        }
                    }
                }
            }
        }
    }

    /// `dx = col2im(Wᵀ dy)`, chunk by chunk.
    private func inputGradientByCol2im(_ dy: Matrix, _ w: Matrix, batch: Int) {
        let (patch, outPlane, cout) = (geometry.patch, geometry.output.plane, geometry.outputChannels)
        inputGradient.zero()
        let chunk = imagesPerChunk(batch: batch)
        if columnGradient.count < patch * chunk * outPlane { columnGradient = [Float](repeating: 0, count: patch * chunk * outPlane) }
        dy.data.withUnsafeBufferPointer { pdy in
            w.data.withUnsafeBufferPointer { pw in
                columnGradient.withUnsafeMutableBufferPointer { pdc in
                    inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                        for first in stride(from: 0, to: batch, by: chunk) {
                            let count = min(chunk, batch - first)
                            BLAS.sgemm(
                                .transpose, .none, m: patch, n: count * outPlane, k: cout, alpha: 1,
                                pw.baseAddress!, lda: patch, pdy.baseAddress! + first * outPlane, ldb: batch * outPlane,
                                beta: 0, pdc.baseAddress!, ldc: count * outPlane)
                            geometry.col2im(pdc.baseAddress!, batch: batch, first: first, count: count, adding: pdx.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// Sets `usesAdapter` and, with an adapter, `adapted = M + ΔM` from `kernel.forward(I)`.
    private func prepareKernel() {
        usesAdapter = kernel.adapter != nil
        guard usesAdapter else { return }
        let n = kernel.inputs
        if identity.rows != n { identity = Matrix.identity(n) }
        let transposedKernel = kernel.forward(identity)  // (Cin·k, Cout·k) = (M + ΔM)ᵀ
        adapted = Conv2d.transposed(transposedKernel).reshaped(geometry.outputChannels, geometry.patch)
    }

    /// Images per chunk of `cols`: as many as fit `chunkFloats`, at least one, at most `batch`.
    private func imagesPerChunk(batch: Int) -> Int {
        max(1, min(batch, chunkFloats / max(1, geometry.patch * geometry.output.plane)))
    }

    /// `aᵀ`, in blocks of 32 × 32 (the kernels are at most a few hundred wide).
    static func transposed(_ a: Matrix) -> Matrix {
        var t = Matrix(rows: a.cols, cols: a.rows)
        let (m, n) = (a.rows, a.cols)
        a.data.withUnsafeBufferPointer { src in
            t.data.withUnsafeMutableBufferPointer { dst in
                for i0 in stride(from: 0, to: m, by: 32) {
                    for j0 in stride(from: 0, to: n, by: 32) {
                        for i in i0..<min(m, i0 + 32) {
                            for j in j0..<min(n, j0 + 32) { dst[j * m + i] = src[i * n + j] }
                        }
                    }
                }
            }
        }
        return t
    }
}
