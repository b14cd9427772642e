import Foundation

/// The pretrained vision transformer of lesson 14: the classroom stand-in for the paper's
/// ImageNet-pretrained ViT-B. A small ViT (`Pretraining.configuration`) learns the ten synthetic
/// upright digits; the few-shot tasks then ask it for letters it never saw, or for real MNIST
/// handwriting.
///
/// Pretraining: `digitCount` synthetic upright digits of `seed`, AdamW (PyTorch's default weight
/// decay 0.01) with a linear warm-up and a cosine decay to 0, seeded batches; then the accuracy
/// on `checkCount` further digits of the same set (never trained on).
///
/// The result is cached as a `TransformerCheckpoint` in `cacheFolder` (`data/cache/`), under a
/// name that encodes the seed and every pretraining setting, its metadata the same and a
/// fingerprint of the pretraining digits. As `AdaptationTask` does for its MLP, a cache file is
/// used only when every tensor and every metadata value checks out (`BaseCache`); otherwise it
/// is moved aside and the backbone trained again, and `cacheNotice` says why.
public final class VisionBackbone {
    /// How the backbone is pretrained.
    public struct Pretraining: Sendable, Equatable {
        public var configuration = VisionTransformerConfiguration(
            patchSize: 7, layers: 3, embedding: 48, heads: 4, classes: 10, pooling: .classToken)
        public var digitCount = 8000
        public var epochs = 6
        public var batchSize = 64
        public var peakRate: Float = 2e-3
        public var warmupSteps = 100
        public var checkCount = 1000
        public init() {}

        /// A tiny backbone for smoke runs: one block of width 32, 2,000 digits, 2 epochs.
        public static var tiny: Pretraining {
            var p = Pretraining()
            p.configuration = VisionTransformerConfiguration(patchSize: 7, layers: 1, embedding: 32, heads: 4, classes: 10)
            p.digitCount = 2000
            p.epochs = 2
            p.warmupSteps = 20
            p.checkCount = 500
            return p
        }

        /// Optimizer steps of the pretraining.
        public var steps: Int { epochs * ((digitCount + batchSize - 1) / batchSize) }

        /// The cache key: every number that changes the pretrained weights.
        public var key: String {
            let c = configuration
            return "vit_p\(c.patchSize)_l\(c.layers)_c\(c.embedding)_h\(c.heads)_\(c.pooling.rawValue)"
                + "_n\(digitCount)_e\(epochs)_b\(batchSize)_lr\(peakRate)_w\(warmupSteps)"
        }
    }

    public let seed: UInt64
    public let pretraining: Pretraining
    /// The pretrained weights, head included (a checkpoint held in memory).
    public let weights: SafeTensorsFile
    /// "loaded from the cache data/cache/…" or "trained now in 95.3 s, cached in data/cache/…".
    public let origin: String
    /// Why the cache could not serve (a file rejected and moved aside, a folder in the way, a
    /// write that failed), or nil. Lessons print it as a warning.
    public let cacheNotice: String?
    /// Accuracy on `checkCount` held-out synthetic digits.
    public let digitAccuracy: Double

    /// Loads the backbone from the cache, or pretrains (calling `afterStep(step, total, loss)`
    /// after every optimizer step, for a progress bar) and caches it.
    public init(
        seed: UInt64, pretraining: Pretraining = Pretraining(), cacheFolder: URL? = URL(fileURLWithPath: "data/cache"),
        afterStep: (_ step: Int, _ total: Int, _ loss: Float) -> Void = { _, _, _ in }
    ) throws {
        checkPrecondition(pretraining.configuration.problem == nil, "VisionBackbone: \(pretraining.configuration.problem ?? "")")
        self.seed = seed
        self.pretraining = pretraining
        let digits = SyntheticDigits.generate(count: pretraining.digitCount, seed: seed)
        let check = SyntheticDigits.generate(count: pretraining.checkCount, seed: seed, first: pretraining.digitCount)
        let model = VisionTransformer(pretraining.configuration, seed: seed)
        let metadata = ["key": pretraining.key, "seed": String(seed), "base_digits": BaseCache.fingerprint(of: digits)]
        let cache = cacheFolder.map { BaseCache(folder: $0, name: "backbone_seed\(seed)_\(pretraining.key).safetensors") }
        var notice: String?
        var store = cache != nil
        var required = metadata
        required["format"] = VisionTransformer.checkpointFormat
        for (key, value) in pretraining.configuration.metadata { required[key] = value }
        switch cache?.load(model.baseParameters, requiring: required) {
        case .loaded?:
            weights = model.checkpointFile(metadata: metadata)
            origin = "loaded from the cache \(cache!.path)"
            cacheNotice = nil
            digitAccuracy = evaluate(model, on: check).accuracy
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
        let total = pretraining.steps
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: pretraining.peakRate)
        try fit(model, optimizer: optimizer, train: digits, configuration: FitConfiguration(
                    epochs: pretraining.epochs, batchSize: pretraining.batchSize, seed: seed,
                    schedule: .warmupCosine(peak: pretraining.peakRate, warmup: pretraining.warmupSteps, total: total),
                    evaluateEveryEpoch: false),
                afterStep: { step, loss in afterStep(step, total, loss) })
        let elapsed = ContinuousClock.now - clock
        weights = model.checkpointFile(metadata: metadata)
        digitAccuracy = evaluate(model, on: check).accuracy
        let described = BaseCache.describeTraining(took: elapsed, file: weights, cache: cache, store: store, notice: notice)
        origin = described.origin
        cacheNotice = described.notice
    }

    /// A fresh copy of the pretrained backbone (digit head included), every tensor trainable.
    public func makeModel() -> VisionTransformer {
        let model = VisionTransformer(pretraining.configuration, seed: seed)
        // `weights` was written from this very configuration: every tensor is there.
        do {
            try Checkpoint.load(model.baseParameters, from: weights, source: "backbone")
        } catch {
            checkPrecondition(false, "VisionBackbone: the in-memory checkpoint does not fit its model: \(error)")
        }
        return model
    }
}
