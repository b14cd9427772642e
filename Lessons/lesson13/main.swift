// Lesson 13 — What NOLA costs and saves at real sizes
//
// Follows: Table 1 and Table 5 (trainable parameters of GPT-2 M/L and LLaMA-2 7B/13B/70B),
// Table 2 (training time and memory of NOLA against LoRA on GPT-2 L) and the authors' summary:
// "if we quantize LLaMA-70B to 4 bits, we can store and run more than 10,000 variations of
// LLaMA-70B on a single 48GB GPU".
//
// What you will learn:
//   • every trainable count of Tables 1 and 5 follows from the models' public shapes (hidden
//     width, MLP width, blocks, key/value heads), and where a printed count does not;
//   • what an adapter weighs on disk at 16, 8 and 4 bits, header included, and how many fit
//     beside a quantized LLaMA-2 70B on one GPU: the claim's arithmetic, and what it leaves out;
//   • what NOLA's basis costs per training step at GPT-2 L width, per layer, shared or
//     generated on the fly, and why that cost fades as the batch grows;
//   • how a server holds thousands of adapters as seeds and coefficients, switches between
//     them, and serves a batch where every sequence has its own adapter.
//
// Run: swift run lesson13             (≈30 s: one GPT-2 L block, 128 tokens per step)
//      swift run lesson13 --quick     (CI smoke run, a few seconds)
//      swift run -c release lesson13 --full   (8 × 128 = 1,024 tokens per step, the paper's batch 8;
//                                              21 interleaved rounds; ≈10 minutes on 2 cores)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

let options = Options.parseLessonOptions()
let lesson = Lesson(number: 13, title: "What NOLA costs and saves at real sizes",
                    follows: "Tables 1, 2 and 5, and the authors' 10,000-variant claim", options: options.common)
let scale = lesson.scale
var comparisons: [Comparison] = []

// MARK: - 1. Trainable counts from the public shapes (Tables 1 and 5)
// A count is a sum over adapted sites of `AdapterMethod.trainableCount`: LoRA r·(in + out), NOLA
// k + l whatever the shape. The shapes are data (`ModelShape`): GPT-2 M and L adapt Q and V of
// every block; LLaMA-2 adapts every linear layer — q, k, v, o, gate, up, down — and LLaMA-2 70B
// uses grouped-query attention: 8 key/value heads of 128, so k and v project 8,192 → 1,024.
lesson.cell(1, "Trainable counts from the public shapes (Tables 1 and 5)")
var shapeTable = Table(["model", "blocks", "hidden d", "MLP width", "heads", "k/v heads", "k, v outputs", "base parameters"])
for m in ModelShape.paperModels {
    shapeTable.row([m.name, "\(m.layers)", Format.count(m.hidden), Format.count(m.intermediate), "\(m.heads)",
                    "\(m.keyValueHeads)", Format.count(m.keyValueWidth), Format.count(m.parameterCount)])
}
lesson.show(shapeTable)

let loraR1 = PaperCounts.loraR1
let countRows = PaperCounts.rows  // Tables 1, 3 and 5: model, sites, method, the paper's count (PaperCounts.swift)
var countTable = Table(["model", "sites", "method", "sites × blocks", "ours (exact)", "paper"])
for (model, set, name, method, paper) in countRows {
    let count = model.trainableCount(method, sites: set)
    countTable.row([model.name, set == .all ? "all linear" : "Q,V", name,
                    "\(model.blockSites(set).count) × \(model.layers)", Format.count(count), paper])
}
lesson.show(countTable)
let m4 = ModelShape.gpt2Medium.trainableCount(.lora(rank: 4, c: 1), sites: .queryValue)
let l4 = ModelShape.gpt2Large.trainableCount(.lora(rank: 4, c: 1), sites: .queryValue)
let nola70 = ModelShape.llama2_70B.trainableCount(PaperCounts.nolaLLaMA(512), sites: .all)
let lora70 = ModelShape.llama2_70B.trainableCount(loraR1, sites: .all)
lesson.say("""
    Every count the paper computes for its own method and for LoRA r=1 is the shapes' count, to the \
    last digit. The one exception is LoRA r=4: the shapes give \(Format.count(m4)) (GPT-2 M) and \
    \(Format.count(l4)) (GPT-2 L), but Table 1 prints 0.35M and 0.77M — figures carried over from the \
    LoRA paper's table rather than counted (4 × 98,304 is not 350,000). NOLA's counts ignore the \
    shapes: k = l = 1000 per site, 2 sites (Q, V) per block, is 4,000 per block, so 96,000 over \
    GPT-2 M's 24 blocks and 144,000 over GPT-2 L's 36. On LLaMA-2 70B, NOLA trains \
    \(Format.count(nola70)) numbers against LoRA r=1's \(Format.count(lora70)): \
    \(Format.percent(1 - Double(nola70) / Double(lora70), 1)) fewer (the paper: ↓95%).
    """)
