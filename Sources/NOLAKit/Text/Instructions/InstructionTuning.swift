import Foundation

/// Instruction tuning of a `LlamaModel` (QLoRA's loop, at classroom size) and its MMLU-style
/// k-shot evaluation: what lesson 16 runs for every row of Table 5.
///
///     let model = base.makeModel(); model.packBase(.int8)
///     model.attach(.lora(rank: 1, c: 16), seed: 1, sites: model.allSites)
///     let run = try InstructionTuning.train(model, on: trainCorpus, recipe: recipe, seed: 1, probe: probeBatches)
///     let accuracy = quiz.evaluate(model).accuracy
public enum InstructionTuning {
    /// Instruction examples as token sequences with their loss masks (`InstructionExample.tokens`);
    /// examples longer than the context are left out and counted.
    public struct Corpus: Sendable {
        public let sequences: [[Int]]
        public let masks: [[Bool]]
        /// Examples left out for not fitting `context + 1` tokens.
        public let dropped: Int

        public init(_ examples: [InstructionExample], tokenizer: BPETokenizer, context: Int) {
            var sequences: [[Int]] = [], masks: [[Bool]] = []
            for example in examples {
                let (tokens, mask) = example.tokens(tokenizer)
                guard tokens.count <= context + 1 else { continue }
                sequences.append(tokens)
                masks.append(mask)
            }
            self.sequences = sequences
            self.masks = masks
            dropped = examples.count - sequences.count
        }

        public var count: Int { sequences.count }

        /// One epoch's batches, shuffled by `seed` (`seed: nil` keeps the order, for evaluation).
        public func batches(size: Int, seed: UInt64? = nil, epoch: Int = 0) -> [TokenBatch] {
            TokenBatch.batches(of: sequences, targetMasks: masks, size: size, seed: seed, epoch: epoch, padding: BPETokenizer.padding)
        }

        /// The first `n` examples (all when `n ≥ count`).
        public func prefix(_ n: Int) -> Corpus { Corpus(sequences: Array(sequences.prefix(n)), masks: Array(masks.prefix(n)), dropped: 0) }

        init(sequences: [[Int]], masks: [[Bool]], dropped: Int) {
            self.sequences = sequences
            self.masks = masks
            self.dropped = dropped
        }
    }

    /// The optimizer settings of one run.
    public struct Recipe: Sendable, Equatable {
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Float
        public var warmup: Int
        /// QLoRA trains adapters without weight decay.
        public var weightDecay: Float = 0
        public var clipNorm: Float = 1
        /// Validation-loss evaluations over the run (the curve's points, step 0 included).
        public var evaluations = 10

        public init(steps: Int, batchSize: Int = 16, learningRate: Float, warmup: Int) {
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.warmup = warmup
        }

        /// Lesson 16's rates: lesson 12's (`E2EFineTuning.Recipe.standard`: LoRA 10⁻² at c/r = 1,
        /// NOLA 0.2/√k at c/r = 1/8) divided by the scale's ratio to those, since Adam's step is
        /// about the rate whatever the gradient and ΔW grows with c/r: LoRA r = 1, c = 16 gets
        /// 6.25·10⁻⁴, NOLA r = 16, c = 4 gets 0.1/√k. (The paper's 2·10⁻⁴ and 10⁻³ are for LLaMA-2
        /// at batch 256, not a 2-core classroom model.) A 10 % linear warm-up, then constant, as QLoRA.
        public static func table5(_ method: AdapterMethod, steps: Int, batchSize: Int = 16) -> Recipe {
            let rate: Float
            switch method {
            case .lora(let r, let c): rate = 1e-2 / (c / Float(r))
            case .nola(let r, let k, let l, let c, _): rate = 0.2 / Float(max(k, l)).squareRoot() * (1.0 / 8) / (c / Float(r))
            case .pranc(let n, _, _): rate = 0.2 / Float(n).squareRoot()
            }
            return Recipe(steps: steps, batchSize: batchSize, learningRate: rate, warmup: max(1, steps / 10))
        }
    }

    /// What one run measured.
    public struct Run: Sendable {
        /// (step, validation loss on the probe batches): step 0 and `evaluations` more.
        public var curve: [(step: Int, loss: Double)]
        /// Wall-clock and process-CPU seconds of each optimizer step.
        public var stepSeconds: [Double]
        public var stepCPUSeconds: [Double]
        /// The training loss of each step, before its update.
        public var losses: [Double]
    }

