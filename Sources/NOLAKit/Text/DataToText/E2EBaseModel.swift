import Foundation

/// The base language model of the E2E lessons: a byte-level BPE tokenizer and a small GPT
/// pretrained as a plain language model on the training part's reference sentences only (no
/// MRs), several references of one MR to a document, `[begin] sentence sentence … [end]`
/// (`documents(_:tokenizer:context:)`). Adaptation (`E2EFineTuning`) then teaches it to follow MRs,
/// as GPT-2 — pretrained on web text, never on E2E's MRs — is taught in the paper.
///
/// The pretrained weights are cached in `cacheFolder` (`data/cache/`) as a GPT checkpoint whose
/// metadata holds the tokenizer's serialized form and its FNV-1a hash, every pretraining setting
/// and a fingerprint of the corpus. The cache is used only when all of it checks out (`BaseCache`:
/// every tensor of its shape and finite, nothing extra, every setting, the corpus and the
/// tokenizer's hash equal to this run's, the stored tokenizer text equal to what that hash was
/// computed from — the tokenizer is trained again each run, in a fraction
/// of a second, from the same corpus); otherwise it is moved aside, never read again, and the base
/// is trained anew and stored in its place, with a one-line notice.
public final class E2EBaseModel {
    /// Everything that changes the pretrained weights.
    public struct Pretraining: Sendable, Equatable {
        /// The GPT's shape (its vocabulary is the tokenizer's size).
        public var layers = 4
        public var embedding = 128
        public var heads = 4
        public var context = 160
        /// Tokens of the BPE vocabulary asked for (a small corpus can give fewer).
        public var vocabulary = 1024
        /// Passes over the pretraining sentences.
        public var epochs = 10
        public var batchSize = 16
        /// AdamW's peak rate, warm-up steps, weight decay; clipping at global norm 1.
        public var learningRate: Float = 2e-3
        public var warmup = 50
        public var weightDecay: Float = 0.01

        public init() {}

        /// A tiny model for smoke runs (`--quick`): 2 blocks of width 48, 1 epoch.
        public static var tiny: Pretraining {
            var p = Pretraining()
            p.layers = 2
            p.embedding = 48
            p.heads = 2
            p.vocabulary = 512
            p.epochs = 1
            p.warmup = 10
            return p
        }

        /// Optimizer steps of pretraining on `sentences` sentences.
        public func steps(sentences: Int) -> Int { (sentences + batchSize - 1) / batchSize * epochs }

        /// The cache key: every number above.
        public var key: String {
            "docs_gpt_l\(layers)_c\(embedding)_h\(heads)_ctx\(context)_v\(vocabulary)_e\(epochs)_b\(batchSize)"
                + "_lr\(learningRate)_w\(warmup)_wd\(weightDecay)"
        }
    }

    /// The tokenizer trained on `E2EData.tokenizerCorpus`.
    public let tokenizer: BPETokenizer
    /// The shape of the model.
    public let configuration: GPTConfiguration
    /// The settings it was pretrained with.
    public let pretraining: Pretraining
    /// The pretrained weights (a checkpoint held in memory).
    public let weights: SafeTensorsFile
    /// "loaded from the cache data/cache/…", "trained now in 212.4 s, cached in data/cache/…" or
    /// "trained now in 212.4 s, not cached".
    public let origin: String
    /// One line for the user when the cache could not serve (a rejected file moved aside, a folder
    /// in its place, a cache that could not be written); nil otherwise.
    public let cacheNotice: String?
    /// How many documents (`documents(_:tokenizer:context:)`) the base is pretrained on.
    public let documentCount: Int
    /// The mean training loss of each pretraining epoch (empty when loaded from the cache).
    public let epochLosses: [Double]
    /// The validation loss per token on the validation part's sentences (computed either way).
    public let validationLoss: Double

