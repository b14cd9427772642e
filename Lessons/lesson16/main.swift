// Lesson 16 — NOLA on a quantized LLaMA-style model
//
// Follows: the paper's §3.3 and Table 5 (instruction tuning of LLaMA-2 7B/13B/70B on Alpaca with
// the base quantized to 8 bits, QLoRA's setting; LoRA r=1 against NOLA r=16 at 3–5 % of its
// parameters, on every linear layer; train loss, validation loss, 5-shot MMLU).
//
// What you will learn:
//   • what a LLaMA block changes from lesson 11's GPT block: RMSNorm, rotary position
//     embeddings, the SwiGLU MLP, grouped-query attention, no biases, an untied head;
//   • how QLoRA stores a frozen base: 8-bit rows, and 4-bit NormalFloat (NF4) in blocks of 64
//     with double-quantized scales — bytes measured from the packed storage;
//   • instruction tuning, Alpaca-style, with the loss on the response only, and an MMLU-style
//     5-shot multiple-choice test scored by the answer letters' log-probabilities;
//   • whether NOLA at a few per cent of LoRA rank 1's parameters matches it, on a 16-, 8- and
//     4-bit base — and why NOLA does not care how the base is stored.
//
// Run: swift run lesson16             (≈1 min once the base is cached: 60 steps a row, one seed)
//      swift run lesson16 --quick     (CI smoke run: a tiny model, seconds)
//      swift run -c release lesson16 --full   (one epoch a row, 3 seeds, every question: ~1 h)
//      --seeds N --steps N --questions N --bits 16,8,4 --data e2e
//
// The first run pretrains the base (a few minutes, a progress bar) and caches it in data/cache/.

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let data = options.loadData()
let lesson = Lesson(number: 16, title: "NOLA on a quantized LLaMA-style model",
                    follows: "§3.3, Table 5 (LLaMA-2 on Alpaca, 8-bit base; MMLU 5-shot)", options: options.common)
let scale = lesson.scale
let seeds = (0..<UInt64(options.seeds ?? scale.pick(quick: 1, standard: 1, full: 3))).map { lesson.seed &+ $0 }
let formats = (try? options.parsedFormats()) ?? PackedWeight.Format.allCases

// MARK: - 1. Instructions and a quiz, from restaurants
// Alpaca is 52K instructions with responses. Ours are made from E2E meaning representations:
// describe a restaurant, answer a question about one attribute, say whether it is
// family-friendly, list its facts, pick the right option of four — with the context in the input
// or in the instruction, and the loss on the response only. MMLU becomes a quiz about restaurants whose MRs never appear in
// training: four options, one right, five answered examples first.
lesson.cell(1, "Instructions and a quiz, from restaurants")
let used = scale == .quick ? E2EData(train: data.train.prefix(40), validation: data.validation.prefix(8), test: data.test.prefix(20), source: data.source) : data
let quizValues = RestaurantQuiz.values(in: [used.train, used.validation, used.test])
let trainInstructions = RestaurantInstructions.make(from: used.train, seed: lesson.seed, quizValues: quizValues)
let validationInstructions = RestaurantInstructions.make(from: used.validation, seed: lesson.seed, quizValues: quizValues)
var shotCursor = StreamCursor(seed: lesson.seed, stream: 0x53484F54)
let shotPool = RestaurantQuiz.questions(from: used.train, values: quizValues, seed: lesson.seed)
let shots = shotCursor.permutation(shotPool.count).prefix(5).map { shotPool[$0] }
let testPool = RestaurantQuiz.questions(from: used.test, values: quizValues, seed: lesson.seed)
let questionCount = min(testPool.count, options.questions.map { $0 == 0 ? .max : $0 } ?? scale.pick(quick: 6, standard: 48, full: .max))
let quizQuestions = shotCursor.permutation(testPool.count).prefix(questionCount).sorted().map { testPool[$0] }
var kinds = Table(["task", "training", "validation", "example instruction"])
for kind in InstructionExample.Kind.allCases {
    kinds.row([kind.rawValue, "\(trainInstructions.count { $0.kind == kind })", "\(validationInstructions.count { $0.kind == kind })",
               String((trainInstructions.first { $0.kind == kind }?.instruction ?? "").prefix(48))])
}
lesson.show(kinds)
let example = trainInstructions.first { $0.kind == .question && $0.input != nil } ?? trainInstructions[0]
lesson.say("""
    \(used.train.count) training and \(used.validation.count) validation MRs (split by MR: no restaurant in both), \
    \(trainInstructions.count) and \(validationInstructions.count) instructions; \(quizQuestions.count) quiz questions \
    about \(used.test.count) test MRs. Source: \(data.source == .synthetic(seed: lesson.seed) ? "synthetic restaurants (--data e2e for the real E2E files)" : "the E2E NLG Challenge's training, dev and test files"). One example, as the model reads it (the loss counts the response only):

    \(example.text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))

    A 5-shot question ends as MMLU's do, and the model's answer is the letter it finds most probable next:

    \(quizQuestions[0].text(answered: false).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")) ?   (right: \(MultipleChoiceQuestion.letters[quizQuestions[0].answer]))
    """)