    /// Trains the trainable tensors of `model` (attach adapters first) on `corpus` for
    /// `recipe.steps` steps (passes over the corpus reshuffled by `seed` each epoch), AdamW,
    /// warm-up then constant rate, clipping; evaluates `probe` at evenly spaced steps. `progress`
    /// is called after every step. Throws `DivergenceError`.
    public static func train(
        _ model: LlamaModel, on corpus: Corpus, recipe: Recipe, seed: UInt64, probe: [TokenBatch],
        progress: () -> Void = {}
    ) throws -> Run {
        checkPrecondition(corpus.count > 0 && recipe.steps > 0, "InstructionTuning.train: \(corpus.count) examples, \(recipe.steps) steps")
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        let total = recipe.steps
        let trainer = LlamaTrainer(model: model, optimizer: optimizer,
                                   schedule: .warmupCosine(peak: recipe.learningRate, warmup: recipe.warmup, total: total, floor: recipe.learningRate),
                                   clipNorm: recipe.clipNorm)
        let every = max(1, total / max(1, recipe.evaluations))
        var run = Run(curve: [(0, trainer.evaluate(probe))], stepSeconds: [], stepCPUSeconds: [], losses: [])
        var queue: [TokenBatch] = []
        var epoch = 0
        for step in 1...total {
            if queue.isEmpty {
                queue = corpus.batches(size: recipe.batchSize, seed: seed, epoch: epoch).reversed()
                epoch += 1
            }
            let batch = queue.removeLast()
            let (start, cpu) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
            let result = try trainer.step(batch)
            run.stepSeconds.append(seconds(ContinuousClock.now - start))
            run.stepCPUSeconds.append(ProcessMemory.cpuSeconds - cpu)
            run.losses.append(Double(result.loss))
            if step % every == 0 || step == total { run.curve.append((step, trainer.evaluate(probe))) }
            progress()
        }
        return run
    }

    /// The mean loss per scored token of `model` over `batches` (forward only).
    public static func loss(_ model: LlamaModel, on batches: [TokenBatch]) -> Double {
        LlamaTrainer(model: model, optimizer: SGD(parameters: [], learningRate: 0)).evaluate(batches)
    }
}

/// An MMLU-style k-shot quiz, tokenized once: the same answered shots before every question,
/// scored by the log-probabilities of the letters " A" … " D" after "Answer:" (MMLU's own rule).
public struct FewShotQuiz: Sendable {
    public let shots: [MultipleChoiceQuestion]
    public let questions: [MultipleChoiceQuestion]
    /// `[begin]` and the prompt's tokens, per question.
    public let prompts: [[Int]]
    /// The tokens of " A", " B", " C", " D".
    public let choices: [[Int]]

    public init(shots: [MultipleChoiceQuestion], questions: [MultipleChoiceQuestion], tokenizer: BPETokenizer) {
        self.shots = shots
        self.questions = questions
        prompts = questions.map { [BPETokenizer.begin] + tokenizer.encode(RestaurantQuiz.prompt(shots: shots, question: $0)) }
        choices = MultipleChoiceQuestion.letters.map { tokenizer.encode(" " + $0) }
    }

    /// The longest prompt plus the longest choice, in tokens: what must fit the context.
    public var longestSequence: Int { (prompts.map(\.count).max() ?? 0) + (choices.map(\.count).max() ?? 0) }

    /// The fraction answered right, and each question's chosen letter (0…3).
    public func evaluate(_ model: LlamaModel, batchSize: Int = 8) -> (accuracy: Double, chosen: [Int]) {
        let scores = model.multipleChoiceLogProbabilities(prompts: prompts, choices: choices, batchSize: batchSize)
        let chosen = scores.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let right = zip(chosen, questions).filter { $0 == $1.answer }.count
        return (questions.isEmpty ? .nan : Double(right) / Double(questions.count), chosen)
    }
}

/// `d` in seconds.
private func seconds(_ d: Duration) -> Double {
    let (s, attos) = d.components
    return Double(s) + Double(attos) * 1e-18
}