    /// Trains the tokenizer, then loads the pretrained GPT from the cache or pretrains (and
    /// caches) it. `progress(done, total)` is called after every pretraining step. Throws
    /// `DivergenceError` when pretraining diverges and `TokenizerError` when the corpus cannot
    /// give a tokenizer of the asked size.
    public init(
        data: E2EData, seed: UInt64, pretraining: Pretraining = Pretraining(),
        cacheFolder: URL? = URL(fileURLWithPath: "data/cache"), progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        self.pretraining = pretraining
        let tokenizer = try BPETokenizer.train(on: data.tokenizerCorpus, vocabularySize: pretraining.vocabulary)
        self.tokenizer = tokenizer
        let configuration = GPTConfiguration(
            layers: pretraining.layers, embedding: pretraining.embedding, heads: pretraining.heads,
            vocabulary: tokenizer.vocabularySize, context: pretraining.context)
        self.configuration = configuration
        let model = GPT(configuration, seed: seed)
        let corpus = data.pretrainingCorpus
        // Required to match: every setting, the corpus and the tokenizer (by its hash, so that a
        // mismatch is one short line); the tokenizer's text is stored beside them.
        let serializedTokenizer = tokenizer.serialized()
        let required = [
            "lesson_base": "e2e-sentences", "key": pretraining.key, "seed": String(seed), "data": "\(data.source)",
            "corpus": Self.fingerprint(corpus), "tokenizer_fnv1a64": Self.hex(BasisSeeds.fnv1a64(serializedTokenizer)),
        ]
        let metadata = required.merging(["tokenizer": serializedTokenizer]) { a, _ in a }
        let sentences = Self.documents(data.train, tokenizer: tokenizer, context: pretraining.context)
        let validationSentences = Self.documents(data.validation, tokenizer: tokenizer, context: pretraining.context)
        let name = "e2e_base_\(data.source)_seed\(seed)_\(pretraining.key).safetensors"
        let cache = cacheFolder.map { BaseCache(folder: $0, name: name) }
        var notice: String?
        var store = cache != nil
        var losses: [Double] = []
        var loaded = false
        switch cache?.load(model.baseParameters, requiring: required, check: Self.checkTokenizerText) {
        case .loaded?: loaded = true
        case .rejected(let text)?: notice = text
        case .blocked(let text)?:
            notice = text
            store = false
        case .absent?, nil: break
        }
        var origin: String
        if loaded {
            origin = "loaded from the cache \(cache!.path)"
        } else {
            let clock = ContinuousClock.now
            let total = pretraining.steps(sentences: sentences.count)
            let trainer = LanguageModelTrainer(
                model: model,
                optimizer: Adam.adamW(parameters: model.parameters, learningRate: pretraining.learningRate,
                                      weightDecay: pretraining.weightDecay),
                schedule: .warmupLinear(peak: pretraining.learningRate, warmup: pretraining.warmup, total: total),
                clipNorm: 1)
            var done = 0
            for epoch in 0..<pretraining.epochs {
                var sum = 0.0
                var tokens = 0
                for batch in TokenBatch.batches(of: sentences, size: pretraining.batchSize, seed: seed, epoch: epoch,
                                                padding: BPETokenizer.padding) {
                    let step = try trainer.step(batch)
                    sum += Double(step.loss) * Double(step.tokens)
                    tokens += step.tokens
                    done += 1
                    progress(done, total)
                }
                losses.append(sum / Double(max(tokens, 1)))
            }
            (origin, notice) = BaseCache.describeTraining(
                took: ContinuousClock.now - clock, file: model.checkpointFile(metadata: metadata),
                cache: cache, store: store, notice: notice)
        }
        weights = model.checkpointFile(metadata: metadata)
        documentCount = sentences.count
        self.origin = origin
        cacheNotice = notice
        epochLosses = losses
        let evaluator = LanguageModelTrainer(model: model, optimizer: SGD(parameters: [], learningRate: 0))
        validationLoss = evaluator.evaluate(
            TokenBatch.batches(of: validationSentences, size: 64, padding: BPETokenizer.padding))
    }

    /// Rejects a cached checkpoint whose stored tokenizer text is not the text its hash
    /// `tokenizer_fnv1a64` was computed from (the hash alone is compared with this run's).
    static func checkTokenizerText(_ file: SafeTensorsFile, source: String) throws {
        let text = try file.metadataValue("tokenizer", source: source)
        let stored = try file.metadataValue("tokenizer_fnv1a64", source: source)
        guard hex(BasisSeeds.fnv1a64(text)) == stored else {
            throw SafeTensorsError(source, "metadata 'tokenizer' does not match its hash 'tokenizer_fnv1a64' "
                + "(fnv1a64 \(hex(BasisSeeds.fnv1a64(text))), stored \(OneLine.escaped(String(stored.prefix(16))))): the text was changed")
        }
    }

    /// A fresh copy of the pretrained base: every tensor trainable, no adapters.
    public func makeModel() -> GPT {
        let model = GPT(configuration, seed: 0)
        // `weights` was written from this very configuration: every tensor is there.
        do {
            try Checkpoint.load(model.baseParameters, from: weights, source: "E2E base")
        } catch {
            checkPrecondition(false, "E2EBaseModel: the base checkpoint does not fit its own model: \(error)")
        }
        return model
    }

    /// The pretraining texts: each MR's reference sentences (never the MR) joined by spaces into
    /// `[begin] sentence sentence … [end]` documents of at most `context + 1` tokens, like a page
    /// holding several reviews of one restaurant. Names and facts recur within a document, so
    /// the base learns to look back and copy — what GPT-2 learned from web text, and what
    /// reading an MR needs. (A base pretrained on single sentences, where nothing recurs, could
    /// not be taught to follow MRs in a few epochs.) A sentence too long on its own is cut.
    static func documents(_ dataset: E2EDataset, tokenizer: BPETokenizer, context: Int) -> [[Int]] {
        func wrap(_ text: String) -> [Int] { [BPETokenizer.begin] + tokenizer.encode(text) + [BPETokenizer.end] }
        var documents: [[Int]] = []
        for example in dataset.examples {
            var text = "", tokens: [Int] = []
            for sentence in example.references {
                let longer = text.isEmpty ? sentence : text + " " + sentence
                let encoded = wrap(longer)
                if encoded.count <= context + 1 || text.isEmpty {
                    (text, tokens) = (longer, encoded)
                } else {
                    documents.append(tokens)
                    (text, tokens) = (sentence, wrap(sentence))
                }
            }
            documents.append(tokens)
        }
        return documents.map { Array($0.prefix(context + 1)) }
    }

    /// "4215 texts, fnv1a64 0123456789abcdef": the corpus, so that a base pretrained on other
    /// sentences is never taken for this one.
    static func fingerprint(_ corpus: [String]) -> String {
        "\(corpus.count) texts, fnv1a64 " + hex(BasisSeeds.fnv1a64(corpus.joined(separator: "\n")))
    }

    /// Sixteen hex digits.
    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
