/// Teaching a base language model to turn an MR into a sentence (the paper's E2E adaptation):
/// each training row is `[begin] MR [sep] sentence [end]` and the loss counts the sentence's
/// tokens and its end token only — the model reads the MR, it is not asked to write it.
///
///     let train = E2EFineTuning.Corpus(data.train, tokenizer: base.tokenizer, context: 160)
///     let model = base.makeModel()
///     model.attach(.lora(rank: 4, c: 1), seed: 1, sites: model.sites(.queryValue))
///     let curve = try E2EFineTuning.train(model, on: train, validation: validation, recipe: recipe, seed: 1)
public enum E2EFineTuning {
    /// Encoded `MR <sep> sentence <end>` rows with the mask of the tokens the loss counts.
    public struct Corpus: Sendable {
        /// `[begin] MR [sep] sentence [end]`, one per (MR, reference) row.
        public let sequences: [[Int]]
        /// True at the sentence's tokens and the end token.
        public let targetMasks: [[Bool]]
        /// Rows longer than `context + 1` tokens, left out (so no row is cut mid-sentence).
        public let dropped: Int
        /// The longest row kept, in tokens.
        public let longest: Int

        /// Every (MR, reference) row of `dataset` that fits the context (`context + 1` tokens:
        /// inputs are all tokens but the last).
        public init(_ dataset: E2EDataset, tokenizer: BPETokenizer, context: Int) {
            var sequences: [[Int]] = []
            var masks: [[Bool]] = []
            var dropped = 0
            for (mr, reference) in dataset.pairs {
                let (tokens, start) = tokenizer.encodePair(source: mr.description, target: reference)
                guard tokens.count <= context + 1 else {
                    dropped += 1
                    continue
                }
                sequences.append(tokens)
                masks.append(tokens.indices.map { $0 >= start })
            }
            self.sequences = sequences
            self.targetMasks = masks
            self.dropped = dropped
            self.longest = sequences.map(\.count).max() ?? 0
        }

        public var count: Int { sequences.count }

        /// The corpus in batches of `size`, shuffled by `seed` and `epoch` (nil: in order).
        public func batches(size: Int, seed: UInt64?, epoch: Int = 0) -> [TokenBatch] {
            TokenBatch.batches(of: sequences, targetMasks: targetMasks, size: size, seed: seed, epoch: epoch,
                               padding: BPETokenizer.padding)
        }

        /// One epoch's batches of rows of similar length, so that a batch is little padding:
        /// the rows in the order `StreamCursor(seed: seed, stream: DigitDataset.batchStream(epoch:))
        /// .permutation` (as `batches`), cut into pools of `pool` batches; within a pool the rows
        /// are sorted by length (stably) and cut into batches of `size`; then all batches are put
        /// in the order of a second permutation of the same stream. Every row once per epoch, as in
        /// `batches`; E2E's rows run from 20 to 120 tokens, and a batch padded to its longest row
        /// is then about a third padding, against a few per cent here.
        public func lengthBucketedBatches(size: Int, seed: UInt64, epoch: Int, pool: Int = 50) -> [TokenBatch] {
            checkPrecondition(size > 0 && pool > 0, "E2EFineTuning.Corpus: batch size \(size), pool \(pool)")
            var cursor = StreamCursor(seed: seed, stream: DigitDataset.batchStream(epoch: epoch))
            let order = cursor.permutation(count)
            var groups: [[Int]] = []
            for start in stride(from: 0, to: order.count, by: size * pool) {
                let sorted = order[start..<min(start + size * pool, order.count)].sorted { sequences[$0].count < sequences[$1].count }
                for cut in stride(from: 0, to: sorted.count, by: size) { groups.append(Array(sorted[cut..<min(cut + size, sorted.count)])) }
            }
            return cursor.permutation(groups.count).map { g in
                TokenBatch(sequences: groups[g].map { sequences[$0] }, targetMask: groups[g].map { targetMasks[$0] },
                           padding: BPETokenizer.padding)
            }
        }