comparisons.append(Comparison("Table 1 counts, LoRA r=1 and NOLA (GPT-2 M/L)", paper: "0.098M 0.184M; 0.096M…0.036M",
                              ours: "98,304 184,320; 96,000…36,000", note: "equal"))
comparisons.append(Comparison("Table 1, LoRA r=4 (GPT-2 M / L)", paper: "0.35M / 0.77M",
                              ours: "\(Format.count(m4)) / \(Format.count(l4))", note: "paper copies the LoRA paper's figures"))
comparisons.append(Comparison("Table 5, LoRA r=1 / NOLA (LLaMA-2 70B)", paper: "12.94M / 0.57M",
                              ours: "\(Format.count(lora70)) / \(Format.count(nola70))", note: "equal (GQA: k, v are 8192→1024)"))

// MARK: - 2. Bytes on disk, and 10,000 LLaMA-2 70B variants on one GPU
// We write real adapter files (`AdapterFile`, safetensors) of the right shapes for LLaMA-2 70B —
// LoRA r=1's A and B, NOLA's α and β — at 16 bits (f16) and as 8- and 4-bit codes with one
// float scale per tensor, read each back, and weigh it. The file holds the coefficients and
// its header: the metadata (seed, method, the 560 sites with their shapes) and the tensor index.
lesson.cell(2, "Bytes on disk, and 10,000 LLaMA-2 70B variants on one GPU")
let llama = ModelShape.llama2_70B
let storageMethods: [(name: String, method: AdapterMethod, color: Color)] = [
    ("LoRA r=1 (\(millions(lora70, 2)))", .lora(rank: 1, c: 16), .lora),
    ("NOLA k=l=512 (\(millions(nola70, 2)))", PaperCounts.nolaLLaMA(512), .nola),
]
let adapterBits = [16, 8, 4]
let fileBytes = AdapterFiles.measuredBytes(of: storageMethods.map(\.method), for: llama, bits: adapterBits, seed: lesson.seed)  // method → bits
var bytesTable = Table(["LLaMA-2 70B adapter", "bits", "file", "of which numbers", "header and scales", "bytes per number"])
for (i, entry) in storageMethods.enumerated() {
    let count = i == 0 ? lora70 : nola70
    for (j, bits) in adapterBits.enumerated() {
        let numbers = count * bits / 8
        bytesTable.row([entry.name, "\(bits)", Format.bytes(fileBytes[i][j]), Format.bytes(numbers),
                        Format.bytes(fileBytes[i][j] - numbers), Format.fixed(Double(fileBytes[i][j]) / Double(count), 3)])
    }
}
lesson.show(bytesTable)

// How many adapters fit beside the base: (GPU − base) / adapter. The base is 68,976,648,192
// weights at 4 or 8 bits (no scales: the claim's assumption); a GPU's "48 GB" is 48 GiB.
let baseWeights = Double(llama.parameterCount)
let gpus = [24, 48, 80]
@MainActor func fitting(gpu: Int, baseBits: Int, adapterBytes: Int) -> Int {
    AdapterFiles.fitting(gpuGiB: gpu, baseWeights: baseWeights, baseBits: baseBits, adapterBytes: adapterBytes)
}
var fitTable = Table(["GPU", "base bits", "base", "LoRA r=1 @16", "NOLA @16", "NOLA @8", "NOLA @4"])
for gpu in gpus {
    for baseBits in [4, 8] {
        let base = baseWeights * Double(baseBits) / 8
        let counts = [fileBytes[0][0], fileBytes[1][0], fileBytes[1][1], fileBytes[1][2]].map {
            fitting(gpu: gpu, baseBits: baseBits, adapterBytes: $0)
        }
        fitTable.row(["\(gpu) GiB", "\(baseBits)", gigabytes(base)]
                     + counts.map { base > Double(gpu) * 1_073_741_824 ? "base does not fit" : Format.count($0) })
    }
}
lesson.show(fitTable)

