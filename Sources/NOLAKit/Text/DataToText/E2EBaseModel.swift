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
        /// Records of other domains (`SyntheticRecords`: people, films, towns, books), each a
        /// document `[begin] record [sep] text [end]`, mixed into the pretraining documents: the
        /// base learns that a record is followed by text saying its values, as GPT-2 did from web
        /// tables and infoboxes, without ever reading an E2E MR. 0: none.
        public var records = 0
        /// Whether the tokenizer's corpus holds the training MRs' text besides the sentences
        /// (false: GPT-2's way, a tokenizer that never saw an MR, so an MR is written in tokens
        /// the base has read in text — "familyFriendly" as "family", "Friend", "ly" — rather than
        /// in tokens it has never seen, whose embeddings only adaptation could train).
        public var tokenizerReadsMRs = true
        /// Stop this pretraining run after this many optimizer steps (its schedule unchanged): an
        /// earlier checkpoint of the same run, for bases of lower quality (lesson 12's sweep).
        /// 0 is the random initialization; nil (or the whole run's count) the finished base.
        public var stopAfter: Int?

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
                + (records > 0 ? "_rec\(records)" : "") + (tokenizerReadsMRs ? "" : "_tokText")
                + (stopAfter.map { "_stop\($0)" } ?? "")
        }

        /// The same run stopped after `steps` optimizer steps (`stopAfter`).
        public func stopped(after steps: Int) -> Pretraining {
            var p = self
            p.stopAfter = steps
            return p
        }

        /// The tokenizer's corpus for `data`: its training sentences, the training MRs' text when
        /// `tokenizerReadsMRs`, and the records and their texts.
        public func tokenizerCorpus(_ data: E2EData, records: [SyntheticRecords.Example]) -> [String] {
            data.pretrainingCorpus + (tokenizerReadsMRs ? data.train.examples.map(\.mr.description) : [])
                + records.flatMap { [$0.record, $0.text] }
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
    /// Pretraining's throughput when it ran now (nil when loaded): tokens scored per second.
    public let tokensPerSecond: Double?
    /// Optimizer steps this base was pretrained for (its `stopAfter`, or the whole run).
    public let steps: Int
    /// Optimizer steps of the whole pretraining run (what `stopAfter` is a part of).
    public let totalSteps: Int

    /// Trains the tokenizer, then loads the pretrained GPT from the cache or pretrains (and
    /// caches) it. `progress(done, total)` is called after every pretraining step. A pretraining
    /// run that passes a step in `snapshots` also caches the base as it is then (under the key of
    /// `pretraining.stopped(after:)`, so that those bases load without training). Throws
    /// `DivergenceError` when pretraining diverges and `TokenizerError` when the corpus cannot
    /// give a tokenizer of the asked size.
    public init(
        data: E2EData, seed: UInt64, pretraining: Pretraining = Pretraining(),
        cacheFolder: URL? = URL(fileURLWithPath: "data/cache"), snapshots: Set<Int> = [],
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        self.pretraining = pretraining
        let records = SyntheticRecords.generate(count: pretraining.records, seed: Self.recordSeed)
        let tokenizer = try BPETokenizer.train(on: pretraining.tokenizerCorpus(data, records: records), vocabularySize: pretraining.vocabulary)
        self.tokenizer = tokenizer
        let configuration = GPTConfiguration(
            layers: pretraining.layers, embedding: pretraining.embedding, heads: pretraining.heads,
            vocabulary: tokenizer.vocabularySize, context: pretraining.context)
        self.configuration = configuration
        let model = GPT(configuration, seed: seed)
        let corpus = data.pretrainingCorpus + records.flatMap { [$0.record, $0.text] }
        // Required to match: every setting, the corpus and the tokenizer (by its hash, so that a
        // mismatch is one short line); the tokenizer's text is stored beside them.
        let serializedTokenizer = tokenizer.serialized()
        let required = [
            "lesson_base": "e2e-sentences", "key": pretraining.key, "seed": String(seed), "data": "\(data.source)",
            "corpus": Self.fingerprint(corpus), "tokenizer_fnv1a64": Self.hex(BasisSeeds.fnv1a64(serializedTokenizer)),
        ]
        let metadata = required.merging(["tokenizer": serializedTokenizer]) { a, _ in a }
        /// Caches the model as the base stopped after `step` steps (a snapshot), when it can.
        func snapshot(_ step: Int) {
            let stopped = pretraining.stopped(after: step)
            guard let cacheFolder, store, stopped.key != pretraining.key else { return }
            var snapshotMetadata = metadata
            snapshotMetadata["key"] = stopped.key
            let file = model.checkpointFile(metadata: snapshotMetadata)
            _ = BaseCache(folder: cacheFolder, name: Self.cacheName(data, seed, stopped)).store(file)
        }
        let sentences = Self.documents(data.train, tokenizer: tokenizer, context: pretraining.context)
            + Self.recordDocuments(records, tokenizer: tokenizer, context: pretraining.context)
        let validationSentences = Self.documents(data.validation, tokenizer: tokenizer, context: pretraining.context)
        let name = Self.cacheName(data, seed, pretraining)
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
        var speed: Double?
        let total = pretraining.steps(sentences: sentences.count)
        let stop = min(pretraining.stopAfter ?? total, total)
        if loaded {
            origin = "loaded from the cache \(cache!.path)"
        } else {
            let clock = ContinuousClock.now
            var scored = 0
            if snapshots.contains(0) { snapshot(0) }
            let trainer = LanguageModelTrainer(
                model: model,
                optimizer: Adam.adamW(parameters: model.parameters, learningRate: pretraining.learningRate,
                                      weightDecay: pretraining.weightDecay),
                schedule: .warmupLinear(peak: pretraining.learningRate, warmup: pretraining.warmup, total: total),
                clipNorm: 1)
            var done = 0
            for epoch in 0..<pretraining.epochs where done < stop {
                var sum = 0.0
                var tokens = 0
                for batch in TokenBatch.batches(of: sentences, size: pretraining.batchSize, seed: seed, epoch: epoch,
                                                padding: BPETokenizer.padding) where done < stop {
                    let step = try trainer.step(batch)
                    sum += Double(step.loss) * Double(step.tokens)
                    tokens += step.tokens
                    scored += step.tokens
                    done += 1
                    progress(done, stop)
                    if snapshots.contains(done) && done < stop { snapshot(done) }
                }
                losses.append(sum / Double(max(tokens, 1)))
            }
            let seconds = (ContinuousClock.now - clock) / .seconds(1)
            speed = seconds > 0 ? Double(scored) / seconds : nil
            (origin, notice) = BaseCache.describeTraining(
                took: ContinuousClock.now - clock, file: model.checkpointFile(metadata: metadata),
                cache: cache, store: store, notice: notice)
        }
        weights = model.checkpointFile(metadata: metadata)
        documentCount = sentences.count
        self.origin = origin
        cacheNotice = notice
        epochLosses = losses
        tokensPerSecond = speed
        steps = stop
        totalSteps = total
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

    /// The cache file's name: `e2e_base_<data>_seed<seed>_<key>.safetensors`.
    static func cacheName(_ data: E2EData, _ seed: UInt64, _ pretraining: Pretraining) -> String {
        "e2e_base_\(data.source)_seed\(seed)_\(pretraining.key).safetensors"
    }

    /// Optimizer steps of the whole pretraining run on `data` (before any `stopAfter`): what
    /// snapshot steps are fractions of. Encodes the corpus as `init` does (the tokenizer is trained
    /// here too: a second or two).
    public static func totalSteps(data: E2EData, pretraining: Pretraining) throws -> Int {
        let records = SyntheticRecords.generate(count: pretraining.records, seed: recordSeed)
        let tokenizer = try BPETokenizer.train(on: pretraining.tokenizerCorpus(data, records: records), vocabularySize: pretraining.vocabulary)
        let documents = documents(data.train, tokenizer: tokenizer, context: pretraining.context).count
            + recordDocuments(records, tokenizer: tokenizer, context: pretraining.context).count
        return pretraining.steps(sentences: documents)
    }

    /// The seed of the records mixed into pretraining (ASCII "RECORDS"), the same in every run.
    public static let recordSeed: UInt64 = 0x52_4543_4F52_4453

    /// The records as pretraining documents: each record `[begin] record [sep] text [end]`, and
    /// as many consecutive records as fit packed into one document of at most `context + 1`
    /// tokens (so a batch is not mostly padding); a record too long on its own is cut.
    static func recordDocuments(_ records: [SyntheticRecords.Example], tokenizer: BPETokenizer, context: Int) -> [[Int]] {
        var documents: [[Int]] = []
        var current: [Int] = []
        for record in records {
            let tokens = Array(tokenizer.encodePair(source: record.record, target: record.text).tokens.prefix(context + 1))
            if current.count + tokens.count > context + 1 {
                documents.append(current)
                current = []
            }
            current += tokens
        }
        if !current.isEmpty { documents.append(current) }
        return documents
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