// MARK: - 2. From lesson 11's GPT to a LLaMA block
// LLaMA keeps the pre-norm residual block and changes four things inside it. RMSNorm divides by
// the root mean square (no mean, no shift). RoPE rotates each query and key pair of features by
// an angle proportional to the position, so q·k depends on the distance only, and no position
// table is learned. SwiGLU gates one projection by the SiLU of another. Grouped-query attention
// lets several query heads share one key/value head. And no biases; the head is not tied.
lesson.cell(2, "From lesson 11's GPT to a LLaMA block")
var changes = Table(["", "GPT-2 (lesson 11)", "LLaMA (here)", "parameters per block, width d"])
changes.row(["normalisation", "LayerNorm: (x − μ)/σ · γ + β", "RMSNorm: x / rms(x) · γ", "4d → 2d"])
changes.row(["positions", "learned table wpe added to x₀", "RoPE: q, k rotated by t·θᵢ", "n_ctx·d → 0 (model-wide)"])
changes.row(["attention", "H heads, fused c_attn (3d, d)", "H query, G key/value heads", "4d² → 2d² + 2d·G·hs"])
changes.row(["MLP", "c_fc → GELU → c_proj (4d)", "down(silu(gate) ⊙ up) (I ≈ 8d/3)", "8d² → 3d·I"])
changes.row(["biases, head", "biases; head tied to wte", "no biases; untied lm_head", "−(9d+…); +V·d"])
lesson.show(changes)
lesson.say("Every tensor one block computes, ours at a batch of 16 sequences of 64 positions:")
var settings = scale.pick(quick: RestaurantLlamaBase.Pretraining.tiny, standard: .init(), full: .init())
if data.source != .synthetic(seed: lesson.seed) && scale != .quick { settings.epochs = 1 }  // E2E's training split is ≈ 11× the synthetic one
let ours = settings.configuration(vocabulary: settings.vocabulary)
let shapeModel = LlamaModel(ours, seed: lesson.seed)
var shapes = Table(["tensor of block layers.0 (B = 16, T = 64)", "shape", "numbers"])
for (name, shape) in shapeModel.blocks[0].activationShapes(sequences: 16, length: 64) {
    shapes.row([name, "[" + shape.map(String.init).joined(separator: ", ") + "]", Format.count(shape.reduce(1, *))])
}
for p in shapeModel.blocks[0].parameters { shapes.row([p.name + " (parameter)", "[\(p.value.rows), \(p.value.cols)]", Format.count(p.count)]) }
lesson.show(shapes)
let tiny = LlamaModel(LlamaConfiguration(layers: 2, hidden: 8, intermediate: 12, heads: 4, keyValueHeads: 2, vocabulary: 11, context: 8), seed: lesson.seed)
for (i, p) in tiny.parameters.enumerated() {
    p.value = RandomStream(seed: lesson.seed &+ 100, stream: UInt64(i)).uniformMatrix(rows: p.value.rows, cols: p.value.cols, bound: 0.5)
    if p.name.hasSuffix("norm.weight") || p.name.hasSuffix("layernorm.weight") { p.value.data = p.value.data.map { $0 + 1 } }
}
let words = RandomStream(seed: lesson.seed &+ 200).uniform(12).map { Int($0 * 11) % 11 }
let tinyBatch = TokenBatch(sequences: [Array(words[0..<7]), Array(words[7..<12])], padding: 0)
let tinyLoss = TokenCrossEntropy()
tiny.parameters.zeroGradients()
tiny.lossAndGradient(tinyBatch, using: tinyLoss)
let checks = GradientCheck(step: 1e-2, tolerance: 1e-2).check(tiny.parameters) { Double(tiny.loss(tinyBatch, using: tinyLoss)) }
let worst = checks.map(\.error).max() ?? .nan
let rope = RotaryEmbedding(headSize: 16, maxPositions: 64)
lesson.say("""
    Ours: \(ours) — \(Format.count(ours.parameterCount)) parameters. Live finite-difference check of a tiny LLaMA \
    (2 blocks, 4 query heads on 2 key/value heads, every tensor random): worst relative error over \
    \(checks.count) tensors \(Format.significant(worst, 2)) (\(checks.allSatisfy(\.passed) ? "all agree" : "FAILED"); through two \
    blocks in Float32, up to 10⁻² is agreement, a wrong term gives errors of order 1); \
    the tests check every layer alone and the whole model against PyTorch (Benchmarks/pytorch/llama_reference.py). \
    RoPE's clock hands for a head of 16: pair 0 turns \(Format.fixed(rope.frequencies[0], 2)) rad per position, \
    pair 7 \(Format.significant(rope.frequencies[7], 2)) rad.
    """)