// The claim's own arithmetic, then ours, then what it leaves out.
let claimBase = 70e9 * 0.5, claimAdapters = 10_000 * 0.57e6 * 2
let ourBase = baseWeights * 0.5
let ourAdapters = 10_000 * Double(fileBytes[1][0])
let ourCoefficients = 10_000 * Double(nola70) * 2
let gpu48 = 48 * 1_073_741_824.0
let headroom = gpu48 - ourBase - ourCoefficients
let kvPerToken = Double(2 * llama.layers * llama.keyValueWidth * 2)  // K and V, 16 bits, every block
let baseScales = baseWeights * 16 / 64 / 8  // one 16-bit scale per 64 weights, as 4-bit formats store
lesson.facts([
    ("the claim", "70B × 4 bits ≈ \(gigabytes(claimBase)); 10,000 × 0.57M × 16 bits ≈ \(gigabytes(claimAdapters)); sum \(gigabytes(claimBase + claimAdapters)) < 48 GB"),
    ("ours, exact shapes", "\(gigabytes(ourBase)) + 10,000 × \(Format.count(nola70)) × 2 B = \(gigabytes(ourCoefficients)); sum \(gigabytes(ourBase + ourCoefficients)) of \(gigabytes(gpu48))"),
    ("as 10,000 files", "10,000 × \(Format.bytes(fileBytes[1][0])) = \(gigabytes(ourAdapters)) (the headers are \(Format.percent(1 - Double(nola70 * 2) / Double(fileBytes[1][0]), 0)) of each file)"),
    ("left over for the rest", "\(gigabytes(headroom)) — no more than \(Format.count(Int(headroom / kvPerToken))) tokens of KV cache (\(Format.bytes(Int(kvPerToken))) per token, 16 bits)"),
    ("4-bit base with scales", "one 16-bit scale per 64 weights adds \(gigabytes(baseScales)): \(gigabytes(ourBase + baseScales + ourCoefficients)) in all"),
])
let claimHolds = ourBase + ourCoefficients < gpu48
lesson.say("""
    The table counts whole files, header included. By the coefficients alone the claim holds: \(Format.count(fitting(gpu: 48, baseBits: 4, adapterBytes: nola70 * 2))) \
    NOLA adapters' 16-bit coefficients fit beside a 4-bit LLaMA-2 70B in 48 GiB, against \
    \(Format.count(fitting(gpu: 48, baseBits: 4, adapterBytes: lora70 * 2))) LoRA r=1 adapters. It leaves out: \
    the KV cache (a running sequence holds \(Format.bytes(Int(kvPerToken))) per token, so \(gigabytes(headroom)) of \
    headroom serves about \(Format.count(Int(headroom / kvPerToken))) tokens in flight across all variants), \
    activations and the framework's workspace, the 4-bit format's own scales (+\(gigabytes(baseScales)) at one \
    16-bit scale per 64 weights, which alone brings the total to \(gigabytes(ourBase + baseScales + ourCoefficients))), \
    the basis NOLA regenerates (on the fly: one tile; held whole, a 16-rank basis of 512 matrices per shape is \
    several GB), and the time to switch (cell 4). "Store" 10,000 variants: yes. "Run" them: one or a few at a \
    time, each switch rebuilding A and B from its seed.
    """)

var bitsFigure = Figure("adapters_per_gpu", title: "LLaMA-2 70B adapters beside a 4-bit base (cf. the 10,000-variant claim)",
                        x: "bits per stored number (16 = f16; 8, 4 = codes + one scale per tensor)", y: "adapter files that fit (count)")
bitsFigure.logY = true
bitsFigure.xTics = adapterBits.map { (Double($0), "\($0)") }
bitsFigure.xRange = 3...17
bitsFigure.yRange = 100...1_000_000
bitsFigure.legend = .topRight
for (i, entry) in storageMethods.enumerated() {
    for (gpu, baseBits, dashed) in [(80, 4, true), (48, 4, false)] {
        bitsFigure.add(.lines("\(entry.name), \(gpu) GiB, \(baseBits)-bit base", x: adapterBits.map(Double.init),
                              y: fileBytes[i].map { Double(fitting(gpu: gpu, baseBits: baseBits, adapterBytes: $0)) },
                              color: entry.color, dashed: dashed))
    }
}
bitsFigure.annotate(.horizontalLine(y: 10_000, label: "10,000 (the claim)", color: .gray))
lesson.save(bitsFigure)
comparisons.append(Comparison("10,000 NOLA variants beside a 4-bit 70B, 48 GB", paper: "\"more than 10,000\"",
                              ours: "\(Format.count(fitting(gpu: 48, baseBits: 4, adapterBytes: nola70 * 2))) (weights only)",
                              note: claimHolds ? "holds for storage; KV cache and base scales not counted" : "does not hold"))

