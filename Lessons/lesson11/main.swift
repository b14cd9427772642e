// Lesson 11 — A transformer by hand
//
// Follows: the model the paper adapts in §4.1 and Tables 1, 2 and 11 (GPT-2 M and L on E2E NLG,
// with LoRA and NOLA on the query and value projections), built here at classroom scale.
//
// What you will learn:
//   • what one GPT-2 block computes, and the shape of every tensor it holds or makes;
//   • that the hand-written backward pass is right: finite differences, live, on a tiny model;
//   • the causal mask: position t never sees the tokens after it (checked, not claimed);
//   • training a small GPT as a language model on restaurant sentences the project generates,
//     then writing with it (greedy decoding and beam search, with a key–value cache);
//   • what its attention heads look at, token by token;
//   • where GPT-2's 355M and 774M parameters live, and how far a classroom model is from them;
//   • where lesson 12 puts LoRA and NOLA: the query and value slices of c_attn.
//
// Run: swift run lesson11            (≈20 s: 2 blocks, width 64, 300 training steps)
//      swift run lesson11 --quick    (CI smoke run, a few seconds)
//      swift run lesson11 --full     (4 blocks, width 128, 1,500 steps: a few minutes)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson11",
        abstract: "Lesson 11 — A transformer by hand: GPT-2's block, its gradients, training, decoding and attention (paper §4.1).")
    @OptionGroup var common: CommonOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(number: 11, title: "A transformer by hand",
                    follows: "§4.1, Tables 1 and 11 (the GPT-2 models NOLA adapts)", options: options.common)
let scale = lesson.scale

// MARK: - 1. Text and tokens
// The corpus is the project's own restaurant sentences (SyntheticRestaurants: E2E's eight
// attributes, several phrasings per meaning representation), deterministic by seed. A byte-level
// BPE tokenizer, as GPT-2's, learns its merges from the training sentences. Each sentence becomes
// <|begin|> tokens <|end|>: the model learns to start, to continue and to stop.
lesson.cell(1, "Text and tokens")
let data: E2EData
do {
    data = try E2EData.load(.synthetic(seed: lesson.seed))
} catch {
    Lesson.fail("\(error)")
}
let vocabularySize = scale.pick(quick: 512, standard: 1024, full: 1024)
let tokenizer: BPETokenizer
do {
    tokenizer = try BPETokenizer.train(on: data.pretrainingCorpus, vocabularySize: vocabularySize)
} catch {
    Lesson.fail("\(error)")
}
func sequence(_ sentence: String) -> [Int] { [BPETokenizer.begin] + tokenizer.encode(sentence) + [BPETokenizer.end] }
let trainSentences = Array(data.train.sentences.prefix(scale.pick(quick: 400, standard: 100_000, full: 100_000)))
let trainSequences = trainSentences.map(sequence)
let validationSequences = data.validation.sentences.map(sequence)
let example = data.validation.sentences[0]
lesson.facts([
    ("corpus", "\(data.train.name): \(Format.count(trainSentences.count)) training and \(Format.count(data.validation.sentences.count)) validation sentences"),
    ("tokenizer", tokenizer.description),
    ("tokens per sentence", "\(Format.fixed(Double(trainSequences.map(\.count).reduce(0, +)) / Double(trainSequences.count), 1)) on average, "
        + "at most \(trainSequences.map(\.count).max()!) (with <|begin|> and <|end|>)"),
])
lesson.say("A validation sentence and its tokens (· is a space):\n    \(example)\n    "
    + sequence(example).map(tokenizer.display).joined(separator: " | "))

// MARK: - 2. The model, and the shape of every tensor in one block
// GPT-2's architecture at classroom width: token and position embeddings, pre-LN blocks
// (LayerNorm → causal self-attention → residual, LayerNorm → MLP with GELU → residual), a final
// LayerNorm, and logits through the token embedding again (tied unembedding). B sequences of T
// positions are one (B·T, C) matrix, sequence after sequence, as in llm.c.
lesson.cell(2, "The model, and the shape of every tensor in one block")
let longest = (trainSequences + validationSequences).map(\.count).max()!
let configuration = GPTConfiguration(
    layers: scale.pick(quick: 2, standard: 2, full: 4), embedding: scale.pick(quick: 32, standard: 64, full: 128),
    heads: 4, vocabulary: tokenizer.vocabularySize, context: max(64, longest))