if !checks.allSatisfy(\.passed) { lesson.warn("the live gradient check failed: run `swift test --filter Llama`.") }

// MARK: - 3. The base: a small LLaMA pretrained on restaurant text
// LLaMA-2 was pretrained on 2 trillion tokens of web text, quizzes included, before anyone
// instruction-tuned it. Ours reads the training MRs' reference sentences and quiz pages with
// their answers (so that, like LLaMA, it can be tested 5-shot before any tuning) — never an
// instruction. Pretrained in float, then cached in data/cache/.
lesson.cell(3, "The base: a small LLaMA pretrained on restaurant text")
var pretrainBar: LessonKit.Progress?
let base: RestaurantLlamaBase
do {
    base = try RestaurantLlamaBase(data: used, seed: lesson.seed, pretraining: settings) { _, total in
        if pretrainBar == nil { pretrainBar = lesson.progress("pretraining the base (once; then cached)", total: total) }
        pretrainBar!.advance()
    }
} catch {
    Lesson.fail("\(error)")
}
pretrainBar?.finish()
if let notice = base.cacheNotice { lesson.warn(notice) }
let context = base.configuration.context
let trainCorpus = InstructionTuning.Corpus(trainInstructions, tokenizer: base.tokenizer, context: context)
let validationCorpus = InstructionTuning.Corpus(validationInstructions, tokenizer: base.tokenizer, context: context)
let validationBatches = validationCorpus.batches(size: 16)
let trainProbe = trainCorpus.prefix(scale.pick(quick: 16, standard: 256, full: 512)).batches(size: 16)
let curveProbe = validationCorpus.prefix(scale.pick(quick: 16, standard: 64, full: 128)).batches(size: 16)
let quiz = FewShotQuiz(shots: shots, questions: quizQuestions, tokenizer: base.tokenizer)
guard quiz.longestSequence <= context else { Lesson.fail("a 5-shot prompt of \(quiz.longestSequence) tokens exceeds the context \(context)") }
lesson.facts([
    ("tokenizer", base.tokenizer.description),
    ("model", "\(base.configuration), \(Format.count(base.configuration.parameterCount)) parameters"),
    ("base", base.origin),
    ("pretraining", "\(Format.count(base.tokenCount)) tokens an epoch (\(Format.percent(Double(base.quizTokenCount) / Double(max(base.tokenCount, 1)), 0)) quiz pages) "
        + "in \(base.sequenceCount) sequences of ≤ \(context + 1), \(settings.epochs) epochs; validation loss \(Format.fixed(base.validationLoss, 3)) nats/token"),
    ("instructions", "median \(trainCorpus.sequences.map(\.count).sorted()[trainCorpus.count / 2]) tokens; \(trainCorpus.dropped) longer than the context left out"),
    ("5-shot prompts", "\(quiz.prompts.map(\.count).min() ?? 0)–\(quiz.prompts.map(\.count).max() ?? 0) tokens"),
])

