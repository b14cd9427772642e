import Foundation
import NOLAKit
import Testing

/// Tables 8 and 9's parameter counts from the networks' shapes (`ConvNetShape`), and the counts
/// the lesson's models actually train (`ResNetFromScratch`).
@Suite("Convolution: Tables 8 and 9's counts from the shapes")
struct ConvolutionCountsTests {
    @Test("Table 8, ResNet-20 on CIFAR-10: 269,722 / PRANC 12,752 / LoRA 13,295 / NOLA 12,876")
    func table8() {
        let shape = ConvNetShape.resnet20(inputChannels: 3, classes: 10)
        #expect(shape.convolutions.count == 19 && shape.batchNormChannels == 688)
        #expect(shape.parameterCount == 269_722)
        #expect(shape.prancCount(coefficients: 10_000) == 12_752)
        #expect(shape.loraCount(rank: 1) == 13_295)
        #expect(shape.nolaCount(k: 250, l: 250, classifierK: 1000, classifierL: 1000) == 12_876)
    }

    @Test("Table 9, ResNet-18 on ImageNet-100: 11,227,812 / PRANC 119,200 / NOLA 109,600; LoRA's 150,000 is not reproduced")
    func table9() {
        let shape = ConvNetShape.resnet18(inputChannels: 3, classes: 100)
        #expect(shape.convolutions.count == 20 && shape.batchNormChannels == 4800)
        #expect(shape.batchNormAffine == 9600)  // "excluding 9,600 batchnorm parameters"
        #expect(shape.parameterCount == 11_227_812)
        #expect(shape.nolaCount(k: 2000, l: 2000, classifierK: 10_000, classifierL: 10_000) == 109_600)
        #expect(shape.prancCount(coefficients: 100_000) == 119_200)
        #expect(shape.loraCount(rank: 2) == 150_354)
    }

    @Test("the kernel's matrix: (out·k, in·k), element (o, c, ky, kx) at its row-major place")
    func kernelMatrix() {
        #expect(KernelReshape.matrixShape(outputs: 16, inputs: 16, kernel: 3) == (48, 48))
        #expect(KernelReshape.matrixShape(outputs: 32, inputs: 16, kernel: 3) == (96, 48))
        #expect(KernelReshape.matrixShape(outputs: 16, inputs: 1, kernel: 3) == (48, 3))
        // (1, 2, 0, 1) of a 4 → 3-channel kernel: flat ((1·3 + 2)·3 + 0)·3 + 1 = 46 = row 5, col 1 of (12 × 9)
        #expect(KernelReshape.matrixPosition(output: 1, input: 2, ky: 0, kx: 1, inputs: 3, kernel: 3) == (5, 1))
        let conv = Conv2d(name: "c", geometry: ConvolutionGeometry(input: ImageShape(channels: 3, height: 4, width: 4),
                                                                    outputChannels: 4, kernel: 3, padding: 1),
                          random: RandomStream(seed: 1))
        let w = conv.effectiveKernel()  // (4, 27): PyTorch's (out, in·k·k)
        #expect(conv.weight.value[5, 1] == w[1, (2 * 3 + 0) * 3 + 1])
    }

    @Test("the lesson's models train exactly the counts the shapes give (one-channel digits)",
          arguments: ResNetFromScratch.Method.allCases)
    func modelCounts(method: ResNetFromScratch.Method) throws {
        let task = try ResNetFromScratch(source: .synthetic, seed: 1, trainCount: 10, validationCount: 10, testCount: 10)
        let net = task.makeModel(method, seed: 1)
        let shape = ConvNetShape.resnet20(inputChannels: 1, classes: 10)
        let trainable = net.parameters.trainableCount
        switch method {
        case .dense: #expect(trainable == shape.parameterCount && trainable == 269_434)
        case .nola: #expect(trainable == shape.nolaCount(k: 250, l: 250, classifierK: 1000, classifierL: 1000) && trainable == 12_876)
        case .lora: #expect(trainable == shape.loraCount(rank: 1) && trainable == 13_277)
        case .pranc:
            // 20 × 500 coefficients and BatchNorm's γ, β; PRANC's own count adds the running averages.
            #expect(trainable == 11_376)
            #expect(trainable + shape.batchNormRunningStatistics == shape.prancCount(coefficients: 10_000))
        }
        #expect(net.parameters.filter(\.isTrainable).allSatisfy { !$0.name.hasSuffix("nola_A0") })
    }

    @Test("a training run: the curve has its points, the time excludes evaluation, the same seed gives the same run")
    func trainingRun() throws {
        let task = try ResNetFromScratch(source: .synthetic, seed: 2, trainCount: 64, validationCount: 20, testCount: 20)
        let recipe = ResNetFromScratch.Recipe(epochs: 1, batchSize: 16, evaluationsPerEpoch: 2, recalibrationBatches: 1)
        let run = try task.run(.nola, seed: 3, recipe: recipe)
        #expect(run.steps == 4 && run.trainable == 12_876)
        #expect(run.curve.map(\.epochs) == [0.5, 1])
        #expect(run.curve.last!.validationAccuracy == run.epochs.last!.validationAccuracy)
        #expect((0...1).contains(run.testAccuracy) && run.seconds > 0 && run.seconds <= run.epochs[0].seconds)
        var again = try task.run(.nola, seed: 3, recipe: recipe)
        (again.seconds, again.epochs[0].seconds) = (run.seconds, run.epochs[0].seconds)  // only the times may differ
        #expect(again == run)
        let decoded = try JSONDecoder().decode(ResNetFromScratch.Run.self, from: JSONEncoder().encode(run))
        #expect(decoded == run)
    }

    @Test("three-way splits: disjoint synthetic ranges; MNIST's training split for training and validation, its test split for the test")
    func splits() throws {
        let synthetic = try DigitSource.synthetic.loadSplits(trainCount: 20, validationCount: 10, testCount: 10, seed: 3)
        #expect(synthetic.origin == .synthetic(seed: 3) && !synthetic.testIsMNISTTestSplit)
        #expect(synthetic.test.images.rows(0..<1) == SyntheticDigits.generate(count: 1, seed: 3, first: 30).images)
        #expect(synthetic.train.count == 20 && synthetic.validation.count == 10 && synthetic.test.count == 10)
    }
}