// MARK: - 3. Training time and memory at GPT-2 L width (Table 2)
// GPT-2 L blocks alone (`TransformerStack`: d = 1,280, 20 heads, causal), Q and V adapted, the
// paper's 144K budget: 144,000 / 36 blocks = 4,000 per block = 2 sites × (k + l), so k = l =
// 1,000 per site, rank 8. Each step: forward, a stand-in loss, backward, Adam. Memory is the peak
// resident set of building and training each method alone; time is measured with the methods
// interleaved, round by round, on one shared base, and each NOLA step is divided by the LoRA
// step of the same round (the machine is shared: ratios within a round are what we trust).
lesson.cell(3, "Training time and memory at GPT-2 L width (Table 2)")
let width = 1280, heads = 20
let blocks = 1  // the ratios are per block; 36 GPT-2 L blocks would not fit a classroom run
let sequenceLength = scale.pick(quick: 16, standard: 128, full: 128)
let mainSequences = scale.pick(quick: 1, standard: 1, full: 8)
let mainRounds = scale.pick(quick: 2, standard: 5, full: 21)
let sweep: [(sequences: Int, length: Int)] = scale.pick(
    quick: [(1, 8), (1, 16)],
    standard: [(1, 32), (1, 64), (1, 128), (2, 128)],
    full: [(1, 32), (1, 64), (1, 128), (2, 128), (4, 128), (8, 128)])
let sweepRounds = scale.pick(quick: 1, standard: 2, full: 7)
/// The methods the sweep times (indices into `trainingMethods`): on the fly only in --full, its
/// steps are slow here (cell 3's table says how slow).
let sweepMethods = scale.pick(quick: [0, 1, 2], standard: [0, 1, 2], full: [0, 1, 2, 3])
let trainingMethods: [(name: String, short: String, method: AdapterMethod, color: Color)] = [
    ("LoRA r=1", "LoRA", .lora(rank: 1, c: 1), .lora),
    ("NOLA per-layer basis", "per-layer", .nola(rank: 8, k: 1000, l: 1000, c: 1, basis: .perLayer), .nola),
    ("NOLA shared basis", "shared", .nola(rank: 8, k: 1000, l: 1000, c: 1, basis: .shared), .orange),
    ("NOLA on-the-fly basis", "on-the-fly", .nola(rank: 8, k: 1000, l: 1000, c: 1, basis: .onTheFly), .purple),
]
let cpu = CPUFeatures.current
lesson.facts([
    ("machine", "\(cpu.brand.isEmpty ? cpu.vendor : cpu.brand); \(OpenBLASInfo.current.summary)"),
    ("blocks", "\(blocks) of GPT-2 L's 36 (d = \(width), \(heads) heads); Q, V adapted"),
    ("per block", "LoRA r=1: \(Format.count(2 * 2 * width)); NOLA: 2 sites × (1,000 + 1,000) = 4,000"),
    ("tokens per step", "\(mainSequences) × \(sequenceLength) for the table (the paper: batch 8); the sweep up to \(sweep.last!.sequences * sweep.last!.length)"),
])

// One base serves every method (and cell 4): `StepBench` measures the bare base's memory, then
// each method's alone on top of it, and keeps each method's adapters aside to swap them in.
let bench = StepBench(blocks: blocks, width: width, heads: heads, methods: trainingMethods,
                      sequences: mainSequences, length: sequenceLength, seed: lesson.seed)
let progress = lesson.progress("training steps", total: trainingMethods.count + mainRounds + sweep.count * sweepRounds)
bench.measureMemory { progress.advance(note: $0) }
let (baseBytes, peakBytes, basisBytes) = (bench.baseBytes, bench.peakBytes, bench.basisBytes)
let mainRun = bench.interleaved(sequences: mainSequences, length: sequenceLength, rounds: mainRounds,
                                methods: Array(trainingMethods.indices)) { progress.advance() }
var sweepRatios: [[Double]] = [[], [], []]  // NOLA method → tokens
for (sequences, length) in sweep {
    let result = sequences == mainSequences && length == sequenceLength ? mainRun
        : bench.interleaved(sequences: sequences, length: length, rounds: sweepRounds, methods: sweepMethods) { progress.advance() }
    for m in 0..<3 where sweepMethods.contains(m + 1) { sweepRatios[m].append(median(result.cpuRatios[m])) }
}
progress.finish()

let paperMs = [776.0, 834, 779, .nan]
let paperMemory = [33.35, 33.37, 33.40, .nan]
var timeTable = Table(["method", "trainable", "wall ms per step (median, min–max)", "÷ LoRA, wall", "÷ LoRA, CPU time", "paper ms", "paper ÷ LoRA",
                       "peak memory", "÷ LoRA", "extra over LoRA", "basis held", "paper memory"])