// MARK: - 4. NF4, and the base stored at 16, 8 and 4 bits
// QLoRA freezes the base and stores it small: 8-bit codes with one scale per output row, or
// 4-bit NormalFloat — 16 levels at the quantiles of a normal distribution (trained weights are
// nearly normal, so each level is used about equally), one absmax per block of 64 weights, the
// absmaxes themselves quantized to 8 bits in blocks of 256 ("double quantization": 0.127 bits a
// weight instead of 0.5). Products dequantize tile by tile; the float weights are gone.
lesson.cell(4, "NF4, and the base stored at 16, 8 and 4 bits")
lesson.say("NF4's levels (codes 0…15): " + NormalFloat4.levels.map { Format.fixed(Double($0), 3) }.joined(separator: " "))
let floatWeights = Dictionary(uniqueKeysWithValues: base.makeModel().effectiveBaseWeights().map { ($0.name, $0.value) })
let projectionWeights = base.configuration.shape(name: "ours").blockSites(.all).reduce(0) { $0 + $1.outputs * $1.inputs } * base.configuration.layers
var storage = Table(["base", "projections", "bits / weight", "embedding + head (16-bit)", "norms", "total", "rel. RMS error of W", "quiz w/o tuning"])
storage.row(["32-bit float (pretrained)", Format.bytes(4 * projectionWeights), "32", Format.bytes(4 * 2 * base.configuration.vocabulary * base.configuration.hidden),
             "—", Format.bytes(4 * base.configuration.parameterCount), "0", "—"])
var withoutTuning: [PackedWeight.Format: (train: Double, validation: Double, accuracy: Double, letters: [Int])] = [:]
/// How often each letter was chosen: "12/20/9/7".
func letterCounts(_ chosen: [Int]) -> [Int] { (0..<4).map { l in chosen.count { $0 == l } } }
/// Whether every answer was the same letter.
func oneLetter(_ counts: [Int]) -> Bool { counts.max() == counts.reduce(0, +) }
/// Whether an accuracy on the quiz's questions is within two binomial standard errors of 25 %.
func atChance(_ accuracy: Double) -> Bool { abs(accuracy - 0.25) <= 2 * (0.25 * 0.75 / Double(max(quizQuestions.count, 1))).squareRoot() }
var baseBytes: [PackedWeight.Format: Int] = [:]
for format in formats {
    let model = base.makeModel()
    model.packBase(format)
    guard let bytes = model.baseStorage else { continue }
    var squaredError = 0.0, squared = 0.0
    for (name, value) in model.effectiveBaseWeights() where name.contains("_proj") {
        let w = floatWeights[name]!
        for i in 0..<w.count { squaredError += Double((w.data[i] - value.data[i]) * (w.data[i] - value.data[i])); squared += Double(w.data[i] * w.data[i]) }
    }
    let answered = quiz.evaluate(model)
    withoutTuning[format] = (InstructionTuning.loss(model, on: trainProbe), InstructionTuning.loss(model, on: validationBatches), answered.accuracy,
                             letterCounts(answered.chosen))
    baseBytes[format] = bytes.projections + bytes.embeddingAndHead + bytes.norms
    storage.row([format.description, Format.bytes(bytes.projections), Format.fixed(Double(8 * bytes.projections) / Double(projectionWeights), 3),
                 Format.bytes(bytes.embeddingAndHead), Format.bytes(bytes.norms), Format.bytes(baseBytes[format]!),
                 Format.significant((squaredError / squared).squareRoot(), 2), Format.percent(withoutTuning[format]!.accuracy, 1)])
}
lesson.show(storage)
let llamaBytes = PackedWeight.Format.allCases.map { format in
    ModelShape.llama2_70B.sites(.all).reduce(0) { $0 + PackedWeight.expectedBytes(rows: $1.outputs, cols: $1.inputs, format: format) }
}
lesson.say("""
    Bytes are measured from the arrays each packed weight holds (codes, scales, second-level scales), \
    not computed; the tests check they equal each format's definition. By that definition LLaMA-2 70B's \
    projections take \(llamaBytes.map(Format.bytes).joined(separator: " / ")) at 16 / 8 / 4 bits: QLoRA's reason \
    to exist (a 48 GB GPU holds the last only). The quiz's chance level is 25 %.
    """)

