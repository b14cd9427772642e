/// The residual block of the ResNet paper's CIFAR models (He et al. 2016, Fig. 2 left): two 3×3
/// convolutions, each followed by BatchNorm, with the block's input added back before the last
/// ReLU.
///
///     h = relu(bn1(conv1(x)))            conv1: 3×3, stride s, Cin → Cout
///     z = bn2(conv2(h)) + shortcut(x)    conv2: 3×3, stride 1, Cout → Cout
///     y = relu(z)
///
/// `shortcut` is the identity when the shape stays, else the parameter-free
/// `ZeroPaddingShortcut` (option A: subsample by `s`, pad channels with zeros).
///
/// Shapes, channel-major (`ImageShape`): `x: (Cin, B·H·W)` → `y: (Cout, B·H'·W')`.
///
/// Backward: `dz = dy ⊙ [z > 0]`, then `dx = (the two layers back from dz) + shortcut'(dz)`: the
/// gradient reaches `x` by both paths, which is what lets deep residual networks train.
public final class BasicBlock: Layer, HasTrainingMode {
    /// `layer2.0`: the block's layers are `<name>.conv1`, `<name>.bn1`, `<name>.conv2`, `<name>.bn2`.
    public let name: String
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    /// Nil for the identity.
    public let shortcut: ZeroPaddingShortcut?
    private let relu1 = ReLU()
    private let relu2 = ReLU()
    private var sum = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// A block `input → outputChannels` with stride `stride`; `conv1` draws from `random1`,
    /// `conv2` from `random2` (PyTorch's default initialisation, see `Conv2d`).
    public init(name: String, input: ImageShape, outputChannels: Int, stride: Int, random1: RandomStream, random2: RandomStream) {
        self.name = name
        let first = ConvolutionGeometry(input: input, outputChannels: outputChannels, kernel: 3, stride: stride, padding: 1)
        conv1 = Conv2d(name: "\(name).conv1", geometry: first, random: random1)
        bn1 = BatchNorm2d(name: "\(name).bn1", channels: outputChannels)
        let second = ConvolutionGeometry(input: first.output, outputChannels: outputChannels, kernel: 3, stride: 1, padding: 1)
        conv2 = Conv2d(name: "\(name).conv2", geometry: second, random: random2)
        bn2 = BatchNorm2d(name: "\(name).bn2", channels: outputChannels)
        shortcut = stride == 1 && input.channels == outputChannels
            ? nil : ZeroPaddingShortcut(input: input, outputChannels: outputChannels, stride: stride)
        if let shortcut {
            checkPrecondition(shortcut.outputShape == first.output,
                              "BasicBlock \(name): the shortcut makes \(shortcut.outputShape) but the convolutions \(first.output)")
        }
    }

    /// The block's input and output images.
    public var input: ImageShape { conv1.geometry.input }
    public var output: ImageShape { conv2.geometry.output }

    /// The two convolutions' weights and the two BatchNorms' γ, β (and any adapters' tensors).
    public var parameters: [Parameter] { conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters }

    public var isTraining: Bool {
        get { bn1.isTraining }
        set {
            bn1.isTraining = newValue
            bn2.isTraining = newValue
        }
    }

    /// `x: (Cin, B·H·W)` → `y: (Cout, B·H'·W')`.
    public func forward(_ x: Matrix) -> Matrix {
        let h = relu1.forward(bn1.forward(conv1.forward(x)))
        let main = bn2.forward(conv2.forward(h))
        let skip = shortcut?.forward(x) ?? x
        checkPrecondition(main.rows == skip.rows && main.cols == skip.cols,
                          "BasicBlock \(name): input is \(x.shapeDescription), not \(input) images channel-major")
        sum.prepare(rows: main.rows, cols: main.cols)
        main.data.withUnsafeBufferPointer { pm in
            skip.data.withUnsafeBufferPointer { ps in
                sum.data.withUnsafeMutableBufferPointer { pz in
                    for i in 0..<pz.count { pz[i] = pm[i] + ps[i] }
                }
            }
        }
        return relu2.forward(sum)
    }

    /// `dy: (Cout, B·H'·W')` → `dx: (Cin, B·H·W)`.
    public func backward(_ dy: Matrix) -> Matrix {
        let dz = relu2.backward(dy)
        let main = conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(dz)))))
        let skip = shortcut?.backward(dz) ?? dz
        inputGradient.prepare(rows: main.rows, cols: main.cols)
        main.data.withUnsafeBufferPointer { pm in
            skip.data.withUnsafeBufferPointer { ps in
                inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                    for i in 0..<pdx.count { pdx[i] = pm[i] + ps[i] }
                }
            }
        }
        return inputGradient
    }
}