let model = GPT(configuration, seed: lesson.seed)
let batchSize = 16
let (b, t, c) = (batchSize, 24, configuration.embedding)
lesson.say("Model: \(configuration). Block h.0 for a batch of B = \(b) sequences of T = \(t) positions "
    + "(C = \(c), H = \(configuration.heads) heads of hs = \(configuration.headSize)):")
var shapes = Table(["tensor", "shape", "kind", "numbers"])
shapes.row(["tokens", "[\(b * t)]", "input ids", Format.count(b * t)])
shapes.row(["x₀ = wte[tokens] + wpe[positions]", "[\(b * t), \(c)]", "activation", Format.count(b * t * c)])
for p in model.blocks[0].parameters {
    shapes.row([p.name, "[\(p.value.rows), \(p.value.cols)]", "parameter", Format.count(p.count)])
}
for (name, shape) in model.blocks[0].activationShapes(sequences: b, length: t) {
    shapes.row([name, "[" + shape.map(String.init).joined(separator: ", ") + "]", "activation", Format.count(shape.reduce(1, *))])
}
shapes.row(["logits = ln_f(x_L) wteᵀ", "[\(b * t), \(configuration.vocabulary)]", "activation", Format.count(b * t * configuration.vocabulary)])
lesson.show(shapes)
lesson.say("""
    Parameters are stored as PyTorch's nn.Linear stores them, (out, in), under GPT-2's names, so \
    a checkpoint loads one to one into Benchmarks/pytorch/gpt_reference.py. The attention \
    matrices S and P are the only tensors that grow as T²: at GPT-2's context of 1,024 one \
    head's P alone is 1,048,576 numbers per sequence.
    """)

// MARK: - 3. The causal mask
// A language model predicts token t+1 from tokens 0…t. In training all positions are computed
// at once, so attention must be stopped from reading ahead: scores S[t, j] with j > t are set to
// −∞ before the softmax, so P[t, j] = 0 exactly. Here: change the last token of a sentence and
// compare the logits at every earlier position.
lesson.cell(3, "The causal mask")
lesson.say("""
    Which positions each query t may attend to (✓) for T = 6; the rest are set to −∞:
    \((0..<6).map { q in "    t=\(q)  " + (0..<6).map { $0 <= q ? "✓" : "·" }.joined(separator: " ") }.joined(separator: "\n"))
    """)
let probe = Array(sequence(example).dropLast())
var changed = probe
changed[changed.count - 1] = (changed[changed.count - 1] + 1) % configuration.vocabulary
let probeMask = AttentionMask(sequences: 1, length: probe.count, causal: true)
let before = model.forward(tokens: probe, mask: probeMask)
let after = model.forward(tokens: changed, mask: probeMask)
let v = configuration.vocabulary
let earlier = (0..<((probe.count - 1) * v)).map { abs(before.data[$0] - after.data[$0]) }.max()!
let last = ((probe.count - 1) * v..<(probe.count * v)).map { abs(before.data[$0] - after.data[$0]) }.max()!
lesson.say("""
    Changing the last of \(probe.count) tokens: max |Δ logit| at the \(probe.count - 1) earlier positions = \
    \(Format.significant(Double(earlier), 3)) (exactly zero: they never saw it), at the last position = \
    \(Format.significant(Double(last), 3)). The same mask is why a trained model can generate one token at \
    a time with a key–value cache (cell 6): earlier positions never change, so their keys and values are kept.
    """)

