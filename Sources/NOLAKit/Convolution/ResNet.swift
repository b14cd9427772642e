/// The ResNet of the paper's appendix A.2 (Table 8: ResNet-20 on CIFAR-10), as the ResNet paper
/// builds it for CIFAR (He et al. 2016, §4.2): depth `6n + 2`, three stages of `n` basic blocks
/// with 16, 32 and 64 channels, the image halved in size at the start of stages 2 and 3, and
/// parameter-free shortcuts (option A). ResNet-20 is `n = 3`.
///
///     conv1  3×3, C → 16                    bn1, relu
///     layer1 3 × BasicBlock(16 → 16)        28×28 for a digit (32×32 for CIFAR)
///     layer2 3 × BasicBlock(→ 32), stride 2 at the first block
///     layer3 3 × BasicBlock(→ 64), stride 2 at the first block
///     pool   global average: 64 numbers per image
///     fc     Linear(64 → classes), with bias
///
/// Parameters (convolutions without bias, BatchNorm γ and β, the classifier): 269,722 for
/// CIFAR's 3 × 32 × 32 images and 10 classes, the count of Table 8; 269,434 for one-channel
/// digits (the first convolution has 144 weights instead of 432).
///
/// ```swift
/// let net = ResNet.resnet20(input: .digit, classes: 10, seed: 1)
/// let logits = net.forward(batch.x)          // (B, 784) → (B, 10)
/// net.attach(.nola(rank: 64, k: 250, l: 250, c: 1, basis: .shared), seed: 1)   // every conv and fc
/// ```
///
/// Input and output are batch-major (a `DigitDataset` batch in, logits out, so `fit` and
/// `evaluate` train and score it as any other classifier); inside, images are channel-major
/// (`ImageShape`). Initialisation is PyTorch's default for every layer (`Conv2d`, `Linear`),
/// convolution `i` (in the order of `convolutions`) from stream `i` of `seed`, `fc` from the
/// stream after the last convolution's. BatchNorm starts at γ = 1, β = 0.
///
/// The adapter sites are every convolution's kernel (`Conv2d.kernel`, the reshaped matrix of
/// `KernelReshape`) and `fc`, named `conv1`, `layer1.0.conv1`, …, `fc`.
public final class ResNet: Layer, AdaptableModel, HasTrainingMode {
    /// The input image (`ImageShape.digit` for the lessons).
    public let input: ImageShape
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    private let relu = ReLU()
    /// The residual blocks, stage after stage: `layer1.0`, `layer1.1`, … .
    public let blocks: [BasicBlock]
    public let pool: GlobalAveragePool
    public let fc: Linear

    /// A ResNet of `widths.count` stages of `blocksPerStage` blocks (CIFAR's: 16, 32, 64).
    public init(input: ImageShape, widths: [Int] = [16, 32, 64], blocksPerStage: Int, classes: Int, seed: UInt64) {
        checkPrecondition(!widths.isEmpty && blocksPerStage > 0 && classes > 0,
                          "ResNet: widths \(widths), \(blocksPerStage) blocks per stage, \(classes) classes")
        self.input = input
        var stream: UInt64 = 0
        func next() -> RandomStream {
            defer { stream += 1 }
            return RandomStream(seed: seed, stream: stream)
        }
        let stem = ConvolutionGeometry(input: input, outputChannels: widths[0], kernel: 3, stride: 1, padding: 1)
        conv1 = Conv2d(name: "conv1", geometry: stem, computesInputGradient: false, random: next())
        bn1 = BatchNorm2d(name: "bn1", channels: widths[0])
        var shape = stem.output
        var blocks: [BasicBlock] = []
        for (stage, width) in widths.enumerated() {
            for b in 0..<blocksPerStage {
                let block = BasicBlock(
                    name: "layer\(stage + 1).\(b)", input: shape, outputChannels: width,
                    stride: stage > 0 && b == 0 ? 2 : 1, random1: next(), random2: next())
                blocks.append(block)
                shape = block.output
            }
        }
        self.blocks = blocks
        pool = GlobalAveragePool(input: shape)
        fc = Linear(name: "fc", inputs: shape.channels, outputs: classes, random: next())
    }

    /// ResNet-20 (`n = 3`).
    public static func resnet20(input: ImageShape = .digit, classes: Int = 10, seed: UInt64) -> ResNet {
        ResNet(input: input, blocksPerStage: 3, classes: classes, seed: seed)
    }

    /// Every convolution, first to last (19 in ResNet-20).
    public var convolutions: [Conv2d] { [conv1] + blocks.flatMap { [$0.conv1, $0.conv2] } }
    /// Every BatchNorm, first to last.
    public var batchNorms: [BatchNorm2d] { [bn1] + blocks.flatMap { [$0.bn1, $0.bn2] } }

    /// Every tensor, in layer order (adapters' included).
    public var parameters: [Parameter] {
        (conv1.parameters + bn1.parameters + blocks.flatMap(\.parameters) + fc.parameters).uniqued()
    }

    /// Each convolution's kernel matrix, then `fc`.
    public var adapterSites: [AdapterSite] {
        convolutions.map { AdapterSite(layer: $0.kernel) } + [AdapterSite(layer: fc)]
    }

    public var isTraining: Bool {
        get { bn1.isTraining }
        set {
            bn1.isTraining = newValue
            for block in blocks { block.isTraining = newValue }
        }
    }

    /// Measures BatchNorm's running averages afresh for the current weights: the plain averages of
    /// the batch statistics over the first `batches` batches of `data` (forward passes in
    /// training mode, no update), as "precise BN" does (Wu & Johnson, "Rethinking 'Batch' in
    /// BatchNorm", 2021). While the weights still move fast, running averages kept with momentum
    /// describe the network of a few steps ago, and evaluation with them can fall far below what
    /// the network does in training. Leaves the model in training mode, with its momenta.
    public func recalibrateBatchNorm(on data: DigitDataset, batches: Int, batchSize: Int) {
        let norms = batchNorms
        let momenta = norms.map(\.momentum)
        for bn in norms {
            bn.resetRunningStatistics()
            bn.momentum = nil
        }
        isTraining = true
        for batch in data.batchesInOrder(size: batchSize).prefix(batches) { _ = forward(batch.x) }
        for (bn, momentum) in zip(norms, momenta) { bn.momentum = momentum }
    }

    /// `x: (B, C·H·W)` batch-major → logits `(B, classes)`.
    public func forward(_ x: Matrix) -> Matrix {
        checkPrecondition(x.cols == input.count,
                          "ResNet: the batch is \(x.shapeDescription) but the network takes \(input) images, (B×\(input.count))")
        var h = relu.forward(bn1.forward(conv1.forward(input.channelMajor(x))))
        for block in blocks { h = block.forward(h) }
        return fc.forward(pool.forward(h))
    }

    /// `dy: (B, classes)`; fills every trainable gradient. Returns `(0×0)`: the input is data.
    public func backward(_ dy: Matrix) -> Matrix {
        var g = pool.backward(fc.backward(dy))
        for block in blocks.reversed() { g = block.backward(g) }
        return conv1.backward(bn1.backward(relu.backward(g)))
    }
}
