/// The shapes that decide a convolutional network's parameter counts, and the counting
/// conventions under which the paper's Tables 8 and 9 come out of them.
///
/// Table 8 (ResNet-20, CIFAR-10): trained model 269,722, PRANC 12,752, LoRA 13,295, NOLA 12,876.
/// Table 9 (ResNet-18, ImageNet-100): trained model 11,227,812, PRANC 119,200, LoRA 150,000,
/// NOLA 109,600. From the shapes (`resnet20()`, `resnet18()`):
///
/// | count | convention | ResNet-20 | ResNet-18 |
/// | --- | --- | --- | --- |
/// | `parameterCount` | every kernel (no conv bias), BatchNorm γ and β, classifier W and b | 269,722 ✓ | 11,227,812 ✓ |
/// | `nolaCount` | `k + l` per convolution (250 + 250; 2,000 + 2,000), the classifier's own (1,000 + 1,000; 10,000 + 10,000), BatchNorm γ, β trained | 12,876 ✓ | 109,600 ✓ |
/// | `prancCount` | `n` coefficients for the whole network (10,000; 100,000) and four numbers per BatchNorm channel: γ, β, running mean, running variance | 12,752 ✓ | 119,200 ✓ |
/// | `loraCount` | loralib's `ConvLoRA` of rank `r` (rank `r·k` on the `(out·k, in·k)` matrix of `KernelReshape`), the classifier at rank `r`, its bias and BatchNorm γ, β trained | 13,295 ✓ (r = 1) | 150,354 at r = 2, not 150,000 |
///
/// So the rows of one table do not count alike: PRANC's include BatchNorm's running averages
/// (PRANC's code stores them beside its coefficients), NOLA's and LoRA's do not; LoRA's include
/// the classifier's bias, NOLA's do not. No convention we tried gives Table 9's LoRA 150,000
/// exactly; r = 2 with Table 8's convention is 354 above it, the nearest.
///
/// A digit has one channel, not CIFAR's three: `resnet20(inputChannels: 1)` has 269,434
/// parameters and a LoRA count of 13,277 (the first kernel's matrix is 48 × 3, not 48 × 9);
/// NOLA's and PRANC's counts do not depend on the shapes.
public struct ConvNetShape: Sendable, Equatable {
    /// One convolution: `inputs → outputs` channels, a `kernel × kernel` kernel, no bias.
    public struct Convolution: Sendable, Equatable {
        public let name: String
        public let outputs: Int
        public let inputs: Int
        public let kernel: Int

        public init(name: String, outputs: Int, inputs: Int, kernel: Int) {
            (self.name, self.outputs, self.inputs, self.kernel) = (name, outputs, inputs, kernel)
        }

        /// `out·in·k·k`.
        public var weights: Int { outputs * inputs * kernel * kernel }
        /// The adapted matrix, `KernelReshape.matrixShape`.
        public var matrix: (rows: Int, cols: Int) { KernelReshape.matrixShape(outputs: outputs, inputs: inputs, kernel: kernel) }
    }

    public let name: String
    public let convolutions: [Convolution]
    /// Channels over every BatchNorm layer (each has γ, β, a running mean and a running variance).
    public let batchNormChannels: Int
    /// The classifier `Linear(inputs → classes)`, with bias.
    public let classifierInputs: Int
    public let classes: Int

    public init(name: String, convolutions: [Convolution], batchNormChannels: Int, classifierInputs: Int, classes: Int) {
        self.name = name
        self.convolutions = convolutions
        self.batchNormChannels = batchNormChannels
        self.classifierInputs = classifierInputs
        self.classes = classes
    }