for (m, entry) in trainingMethods.enumerated() {
    let ms = mainRun.seconds[m].map { 1000 * $0 }
    let trainable = blocks * 2 * entry.method.trainableCount(inputs: width, outputs: width)
    timeTable.row([
        entry.name, Format.count(trainable),
        "\(Format.fixed(median(ms), 1)) (\(Format.fixed(ms.min()!, 1))–\(Format.fixed(ms.max()!, 1)))",
        m == 0 ? "1" : ratioText(mainRun.ratios[m - 1]), m == 0 ? "1" : ratioText(mainRun.cpuRatios[m - 1]),
        paperMs[m].isNaN ? "—" : Format.fixed(paperMs[m], 0),
        paperMs[m].isNaN ? "—" : Format.fixed(paperMs[m] / paperMs[0], 3),
        Format.bytes(peakBytes[m]), Format.fixed(Double(peakBytes[m]) / Double(peakBytes[0]), 3),
        m == 0 ? "—" : Format.bytes(peakBytes[m] - peakBytes[0]), Format.bytes(basisBytes[m]),
        paperMemory[m].isNaN ? "—" : "\(Format.fixed(paperMemory[m], 2)) GB (\(Format.fixed(paperMemory[m] / paperMemory[0], 4)))",
    ])
}
lesson.show(timeTable)
let perLayerRatio = median(mainRun.cpuRatios[0]), sharedRatio = median(mainRun.cpuRatios[1]), flyRatio = median(mainRun.cpuRatios[2])
lesson.say("""
    Ratios are per round (median, and the range over rounds); by CPU time, the steadier measure on a \
    shared machine. \(blocks) block\(blocks == 1 ? "" : "s") at \(mainSequences) × \(sequenceLength) tokens per step, \(mainRounds) \
    interleaved rounds: NOLA with a per-layer basis takes \(Format.fixed(perLayerRatio, 3))× LoRA's step, shared \
    \(Format.fixed(sharedRatio, 3))×, on the fly \(Format.fixed(flyRatio, 3))× (the paper, on a GPU with batch 8: \
    1.075 non-shared, 1.004 shared). Per-layer and shared run the same arithmetic here (combine the basis \
    into A and B, project dA and dB back); they differ in memory: a basis of 1,000 rank-8 matrices per \
    factor is \(Format.bytes(2 * 1000 * 8 * width * 4)) per site, held per site or once per shape. The paper's \
    memory column (+0.02 GB non-shared, +0.05 GB shared) says its non-shared basis was not held per layer \
    — 72 sites would need \(Format.bytes(72 * 2 * 1000 * 8 * width * 4)) — but regenerated for each layer, as our \
    on-the-fly mode does: that is where its extra 7.5% of time goes. Our shared basis adds \
    \(Format.bytes(peakBytes[2] - peakBytes[0])) to the peak: on the paper's 33.35 GB that would be \
    ×\(Format.fixed((33.35e9 + Double(peakBytes[2] - peakBytes[0])) / 33.35e9, 4)) (the paper: ×1.0015). \
    The base here is one block and its activations (\(Format.bytes(baseBytes))), so the ratios of the \
    peaks themselves are far from the paper's.
    """)
comparisons.append(Comparison("Table 2 time ÷ LoRA, non-shared", paper: "834/776 = 1.075",
                              ours: "per-layer \(Format.fixed(perLayerRatio, 3)), on the fly \(Format.fixed(flyRatio, 3))",
                              note: "CPU time, \(mainSequences)×\(sequenceLength) tokens, \(blocks) block"))
comparisons.append(Comparison("Table 2 time ÷ LoRA, shared", paper: "779/776 = 1.004", ours: Format.fixed(sharedRatio, 3),
                              note: "basis cost is fixed per step; the paper's steps are larger"))
let sharedExtra = Double(peakBytes[2] - peakBytes[0])  // one basis per shape: the same at 36 blocks
comparisons.append(Comparison("Table 2 memory ÷ LoRA, shared", paper: "33.40/33.35 = 1.0015 (+50 MB)",
                              ours: "+\(Format.bytes(Int(sharedExtra))): ×\(Format.fixed((33.35e9 + sharedExtra) / 33.35e9, 4)) on 33.35 GB",
                              note: "our base is one block; the extra, one basis per shape, does not grow with depth"))

let tokens = sweep.map { Double($0.sequences * $0.length) }
lesson.save(Figures.timeRatio(tokens: tokens, ratios: sweepRatios, methods: trainingMethods, timed: sweepMethods))
lesson.say("""
    The basis costs the same at every batch size (combine and project once per step), while the \
    model's own products grow with the tokens: the ratio falls toward 1 as the step grows \
    (plots/lesson13/time_ratio_vs_tokens.png).
    """)