        /// Tokens of all rows (the rows' lengths summed): what an epoch reads, padding aside.
        public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }
    }

    /// How one adaptation run trains: AdamW with a linear warm-up and decay over all its steps,
    /// clipping at global norm 1 (the LoRA/NOLA GPT-2 recipe, shortened).
    public struct Recipe: Sendable, Equatable {
        public var epochs: Double
        public var batchSize: Int
        public var learningRate: Float
        public var warmup: Int
        public var weightDecay: Float

        public init(epochs: Double, batchSize: Int = 16, learningRate: Float, warmup: Int = 20, weightDecay: Float = 0.01) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.warmup = warmup
            self.weightDecay = weightDecay
        }

        /// Optimizer steps over a corpus of `rows`.
        public func steps(rows: Int) -> Int {
            max(1, Int((epochs * Double(rows) / Double(batchSize)).rounded(.up)))
        }

        /// The rates lesson 12 uses, chosen on the E2E development split (never on test), on a
        /// 4 × 128 base adapted on 1,000 training MRs for an epoch (dev BLEU of 100 dev MRs):
        ///
        /// - full fine-tuning: 1e-3;
        /// - LoRA (c = 1): 3e-2 at any rank (r = 1 on Q,V: 49.8 / 57.3 / 60.2 dev BLEU at
        ///   3e-3 / 1e-2 / 3e-2);
        /// - NOLA: `0.2 / √max(k, l)` (1.8e-2 at k = 128) — each coefficient moves a whole
        ///   Uniform(−1, 1) matrix, so the step of `ΔW` grows like `√k` at a fixed rate
        ///   (`AdaptationTask.Recipe` argues the same, with 0.08 on the digits task); 0.05 at
        ///   k = 128 was worse (55.2 against 59.9), 0.1 at k = 32 no better (53.7 against 53.2).
        public static func standard(for method: AdapterMethod?, epochs: Double) -> Recipe {
            switch method {
            case nil: Recipe(epochs: epochs, learningRate: 1e-3)
            case .lora: Recipe(epochs: epochs, learningRate: 3e-2)
            case .nola(_, let k, let l, _, _): Recipe(epochs: epochs, learningRate: 0.2 / Float(max(k, l)).squareRoot())
            case .pranc(let n, _, _): Recipe(epochs: epochs, learningRate: 0.2 / Float(n).squareRoot())
            }
        }
    }

    /// A point of a training curve.
    public struct Record: Sendable, Equatable {
        /// Optimizer steps so far.
        public var step: Int
        /// Epochs so far (steps × batch / rows).
        public var epoch: Double
        /// Mean training loss per scored token since the previous record.
        public var trainingLoss: Double
        /// Validation loss per scored token (no label smoothing).
        public var validationLoss: Double
        /// Whether early stopping (`train(…, keepBest: true)`) put the model back to this point.
        public var isBest = false
        /// Seconds spent in training steps so far (the validation passes not counted).
        public var trainingSeconds = 0.0
        /// Tokens the training steps so far have read (inputs, padding not counted).
        public var trainingTokens = 0
    }

    /// Trains `model`'s trainable tensors on `corpus` with `recipe` (a fresh AdamW, batches of
    /// similar length in the order of `seed`, `Corpus.lengthBucketedBatches`), evaluating on
    /// `validation` (when given; NaN otherwise) at the start, `evaluations` times along the way and
    /// at the end. `progress(done, total, loss)` after every step (`loss`: that step's mean training loss per token, nats). Throws `DivergenceError` when the loss
    /// becomes NaN or infinite.
    ///
    /// Early stopping (`keepBest`, with a validation corpus): the trainable tensors are kept as
    /// they were at the evaluation with the lowest validation loss, and put back at the end; and
    /// when `patience` evaluations in a row have not improved on it, training stops there (the
    /// records end at that evaluation). The model then holds the best point seen, which
    /// `Record.isBest` marks.
    @discardableResult
    public static func train(
        _ model: GPT, on corpus: Corpus, validation: Corpus?, recipe: Recipe, seed: UInt64, evaluations: Int = 4,
        keepBest: Bool = false, patience: Int? = nil, progress: (Int, Int, Float) -> Void = { _, _, _ in }
    ) throws -> [Record] {
        checkPrecondition(corpus.count > 0, "E2EFineTuning.train: the corpus is empty (every row longer than the context?)")
        let total = recipe.steps(rows: corpus.count)
        let trainer = LanguageModelTrainer(
            model: model,
            optimizer: Adam.adamW(parameters: model.parameters, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay),
            schedule: .warmupLinear(peak: recipe.learningRate, warmup: min(recipe.warmup, total / 2), total: total),
            clipNorm: 1)
        let validationBatches = validation?.batches(size: 64, seed: nil) ?? []
        func validationLoss() -> Double { validationBatches.isEmpty ? .nan : trainer.evaluate(validationBatches) }
        let trainable = model.parameters.filter(\.isTrainable)
        let tracking = keepBest && !validationBatches.isEmpty
        var best: (loss: Double, index: Int, values: [Matrix])?
        var sinceBest = 0
        var records: [Record] = []
        /// Adds a record; false when early stopping says to stop.
        func record(_ r: Record) -> Bool {
            records.append(r)
            guard tracking, r.validationLoss.isFinite else { return true }
            if best == nil || r.validationLoss < best!.loss {
                best = (r.validationLoss, records.count - 1, trainable.map(\.value))
                sinceBest = 0
            } else {
                sinceBest += 1
            }
            return patience.map { sinceBest < $0 } ?? true
        }
        let every = max(1, total / max(1, evaluations))
        var going = record(Record(step: 0, epoch: 0, trainingLoss: .nan, validationLoss: validationLoss()))
        var (sum, tokens, step, epoch) = (0.0, 0, 0, 0)
        var (stepSeconds, stepTokens) = (0.0, 0)
        while step < total && going {
            for batch in corpus.lengthBucketedBatches(size: recipe.batchSize, seed: seed, epoch: epoch) where step < total && going {
                let clock = ContinuousClock.now
                let result = try trainer.step(batch)
                stepSeconds += (ContinuousClock.now - clock) / .seconds(1)
                stepTokens += batch.lengths.reduce(0, +)
                sum += Double(result.loss) * Double(result.tokens)
                tokens += result.tokens
                step += 1
                progress(step, total, result.loss)
                if step % every == 0 || step == total {
                    going = record(Record(
                        step: step, epoch: Double(step * recipe.batchSize) / Double(corpus.count),
                        trainingLoss: sum / Double(max(tokens, 1)), validationLoss: validationLoss(),
                        trainingSeconds: stepSeconds, trainingTokens: stepTokens))
                    (sum, tokens) = (0, 0)
                }
            }
            epoch += 1
        }
        if let best {
            for (parameter, value) in zip(trainable, best.values) { parameter.value = value }
            records[best.index].isBest = true
        }
        return records
    }
}
