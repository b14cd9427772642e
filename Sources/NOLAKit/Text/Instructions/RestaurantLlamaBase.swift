import Foundation

/// The base model of lesson 16: a byte-level BPE tokenizer and a small LLaMA-style model
/// pretrained as a plain language model, in float, on the training part's text — what LLaMA-2
/// is before anyone instruction-tunes it.
///
/// Its pretraining text, shuffled by seed and packed into sequences of `context` tokens:
/// - reference documents: each training MR's reference sentences side by side, never the MR
///   (`E2EBaseModel.documents`, as lesson 12's GPT reads);
/// - quiz pages: two multiple-choice questions about each training MR, with their answers, five
///   to a page (`RestaurantQuiz.documents`), as web text holds quizzes: the base learns MMLU's format in
///   pretraining, as LLaMA did, so it can be scored 5-shot before any fine-tuning.
/// It never sees an instruction: following Alpaca-style instructions is what adaptation teaches.
///
/// The weights are cached in `cacheFolder` (`data/cache/`) with every setting, the corpus's
/// fingerprint and the tokenizer in the metadata (`BaseCache`): used only when all of it
/// matches, moved aside and retrained otherwise, all or nothing, as lesson 12's base.
public final class RestaurantLlamaBase {
    /// Everything that changes the pretrained weights.
    public struct Pretraining: Sendable, Equatable {
        public var layers = 4
        public var hidden = 64
        public var intermediate = 176
        public var heads = 4
        public var keyValueHeads = 2
        public var context = 512
        /// BPE tokens asked for.
        public var vocabulary = 768
        /// Passes over the packed pretraining text.
        public var epochs = 4
        /// Sequences of `context` tokens per step.
        public var batchSize = 8
        /// AdamW's peak rate, warm-up, weight decay; clipping at norm 1.
        public var learningRate: Float = 3e-3
        public var warmup = 30
        public var weightDecay: Float = 0.01
        /// Answered questions per quiz page, and at most per training MR.
        public var quizPerPage = 5
        public var quizPerMR = 2

        public init() {}

        /// A tiny model for smoke runs: 2 blocks of width 32, one pass, a context of 768.
        public static var tiny: Pretraining {
            var p = Pretraining()
            p.layers = 2
            p.hidden = 32
            p.intermediate = 88
            p.heads = 2
            p.keyValueHeads = 1
            p.vocabulary = 512
            p.epochs = 1
            p.warmup = 5
            p.context = 768  // fewer merges: a 5-shot prompt takes more tokens
            return p
        }

        /// The model's shape for a tokenizer of `vocabulary` tokens.
        public func configuration(vocabulary: Int) -> LlamaConfiguration {
            LlamaConfiguration(layers: layers, hidden: hidden, intermediate: intermediate, heads: heads,
                               keyValueHeads: keyValueHeads, vocabulary: vocabulary, context: context)
        }

        /// The cache key: every number above.
        public var key: String {
            "llama_l\(layers)_d\(hidden)_i\(intermediate)_h\(heads)_g\(keyValueHeads)_ctx\(context)_v\(vocabulary)_e\(epochs)"
                + "_b\(batchSize)_lr\(learningRate)_w\(warmup)_wd\(weightDecay)_q\(quizPerPage)x\(quizPerMR)"
        }
    }

    public let tokenizer: BPETokenizer
    public let configuration: LlamaConfiguration
    public let pretraining: Pretraining
    /// The pretrained float weights (a checkpoint in memory).
    public let weights: SafeTensorsFile
    /// "loaded from the cache data/cache/…" or "trained now in 3 min 12 s, cached in …".
    public let origin: String
    /// One line when the cache could not serve, nil otherwise.
    public let cacheNotice: String?
    /// Packed pretraining sequences per epoch, and how many of their tokens are quiz pages.
    public let sequenceCount: Int
    public let tokenCount: Int
    public let quizTokenCount: Int
    /// The mean training loss of each epoch (empty when loaded).
    public let epochLosses: [Double]
    /// The loss per token on the validation part's packed text.
    public let validationLoss: Double