// MARK: - 5. Adapters on all seven projections, and what they train
// Table 5 adapts q, k, v, o, gate, up and down of every block: LoRA r = 1 (c = 16) and NOLA
// r = 16 (c = 4) with k = l chosen per model size so NOLA trains 2.4–4.4 % of LoRA's count.
// Ours takes k = l so that NOLA is about 4 % of LoRA r=1 here; the same formulas count
// LLaMA-2 (lesson 13's shapes).
lesson.cell(5, "Adapters on all seven projections, and what they train")
let ourShape = base.configuration.shape(name: "ours")
let loraR1 = AdapterMethod.lora(rank: 1, c: 16)
let loraCount = ourShape.trainableCount(loraR1, sites: .all)
let k5 = max(1, Int((0.04 * Double(loraCount) / Double(2 * 7 * base.configuration.layers)).rounded()))
func nola(_ k: Int) -> AdapterMethod { .nola(rank: 16, k: k, l: k, c: 4, basis: .shared) }
let methods = [Method(name: "LoRA r=1", slug: "lora_r1", adapter: loraR1, everyPrecision: true),
               Method(name: "NOLA r=16, k=l=\(k5)", slug: "nola_table5", adapter: nola(k5), everyPrecision: true)]
    + (scale == .quick ? [] : [Method(name: "NOLA r=16, k=l=\(4 * k5)", slug: "nola_4x", adapter: nola(4 * k5), everyPrecision: false),
                               Method(name: "LoRA r=4", slug: "lora_r4", adapter: .lora(rank: 4, c: 16), everyPrecision: false)])
var counts = Table(["model", "LoRA r=1", "NOLA r=16 (k=l)", "NOLA / LoRA", "paper (LoRA / NOLA)"])
for (shape, k, paper) in [(ModelShape.llama2_7B, 128, "2.50M / 0.06M"), (.llama2_13B, 256, "3.91M / 0.14M"), (.llama2_70B, 512, "12.94M / 0.57M"), (ourShape, k5, "—")] {
    let (l, n) = (shape.trainableCount(loraR1, sites: .all), shape.trainableCount(nola(k), sites: .all))
    counts.row([shape.name, Format.count(l), "\(Format.count(n)) (\(k))", Format.percent(Double(n) / Double(l), 1), paper])
}
lesson.show(counts)

// MARK: - 6. Instruction tuning on the packed base
// Each row: a fresh copy of the base, packed at its precision, adapters attached on every
// projection, AdamW on the adapters alone (rates: lesson 12's rule rescaled by c/r; QLoRA's
// constant rate after a short warm-up; no weight decay), batches of 16 instructions.
lesson.cell(6, "Instruction tuning on the packed base")
let steps = options.steps ?? scale.pick(quick: 3, standard: 60, full: max(1, trainCorpus.count / 16))
struct Result { var train: [Double] = [], validation: [Double] = [], accuracy: [Double] = [], ms: [Double] = [], cpuMs: [Double] = [], letters = [0, 0, 0, 0]
                var curve: [(Int, Double)] = [], trainable = 0, adapterBytes = 0 }
var results: [String: Result] = [:]  // "<slug>@<bits>"
let runs = formats.flatMap { f in methods.filter { $0.everyPrecision || f == .int8 }.map { (f, $0) } }
let bar = lesson.progress("instruction tuning", total: runs.count * seeds.count * steps)
let (_, tuningSeconds) = timed {
    for (format, method) in runs {
        var result = Result()
        for seed in seeds {
            let model = base.makeModel()
            model.packBase(format)
            model.attach(method.adapter!, seed: seed, sites: model.allSites)
            result.trainable = model.parameters.trainableCount
            let recipe = InstructionTuning.Recipe.table5(method.adapter!, steps: steps)
            let run: InstructionTuning.Run
            do {
                run = try InstructionTuning.train(model, on: trainCorpus, recipe: recipe, seed: seed, probe: curveProbe) { bar.advance() }
            } catch {
                Lesson.fail("\(method.name) on the \(format.rawValue) base: \(error)")
            }
            result.train.append(InstructionTuning.loss(model, on: trainProbe))
            result.validation.append(InstructionTuning.loss(model, on: validationBatches))
            let answered = quiz.evaluate(model)
            result.accuracy.append(answered.accuracy)
            result.letters = zip(result.letters, letterCounts(answered.chosen)).map { $0 + $1 }
            let timed = Array(run.stepSeconds.dropFirst(min(2, run.stepSeconds.count - 1))).sorted()
            let cpu = Array(run.stepCPUSeconds.dropFirst(min(2, run.stepCPUSeconds.count - 1))).sorted()
            result.ms.append(1000 * timed[timed.count / 2])
            result.cpuMs.append(1000 * cpu[cpu.count / 2])
            if seed == seeds[0] {
                result.curve = run.curve.map { ($0.step, $0.loss) }
                let url = lesson.plotsFolder.appendingPathComponent("adapter_\(method.slug)_\(format.bits)bit.safetensors")
                do {
                    try AdapterFile.save(model, method: method.adapter!, seed: seed, precision: .f16, to: url)
                    result.adapterBytes = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
                } catch {
                    Lesson.fail("cannot write the adapter file \(url.relativeDisplayPath): \(error)")
                }
            }
        }
        results["\(method.slug)@\(format.bits)"] = result
    }
}
bar.finish()
lesson.say("\(runs.count) rows × \(seeds.count) seed\(seeds.count == 1 ? "" : "s") × \(steps) steps in \(Format.seconds(tuningSeconds)) "
    + "(one epoch is \(max(1, trainCorpus.count / 16)) steps; --steps or --full for more). The machine may be shared: read the CPU times beside the wall times.")