// MARK: - 4. The finite-difference check, live
// Every backward pass in NOLAKit is checked against central differences in the tests; here the
// whole model is, once more, in front of you. A tiny GPT (2 blocks, width 8, 2 heads, vocabulary
// 11, context 6) with every weight drawn Uniform(±0.5) (GPT-2's N(0, 0.02²) start is too flat
// for differences to see much), three sequences of mixed lengths (padding masked), a loss with
// label smoothing. Each of its numbers is nudged by ±h and by ±h/2, and the loss changes,
// extrapolated to a step of zero, are compared with the backward pass. What "agreement" can
// mean in Float32 is computed, not assumed: see GradientCheck.float32 and the narration.
lesson.cell(4, "The finite-difference check, live")
let tiny = GPT(GPTConfiguration(layers: 2, embedding: 8, heads: 2, vocabulary: 11, context: 6), seed: lesson.seed)
for (i, p) in tiny.parameters.enumerated() {
    var value = RandomStream(seed: lesson.seed &+ 100, stream: UInt64(i)).uniformMatrix(rows: p.value.rows, cols: p.value.cols, bound: 0.5)
    if p.name.contains("ln_") && p.name.hasSuffix("weight") { value.data = value.data.map { $0 + 1 } }  // γ near 1
    p.value = value
}
let words = RandomStream(seed: lesson.seed &+ 200).uniform(12).map { Int($0 * 11) % 11 }
let tinyBatch = TokenBatch(sequences: [Array(words[0..<6]), Array(words[6..<10]), Array(words[10..<12])], padding: 0)
let tinyLoss = TokenCrossEntropy(labelSmoothing: 0.1)
tiny.parameters.zeroGradients()
tiny.lossAndGradient(tinyBatch, using: tinyLoss)
let checker = GradientCheck.float32(step: 1e-2)
let tinyLossValue = Double(tiny.loss(tinyBatch, using: tinyLoss))
let (checks, checkSeconds) = timed { checker.check(tiny.parameters) { Double(tiny.loss(tinyBatch, using: tinyLoss)) } }
let groups: [(String, (String) -> Bool)] = [
    ("embeddings wte, wpe", { $0.hasPrefix("wte") || $0.hasPrefix("wpe") }),
    ("LayerNorms ln_1, ln_2, ln_f", { $0.contains("ln_") }),
    ("attention c_attn (Q, K, V)", { $0.contains("attn.c_attn") }),
    ("attention c_proj", { $0.contains("attn.c_proj") }),
    ("MLP c_fc", { $0.contains("mlp.c_fc") }),
    ("MLP c_proj", { $0.contains("mlp.c_proj") }),
]
var checkTable = Table(["parameter group", "tensors", "numbers", "max |∂L/∂θ|", "max relative error", "accepted", "verdict"])
var worstError = 0.0
for (group, member) in groups {
    let results = checks.filter { member($0.name) }
    let numbers = tiny.parameters.filter { member($0.name) }.map(\.count).reduce(0, +)
    // The group's worst tensor: the one closest to (or furthest past) its accepted error.
    let worst = results.max { $0.error / $0.accepted < $1.error / $1.accepted }
    worstError = max(worstError, results.map(\.error).max() ?? .nan)
    checkTable.row([group, "\(results.count)", Format.count(numbers), Format.significant(results.map(\.scale).max() ?? 0, 3),
                    Format.significant(worst?.error ?? .nan, 2), Format.significant(worst?.accepted ?? .nan, 2),
                    results.allSatisfy(\.passed) ? "ok" : "FAILED"])
}
lesson.show(checkTable)
let tinyCount = tiny.parameters.map(\.count).reduce(0, +)
let roundingBound = checker.roundingBound(loss: tinyLossValue)
lesson.say("""
    relative error = max |backward − finite difference| / max |finite difference| per tensor, the \
    worst tensor of each group shown (\(Format.count(4 * tinyCount)) forward passes in \
    \(Format.seconds(checkSeconds))). The finite difference is extrapolated: central differences at \
    h = 10⁻² and h/2 combined as (4·D(h/2) − D(h))/3, whose truncation error shrinks as h⁴. (A plain \
    central difference errs by h²·L‴/6; on this deliberately rough model that alone reaches 0.5% \
    for some seeds, and a fixed tolerance would then call a correct backward pass wrong.)

    What is left is rounding. The loss is computed in Float32, good to about ε·|L| (ε = 2⁻²³ ≈ \
    1.2·10⁻⁷, |L| = \(Format.fixed(tinyLossValue, 2))), and a difference divides that by the step: about \
    3·ε·|L|/h = \(Format.significant(roundingBound, 2)) in any derivative here. Agreement means an error below \
    10⁻³ of the tensor's largest derivative plus four times that bound (the accepted column: larger \
    for tensors whose derivatives are small); a wrong term in a backward formula gives errors of \
    order 1. The softmax's backward, dS = P ⊙ (dP − Σⱼ P dP), the LayerNorm's and GELU's are all \
    inside this one number.
    """)
