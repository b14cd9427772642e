import Foundation

/// The adaptation task of lessons 04, 06, 09 and 10: a base MLP 784-256-10 pretrained on upright
/// digits, adapted to the shifted style (turned clockwise, bold pen; see `DigitStyle.shifted`)
/// with the same ten labels. The frozen base is clearly worse on the shifted digits; full
/// fine-tuning is the upper reference; LoRA, NOLA and PRANC train a few numbers in between.
///
/// Data, from one `DigitSource` and seed:
/// - pretraining: images `0 ..< baseCount` of the upright training part;
/// - adaptation: images `baseCount ..< baseCount + adaptCount` of the training part in the
///   shifted style (for MNIST: other digits than the base saw, leaned and bolded);
/// - validation: the shifted validation part (never seen by either).
///
/// The pretrained base is cached as a safetensors checkpoint in `cacheFolder` under a name that
/// encodes the source, seed and configuration, its metadata the same and a fingerprint of the
/// pretraining digits. A cache file is used only when every tensor and every metadata value
/// checks out (`BaseCache`); otherwise it is moved aside, never reused, and the base retrained.
public final class AdaptationTask {
    /// How the base is pretrained: SGD with momentum 0.9, constant rate, seeded batches.
    public struct Pretraining: Sendable, Equatable {
        public var sizes = [784, 256, 10]
        public var baseCount = 4000
        public var epochs = 10
        public var batchSize = 64
        public var learningRate: Float = 0.05
        public init() {}

        /// The cache key: every number that changes the pretrained weights.
        public var key: String {
            "mlp\(sizes.map(String.init).joined(separator: "-"))_n\(baseCount)_e\(epochs)_b\(batchSize)_lr\(learningRate)"
        }
    }

    public let source: DigitSource
    public let seed: UInt64
    public let pretraining: Pretraining
    /// Shifted digits to adapt on, and to validate on.
    public let train: DigitDataset
    public let validation: DigitDataset
    /// Upright validation digits (the base's own domain).
    public let baseValidation: DigitDataset
    /// The pretrained weights (a checkpoint held in memory).
    public let baseWeights: SafeTensorsFile
    /// Where the base came from: "loaded from the cache data/cache/…", "trained now in 2.8 s,
    /// cached in data/cache/…" or "trained now in 2.8 s, not cached".
    public let baseOrigin: String
    /// One line for the user when the cache could not serve: a cached file rejected (and moved
    /// aside to `…rejected-<time>`), a folder in its place, a cache that could not be written.
    /// `nil` when the cache worked or was not asked for. Lessons print it as a warning.
    public let cacheNotice: String?

    /// Loads the data and the pretrained base (from the cache, or trains and caches it).
    /// Throws `DataFileError` for missing MNIST files, or MNIST files with fewer than
    /// `pretraining.baseCount + DigitSource.minimumCount` training digits. A cache that cannot
    /// be used or written is not an error: the base is trained now, and `cacheNotice` says why.
    public init(
        source: DigitSource, seed: UInt64, adaptCount: Int = 2000, validationCount: Int = 2000,
        pretraining: Pretraining = Pretraining(), cacheFolder: URL? = URL(fileURLWithPath: "data/cache")
    ) throws {
        self.source = source
        self.seed = seed
        self.pretraining = pretraining
        let total = pretraining.baseCount + adaptCount
        let needed = pretraining.baseCount + DigitSource.minimumCount
        let upright = try source.load(trainCount: total, validationCount: validationCount, seed: seed, style: .upright,
                                      minimumTrainCount: needed)
        let shifted = try source.load(trainCount: total, validationCount: validationCount, seed: seed, style: .shifted,
                                      minimumTrainCount: needed)
        checkPrecondition(
            upright.train.count > pretraining.baseCount,
            "AdaptationTask: only \(upright.train.count) training digits for a base of \(pretraining.baseCount)")
        let base = upright.train.prefix(pretraining.baseCount)
        train = shifted.train.subset(Array(pretraining.baseCount..<shifted.train.count),
                                     name: shifted.train.name + ", adaptation part")
        validation = shifted.validation
        baseValidation = upright.validation

        let model = Sequential.mlp(pretraining.sizes, seed: seed)
        let metadata = [
            "format": "nola-lessons-base", "key": pretraining.key, "source": "\(source)", "seed": String(seed),
            "base_digits": BaseCache.fingerprint(of: base),
        ]
        let cache = cacheFolder.map {
            BaseCache(folder: $0, name: "base_\(source)_seed\(seed)_\(pretraining.key).safetensors")
        }
        var notice: String?
        var store = cache != nil
        switch cache?.load(model.parameters, requiring: metadata) {
        case .loaded?:
            baseWeights = Checkpoint.file(of: model, metadata: metadata)
            baseOrigin = "loaded from the cache \(cache!.path)"
            cacheNotice = nil
            return
        case .rejected(let text)?:
            notice = text
        case .blocked(let text)?:
            notice = text
            store = false
        case .absent?, nil:
            break
        }
        let clock = ContinuousClock.now
        let optimizer = SGD(parameters: model.parameters, learningRate: pretraining.learningRate, momentum: 0.9)
        try fit(model, optimizer: optimizer, train: base,
                configuration: FitConfiguration(epochs: pretraining.epochs, batchSize: pretraining.batchSize,
                                                seed: seed, evaluateEveryEpoch: false))
        let elapsed = ContinuousClock.now - clock
        baseWeights = Checkpoint.file(of: model, metadata: metadata)
        let described = BaseCache.describeTraining(took: elapsed, file: baseWeights, cache: cache, store: store, notice: notice)
        baseOrigin = described.origin
        cacheNotice = described.notice
    }