var lossFigure = Figure("validation_loss", title: "Instruction tuning on a quantized base: validation loss (cf. paper Table 5)",
                        x: "optimizer step (batches of 16 instructions); step 0 is the base without fine-tuning",
                        y: "validation loss (nats per response token)")
let styles: [PackedWeight.Format: (Bool, String)] = [.float16: (false, "16-bit"), .int8: (true, "8-bit"), .nf4: (false, "4-bit")]
for format in formats {
    for method in methods where method.everyPrecision {
        guard let r = results["\(method.slug)@\(format.bits)"] else { continue }
        let color: Color = method.slug.hasPrefix("lora") ? (format == .nf4 ? .sky : .lora) : (format == .nf4 ? .orange : .nola)
        lossFigure.add(.lines("\(method.name) (\(Format.count(r.trainable))), \(styles[format]!.1) base", x: r.curve.map { Double($0.0) },
                              y: r.curve.map(\.1), color: color, dashed: styles[format]!.0))
    }
}
lossFigure.legend = .topRight
lossFigure.xRange = 0...Double(steps)
lesson.save(lossFigure)

// MARK: - 7. Table 5, ours beside the paper's
// The paper's claim: NOLA trains 3–5 % of LoRA r=1's parameters and matches its train loss,
// validation loss and MMLU accuracy, on a quantized base. A difference counts as a match here
// when it is within the two methods' seed spreads added, or within a floor: 0.02 nats for a
// loss, and for an accuracy one standard error of an accuracy measured on this many questions.
lesson.cell(7, "Table 5, ours beside the paper's")
var table = Table(["base", "method", "trainable", "train loss", "val loss", "5-shot acc.", "letters A/B/C/D", "base memory", "adapter file", "ms/step (CPU)"])
for format in formats {
    if let w = withoutTuning[format] {
        table.row([format.rawValue, "w/o fine-tuning", "—", Format.fixed(w.train, 3), Format.fixed(w.validation, 3), Format.percent(w.accuracy, 1),
                   w.letters.map(String.init).joined(separator: "/"), Format.bytes(baseBytes[format] ?? 0), "—", "—"])
    }
    for method in methods {
        guard let r = results["\(method.slug)@\(format.bits)"] else { continue }
        table.row([format.rawValue, method.name, Format.count(r.trainable), spread(r.train).text(3), spread(r.validation).text(3), spread(r.accuracy).percentText,
                   r.letters.map(String.init).joined(separator: "/"), Format.bytes(baseBytes[format] ?? 0), Format.bytes(r.adapterBytes), "\(Format.fixed(spread(r.ms).mean, 0)) (\(Format.fixed(spread(r.cpuMs).mean, 0)))"])
    }
}
lesson.show(table)
lesson.say("""
    Paper (LLaMA-2, 8-bit base; w/o fine-tuning / LoRA r=1 / NOLA r=16): 7B train loss 1.53 / 0.97 / 1.05, val \
    1.74 / 1.04 / 1.01, MMLU 45.3 / 46.5 / 46.5; 13B 1.43 / 0.94 / 0.95, 1.59 / 0.96 / 0.97, 54.8 / 55.3 / 55.3; \
    70B 1.42 / 0.87 / 0.90, 1.53 / 0.92 / 0.90, 68.9 / 69.5 / 69.4. Train loss here is measured after tuning on \
    \(trainProbe.map(\.sequences).reduce(0, +)) training instructions (the paper does not say how it averages). \
    "letters" counts the answers each row chose (over its seeds), against the right letters' \
    \(letterCounts(quizQuestions.map(\.answer)).map(String.init).joined(separator: "/")): a row that chooses one letter \
    for every question has learned the format, not the reading.
    """)