bench.release()

// MARK: - 4. Serving many adapters from one base
// One GPT-2 L block, Q and V: N adapters trained from one root seed share the basis and A₀ of
// each site, so a NOLA adapter is its coefficients: 4,000 numbers per block. A server holds the
// coefficients (`NOLACoefficientBank`), and to serve adapter i builds A_i, B_i — from a basis it
// holds, or regenerated from the seed — or keeps the factors of the hottest adapters in a
// `FactorCache`. LoRA holds every adapter's A and B. Serving unmerged (`PerSequenceAdapters`) lets
// every sequence of a batch use its own adapter: y_b = x_b Wᵀ + (c/r)(x_b A_bᵀ) B_bᵀ.
lesson.cell(4, "Serving many adapters from one base")
let adapterCount = scale.pick(quick: 1000, standard: 10_000, full: 10_000)
let serveSequences = scale.pick(quick: 4, standard: 8, full: 8)
let serveLength = scale.pick(quick: 16, standard: 32, full: 64)
let serveRounds = scale.pick(quick: 3, standard: 4, full: 21)
let switches = scale.pick(quick: 2, standard: 8, full: 30)
let servingBlock = bench.stack.blocks[0]
let serveMask = StepBench.mask(serveSequences, serveLength)
let qv = servingBlock.adapterSites.filter { $0.name.hasSuffix(".q") || $0.name.hasSuffix(".v") }
let servingNOLA = AdapterMethod.nola(rank: 8, k: 1000, l: 1000, c: 1, basis: .shared)
@MainActor func template(_ site: AdapterSite, onTheFly: Bool) -> NOLAAdapter {
    ServingAdapters.nola(site, seed: lesson.seed, onTheFly: onTheFly)
}
// Q and V have one shape, (1,280 × 1,280), so one held basis serves both (`BasisSeeds`).
let heldBasis = template(qv[0], onTheFly: false)
let heldBanks = qv.map { site in
    NOLACoefficientBank(template: NOLAAdapter(
        name: site.name, a0: template(site, onTheFly: true).a0.value, basisA: heldBasis.basisA, basisB: heldBasis.basisB, c: 1))
}
let heldBasisBytes = 4 * (heldBasis.basisA.residentFloats + heldBasis.basisB.residentFloats + qv.count * heldBasis.a0.count)
let seedBanks = qv.map { NOLACoefficientBank(template: template($0, onTheFly: true)) }
/// LoRA r=1 adapter i of site s: A (1 × 1,280) then B (1,280 × 1), one flat array per site.
var loraValues: [[Float]] = []
let (_, fillSeconds) = timed {
    for s in qv.indices {
        var values = RandomStream(seed: lesson.seed, stream: 40 + UInt64(s)).symmetric(adapterCount * 2000)
        BLAS.scal(0.01, &values)
        heldBanks[s].append(contentsOf: values)
        seedBanks[s].append(contentsOf: values)
        loraValues.append(RandomStream(seed: lesson.seed, stream: 50 + UInt64(s)).symmetric(adapterCount * 2 * width))
    }
}
@MainActor func loraFactors(_ s: Int, _ i: Int) -> LowRankFactors { ServingAdapters.lora(loraValues[s], index: i, width: width) }
let caches = heldBanks.map { bank in FactorCache(capacity: 64) { bank.factors(of: $0) } }
lesson.say("\(Format.count(adapterCount)) NOLA and \(Format.count(adapterCount)) LoRA r=1 adapters made for the block's two sites in \(Format.seconds(fillSeconds)).")

// (a) Switching to adapter i: what it takes to have its A and B (both sites of the block).
let picks = RandomStream(seed: lesson.seed, stream: 60).uniform(switches).map { min(adapterCount - 1, Int($0 * Float(adapterCount))) }
@MainActor func medianSeconds(_ body: (Int) -> Void) -> Double {
    median(picks.map { i in timed { body(i) }.seconds })
}
let loraSwitch = medianSeconds { i in for s in qv.indices { _ = loraFactors(s, i) } }
let heldSwitch = medianSeconds { i in for s in qv.indices { _ = heldBanks[s].factors(of: i) } }
let seedSwitch = medianSeconds { i in for s in qv.indices { _ = seedBanks[s].factors(of: i) } }
for s in qv.indices { _ = caches[s].factors(picks[0]) }
let cachedSwitch = median((0..<switches).map { _ in timed { for s in qv.indices { _ = caches[s].factors(picks[0]) } }.seconds })
let mergeSwitch = medianSeconds { i in
    for (s, site) in qv.enumerated() {
        var w = site.layer.weight.value.rows(site.outputRange)
        BLAS.axpy(1, heldBanks[s].factors(of: i).deltaWeight(), &w)
    }
}
// A full fine-tuned copy of the block: read its weights from a checkpoint file.
var (copySeconds, copyBytes) = (Double.nan, 0)
do {
    (copySeconds, copyBytes) = try ServingAdapters.copyLoadSeconds(servingBlock.baseParameters, repeats: max(2, switches / 3))
} catch {
    lesson.warn("\(error)")
}

