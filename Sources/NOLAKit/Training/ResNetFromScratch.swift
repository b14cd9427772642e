import Foundation

/// Training ResNet-20 from scratch with a few numbers: the paper's appendix A.2, "CNN on
/// ImageNet100 and CIFAR-10", Table 8 (lesson 15).
///
/// ```swift
/// let task = try ResNetFromScratch(source: .synthetic, seed: 1, trainCount: 2560)
/// let run = try task.run(.nola, seed: 1, recipe: .init(epochs: 3))
/// print(run.trainable, run.testAccuracy)          // 12,876 numbers
/// ```
///
/// The network is `ResNet.resnet20` on one-channel digits, with PyTorch's default random
/// initialisation `W₀` drawn from the run's seed and never pretrained. A method decides what
/// trains (Table 8's budgets; `ConvNetShape` derives the paper's counts):
///
/// | method | what trains | trainable here |
/// | --- | --- | --- |
/// | `dense` | every parameter | 269,434 |
/// | `pranc` | `W = W₀ + s Σ_{i<500} α_i W_i` on each of the 20 kernel matrices and the classifier (10,000 coefficients), BatchNorm γ, β | 11,376 |
/// | `lora` | `M = M₀ + (c/r) B A` of rank 3 on each `(out·3, in·3)` kernel matrix (loralib's r = 1), rank 1 on the classifier, its bias, BatchNorm γ, β | 13,277 |
/// | `nola` | `M = M₀ + (c/r) B A`, `A`, `B` mixtures of `k = l = 250` random matrices per convolution, `1,000` for the classifier, rank `nolaRank`; BatchNorm γ, β | 12,876 |
///
/// `W₀` is kept and frozen for the three compressed methods: `W = W₀ + ΔW`, as lesson 8 does
/// for the MLP (the paper trains "from scratch" and does not say what `W₀` is; PRANC's code
/// starts from a random network and adds its combination to it). The paper's recipe: Adam, rate
/// 1e-3, batch 256. Its 12,752 for PRANC also counts BatchNorm's running averages (1,376 numbers
/// here too), which are stored, never trained.
public final class ResNetFromScratch {
    /// The methods of Table 8.
    public enum Method: String, Sendable, CaseIterable, Codable {
        case dense, pranc, lora, nola

        /// "trained model", "PRANC", "LoRA", "NOLA": the names of Table 8's rows.
        public var paperName: String {
            switch self {
            case .dense: "trained model"
            case .pranc: "PRANC"
            case .lora: "LoRA"
            case .nola: "NOLA"
            }
        }
    }

    /// Table 8's budgets, and the constants the paper leaves open.
    ///
    /// The three scales set how far a step of Adam (which moves every trained number by about the
    /// rate) moves the weights, and the paper gives none of them. They were chosen by a sweep in
    /// factors of about 4 on 1,280 synthetic digits (20 steps of batch 128, one seed), keeping the
    /// value whose training accuracy was highest: NOLA c = 4, 16, 64, 128, 256 gave 30%, 56%,
    /// 72%, 70%, 59% (c = 1, in the first 20 steps of a run on 2,560 digits: 12%); PRANC
    /// s = 0.125, 0.5, 1, 2 gave 58%, 78%, 69%,
    /// 50%; LoRA c = 1, 10, 30, 100, 300, 1,000 gave 14%, 19%, 38%, 66%, 71%, 65% (dense training:
    /// 89%). At rank 8, NOLA with c = 64 gave 39%.
    public struct Budgets: Sendable, Equatable, Codable {
        /// NOLA's `k = l` per convolution (paper: 250) and for the classifier (paper: 1,000).
        public var nolaConvolution = 250
        public var nolaClassifier = 1000
        /// NOLA's rank (the paper gives rank 64 for ResNet-18, and none for ResNet-20).
        public var nolaRank = 64
        /// NOLA's `c` of the scale `c/r` (64: scale 1 at rank 64).
        public var nolaC: Float = 64
        /// PRANC's coefficients per adapted matrix (20 × 500 = the 10,000 of PRANC's paper).
        public var prancPerMatrix = 500
        /// PRANC's basis scale `s`.
        public var prancScale: Float = 0.5
        /// LoRA's rank in loralib's terms: rank `3r` on a 3×3 kernel's matrix, `r` on the classifier.
        public var loraRank = 1
        /// LoRA's `c` of the scale `c/r` (300: scale 100 on the kernels' rank-3 matrices).
        public var loraC: Float = 300