if checks.contains(where: { !$0.passed }) {
    lesson.warn("the gradient check failed for " + checks.filter { !$0.passed }.map(\.name).joined(separator: ", ")
        + ": the backward pass disagrees with finite differences (run `swift test --filter Transformer`).")
}

// MARK: - 5. Training a small GPT as a language model
// The LoRA GPT-2 recipe the paper reuses: AdamW (weight decay 0.01), a linear warm-up then a
// linear decay of the rate, gradient clipping at norm 1 (its label smoothing 0.1 is for
// fine-tuning on E2E; a language model learns here without it, so the training loss each step
// reports is the same cross-entropy as the validation loss). Batches of 16 sentences padded to
// their longest (padding is masked out of attention and loss).
lesson.cell(5, "Training a small GPT as a language model")
let steps = scale.pick(quick: 30, standard: 300, full: 1500)
let peakRate: Float = 3e-3
let optimizer = Adam.adamW(parameters: model.parameters, learningRate: peakRate, weightDecay: 0.01)
let trainer = LanguageModelTrainer(
    model: model, optimizer: optimizer,
    schedule: .warmupLinear(peak: peakRate, warmup: steps / 10, total: steps), clipNorm: 1)
let validationBatches = TokenBatch.batches(of: validationSequences, size: 64, padding: BPETokenizer.padding)
let probeBatches = TokenBatch.batches(of: Array(validationSequences.prefix(64)), size: 64, padding: BPETokenizer.padding)
let evaluateEvery = max(5, steps / 20)
var curveSteps: [Double] = [], trainSteps: [Double] = [], trainCurve: [Double] = [], validationCurve: [Double] = []
curveSteps.append(0)
validationCurve.append(trainer.evaluate(probeBatches))
lesson.facts([
    ("parameters", Format.count(model.parameters.map(\.count).reduce(0, +))),
    ("steps", "\(steps) of \(batchSize) sentences, peak rate \(peakRate), warm-up \(steps / 10) steps"),
    ("start", "validation loss \(Format.fixed(validationCurve[0], 3)) nats per token (uniform guessing: ln \(v) = \(Format.fixed(log(Double(v)), 3)))"),
])
let bar = lesson.progress("training", total: steps, live: "training loss (nats per token)")
var epoch = 0
var queue: [TokenBatch] = []
var window: [Double] = []
var throughput = TrainingThroughput(skipping: 3)  // the first steps size buffers and wake threads
let (_, trainSeconds) = timed {
    for step in 1...steps {
        if queue.isEmpty {
            queue = TokenBatch.batches(of: trainSequences, size: batchSize, seed: lesson.seed, epoch: epoch, padding: BPETokenizer.padding).reversed()
            epoch += 1
        }
        let batch = queue.removeLast()
        do {
            let (result, seconds) = try timed { try trainer.step(batch) }
            window.append(Double(result.loss))
            throughput.record(tokens: batch.realTokens, seconds: seconds)
            bar.advance(plot: window.last)  // --live draws the loss as it goes
        } catch {
            Lesson.fail("\(error) — lower the peak rate (\(peakRate)) in cell 5.")
        }
        if step % evaluateEvery == 0 || step == steps {
            curveSteps.append(Double(step))
            trainSteps.append(Double(step) - Double(window.count - 1) / 2)  // the window's centre
            trainCurve.append(window.reduce(0, +) / Double(window.count))
            validationCurve.append(trainer.evaluate(probeBatches))
            window = []
        }
    }
}
bar.finish()
let finalValidation = trainer.evaluate(validationBatches)
lesson.say("""
    \(steps) steps (\(epoch) pass\(epoch == 1 ? "" : "es") over the sentences) in \(Format.seconds(trainSeconds)). Loss per token: \
    training \(Format.fixed(trainCurve.last!, 3)) (mean of the last \(evaluateEvery) batches, before each \
    update), validation \(Format.fixed(finalValidation, 3)) on all \(validationSequences.count) held-out sentences, \
    i.e. perplexity \(Format.fixed(exp(finalValidation), 1)): the model hesitates between about that \
    many tokens at each position, against \(v) at the start. Validation minus training loss: \
    \(Format.fixed(finalValidation - trainCurve.last!, 3)) after \(epoch) pass\(epoch == 1 ? "" : "es"). \(finalValidation - trainCurve.last! < 0.05
        ? "The model generalises: it has not begun to memorise its training sentences."
        : "The model has begun to fit its training sentences better than new ones: more passes would widen the gap.") \
    (Figure loss_curve.)
    """)