    /// ResNet-20 as `ResNet.resnet20` builds it: 19 3×3 convolutions, each followed by BatchNorm.
    public static func resnet20(inputChannels: Int = 3, classes: Int = 10) -> ConvNetShape {
        var convolutions = [Convolution(name: "conv1", outputs: 16, inputs: inputChannels, kernel: 3)]
        var channels = 16
        for (stage, width) in [16, 32, 64].enumerated() {
            for b in 0..<3 {
                convolutions.append(Convolution(name: "layer\(stage + 1).\(b).conv1", outputs: width, inputs: channels, kernel: 3))
                convolutions.append(Convolution(name: "layer\(stage + 1).\(b).conv2", outputs: width, inputs: width, kernel: 3))
                channels = width
            }
        }
        return ConvNetShape(name: "ResNet-20", convolutions: convolutions,
                            batchNormChannels: convolutions.map(\.outputs).reduce(0, +), classifierInputs: 64, classes: classes)
    }

    /// ResNet-18 (He et al. 2016, torchvision's `resnet18`): a 7×7 stem, four stages of two
    /// basic blocks (64, 128, 256, 512 channels), a 1×1 convolution with BatchNorm on the shortcut
    /// where a stage begins with stride 2: 20 convolutions ("modules", paper A.2), each with BatchNorm.
    public static func resnet18(inputChannels: Int = 3, classes: Int = 100) -> ConvNetShape {
        var convolutions = [Convolution(name: "conv1", outputs: 64, inputs: inputChannels, kernel: 7)]
        var channels = 64
        for (stage, width) in [64, 128, 256, 512].enumerated() {
            for b in 0..<2 {
                let prefix = "layer\(stage + 1).\(b)"
                convolutions.append(Convolution(name: "\(prefix).conv1", outputs: width, inputs: channels, kernel: 3))
                convolutions.append(Convolution(name: "\(prefix).conv2", outputs: width, inputs: width, kernel: 3))
                if b == 0 && channels != width {
                    convolutions.append(Convolution(name: "\(prefix).downsample.0", outputs: width, inputs: channels, kernel: 1))
                }
                channels = width
            }
        }
        return ConvNetShape(name: "ResNet-18", convolutions: convolutions,
                            batchNormChannels: convolutions.map(\.outputs).reduce(0, +), classifierInputs: 512, classes: classes)
    }

    /// The classifier's weights and bias, `in·classes + classes`.
    public var classifierParameters: Int { classifierInputs * classes + classes }
    /// BatchNorm's γ and β: two per channel.
    public var batchNormAffine: Int { 2 * batchNormChannels }
    /// BatchNorm's running mean and variance: two per channel (buffers, not trained).
    public var batchNormRunningStatistics: Int { 2 * batchNormChannels }

    /// Every parameter: kernels, BatchNorm γ and β, the classifier (the running averages not
    /// counted, as PyTorch's `parameters()` does not): Tables 8 and 9's "trained model".
    public var parameterCount: Int { convolutions.map(\.weights).reduce(0, +) + batchNormAffine + classifierParameters }

    /// NOLA: `k + l` per convolution, `classifierK + classifierL` for the classifier, BatchNorm's
    /// γ and β trained; the classifier's bias not trained.
    public func nolaCount(k: Int, l: Int, classifierK: Int, classifierL: Int) -> Int {
        convolutions.count * (k + l) + classifierK + classifierL + batchNormAffine
    }

    /// PRANC as its paper counts: `n` coefficients for the whole network, and BatchNorm's four
    /// numbers per channel (γ, β, running mean, running variance).
    public func prancCount(coefficients n: Int) -> Int {
        n + batchNormAffine + batchNormRunningStatistics
    }

    /// LoRA as loralib's `ConvLoRA` of rank `r`: rank `r·k` on every `(out·k, in·k)` kernel matrix,
    /// `r·k·(out·k + in·k)` numbers; the classifier at rank `r` with its bias; BatchNorm's γ, β.
    public func loraCount(rank r: Int) -> Int {
        let kernels = convolutions.map { r * $0.kernel * ($0.matrix.rows + $0.matrix.cols) }.reduce(0, +)
        return kernels + r * (classifierInputs + classes) + classes + batchNormAffine
    }
}