        public init() {}
    }

    /// How a run trains: Adam at `learningRate` (PyTorch's defaults otherwise), `batchSize`, a
    /// constant rate, seeded batches; the validation set scored `evaluationsPerEpoch` times an
    /// epoch (at its end, and evenly before it), for the training curves. Before every evaluation
    /// (and the final test) BatchNorm's running averages are measured afresh on the first
    /// `recalibrationBatches` training batches (`ResNet.recalibrateBatchNorm`; 0: never, the
    /// running averages as training left them).
    public struct Recipe: Sendable, Equatable, Codable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Float
        public var evaluationsPerEpoch: Int
        public var recalibrationBatches: Int

        public init(
            epochs: Int, batchSize: Int = 256, learningRate: Float = 1e-3, evaluationsPerEpoch: Int = 1,
            recalibrationBatches: Int = 0
        ) {
            checkPrecondition(epochs >= 0 && batchSize > 0 && learningRate > 0 && evaluationsPerEpoch > 0 && recalibrationBatches >= 0,
                              "ResNetFromScratch.Recipe: epochs \(epochs), batch \(batchSize), rate \(learningRate), "
                                + "\(evaluationsPerEpoch) evaluations per epoch, \(recalibrationBatches) recalibration batches")
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.evaluationsPerEpoch = evaluationsPerEpoch
            self.recalibrationBatches = recalibrationBatches
        }
    }

    public let splits: DigitSplits
    public let budgets: Budgets

    /// Loads the digits: `trainCount` training, `validationCount` validation (watched every
    /// epoch) and `testCount` test digits (scored once, at the end). Throws `DataFileError` when
    /// MNIST is asked for and missing.
    public init(source: DigitSource, seed: UInt64, trainCount: Int, validationCount: Int = 1000, testCount: Int = 2000,
                budgets: Budgets = Budgets()) throws {
        splits = try source.loadSplits(trainCount: trainCount, validationCount: validationCount, testCount: testCount, seed: seed)
        self.budgets = budgets
    }

    /// A freshly initialised ResNet-20 from `seed` with `method` attached and the right tensors
    /// trainable; the adapters' random tensors come from the same seed.
    public func makeModel(_ method: Method, seed: UInt64) -> ResNet {
        let net = ResNet.resnet20(input: .digit, classes: DigitDataset.classCount, seed: seed)
        let convolutions = Set(net.convolutions.map(\.name))
        let b = budgets
        switch method {
        case .dense:
            return net
        case .pranc:
            net.attach(.pranc(n: b.prancPerMatrix, s: b.prancScale, onTheFly: false), seed: seed)
        case .lora:
            net.attach(.lora(rank: 3 * b.loraRank, c: b.loraC), seed: seed, sites: convolutions)
            net.attach(.lora(rank: b.loraRank, c: b.loraC), seed: seed, sites: ["fc"], freezingModel: false)
            net.fc.bias?.isTrainable = true
        case .nola:
            let (r, c) = (b.nolaRank, b.nolaC)
            net.attach(.nola(rank: r, k: b.nolaConvolution, l: b.nolaConvolution, c: c, basis: .shared), seed: seed, sites: convolutions)
            net.attach(.nola(rank: r, k: b.nolaClassifier, l: b.nolaClassifier, c: c, basis: .shared), seed: seed, sites: ["fc"],
                       freezingModel: false)
        }
        for bn in net.batchNorms {
            bn.gamma.isTrainable = true
            bn.beta.isTrainable = true
        }
        return net
    }

    /// What one run gives.
    public struct Run: Sendable, Codable, Equatable {
        public var method: Method
        public var seed: UInt64
        /// Trainable numbers.
        public var trainable: Int
        /// Per epoch: training loss and accuracy (each batch judged before its update), validation
        /// loss and accuracy after the epoch, seconds of training steps.
        public var epochs: [Epoch]
        /// Validation accuracy along the run: `(epochs done, accuracy)`, `evaluationsPerEpoch`
        /// points an epoch (the last of each at the epoch's end).
        public var curve: [Point]
        /// Accuracy on the test set after the last epoch.
        public var testAccuracy: Double
        /// The same, BatchNorm's averages as training left them (nil when the recipe does not
        /// recalibrate: then `testAccuracy` is that already).
        public var testAccuracyWithoutRecalibration: Double?
        /// Optimizer steps taken.
        public var steps: Int

        public struct Point: Sendable, Codable, Equatable {
            public var epochs: Double
            public var validationAccuracy: Double
        }

        public struct Epoch: Sendable, Codable, Equatable {
            public var epoch: Int
            public var trainLoss: Double
            public var trainAccuracy: Double
            public var validationAccuracy: Double
            public var seconds: Double
        }

        /// Seconds of training steps, evaluation excluded.
        public var seconds: Double
        public var secondsPerStep: Double { seconds / Double(max(1, steps)) }
    }

    /// Trains a fresh network with `method` from `seed` (initial weights, adapters' random
    /// tensors and batch order all follow from it), scoring the validation set after every epoch
    /// and the test set after the last; `afterStep` gets each step's number (from 1) and its
    /// batch's mean loss. Throws `DivergenceError` on a NaN or infinite loss.
    public func run(
        _ method: Method, seed: UInt64, recipe: Recipe, afterStep: (_ step: Int, _ loss: Float) -> Void = { _, _ in },
        afterEpoch: (EpochRecord) -> Void = { _ in }
    ) throws -> Run {
        let model = makeModel(method, seed: seed)
        let parameters = model.parameters
        let optimizer = Adam(parameters: parameters, learningRate: recipe.learningRate)
        let configuration = FitConfiguration(epochs: recipe.epochs, batchSize: recipe.batchSize, seed: seed &+ 1)
        // Every evaluation runs from `afterStep` (fit itself evaluates nothing), its time taken
        // out of the epoch's (fit times the whole loop).
        let stepsPerEpoch = (splits.train.count + recipe.batchSize - 1) / recipe.batchSize
        let interval = max(1, stepsPerEpoch / recipe.evaluationsPerEpoch)
        var curve: [Run.Point] = []
        var evaluationSeconds = 0.0
        /// Accuracy on `data` in evaluation mode, BatchNorm recalibrated first when the recipe says
        /// so; training's own averages are put back afterwards.
        func score(_ data: DigitDataset) -> Double {
            guard recipe.recalibrationBatches > 0 else { return evaluate(model, on: data, batchSize: recipe.batchSize).accuracy }
            let kept = model.batchNorms.map { ($0.runningMean, $0.runningVariance) }
            model.recalibrateBatchNorm(on: splits.train, batches: recipe.recalibrationBatches, batchSize: recipe.batchSize)
            defer { for (bn, averages) in zip(model.batchNorms, kept) { (bn.runningMean, bn.runningVariance) = averages } }
            return evaluate(model, on: data, batchSize: recipe.batchSize).accuracy
        }
        let history = try fit(
            model, optimizer: optimizer, train: splits.train, configuration: configuration,
            afterStep: { step, loss in
                afterStep(step, loss)
                let inEpoch = (step - 1) % stepsPerEpoch + 1
                let due = inEpoch == stepsPerEpoch || (inEpoch % interval == 0 && inEpoch / interval < recipe.evaluationsPerEpoch)
                guard due else { return }
                let start = ContinuousClock.now
                let accuracy = score(splits.validation)
                let elapsed = ContinuousClock.now - start
                evaluationSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                curve.append(Run.Point(epochs: Double(step) / Double(stepsPerEpoch), validationAccuracy: accuracy))
            },
            afterEpoch: afterEpoch)
        let stale = recipe.recalibrationBatches > 0 ? evaluate(model, on: splits.test, batchSize: recipe.batchSize).accuracy : nil
        let test = score(splits.test)
        return Run(
            method: method, seed: seed, trainable: parameters.trainableCount,
            epochs: history.map { record in
                Run.Epoch(epoch: record.epoch, trainLoss: record.trainLoss, trainAccuracy: record.trainAccuracy,
                          validationAccuracy: curve.last { $0.epochs == Double(record.epoch) }?.validationAccuracy ?? .nan,
                          seconds: record.seconds)
            },
            curve: curve, testAccuracy: test, testAccuracyWithoutRecalibration: stale, steps: optimizer.stepCount,
            seconds: history.map(\.seconds).reduce(0, +) - evaluationSeconds)
    }
}