let trainInputs = trainSequences.map { $0.count - 1 }.reduce(0, +)  // every token but the last is an input
if let rate = throughput.tokensPerSecond, let perStep = throughput.secondsPerStep {
    lesson.say("""
        What the machine did: \(Format.count(Int(rate))) tokens per second (\(Format.count(throughput.tokens)) real \
        tokens, padding excluded, in \(throughput.steps) steps of \(Format.seconds(perStep)) each; the first 3 \
        steps left out), forward, backward and AdamW on \(BLAS.threads) thread\(BLAS.threads == 1 ? "" : "s"). \
        At that rate one pass over the \(Format.count(trainInputs)) input tokens of the training sentences \
        takes \(Format.seconds(throughput.seconds(forTokens: trainInputs) ?? 0)).
        """)
}
var lossFigure = Figure("loss_curve", title: "A small GPT learns restaurant sentences (the model of §4.1, at classroom scale)",
                        x: "optimizer step (batches of \(batchSize) sentences)", y: "cross-entropy per token (nats)")
lossFigure.add(.lines("training batches (mean of each \(evaluateEvery) steps, before their updates)", x: trainSteps,
                      y: trainCurve, color: .blue))
lossFigure.add(.lines("validation (64 held-out sentences)", x: curveSteps, y: validationCurve, color: .vermillion))
lossFigure.annotate(.horizontalLine(y: log(Double(v)), label: "uniform guess, ln \(v)", color: .base))
lossFigure.legend = .topRight
lossFigure.yRange = 0...(log(Double(v)) * 1.15)
lossFigure.xRange = 0...Double(steps)
lesson.save(lossFigure)

// MARK: - 6. Writing with it: greedy decoding and beam search
// Generation feeds the prompt once, then one token at a time; the key–value cache keeps every
// earlier position's keys and values (the causal mask of cell 3 guarantees they never change).
// Greedy takes the most probable token each time; beam search keeps the 10 best partial
// sentences, scored by Σ log p / L^0.9, never repeating a 4-gram (the E2E settings of the LoRA
// and NOLA papers).
lesson.cell(6, "Writing with it: greedy decoding and beam search")
var prompts = [""]  // <|begin|> alone, then the first two words of a few validation sentences
for sentence in data.validation.sentences where prompts.count < scale.pick(quick: 2, standard: 4, full: 6) {
    let start = sentence.split(separator: " ").prefix(2).joined(separator: " ")
    if !prompts.contains(start) { prompts.append(start) }
}
let beam = BeamSearch.e2e(endTokens: [BPETokenizer.end])
var samples = Table(["prompt", "decoding", "generated"])
for prompt in prompts {
    let tokens = [BPETokenizer.begin] + tokenizer.encode(prompt)
    let greedy = model.greedy(prompt: tokens, maxTokens: 64, endTokens: [BPETokenizer.end])
    let best = beam.decode(model, prompt: tokens)
    let shown = prompt.isEmpty ? "<|begin|>" : prompt
    samples.row([shown, "greedy", prompt + ((try? tokenizer.decode(greedy)) ?? "?")])
    samples.row(["", "beam 10", prompt + ((try? tokenizer.decode(best.tokens)) ?? "?") + (best.finished ? "" : " …")])
}
lesson.show(samples)
lesson.say(scale == .quick ? "(--quick trains \(steps) steps only: expect babble and repeated words.)" : """
    The model writes sentences of the corpus's shape with names, foods and areas it has seen, \
    sometimes mixing facts no reference would (it knows grammar and vocabulary, not restaurants). \
    It was trained on sentences alone: it cannot be told which restaurant to describe. Lesson 12 \
    trains it on "meaning representation <|sep|> sentence" pairs, the E2E task of the paper's Table 1.
    """)