let perAdapterNOLA = heldBanks.reduce(0) { $0 + $1.coefficientsPerAdapter } * 4
let perAdapterLoRA = qv.count * 2 * width * 4
let perAdapterFactorsNOLA = 2 * 8 * (width + width) * 4
var switchTable = Table(["to switch to adapter i (one block, Q and V)", "time per switch", "held per adapter", "held once"])
switchTable.row(["LoRA r=1: factors in memory", Format.seconds(loraSwitch), Format.bytes(perAdapterLoRA), "—"])
switchTable.row(["NOLA: build A, B from a held basis", Format.seconds(heldSwitch), Format.bytes(perAdapterNOLA),
                 Format.bytes(heldBasisBytes) + " (one basis for Q and V's shape, and two A₀)"])
switchTable.row(["NOLA: regenerate the basis from the seed", Format.seconds(seedSwitch), Format.bytes(perAdapterNOLA),
                 Format.bytes(seedBanks[0].sharedBytes + seedBanks[1].sharedBytes)])
switchTable.row(["NOLA: factors from a 64-adapter cache (hit)", Format.seconds(cachedSwitch), Format.bytes(perAdapterNOLA),
                 Format.bytes(64 * perAdapterFactorsNOLA) + " (cache)"])
switchTable.row(["merge into W (W + ΔW, for merged serving)", Format.seconds(mergeSwitch), "—", "—"])
let copyTime = copySeconds.isFinite ? Format.seconds(copySeconds) : "not measured (see the warning)"
switchTable.row(["load a full fine-tuned copy of the block", copyTime, Format.bytes(copyBytes), "—"])
lesson.show(switchTable)
lesson.say("""
    For all 36 blocks of GPT-2 L multiply by 36: a NOLA switch from the seed is about \
    \(Format.seconds(36 * seedSwitch)), from a held basis \(Format.seconds(36 * heldSwitch)); a full copy \
    is \(Format.bytes(36 * copyBytes)) to read\(copySeconds.isFinite ? ", \(Format.seconds(36 * copySeconds)) from the page cache" : "").
    """)

// (b) A batch where every sequence has its own adapter, against one merged adapter.
let servingBatch = Matrix(rows: serveSequences * serveLength, cols: width,
                          data: RandomStream(seed: lesson.seed, stream: 70).symmetric(serveSequences * serveLength * width))
let perSequence = qv.map { site in
    PerSequenceAdapters(inputs: site.inputs, outputs: site.outputs, rowsPerSequence: serveLength, factors: [])
}
for (s, site) in qv.enumerated() { site.attach(perSequence[s]) }
let slices = servingBlock.attention.cAttn.adapter
let batchAdapters = Array(picks.prefix(serveSequences)) + (0..<max(0, serveSequences - picks.count)).map { $0 }
let servingModes: [(name: String, prepare: @MainActor () -> Void)] = [
    ("one adapter, merged into W", { servingBlock.attention.cAttn.adapter = nil }),
    ("one adapter for all, unmerged (LoRA r=1)", {
        servingBlock.attention.cAttn.adapter = slices
        for s in qv.indices { perSequence[s].factors = Array(repeating: loraFactors(s, 0), count: serveSequences) }
    }),
    ("own LoRA r=1 per sequence, unmerged", {
        servingBlock.attention.cAttn.adapter = slices
        for s in qv.indices { perSequence[s].factors = batchAdapters.map { loraFactors(s, $0) } }
    }),
    ("own NOLA per sequence, factors cached", {
        servingBlock.attention.cAttn.adapter = slices
        for s in qv.indices { perSequence[s].factors = batchAdapters.map { caches[s].factors($0) } }
    }),
    ("own NOLA per sequence, built from a held basis", {
        servingBlock.attention.cAttn.adapter = slices
        for s in qv.indices { perSequence[s].factors = batchAdapters.map { heldBanks[s].factors(of: $0) } }
    }),
]
var serveSeconds = [[Double]](repeating: [], count: servingModes.count)
for mode in servingModes { mode.prepare(); _ = servingBlock.forward(servingBatch, mask: serveMask) }
for round in 0..<serveRounds {
    for i in servingModes.indices {
        let m = (i + round) % servingModes.count
        serveSeconds[m].append(timed { servingModes[m].prepare(); _ = servingBlock.forward(servingBatch, mask: serveMask) }.seconds)
    }
}
servingBlock.attention.cAttn.adapter = nil
let servedTokens = Double(serveSequences * serveLength)
let blockWeightBytes = servingBlock.baseParameters.reduce(0) { $0 + $1.count } * 4
var serveTable = Table(["a batch of \(serveSequences) × \(serveLength) tokens, one block", "tokens/s (median, range)", "÷ merged",
                        "adapter memory for N = \(Format.count(adapterCount))"])