    /// Trains the tokenizer, then loads the base from the cache or pretrains and caches it.
    /// `progress(done, total)` follows every pretraining step. Throws `DivergenceError` or
    /// `TokenizerError`.
    public init(data: E2EData, seed: UInt64, pretraining: Pretraining = Pretraining(),
                cacheFolder: URL? = URL(fileURLWithPath: "data/cache"), progress: (Int, Int) -> Void = { _, _ in }) throws {
        self.pretraining = pretraining
        let values = RestaurantQuiz.values(in: [data.train, data.validation, data.test])
        let trainQuiz = RestaurantQuiz.documents(RestaurantQuiz.questions(from: data.train, values: values, seed: seed, perMR: pretraining.quizPerMR), perDocument: pretraining.quizPerPage)
        let validationQuiz = RestaurantQuiz.documents(RestaurantQuiz.questions(from: data.validation, values: values, seed: seed, perMR: pretraining.quizPerMR), perDocument: pretraining.quizPerPage)
        let instructions = RestaurantInstructions.make(from: data.train, seed: seed).map(\.text)
        let tokenizer = try BPETokenizer.train(on: data.tokenizerCorpus + trainQuiz + instructions, vocabularySize: pretraining.vocabulary)
        self.tokenizer = tokenizer
        let configuration = pretraining.configuration(vocabulary: tokenizer.vocabularySize)
        self.configuration = configuration
        let model = LlamaModel(configuration, seed: seed)

        func wrap(_ text: String) -> [Int] { [BPETokenizer.begin] + tokenizer.encode(text) + [BPETokenizer.end] }
        let trainDocuments = E2EBaseModel.documents(data.train, tokenizer: tokenizer, context: pretraining.context)
        let trainQuizTokens = trainQuiz.map(wrap)
        let train = Self.pack(trainDocuments + trainQuizTokens, length: pretraining.context, seed: seed)
        let validation = Self.pack(E2EBaseModel.documents(data.validation, tokenizer: tokenizer, context: pretraining.context)
                                   + validationQuiz.map(wrap), length: pretraining.context, seed: seed)
        sequenceCount = train.count
        tokenCount = train.reduce(0) { $0 + $1.count }
        quizTokenCount = trainQuizTokens.reduce(0) { $0 + $1.count }

        let serialized = tokenizer.serialized()
        let required = [
            "lesson_base": "restaurant-llama", "key": pretraining.key, "seed": String(seed), "data": "\(data.source)",
            "corpus": E2EBaseModel.fingerprint(data.pretrainingCorpus + trainQuiz),
            "tokenizer_fnv1a64": E2EBaseModel.hex(BasisSeeds.fnv1a64(serialized)),
        ]
        let metadata = required.merging(["tokenizer": serialized]) { a, _ in a }
        let cache = cacheFolder.map { BaseCache(folder: $0, name: "llama_base_\(data.source)_seed\(seed)_\(pretraining.key).safetensors") }
        var notice: String?
        var store = cache != nil
        var loaded = false
        switch cache?.load(model.baseParameters, requiring: required) {
        case .loaded?: loaded = true
        case .rejected(let text)?: notice = text
        case .blocked(let text)?:
            notice = text
            store = false
        case .absent?, nil: break
        }
        var losses: [Double] = []
        var origin = loaded ? "loaded from the cache \(cache!.path)" : ""
        if !loaded {
            let clock = ContinuousClock.now
            let perEpoch = (train.count + pretraining.batchSize - 1) / pretraining.batchSize
            let total = perEpoch * pretraining.epochs
            let trainer = LlamaTrainer(
                model: model,
                optimizer: Adam.adamW(parameters: model.parameters, learningRate: pretraining.learningRate, weightDecay: pretraining.weightDecay),
                schedule: .warmupCosine(peak: pretraining.learningRate, warmup: pretraining.warmup, total: total,
                                        floor: pretraining.learningRate / 10),
                clipNorm: 1)
            var done = 0
            for epoch in 0..<pretraining.epochs {
                var sum = 0.0, tokens = 0
                for batch in TokenBatch.batches(of: train, size: pretraining.batchSize, seed: seed, epoch: epoch, padding: BPETokenizer.padding) {
                    let step = try trainer.step(batch)
                    sum += Double(step.loss) * Double(step.tokens)
                    tokens += step.tokens
                    done += 1
                    progress(done, total)
                }
                losses.append(sum / Double(max(tokens, 1)))
            }
            (origin, notice) = BaseCache.describeTraining(
                took: ContinuousClock.now - clock, file: model.checkpointFile(metadata: metadata), cache: cache, store: store, notice: notice)
        }
        weights = model.checkpointFile(metadata: metadata)
        self.origin = origin
        cacheNotice = notice
        epochLosses = losses
        validationLoss = LlamaTrainer(model: model, optimizer: SGD(parameters: [], learningRate: 0))
            .evaluate(TokenBatch.batches(of: validation, size: pretraining.batchSize, padding: BPETokenizer.padding))
    }

    /// A fresh float copy of the pretrained base: every tensor trainable, no adapters.
    public func makeModel() -> LlamaModel {
        do {
            return try LlamaModel.load(weights, source: "the lesson-16 base").model
        } catch {
            checkPrecondition(false, "RestaurantLlamaBase: the base checkpoint does not fit its own model: \(error)")
            return LlamaModel(configuration, seed: 0)
        }
    }

    /// Token documents shuffled by `seed` (`StreamCursor` stream "PACK"), concatenated, and cut
    /// into sequences of `length + 1` tokens (inputs `length`, targets shifted by one); the last
    /// one shorter. Documents keep their `[begin]`/`[end]` tokens, so a sequence may hold the end
    /// of one and the start of the next, as GPT-style pretraining packs text.
    static func pack(_ documents: [[Int]], length: Int, seed: UInt64) -> [[Int]] {
        var cursor = StreamCursor(seed: seed, stream: 0x5041_434B)
        let stream = cursor.permutation(documents.count).flatMap { documents[$0] }
        return stride(from: 0, to: stream.count, by: length + 1).compactMap { start in
            let piece = Array(stream[start..<min(start + length + 1, stream.count)])
            return piece.count >= 2 ? piece : nil
        }
    }
}