// MARK: - 7. What the heads look at
// One validation sentence through the trained model; for every layer and head, the matrix P of
// cell 2: row t (the query, the token attending) is a probability distribution over the
// positions 0…t (the keys, the tokens attended to). Grey cells are masked (the future).
lesson.cell(7, "What the heads look at")
let shownSequence = validationSequences.first { (10...16).contains($0.count) } ?? Array(validationSequences[0].prefix(16))
let shownTokens = Array(shownSequence.dropLast())  // the inputs: <|begin|> and the sentence
let shownLabels = shownTokens.map(tokenizer.display)
_ = model.forward(tokens: shownTokens, mask: AttentionMask(sequences: 1, length: shownTokens.count, causal: true))
var panels: [(title: String, values: [Double])] = []
var headTable = Table(["head", "on <|begin|>", "on itself", "on the previous token", "entropy (nats)"])
let n = shownTokens.count
var headStats: [(head: String, previous: Double, entropy: Double)] = []
for layer in 0..<configuration.layers {
    for head in 0..<configuration.heads {
        let p = model.attentionProbabilities(layer: layer, head: head)
        var values = [Double](repeating: .nan, count: n * n)
        for q in 0..<n { for k in 0...q { values[q * n + k] = Double(p[q, k]) } }
        panels.append(("layer \(layer), head \(head)", values))
        // Averages over the queries t ≥ 1 (at t = 0 there is only <|begin|> to look at).
        let queries = 1..<n
        func mean(_ f: (Int) -> Double) -> Double { queries.map(f).reduce(0, +) / Double(queries.count) }
        let entropy = mean { q in -(0...q).map { Double(p[q, $0]) }.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +) }
        let previous = mean { Double(p[$0, $0 - 1]) }
        headStats.append(("\(layer).\(head)", previous, entropy))
        headTable.row(["\(layer).\(head)", Format.percent(mean { Double(p[$0, 0]) }, 0), Format.percent(mean { Double(p[$0, $0]) }, 0),
                       Format.percent(previous, 0), Format.fixed(entropy, 2)])
    }
}
lesson.say("Sentence: \(shownLabels.joined(separator: " | ")). Mean attention per head over the queries t ≥ 1:")
lesson.show(headTable)
let readsPrevious = headStats.max { $0.previous < $1.previous }!
let sharpest = headStats.min { $0.entropy < $1.entropy }!
lesson.say("""
    (Head l.h = layer l, head h.) A head with much weight on the previous token reads the word \
    before, a bigram feature: here head \(readsPrevious.head), \(Format.percent(readsPrevious.previous, 0)). \
    Weight on <|begin|> is often a head parking its attention when it has nothing to fetch for \
    that query. A low entropy means sharp attention on one or two tokens (uniform over the t + 1 \
    visible tokens would be ln(t + 1), \(Format.fixed((1..<n).map { log(Double($0 + 1)) }.reduce(0, +) / Double(n - 1), 2)) on average here): the sharpest is \
    head \(sharpest.head) (\(Format.fixed(sharpest.entropy, 2)) nats). Figure attention_heads draws every P.
    """)
let attentionFigure = Figure.heatMaps(
    "attention_heads", title: "Causal self-attention of the trained GPT, every head (the attention LoRA and NOLA adapt, §4.1)",
    panels: panels, rowLabels: shownLabels, columnLabels: shownLabels, columns: configuration.heads,
    x: "key: the token attended to", y: "query: the token attending",
    colorBar: .init(label: "attention probability P[query, key] (grey: masked future)", range: 0...1))
lesson.save(attentionFigure)