let adapterMemory = [adapterCount * blockWeightBytes, perAdapterLoRA, adapterCount * perAdapterLoRA,
                     adapterCount * perAdapterNOLA + 64 * perAdapterFactorsNOLA + heldBasisBytes, adapterCount * perAdapterNOLA + heldBasisBytes]
for (m, mode) in servingModes.enumerated() {
    let rates = serveSeconds[m].map { servedTokens / $0 }
    serveTable.row([mode.name, "\(Format.rate(median(rates))) (\(Format.rate(rates.min()!))–\(Format.rate(rates.max()!)))",
                    Format.fixed(median(serveSeconds[0]) / median(serveSeconds[m]), 3),
                    m == 0 ? "\(Format.bytes(adapterMemory[0])) (a merged copy of the block each)"
                        : m == 1 ? "\(Format.bytes(adapterMemory[1])) (that one adapter)" : Format.bytes(adapterMemory[m])])
}
lesson.show(serveTable)

// Memory against N, for GPT-2 L's 36 blocks: what each way of holding N adapters keeps.
lesson.save(Figures.memory(perAdapterLoRA: perAdapterLoRA, perAdapterNOLA: perAdapterNOLA, perFactorSet: perAdapterFactorsNOLA,
                           sharedBytes: seedBanks[0].sharedBytes + seedBanks[1].sharedBytes))
lesson.say("""
    At N = 10,000, GPT-2 L's adapters take \(Format.bytes(36 * 10_000 * perAdapterLoRA)) as LoRA r=1 factors and \
    \(Format.bytes(36 * 10_000 * perAdapterNOLA)) as NOLA coefficients in fp32 (half that at 16 bits): only 0.78× \
    at GPT-2 L, where NOLA's 144K is close to LoRA r=1's 184K; on LLaMA-2 70B the same ratio is \
    \(Format.fixed(Double(nola70) / Double(lora70), 3))×. The price is the switch: NOLA must build A and B \
    (rank 8, four times LoRA r=1's factors here) before a sequence can use its adapter.
    """)
comparisons.append(Comparison("serving, per-sequence adapters vs merged", paper: "— (merging: no overhead)",
                              ours: "\(Format.fixed(median(serveSeconds[0]) / median(serveSeconds[2]), 3))× merged throughput (LoRA), \(Format.fixed(median(serveSeconds[0]) / median(serveSeconds[3]), 3))× (NOLA cached)",
                              note: "unmerged adds 2·T·r·(in+out) per sequence"))

// MARK: - 5. Assumptions
// What the numbers above rest on.
lesson.cell(5, "Assumptions")
lesson.say("""
    - Shapes: GPT-2 M/L as released (GPTConfiguration), LLaMA-2 from its released configurations \
    (7B: 32 × 4,096, MLP 11,008; 13B: 40 × 5,120, 13,824; 70B: 80 × 8,192, 28,672, 8 k/v heads).
    - Table 5's sites: q, k, v, o, gate, up, down of every block (the paper: "Query, Key, Value and \
    Output projections and MLP layers"); no embedding or head.
    - Storage: 16 bits = f16; 8 and 4 bits = symmetric codes with one f32 scale per tensor (lesson 10); \
    a 4-bit base with no scales (the claim's 70B × 0.5 byte), GPU memory as 24/48/80 GiB, all usable.
    - Timing: \(blocks) block of GPT-2 L, a softmax over the 1,280 outputs as a stand-in loss, Adam, \
    fp32 on a shared 2-core CPU; ratios within a round; the paper: GPT-2 L, batch 8, one GPU.
    - Serving: one block, adapters sharing a root seed (so a basis per shape), coefficients in fp32.
    """)

lesson.finish(paperVsOurs: comparisons)