    /// A duration as "2.8 s" (one decimal) for narration.
    static func seconds(_ duration: Duration) -> String {
        let (s, attos) = duration.components
        return String(format: "%.1f s", Double(s) + Double(attos) * 1e-18)
    }

    /// A fresh copy of the pretrained base: all its parameters trainable, no adapters.
    public func makeBase() -> Sequential {
        let model = Sequential.mlp(pretraining.sizes, seed: seed)
        for p in model.parameters.uniqued() {
            // `baseWeights` was written from this very architecture: every tensor is there.
            guard let value = try? baseWeights.matrix(p.name, rows: p.value.rows, cols: p.value.cols, source: "base")
            else { checkPrecondition(false, "AdaptationTask: the base checkpoint lacks \(p.name)"); continue }
            p.value = value
        }
        return model
    }

    /// What one adaptation run gives.
    public struct Result: Sendable {
        public var trainable: Int
        public var accuracy: Double
        public var loss: Double
        public var secondsPerStep: Double
        public var history: [EpochRecord]
    }

    /// How a method adapts: Adam at a constant rate, `epochs` passes over the adaptation set in
    /// batches of 64. The rates come from a sweep on this task (lesson 06 prints one):
    ///
    /// - full fine-tuning: 3e-3;  LoRA: 1e-2 (any rank);
    /// - NOLA: `0.08 / √max(k, l)`, PRANC: `0.08 / √n`. Adam moves every coefficient by about the
    ///   rate per step, and each coefficient moves a whole Uniform(−1, 1) matrix: with `k` of them
    ///   the change of `A` grows like `√k`, so the rate shrinks like `1/√k` to keep the step of `ΔW`
    ///   the same size at every budget (k = 64 → 1e-2, k = 512 → 3.5e-3).
    public struct Recipe: Sendable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Float
        public init(epochs: Int = 10, batchSize: Int = 64, learningRate: Float) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
        }

        /// The rates above, for `method` (nil: full fine-tuning).
        public static func standard(for method: AdapterMethod?, epochs: Int = 10) -> Recipe {
            switch method {
            case nil: Recipe(epochs: epochs, learningRate: 3e-3)
            case .lora: Recipe(epochs: epochs, learningRate: 1e-2)
            case .nola(_, let k, let l, _, _): Recipe(epochs: epochs, learningRate: 0.08 / Float(max(k, l)).squareRoot())
            case .pranc(let n, _, _): Recipe(epochs: epochs, learningRate: 0.08 / Float(n).squareRoot())
            }
        }
    }

    /// Adapts a fresh base with `method` (nil: full fine-tuning, every weight trains), with the
    /// adapters' random tensors from `adapterSeed` and batches from `seed`. `prepare` runs
    /// after attaching and before training (quantization-aware training hooks in there).
    /// Returns the validation accuracy on the shifted digits after the last epoch.
    public func adapt(
        _ method: AdapterMethod?, adapterSeed: UInt64, recipe: Recipe? = nil,
        prepare: (Sequential) -> Void = { _ in }, afterEpoch: (EpochRecord) -> Void = { _ in }
    ) throws -> (model: Sequential, result: Result) {
        let model = makeBase()
        if let method { model.attach(method, seed: adapterSeed) }
        prepare(model)
        let result = try train(model, recipe: recipe ?? .standard(for: method), seed: adapterSeed &+ 1, afterEpoch: afterEpoch)
        return (model, result)
    }

    /// Trains `model` (a base from this task, adapted or not) further with `recipe`: a fresh Adam
    /// over its trainable parameters, batches in the order of `seed`. Quantization-aware training
    /// from a trained float adapter is `adapt`, then `QuantizationAwareTraining.enable`, then
    /// this. `evaluateEveryEpoch: false` evaluates after the last epoch only (faster);
    /// `afterStep` and `afterEpoch` are `fit`'s.
    public func train(
        _ model: Sequential, recipe: Recipe, seed: UInt64, evaluateEveryEpoch: Bool = true,
        afterStep: (_ step: Int, _ loss: Float) -> Void = { _, _ in }, afterEpoch: (EpochRecord) -> Void = { _ in }
    ) throws -> Result {
        let optimizer = Adam(parameters: model.parameters, learningRate: recipe.learningRate)
        let history = try fit(
            model, optimizer: optimizer, train: train, validation: validation,
            configuration: FitConfiguration(epochs: recipe.epochs, batchSize: recipe.batchSize, seed: seed,
                                            evaluateEveryEpoch: evaluateEveryEpoch),
            afterStep: afterStep, afterEpoch: afterEpoch)
        let steps = max(1, optimizer.stepCount)
        let last = history.last
        return Result(
            trainable: model.parameters.trainableCount, accuracy: last?.validationAccuracy ?? .nan,
            loss: last?.validationLoss ?? .nan,
            secondsPerStep: history.map(\.seconds).reduce(0, +) / Double(steps), history: history)
    }
}