var verdicts = Table(["base", "NOLA − LoRA: train loss", "val loss", "5-shot acc.", "NOLA / LoRA params", "verdict"])
var claims: [(String, Bool)] = []
for format in formats {
    guard let lora = results["lora_r1@\(format.bits)"], let nolaRow = results["nola_table5@\(format.bits)"] else { continue }
    func margin(_ a: [Double], _ b: [Double], floor: Double) -> (Double, Bool) {
        let d = spread(a).mean - spread(b).mean
        return (d, abs(d) <= max(floor, spread(a).std + spread(b).std))
    }
    let t = margin(nolaRow.train, lora.train, floor: 0.02), v = margin(nolaRow.validation, lora.validation, floor: 0.02)
    let p = (spread(nolaRow.accuracy).mean + spread(lora.accuracy).mean) / 2
    let a = margin(nolaRow.accuracy, lora.accuracy, floor: max(0.02, (p * (1 - p) / Double(max(quizQuestions.count, 1))).squareRoot()))
    // Two rows both at chance (within two standard errors of 25 %) measured letter preferences,
    // not reading: the accuracy part is then untested.
    let tested = !(atChance(spread(lora.accuracy).mean) && atChance(spread(nolaRow.accuracy).mean))
    let checked = [t.1, v.1] + (tested ? [a.1] : [])
    let partly = checked.filter { $0 }.count
    let holds = partly == checked.count
    claims.append((format.rawValue, holds))
    verdicts.row([format.rawValue, Format.fixed(t.0, 3) + (t.1 ? " ✓" : " ✗"), Format.fixed(v.0, 3) + (v.1 ? " ✓" : " ✗"),
                  tested ? Format.fixed(100 * a.0, 1) + " pts" + (a.1 ? " ✓" : " ✗") : Format.fixed(100 * a.0, 1) + " pts, both at chance",
                  Format.percent(Double(nolaRow.trainable) / Double(lora.trainable), 1),
                  (holds ? "holds" : partly > 0 ? "holds on \(partly) of \(checked.count)" : "does not hold") + (tested ? "" : ", losses only")])
}
lesson.show(verdicts)
let chance = results.values.filter { atChance(spread($0.accuracy).mean) }.count + withoutTuning.values.filter { atChance($0.accuracy) }.count
let oneLetterRows = results.values.filter { oneLetter($0.letters) }.count + withoutTuning.values.filter { oneLetter($0.letters) }.count
lesson.say("""
    \(chance) of \(results.count + withoutTuning.count) rows are at chance (within two standard errors of 25 % on \
    \(quizQuestions.count) questions), and \(oneLetterRows) answered one letter to every question\
    \(chance > 0 ? ": at this size the 5-shot quiz measures which letter a model prefers after \"Answer:\", not whether it read the restaurant, so where both methods are at chance the accuracy cannot separate them (LLaMA-2 reads; a model of \(Format.count(base.configuration.parameterCount)) parameters pretrained on \(Format.count(base.tokenCount * settings.epochs)) tokens does not)" : ""). \
    The losses are the comparison this lesson can always make.
    """)
let accuracyFloor = max(0.02, (0.25 / Double(max(quizQuestions.count, 1))).squareRoot())
lesson.say("(✓: within the two seed spreads added, or within 0.02 nats for a loss and one standard error of an accuracy on "
    + "\(quizQuestions.count) questions, up to \(Format.fixed(100 * accuracyFloor, 1)) points; \(seeds.count) seed\(seeds.count == 1 ? ": no spread, the floors decide — run --full for 3 and every question" : "s").)")
var accuracyFigure = Figure("accuracy_vs_parameters", title: "5-shot quiz accuracy against trainable parameters, quantized base (cf. paper Table 5)",
                            x: "trainable parameters (log scale)", y: "5-shot accuracy on held-out restaurants (%)")
