import Foundation

/// Training a classifier from scratch with only a few numbers: PRANC's setting, and the paper's
/// appendix A.2 (lessons 05 and 08).
///
/// The network is the A.2 MLP, 784 → 256 (bias, ReLU) → 10, with PyTorch's default random
/// initialisation `W₀, b₀` drawn from the run's seed. It is never pretrained. A method then
/// decides what trains:
///
/// - `nil` (dense): every weight and bias, 203,530 numbers;
/// - `.pranc(n:…)`: `W = W₀ + s Σ_{i<n} α_i W_i` per layer, `n` numbers per layer;
/// - `.nola(rank:k:l:…)`: `W = W₀ + (c/r) B A` with `A, B` mixtures of random matrices, `k + l`
///   per layer;
/// - `.lora(rank:…)`: `W = W₀ + (c/r) B A` with `A, B` trained directly, `r (in + out)` per layer.
///
/// In an adapted run the biases stay at their random `b₀` unless the recipe says otherwise
/// (attaching freezes the whole network), so the trainable count is exactly the method's:
/// PRANC `2n`, NOLA `2(k + l)`.
///
/// Data: `trainCount` training digits and `validationCount` held-out digits from one
/// `DigitSource`, upright. The A.2 experiment measures how low each parametrisation can push
/// the *training* loss (the paper's own criterion: "which method is better at reaching the
/// local minimums"); the validation accuracy is reported beside it.
public final class FromScratchTask {
    /// How a run trains: Adam (PyTorch's defaults) at `learningRate`, seeded batches. The paper's
    /// A.2: batch 512, learning rate 0.05, 200 epochs, the same for PRANC and NOLA; it names
    /// neither the optimizer nor a schedule (Adam and a constant rate are our assumptions).
    public struct Recipe: Sendable, Equatable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Float
        /// Decay the rate to 0 along a cosine over the run (true) or keep it constant (false).
        public var cosineDecay: Bool
        /// Let an adapted network's biases train too (+266 numbers for the A.2 MLP). Off by
        /// default, so that the trainable count is exactly the method's.
        public var trainBiases: Bool

        public init(
            epochs: Int, batchSize: Int = 512, learningRate: Float = 0.05, cosineDecay: Bool = false,
            trainBiases: Bool = false
        ) {
            checkPrecondition(epochs >= 0 && batchSize > 0 && learningRate > 0,
                              "FromScratchTask.Recipe: epochs \(epochs), batch \(batchSize), rate \(learningRate)")
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.cosineDecay = cosineDecay
            self.trainBiases = trainBiases
        }

        /// A.2's batch and rate with `epochs` epochs (the paper ran 200).
        public static func paper(epochs: Int = 200) -> Recipe { Recipe(epochs: epochs) }
    }

    /// The A.2 network's layer sizes.
    public static let sizes = [784, 256, 10]

    /// A.2's 32 trainable numbers per layer: PRANC `n = 32`; NOLA rank 4 with `k = l = 16`.
    /// PRANC's basis matrices are scaled by `s` (see `prancScale`).
    public static func paperMethods(perLayer budget: Int = 32, onTheFly: Bool = false) -> (pranc: AdapterMethod, nola: AdapterMethod) {
        (pranc(perLayer: budget, onTheFly: onTheFly), nola(perLayer: budget, onTheFly: onTheFly))
    }

    /// PRANC with `budget` coefficients per layer.
    public static func pranc(perLayer budget: Int, onTheFly: Bool = false) -> AdapterMethod {
        .pranc(n: budget, s: prancScale, onTheFly: onTheFly)
    }

    /// NOLA of rank `rank` (A.2: 4) with `k = l = budget / 2` per layer.
    public static func nola(perLayer budget: Int, rank: Int = 4, onTheFly: Bool = false) -> AdapterMethod {
        checkPrecondition(budget >= 2 && budget % 2 == 0, "FromScratchTask.nola: the per-layer budget must be even, got \(budget)")
        return .nola(rank: rank, k: budget / 2, l: budget / 2, c: nolaC, basis: onTheFly ? .onTheFly : .perLayer)
    }

    /// PRANC's `s`: each basis matrix `s·W_i` is then as large as a default-initialised weight
    /// of the 784-input layer (PyTorch's bound `1/√784`, `W_i` Uniform(−1, 1)).
    public static let prancScale: Float = 1 / 28
    /// NOLA's `c` (scale `c/r`), as in lessons 06–10. (c = 4 trained to within 0.02 of the same
    /// loss in a sweep on MNIST; c = 1/28 was slower.)
    public static let nolaC: Float = 1

    public let source: DigitSource
    public let seed: UInt64
    public let train: DigitDataset
    public let validation: DigitDataset

    /// Loads the digits. Throws `DataFileError` when MNIST is asked for and missing.
    public init(source: DigitSource, seed: UInt64, trainCount: Int = 8000, validationCount: Int = 2000) throws {
        self.source = source
        self.seed = seed
        (train, validation) = try source.load(trainCount: trainCount, validationCount: validationCount, seed: seed)
    }

    /// A freshly initialised A.2 network from `seed`, with `method` attached (nil: dense, all
    /// trainable). The adapters' random tensors come from the same seed.
    public func makeModel(_ method: AdapterMethod?, seed: UInt64) -> Sequential {
        let model = Sequential.mlp(Self.sizes, seed: seed)
        if let method { model.attach(method, seed: seed) }
        return model
    }

    /// What one run gives.
    public struct Run: Sendable {
        /// Trainable numbers.
        public var trainable: Int
        /// Per epoch: mean training loss of its batches (each before its update), and so on.
        public var history: [EpochRecord]
        /// The last epoch's mean training loss (A.2's "final training loss"); `nan` for 0 epochs.
        public var finalTrainLoss: Double { history.last?.trainLoss ?? .nan }
        /// Accuracy on the held-out digits after the last epoch.
        public var validationAccuracy: Double { history.last?.validationAccuracy ?? .nan }
        /// Seconds of training steps (evaluation excluded).
        public var seconds: Double { history.map(\.seconds).reduce(0, +) }
        /// Optimizer steps taken.
        public var steps: Int
        public var secondsPerStep: Double { seconds / Double(max(1, steps)) }
    }

    /// Trains a fresh network with `method` (nil: dense) from `seed`: the initial weights, the
    /// adapters' random tensors and the batch order all follow from it, so a seed gives the same
    /// run, bit for bit. Throws `DivergenceError` when the loss turns NaN or infinite.
    public func run(
        _ method: AdapterMethod?, seed: UInt64, recipe: Recipe,
        afterEpoch: (EpochRecord) -> Void = { _ in }
    ) throws -> (model: Sequential, run: Run) {
        let model = makeModel(method, seed: seed)
        if recipe.trainBiases {
            for layer in model.linearLayers { layer.bias?.isTrainable = true }
        }
        let parameters = model.parameters
        let optimizer = Adam(parameters: parameters, learningRate: recipe.learningRate)
        var configuration = FitConfiguration(
            epochs: recipe.epochs, batchSize: recipe.batchSize, seed: seed &+ 1, evaluateEveryEpoch: false)
        if recipe.cosineDecay {
            configuration.schedule = .warmupCosine(
                peak: recipe.learningRate, warmup: 0, total: configuration.totalSteps(examples: train.count))
        }
        let history = try fit(
            model, optimizer: optimizer, train: train, validation: validation, configuration: configuration,
            afterEpoch: afterEpoch)
        return (model, Run(trainable: parameters.trainableCount, history: history, steps: optimizer.stepCount))
    }
}