// MARK: - 8. Where the parameters are: ours against GPT-2 M and L
// The same formulas count our model and GPT-2's published shapes (vocabulary 50,257, context
// 1,024; M: 24 blocks of width 1,024; L: 36 blocks of width 1,280). The unembedding is tied to the
// token embedding, so it adds nothing.
lesson.cell(8, "Where the parameters are: ours against GPT-2 M and L")
let models: [(String, GPTConfiguration)] = [("ours", configuration), ("GPT-2 M", .gpt2Medium), ("GPT-2 L", .gpt2Large)]
var countTable = Table(["part"] + models.map(\.0) + ["GPT-2 M / ours"])
let counts = models.map { $0.1.parameterCounts }
for (i, part) in counts[0].map(\.part).enumerated() {
    countTable.row([part] + counts.map { Format.count($0[i].count) } + ["\(Format.count(counts[1][i].count / max(1, counts[0][i].count)))×"])
}
let totals = models.map { $0.1.parameterCount }
countTable.row(["total"] + totals.map(Format.count) + ["\(Format.count(totals[1] / totals[0]))×"])
lesson.show(countTable)
let attentionShare = models.map { m in Double(m.1.parameterCounts[2].count + m.1.parameterCounts[3].count) / Double(m.1.parameterCount) }
lesson.say("""
    The blocks (attention + MLP) hold \(Format.percent(attentionShare[1], 0)) of GPT-2 M and \
    \(Format.percent(attentionShare[2], 0)) of GPT-2 L, but only \(Format.percent(attentionShare[0], 0)) of ours: at \
    classroom width the embeddings (V·C) dominate, at GPT-2's width the blocks' 12·C² per layer do. \
    Our model is \(Format.count(totals[1] / totals[0]))× smaller than GPT-2 M and \(Format.count(totals[2] / totals[0]))× smaller \
    than GPT-2 L. (Paper Table 1 lists 354.920M for GPT-2 M and 774.030M for GPT-2 L; counting the \
    published shapes gives 354,823,168 and 774,030,080.)
    """)

// MARK: - 9. A bridge to lesson 12: adapters on Q and V
// Freeze the trained model and attach adapters to the query and value slices of every c_attn
// (TransformerSites.queryValue, as the authors' GPT-2 code does). Both start with ΔW = 0, so
// the model's outputs do not move until the adapters train.
lesson.cell(9, "A bridge to lesson 12: adapters on Q and V")
let bridgeSites = model.sites(.queryValue)
var bridge = Table(["adapter on Q, V", "trainable here", "ours / full model", "on GPT-2 M (paper Table 1)", "max |Δ logit| at start"])
let reference = model.forward(tokens: shownTokens, mask: AttentionMask(sequences: 1, length: n, causal: true))
for (name, method, paper) in [("LoRA r=4", AdapterMethod.lora(rank: 4, c: 1), "393,216 (paper: 0.350M)"),
                              ("NOLA r=8, k=l=64", AdapterMethod.nola(rank: 8, k: 64, l: 64, c: 1, basis: .perLayer), "k=l=1000: 96,000 (0.096M)")] {
    for block in model.blocks { for layer in block.linearLayers { layer.adapter = nil } }
    model.attach(method, seed: lesson.seed, sites: bridgeSites)
    let trainable = model.parameters.filter(\.isTrainable).map(\.count).reduce(0, +)
    let out = model.forward(tokens: shownTokens, mask: AttentionMask(sequences: 1, length: n, causal: true))
    let moved = zip(out.data, reference.data).map { abs($0 - $1) }.max()!
    bridge.row([name, Format.count(trainable), Format.percent(Double(trainable) / Double(totals[0]), 2), paper,
                Format.significant(Double(moved), 2)])
}
lesson.show(bridge)
lesson.say("""
    (\(bridgeSites.count) sites: Q and V of \(configuration.layers) blocks.) LoRA's count grows with the \
    width, r·(C + C) per site; NOLA's is k + l per site whatever the width. On GPT-2 M the same \
    LoRA is 24 × 2 × 4 × 2,048 = 393,216 numbers (the paper's table, from LoRA's, says 0.350M).
    """)

lesson.finish(paperVsOurs: [
    Comparison("model", paper: "GPT-2 M (24 × 1,024) / L (36 × 1,280)",
               ours: "\(configuration.layers) × \(configuration.embedding), vocabulary \(v)", note: "cell 8"),
    Comparison("parameters", paper: "354.920M / 774.030M", ours: Format.count(totals[0]),
               note: "\(Format.count(totals[1] / totals[0]))× / \(Format.count(totals[2] / totals[0]))× fewer"),
    Comparison("training", paper: "pretrained by OpenAI on WebText", ours: "\(steps) steps on synthetic sentences, \(Format.seconds(trainSeconds))",
               note: "val. loss \(Format.fixed(finalValidation, 2)) nats/token"),
    Comparison("gradient check", paper: "—", ours: "worst relative error \(Format.significant(worstError, 2))",
               note: checks.allSatisfy(\.passed) ? "cell 4: every tensor agrees" : "cell 4: FAILED"),
    Comparison("decoding", paper: "beam 10, length penalty 0.9, no repeated 4-grams", ours: "the same", note: "cell 6"),
])