accuracyFigure.logX = true
for format in formats {
    let rows = methods.compactMap { m in results["\(m.slug)@\(format.bits)"].map { (m, $0) } }.sorted { $0.1.trainable < $1.1.trainable }
    for family in ["lora", "nola"] {
        let f = rows.filter { $0.0.slug.hasPrefix(family) }
        guard !f.isEmpty else { continue }
        let color: Color = family == "lora" ? (format == .nf4 ? .sky : .lora) : (format == .nf4 ? .orange : .nola)
        accuracyFigure.add(.errorBars("\(family == "lora" ? "LoRA r=1, 4" : "NOLA r=16"), \(format.rawValue) base", x: f.map { Double($0.1.trainable) },
                                      y: f.map { 100 * spread($0.1.accuracy).mean }, error: f.map { 100 * spread($0.1.accuracy).std },
                                      color: color, dashed: styles[format]!.0))
    }
}
let untuned = (withoutTuning[.int8] ?? withoutTuning.values.first).map { 100 * $0.accuracy }
if let untuned, abs(untuned - 25) >= 4 {
    accuracyFigure.annotate(.horizontalLine(y: 25, label: "chance, 25 %", color: .base))
    accuracyFigure.annotate(.horizontalLine(y: untuned, label: "without fine-tuning (8-bit base), \(Format.fixed(untuned, 1)) %", color: .black))
} else {
    accuracyFigure.annotate(.horizontalLine(y: 25, label: "chance, 25 %" + (untuned.map { " (without fine-tuning: \(Format.fixed($0, 1)) %)" } ?? ""), color: .base))
}
accuracyFigure.yRange = 0...100
accuracyFigure.legend = .topRight
lesson.save(accuracyFigure)

// MARK: - 8. Why NOLA does not care how the base is stored
// NOLA's trainable numbers are α and β; its basis comes from a seed; its ΔW = (c/r)·B·A is added
// to whatever the base computes. Packing the base changes the base's bytes and, a little, its
// function — not one number of the adapter, nor its file.
lesson.cell(8, "Why NOLA does not care how the base is stored")
let nolaFiles = formats.compactMap { results["nola_table5@\($0.bits)"]?.adapterBytes }
let loraFiles = formats.compactMap { results["lora_r1@\($0.bits)"]?.adapterBytes }
let nolaTime = formats.compactMap { f in results["nola_table5@\(f.bits)"].map { spread($0.cpuMs).mean } }
let loraTime = formats.compactMap { f in results["lora_r1@\(f.bits)"].map { spread($0.cpuMs).mean } }
lesson.say("""
    NOLA's adapter file is \(nolaFiles.map(Format.bytes).joined(separator: " / ")) at \(formats.map(\.rawValue).joined(separator: " / ")) \
    (LoRA r=1's \(loraFiles.map(Format.bytes).joined(separator: " / "))): the same bytes whatever the base, \
    since it stores the seed and α, β at 16 bits. Step time is the base's products either way: NOLA / LoRA CPU time \
    per step \(zip(nolaTime, loraTime).map { Format.fixed($0 / max($1, 1e-9), 2) }.joined(separator: " / ")). \
    The base's memory falls from \(formats.compactMap { baseBytes[$0] }.map(Format.bytes).joined(separator: " to ")): QLoRA's saving, \
    and NOLA's coefficients are \(Format.percent(Double(nolaFiles.first ?? 0) / Double(max(baseBytes[formats.last!] ?? 1, 1)), 2)) of the smallest base.
    """)

lesson.finish(paperVsOurs: [
    Comparison("model", paper: "LLaMA-2 7B / 13B / 70B, 8-bit", ours: "\(base.configuration.layers) blocks × \(base.configuration.hidden), \(Format.count(base.configuration.parameterCount)) params; 16/8/4-bit",
               note: "classroom size"),
    Comparison("data", paper: "Alpaca (52K), 1 epoch; MMLU 5-shot", ours: "\(trainCorpus.count) restaurant instructions, \(steps) steps; \(quizQuestions.count) quiz questions",
               note: "synthetic stand-ins"),
    Comparison("NOLA / LoRA r=1 params", paper: "2.4 % / 3.6 % / 4.4 %", ours: Format.percent(Double(results["nola_table5@8"]?.trainable ?? results.values.first?.trainable ?? 0)
        / Double(max(results["lora_r1@8"]?.trainable ?? loraCount, 1)), 1), note: "k = l = \(k5)"),
    Comparison("NOLA matches LoRA", paper: "yes (Table 5)", ours: claims.map { "\($0.0): \($0.1 ? "holds" : "not all three")" }.joined(separator: "; "), note: "cell 7"),
])
