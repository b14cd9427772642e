import NOLAKit
import Testing

/// The convolutional layers of `Sources/NOLAKit/Convolution`: known answers against direct loops,
/// and every backward pass against finite differences (loss `Σ y ⊙ r`, so `dy = r`), on tiny
/// shapes.
@Suite("Convolution layers: known answers and gradients")
struct ConvolutionLayerTests {
    /// The convolution written as its definition: four nested sums, no im2col.
    static func directConvolution(_ x: Matrix, _ w: Matrix, _ g: ConvolutionGeometry) -> Matrix {
        let (input, output) = (g.input, g.output)
        let batch = x.cols / input.plane
        var y = Matrix(rows: output.channels, cols: batch * output.plane)
        for o in 0..<output.channels {
            for n in 0..<batch {
                for oy in 0..<output.height {
                    for ox in 0..<output.width {
                        var sum: Double = 0
                        for c in 0..<input.channels {
                            for ky in 0..<g.kernel {
                                for kx in 0..<g.kernel {
                                    let iy = oy * g.stride + ky - g.padding, ix = ox * g.stride + kx - g.padding
                                    guard iy >= 0 && iy < input.height && ix >= 0 && ix < input.width else { continue }
                                    sum += Double(w[o, (c * g.kernel + ky) * g.kernel + kx])
                                        * Double(x[c, (n * input.height + iy) * input.width + ix])
                                }
                            }
                        }
                        y[o, (n * output.height + oy) * output.width + ox] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    /// (Cin, H, W, Cout, k, stride, padding, chunk floats): odd sizes, strides, 1×1 and unpadded
    /// kernels, and chunks smaller than the batch (several products per pass); size-keeping stride-1
    /// ones on non-square images with 3×3 and 5×5 kernels (im2col's shifted-plane copy and dx as a
    /// convolution with the turned kernel).
    static let geometries: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
        (2, 5, 5, 3, 3, 1, 1, 1 << 18), (3, 6, 5, 2, 3, 2, 1, 1 << 18), (2, 7, 7, 4, 1, 2, 0, 1 << 18),
        (1, 5, 6, 2, 3, 1, 0, 1 << 18), (2, 5, 5, 3, 3, 1, 1, 60), (3, 7, 6, 2, 3, 2, 1, 1),
        (2, 4, 6, 3, 5, 1, 2, 100), (3, 3, 7, 2, 3, 1, 1, 1 << 18),
    ]

    static func geometry(_ t: (Int, Int, Int, Int, Int, Int, Int, Int)) -> ConvolutionGeometry {
        ConvolutionGeometry(input: ImageShape(channels: t.0, height: t.1, width: t.2), outputChannels: t.3, kernel: t.4,
                            stride: t.5, padding: t.6)
    }

    @Test("ImageShape: batch-major and channel-major hold the same numbers, and convert back")
    func layouts() {
        let shape = ImageShape(channels: 3, height: 2, width: 2)
        let x = randomMatrix(2, 12, seed: 1)
        let c = shape.channelMajor(x)
        #expect(c.rows == 3 && c.cols == 8)
        // channel 1 of image 1, pixel (1, 0): batch-major column 1·4 + 2, channel-major column 1·4 + 2
        #expect(c[1, 6] == x[1, 6])
        #expect(c[2, 1] == x[0, 9])
        #expect(shape.batchMajor(c) == x)
        let one = ImageShape(channels: 1, height: 2, width: 3)
        #expect(one.channelMajor(randomMatrix(4, 6, seed: 2)).data == randomMatrix(4, 6, seed: 2).data)
        #expect(ConvolutionGeometry(input: .digit, outputChannels: 16, kernel: 3, stride: 2, padding: 1).output
                == ImageShape(channels: 16, height: 14, width: 14))
    }

    @Test("Conv2d forward equals the direct four-loop convolution", arguments: geometries.indices)
    func forwardKnownAnswer(index: Int) {
        let g = Self.geometry(Self.geometries[index])
        let conv = Conv2d(name: "c", geometry: g, random: RandomStream(seed: 3))
        conv.chunkFloats = Self.geometries[index].7
        let x = randomMatrix(g.input.channels, 3 * g.input.plane, seed: 4)
        let y = conv.forward(x)
        let expected = Self.directConvolution(x, conv.effectiveKernel(), g)
        #expect(y.rows == expected.rows && y.cols == expected.cols)
        #expect(y.maxAbsDifference(expected) < 1e-5)
    }

    @Test("Conv2d backward: dx and dW", arguments: geometries.indices)
    func convolutionGradients(index: Int) {
        let g = Self.geometry(Self.geometries[index])
        let conv = Conv2d(name: "c", geometry: g, random: RandomStream(seed: 5))
        conv.chunkFloats = Self.geometries[index].7
        let x = Parameter(name: "x", value: randomMatrix(g.input.channels, 2 * g.input.plane, seed: 6))
        let r = randomMatrix(g.outputChannels, 2 * g.output.plane, seed: 7)
        _ = conv.forward(x.value)
        x.grad = conv.backward(r)
        #expect(conv.weight.value.rows == g.outputChannels * g.kernel && conv.weight.value.cols == g.input.channels * g.kernel)
        expectGradientsMatch([x, conv.weight]) { GradientCheck.weightedSum(conv.forward(x.value), r) }
    }

    @Test("Conv2d skipping dx, accumulating dW (+=) and skipping a frozen kernel")
    func convolutionAccumulates() {
        let g = Self.geometry(Self.geometries[0])
        let conv = Conv2d(name: "c", geometry: g, computesInputGradient: false, random: RandomStream(seed: 8))
        let x = randomMatrix(g.input.channels, 2 * g.input.plane, seed: 9)
        let r = randomMatrix(g.outputChannels, 2 * g.output.plane, seed: 10)
        _ = conv.forward(x)
        #expect(conv.backward(r).count == 0)
        let once = conv.weight.grad
        _ = conv.forward(x)
        _ = conv.backward(r)
        for i in 0..<once.count { #expect(abs(conv.weight.grad.data[i] - 2 * once.data[i]) <= 1e-6 * max(1, abs(once.data[i]))) }
        conv.weight.freeze()
        conv.weight.zeroGradient()
        conv.computesInputGradient = true
        _ = conv.forward(x)
        let dx = conv.backward(r)
        #expect(conv.weight.grad == Matrix.zeros(conv.weight.value.rows, conv.weight.value.cols))
        #expect(dx.rows == g.input.channels)
    }

    @Test("Conv2d with LoRA, NOLA or PRANC on its reshaped kernel: W + ΔW in the forward, every gradient right",
          arguments: ["lora", "nola", "pranc"])
    func adaptedConvolution(method: String) {
        let g = Self.geometry(Self.geometries[1])  // 3 → 2 channels, stride 2: M is (6×9)
        let conv = Conv2d(name: "layer1.0.conv1", geometry: g, random: RandomStream(seed: 11))
        let (rows, cols) = (conv.kernel.outputs, conv.kernel.inputs)
        #expect(rows == 6 && cols == 9)
        let adapter: any LinearAdapter = switch method {
        case "lora": LoRAAdapter(name: "k", inputs: cols, outputs: rows, rank: 2, c: 2, random: RandomStream(seed: 12))
        case "nola": NOLAAdapter(name: "k", inputs: cols, outputs: rows, rank: 3, k: 4, l: 5, c: 1, seed: 13)
        default: PRANCAdapter(name: "k", inputs: cols, outputs: rows, n: 4, s: 0.2, seed: 14)
        }
        conv.kernel.adapter = adapter
        conv.weight.freeze()
        // Move the adapter away from ΔW = 0 so that every path carries signal.
        for p in adapter.parameters where p.isTrainable {
            p.value = randomMatrix(p.value.rows, p.value.cols, seed: 15, bound: 0.5)
        }
        let x = Parameter(name: "x", value: randomMatrix(g.input.channels, 2 * g.input.plane, seed: 16))
        let r = randomMatrix(g.outputChannels, 2 * g.output.plane, seed: 17)
        // The forward uses W + ΔW, ΔW being the adapter's ΔM read back as a kernel.
        var w = conv.weight.value
        BLAS.axpy(1, adapter.deltaWeight(), &w)
        let expected = Self.directConvolution(x.value, w.reshaped(g.outputChannels, g.patch), g)
        #expect(conv.forward(x.value).maxAbsDifference(expected) < 1e-5)
        x.grad = conv.backward(r)
        let trained = adapter.parameters.filter(\.isTrainable)
        #expect(!trained.isEmpty)
        expectGradientsMatch([x] + trained) { GradientCheck.weightedSum(conv.forward(x.value), r) }
        #expect(conv.weight.grad == Matrix.zeros(rows, cols))
    }

    @Test("BatchNorm2d in training: batch statistics, running averages as PyTorch's, dx, dγ, dβ")
    func batchNormTraining() {
        let bn = BatchNorm2d(name: "bn", channels: 3)
        bn.gamma.value = Matrix([[1.5, -0.7, 0.9]])
        bn.beta.value = Matrix([[0.1, 0.2, -0.3]])
        let x = Parameter(name: "x", value: randomMatrix(3, 20, seed: 18, bound: 2))
        let y = bn.forward(x.value)
        for c in 0..<3 {
            let row = (0..<20).map { Double(x.value[c, $0]) }
            let mean = row.reduce(0, +) / 20
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20
            let out = (0..<20).map { Double(y[c, $0]) }
            let yMean = out.reduce(0, +) / 20
            #expect(abs(yMean - Double(bn.beta.value[0, c])) < 1e-5)
            #expect(abs(Double(bn.runningMean[c]) - 0.1 * mean) < 1e-6)
            #expect(abs(Double(bn.runningVariance[c]) - (0.9 + 0.1 * variance * 20 / 19)) < 1e-5)
        }
        let r = randomMatrix(3, 20, seed: 19)
        _ = bn.forward(x.value)
        x.grad = bn.backward(r)
        expectGradientsMatch([x] + bn.parameters) { GradientCheck.weightedSum(bn.forward(x.value), r) }
    }

    @Test("BatchNorm2d with momentum nil keeps the plain average of the batches since a reset (PyTorch's momentum=None)")
    func batchNormCumulative() {
        let bn = BatchNorm2d(name: "bn", channels: 2, momentum: nil)
        let batches = (0..<3).map { randomMatrix(2, 10, seed: 60 + UInt64($0), bound: 3) }
        var means = [[Float]]()
        for x in batches {
            _ = bn.forward(x)
            means.append((0..<2).map { c in (0..<10).map { x[c, $0] }.reduce(0, +) / 10 })
        }
        #expect(bn.batchesTracked == 3)
        for c in 0..<2 {
            #expect(abs(bn.runningMean[c] - (means[0][c] + means[1][c] + means[2][c]) / 3) < 1e-5)
        }
        bn.resetRunningStatistics()
        #expect(bn.runningMean == [0, 0] && bn.runningVariance == [1, 1] && bn.batchesTracked == 0)
    }

    @Test("recalibrating BatchNorm: the averages become the current network's batch statistics; momenta and mode restored")
    func recalibration() {
        let make = { ResNet(input: .digit, widths: [2], blocksPerStage: 1, classes: 3, seed: 42) }
        let (a, b) = (make(), make())
        let data = DigitDataset(images: randomMatrix(8, 784, seed: 43), labels: Array(repeating: 0, count: 8), name: "noise")
        // b: one training forward with momentum 1, so its averages are exactly that batch's statistics.
        for bn in b.batchNorms { bn.resetRunningStatistics(); bn.momentum = 1 }
        _ = b.forward(data.images.rows(0..<4))
        _ = a.forward(data.images.rows(4..<8))  // some other averages first
        a.isTraining = false
        a.recalibrateBatchNorm(on: data, batches: 1, batchSize: 4)
        #expect(a.isTraining && a.batchNorms.allSatisfy { $0.momentum == 0.1 && $0.batchesTracked == 1 })
        for (x, y) in zip(a.batchNorms, b.batchNorms) {
            for c in 0..<x.channels {
                #expect(abs(x.runningMean[c] - y.runningMean[c]) < 1e-6 && abs(x.runningVariance[c] - y.runningVariance[c]) < 1e-6)
            }
        }
    }

    @Test("BatchNorm2d in evaluation: the running averages, one affine map per channel, and its gradients")
    func batchNormEvaluation() {
        let bn = BatchNorm2d(name: "bn", channels: 2)
        bn.runningMean = [0.5, -1]
        bn.runningVariance = [4, 0.25]
        bn.gamma.value = Matrix([[2, 3]])
        bn.beta.value = Matrix([[1, 0]])
        bn.isTraining = false
        let x = Parameter(name: "x", value: randomMatrix(2, 7, seed: 20))
        let y = bn.forward(x.value)
        for j in 0..<7 {
            #expect(abs(y[0, j] - (2 * (x.value[0, j] - 0.5) / (4 + 1e-5).squareRoot() + 1)) < 1e-5)
            #expect(abs(y[1, j] - (3 * (x.value[1, j] + 1) / (0.25 + 1e-5).squareRoot())) < 1e-5)
        }
        #expect(bn.runningMean == [0.5, -1] && bn.runningVariance == [4, 0.25])
        let r = randomMatrix(2, 7, seed: 21)
        x.grad = bn.backward(r)
        expectGradientsMatch([x] + bn.parameters) { GradientCheck.weightedSum(bn.forward(x.value), r) }
    }

    @Test("GlobalAveragePool: plane means, and their gradient")
    func globalAveragePool() {
        let shape = ImageShape(channels: 2, height: 2, width: 3)
        let pool = GlobalAveragePool(input: shape)
        let x = Parameter(name: "x", value: randomMatrix(2, 3 * 6, seed: 22))
        let y = pool.forward(x.value)
        #expect(y.rows == 3 && y.cols == 2)
        let plane = (0..<6).map { x.value[1, 2 * 6 + $0] }.reduce(0, +) / 6
        #expect(abs(y[2, 1] - plane) < 1e-6)
        let r = randomMatrix(3, 2, seed: 23)
        x.grad = pool.backward(r)
        expectGradientsMatch([x]) { GradientCheck.weightedSum(pool.forward(x.value), r) }
    }

    @Test("ZeroPaddingShortcut: x[:, :, ::2, ::2] between zero planes, and its gradient")
    func shortcut() {
        let shortcut = ZeroPaddingShortcut(input: ImageShape(channels: 2, height: 5, width: 4), outputChannels: 6, stride: 2)
        #expect(shortcut.outputShape == ImageShape(channels: 6, height: 3, width: 2) && shortcut.padding == 2)
        let x = Parameter(name: "x", value: randomMatrix(2, 2 * 20, seed: 24))
        let y = shortcut.forward(x.value)
        #expect(y.rows == 6 && y.cols == 2 * 6)
        // output channel 3 = input channel 1; image 1, output pixel (2, 1) = input pixel (4, 2)
        #expect(y[3, 6 + 2 * 2 + 1] == x.value[1, 20 + 4 * 4 + 2])
        #expect((0..<12).allSatisfy { y[0, $0] == 0 && y[5, $0] == 0 })
        let r = randomMatrix(6, 12, seed: 25)
        x.grad = shortcut.backward(r)
        expectGradientsMatch([x]) { GradientCheck.weightedSum(shortcut.forward(x.value), r) }
    }

    @Test("BasicBlock: dx and every parameter, identity and zero-padding shortcuts", arguments: [1, 2])
    func basicBlock(stride: Int) {
        let input = ImageShape(channels: 2, height: 5, width: 5)
        let block = BasicBlock(name: "layer1.0", input: input, outputChannels: stride == 1 ? 2 : 4, stride: stride,
                               random1: RandomStream(seed: 26), random2: RandomStream(seed: 27))
        #expect((block.shortcut == nil) == (stride == 1))
        let x = Parameter(name: "x", value: randomMatrix(2, 3 * input.plane, seed: 28))
        let out = block.output
        let r = randomMatrix(out.channels, 3 * out.plane, seed: 29)
        _ = block.forward(x.value)
        x.grad = block.backward(r)
        // BatchNorm in training mode over a few dozen values is strongly curved: a kernel weight moves
        // its whole channel's mean and variance. At h = 1e-3 the central difference is off by up to
        // 18% here; at h = 1e-4 every error is below 0.5% (ResNet below: 0.75%).
        expectGradientsMatch([x] + block.parameters, checker: GradientCheck(step: 1e-4, tolerance: 1e-2)) {
            GradientCheck.weightedSum(block.forward(x.value), r)
        }
    }

    @Test("ResNet: every gradient of a small one, with and without NOLA on every convolution",
          arguments: [false, true])
    func resNet(adapted: Bool) {
        let net = ResNet(input: ImageShape(channels: 1, height: 6, width: 6), widths: [2, 4], blocksPerStage: 1, classes: 3, seed: 30)
        if adapted {
            net.attach(.nola(rank: 2, k: 3, l: 3, c: 1, basis: .shared), seed: 31)
            for p in net.parameters where p.isTrainable { p.value = randomMatrix(p.value.rows, p.value.cols, seed: 32, bound: 0.3) }
        }
        let x = randomMatrix(4, 36, seed: 33)
        let r = randomMatrix(4, 3, seed: 34)
        _ = net.forward(x)
        #expect(net.backward(r).count == 0)
        let trained = net.parameters.filter(\.isTrainable)
        #expect(trained.count == (adapted ? 2 * 6 : 5 * 1 + 5 * 2 + 2))  // NOLA α, β at 5 convs + fc; else 5 kernels, 5 γ, β, fc W, b
        expectGradientsMatch(trained, checker: GradientCheck(step: 1e-4, tolerance: 1e-2)) {
            GradientCheck.weightedSum(net.forward(x), r)
        }
    }

    @Test("PRANC with one coefficient vector for the whole network: n trained numbers, each spanning every layer; its gradient",
          arguments: [false, true])
    func wholeNetworkPRANC(onTheFly: Bool) {
        let net = ResNet(input: ImageShape(channels: 1, height: 6, width: 6), widths: [2, 4], blocksPerStage: 1, classes: 3, seed: 37)
        let alpha = net.attachWholeModelPRANC(n: 7, s: 0.3, seed: 38, onTheFly: onTheFly)
        #expect(net.parameters.trainableCount == 7 && net.adapters.count == 6)
        #expect(net.adapters.allSatisfy { ($0 as? PRANCAdapter)?.alpha === alpha })
        alpha.value = randomMatrix(1, 7, seed: 39, bound: 0.5)
        let x = randomMatrix(4, 36, seed: 40)
        let r = randomMatrix(4, 3, seed: 41)
        _ = net.forward(x)
        _ = net.backward(r)
        expectGradientsMatch([alpha], checker: GradientCheck(step: 1e-4, tolerance: 1e-2)) { GradientCheck.weightedSum(net.forward(x), r) }
    }

    @Test("ResNet-20: 269,722 parameters for CIFAR (Table 8), 269,434 for one-channel digits; 19 convolutions, 20 adapter sites")
    func resNet20Counts() {
        #expect(ResNet.resnet20(input: ImageShape(channels: 3, height: 32, width: 32), seed: 1).parameters.totalCount == 269_722)
        let net = ResNet.resnet20(seed: 1)
        #expect(net.parameters.totalCount == 269_434)
        #expect(net.convolutions.count == 19 && net.batchNorms.count == 19 && net.adapterSites.count == 20)
        #expect(net.adapterSites.map(\.name).prefix(3) == ["conv1", "layer1.0.conv1", "layer1.0.conv2"])
        #expect(net.adapterSites.last!.name == "fc")
        #expect(net.forward(randomMatrix(2, 784, seed: 35)).shapeDescription == "(2×10)")
    }

    @Test("evaluate runs a network with BatchNorm in evaluation mode, leaves its running averages alone and restores its mode")
    func evaluationMode() {
        let net = ResNet(input: ImageShape(channels: 1, height: 28, width: 28), widths: [2], blocksPerStage: 1, classes: 10, seed: 36)
        let data = SyntheticDigits.generate(count: 20, seed: 1)
        _ = net.forward(data.images)  // one training forward: the running averages move
        let before = net.batchNorms.map(\.runningMean)
        let first = evaluate(net, on: data)
        #expect(net.batchNorms.map(\.runningMean) == before)
        #expect(net.isTraining)
        // In evaluation an image's logits do not depend on its batch: batches of 1 give the same accuracy.
        #expect(evaluate(net, on: data, batchSize: 1).accuracy == first.accuracy)
    }
}
