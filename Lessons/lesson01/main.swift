// Lesson 1 — Random numbers you can regenerate
//
// Follows: NOLA paper, Section 3 — "to store ΔW for a specific task, we only need to retain the
// seed (a single scalar) and the coefficient vectors α and β", and its "Memory Efficiency"
// paragraph: the basis is generated in chunks on the fly, used, and discarded.
//
// What you will learn:
//   - why NOLA stores one 8-byte seed instead of its random basis, in numbers;
//   - Philox4x32-10, a counter-based generator: output = keyed hash(counter), checked live
//     against the published known answers;
//   - random access: any chunk of a stream regenerates alone, bit for bit;
//   - uniform → normal with Box–Muller, and a histogram against the Gaussian density;
//   - how fast this runs: one Philox block at a time vs SIMD lanes (portable, AVX2, AVX-512:
//     every kernel the CPU can run), against Swift's SystemRandomNumberGenerator and the C
//     library's random().
//
// Run:
//   swift run lesson01             classroom run (a few seconds)
//   swift run lesson01 --quick     smoke run (CI)
//   swift run lesson01 --full      more samples, longer timings
//   swift run -c release lesson01  the speed table as a release build measures it
// Figures: plots/lesson01/normal_histogram.png, plots/lesson01/throughput.png

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson01", abstract: "Lesson 01 — Random numbers you can regenerate: Philox, random access, Box–Muller (paper §3).")
    @OptionGroup var common: CommonOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(
    number: 1, title: "Random numbers you can regenerate",
    follows: "paper Section 3 (store the seed) and its Memory Efficiency paragraph", options: options.common)

// MARK: - 1. Why NOLA stores a seed, not its basis

// NOLA writes a layer's low-rank factors as A = Σ αᵢ Aᵢ and B = Σ βⱼ Bⱼ over frozen random
// matrices Aᵢ: (r, in) and Bⱼ: (out, r). Only α and β are trained. If the basis can be
// regenerated from a seed, the seed is all we have to keep besides α and β.
lesson.cell(1, "Why NOLA stores a seed, not its basis")

let (inputs, outputs, rank, k, l) = (784, 256, 4, 16, 16)
let basisA = k * (rank * inputs)  // k matrices Aᵢ: (r, in)
let basisB = l * (outputs * rank)  // l matrices Bⱼ: (out, r)
lesson.say(
    """
    A rank-\(rank) NOLA adapter on a \(inputs)→\(outputs) layer with k = l = \(k) keeps \(k) random
    matrices Aᵢ of shape (\(rank), \(inputs)) and \(l) matrices Bⱼ of shape (\(outputs), \(rank)):
    """)
var storage = Table(["what", "floats", "bytes"])
storage.row(["basis A: k·(r·in) = \(k)·(\(rank)·\(inputs))", Format.count(basisA), Format.bytes(4 * basisA)])
storage.row(["basis B: l·(out·r) = \(l)·(\(outputs)·\(rank))", Format.count(basisB), Format.bytes(4 * basisB)])
storage.row(["whole basis", Format.count(basisA + basisB), Format.bytes(4 * (basisA + basisB))])
storage.row(["one Philox seed (UInt64)", "—", Format.bytes(8)])
storage.row(["coefficients α, β (trained)", Format.count(k + l), Format.bytes(4 * (k + l))])
lesson.show(storage)

// Regenerating the basis from the seed gives the same bits every time: that is the whole deal.
let seed = lesson.seed
let first = RandomStream(seed: seed, stream: 1).symmetric(basisA)
let again = RandomStream(seed: seed, stream: 1).symmetric(basisA)
lesson.say(
    """

    The basis takes \(Format.count(4 * (basisA + basisB) / 8)) times the bytes of the seed. Generate the \
    A basis twice from seed \(seed): identical bits? \(first.map(\.bitPattern) == again.map(\.bitPattern) ? "yes" : "NO").
    This only works if the generator is exact and fixed — never the platform's RNG, whose
    algorithm may change between versions.
    """)

// MARK: - 2. Philox: a keyed hash of a counter

// Philox4x32-10 (Salmon et al., SC'11) maps a 128-bit counter and a 64-bit key to 128 random
// bits through ten rounds of multiply, swap and xor. Output n is philox(n, key): there is no
// state to carry, so block n needs none of the blocks before it.
lesson.cell(2, "Philox: a keyed hash of a counter")
lesson.say(
    """
    One round on four 32-bit words (c0, c1, c2, c3) with key (k0, k1):

        (hi0, lo0) = 0xD2511F53 · c0        (hi1, lo1) = 0xCD9E8D57 · c2
        (c0, c1, c2, c3) ← (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
        key += (0x9E3779B9, 0xBB67AE85)     (golden ratio and √3 − 1, times 2³²)

    Ten rounds make one block. Salmon et al. published known answers; here they are, live:
    """)

func hex4(_ v: SIMD4<UInt32>) -> String {
    (0..<4).map { String(format: "%08x", v[$0]) }.joined(separator: " ")
}
let knownAnswers: [(String, SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
    ("zeros", .zero, .zero, SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
    ("all ones", SIMD4(repeating: 0xffff_ffff), SIMD2(repeating: 0xffff_ffff),
     SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
    ("digits of π", SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
     SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
]
var kat = Table(["vector", "counter", "key", "Philox output", "published"])
for (name, counter, key, published) in knownAnswers {
    let out = Philox4x32.block(counter: counter, key: key)
    kat.row([name, hex4(counter), String(format: "%08x %08x", key.x, key.y), hex4(out), out == published ? "✓ equal" : "✗ DIFFERS"])
}
lesson.show(kat)

// A good hash flips about half the output bits when the input changes by one bit.
let block0 = Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(UInt32(truncatingIfNeeded: seed), 0))
let block1 = Philox4x32.block(counter: SIMD4(1, 0, 0, 0), key: SIMD2(UInt32(truncatingIfNeeded: seed), 0))
let flipped = (0..<4).map { (block0[$0] ^ block1[$0]).nonzeroBitCount }.reduce(0, +)
lesson.say(
    """

    Counter 0 and counter 1 differ in one bit; their outputs differ in \(flipped) of 128 bits
    (a fair coin would give 64 ± 6).

    A stream of NOLAKit's RandomStream(seed:stream:) is this hash with key = seed and counter =
    (block index, stream id): word p is word p mod 4 of block p / 4, and a float in [0, 1) is
    the word's top 24 bits times 2⁻²⁴.
    """)

// MARK: - 3. Random access: regenerate any chunk alone

// The paper generates the basis in chunks during training and throws each chunk away. With a
// counter-based generator, chunk i is simply the words [i·size, (i+1)·size): no need to run
// through chunks 0 … i−1 first.
lesson.cell(3, "Random access: regenerate any chunk alone")

let stream = RandomStream(seed: seed, stream: 1)
let chunk = 4096
let whole = stream.symmetric(basisA)  // the A basis above, all at once
var access = Table(["piece of the A basis", "words", "regenerated alone", "first value"])
for (label, start, count) in [
    ("chunk 0", 0, chunk), ("chunk 7", 7 * chunk, chunk), ("last chunk", (basisA / chunk) * chunk, basisA % chunk),
    ("odd piece", 12_345, 1_001), ("one word", 40_001, 1),
] {
    let alone = stream.symmetric(count, from: UInt64(start))
    let same = alone.map(\.bitPattern) == whole[start..<(start + count)].map(\.bitPattern)
    access.row([label, "[\(start), \(start + count))", same ? "bit-identical" : "DIFFERENT", Format.fixed(alone[0], 6)])
}
lesson.show(access)

// The fast fill computes eight blocks at once in SIMD registers; it must agree with the
// one-block-at-a-time reference to the last bit, for any start and length.
var reference = [Float](repeating: 0, count: whole.count)
reference.withUnsafeMutableBufferPointer { stream.referenceFillSymmetric(from: 0, into: $0) }
lesson.say(
    """

    The SIMD fill (eight blocks per step) against the one-block reference over all \
    \(Format.count(basisA)) words: \(reference.map(\.bitPattern) == whole.map(\.bitPattern) ? "bit-identical" : "DIFFERENT").
    """)

// MARK: - 4. From uniform to normal: Box–Muller

// Two independent uniforms u1 ∈ (0, 1], u2 ∈ [0, 1) give two independent standard normals:
// ρ = √(−2 ln u1), z1 = ρ cos 2πu2, z2 = ρ sin 2πu2. NOLAKit's fillNormal uses each block's
// two word pairs this way, so normals have random access too (from any multiple of 4).
lesson.cell(4, "From uniform to normal: Box–Muller")

let sampleCount = lesson.scale.pick(quick: 1 << 16, standard: 1 << 20, full: 1 << 23)
let normals = RandomStream(seed: seed, stream: 2).normal(sampleCount)
var sum = 0.0, sumSquares = 0.0, beyond2 = 0, beyond3 = 0
for z in normals {
    let v = Double(z)
    sum += v
    sumSquares += v * v
    if abs(v) > 2 { beyond2 += 1 }
    if abs(v) > 3 { beyond3 += 1 }
}
let n = Double(sampleCount)
let mean = sum / n
let variance = (sumSquares - n * mean * mean) / (n - 1)
var moments = Table(["statistic", "measured", "N(0, 1)", "standard error"])
moments.row(["mean", Format.fixed(mean, 4), "0", Format.significant(1 / n.squareRoot(), 2)])
moments.row(["variance", Format.fixed(variance, 4), "1", Format.significant((2 / n).squareRoot(), 2)])
moments.row(["P(|z| > 2)", Format.fixed(Double(beyond2) / n, 4), "0.0455", Format.significant((0.0455 * 0.9545 / n).squareRoot(), 2)])
moments.row(["P(|z| > 3)", Format.fixed(Double(beyond3) / n, 4), "0.0027", Format.significant((0.0027 * 0.9973 / n).squareRoot(), 2)])
moments.row(["smallest, largest", Format.fixed(Double(normals.min()!), 2) + ", " + Format.fixed(Double(normals.max()!), 2), "—", ""])
lesson.say("\(Format.count(sampleCount)) normals from seed \(seed), stream 2:")
lesson.show(moments)

var histogram = Figure(
    "normal_histogram", title: "Box–Muller normals from a Philox stream vs N(0, 1) (cf. NOLA Sec. 3)",
    x: "z (standard deviations)", y: "probability density")
histogram.xRange = -4.5...4.5
histogram.yRange = 0...0.5  // room for the legend above the peak (0.399)
histogram.add(.histogram(
    "\(Format.count(sampleCount)) samples, seed \(seed)", samples: normals.map(Double.init), bins: 90,
    range: -4.5...4.5, color: .sky))
let zs = stride(from: -4.5, through: 4.5, by: 0.05).map { $0 }
histogram.add(.lines(
    "N(0, 1) density e^(−z²/2)/√(2π)", x: zs, y: zs.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() },
    markers: false, color: .vermillion))
histogram.legend = .topLeft
lesson.save(histogram)

// MARK: - 5. How fast: scalar vs SIMD, and two yardsticks

// Throughput matters because NOLA regenerates its basis on every training step when the basis is
// not kept in memory. Each generator fills a 256 KiB buffer with uniform floats, again and
// again; we keep the best of a few trials, in CPU time of one thread. The timed loops live in
// NOLAKit (compiled optimized), so a debug build of this lesson measures the same code; use
// `swift run -c release lesson01` for the numbers to quote.
lesson.cell(5, "How fast: scalar vs SIMD, and two yardsticks")

let seconds = lesson.scale.pick(quick: 0.01, standard: 0.1, full: 0.5)
let trials = lesson.scale.pick(quick: 2, standard: 3, full: 5)
// Every Philox kernel this CPU can run, then the two yardsticks. ("best kernel" is one of the
// kernels above it, the one the fills use, so it is not timed twice.)
let generators = RandomThroughput.Generator.allCases.filter { $0 != .philoxSIMD }
var rates: [(RandomThroughput.Generator, Double?)] = []
for generator in generators {
    rates.append((generator, generator.isAvailable
        ? RandomThroughput.floatsPerSecond(generator, seconds: seconds, trials: trials) : nil))
}
let scalarRate = rates.first { $0.0 == .philoxScalar }!.1!
let bestGenerator = RandomThroughput.Generator.usedByFills
let simdRate = rates.first { $0.0 == bestGenerator }!.1!
var speed = Table(["generator", "floats/s (one core)", "vs one-block Philox", "regenerable?"])
for (generator, rate) in rates {
    let name = generator.rawValue + (generator == bestGenerator ? " ← the fills use this" : "")
    guard let rate else {
        speed.row([name, "— (this CPU has no AVX-512)", "—", "yes, any range"])
        continue
    }
    speed.row([name, Format.rate(rate), Format.fixed(rate / scalarRate, 2) + "×", generator.isRegenerable ? "yes, any range" : "no"])
}
lesson.show(speed)
lesson.say(
    """

    The SIMD fill holds four Philox blocks in one 16-lane register and runs two such registers
    side by side; one 32×32→64 multiply instruction computes both products of a block's round. The
    portable engine is compiled for what every x86-64 CPU has (SSE2, 4 lanes per instruction). On
    a CPU with AVX2 (8 lanes) or AVX-512 (16 lanes) the fills switch at run time to small C
    kernels compiled for those extensions alone (Sources/CPhiloxKernels), with the same bits; the
    AVX-512 one is written once with the compiler's vector extensions and also compiled for the
    baseline, so its bits are tested on every machine. A kernel this CPU cannot run is listed
    without a rate. SystemRandomNumberGenerator asks the operating system for entropy on every
    call: fine for keys, far too slow (and not reproducible) for a basis.
    """)

let measured = rates.compactMap { pair in pair.1.map { (pair.0, $0) } }
let labels = measured.map { generator, _ -> String in
    switch generator {
    case .philoxScalar: "Philox, one block"
    case .philoxPortableSIMD: "Philox, portable"
    case .philoxAVX2: "Philox, AVX2"
    case .philoxAVX512: "Philox, AVX-512"
    case .philoxSIMD: "Philox, best"
    case .system: "Swift system RNG"
    case .libcRandom: "C random()"
    }
}
var bars = Figure(
    "throughput", title: "Uniform floats per second, one core (cf. NOLA Sec. 3: basis made on the fly)",
    x: "generator", y: "million floats per second")
let missing = rates.filter { $0.1 == nil }.map { $0.0 == .philoxAVX512 ? "AVX-512" : $0.0.rawValue }
let legend = "M floats/s (best of \(trials) trials)" + (missing.isEmpty ? "" : "; \(missing.joined(separator: ", ")): not on this CPU")
bars.add(.bars(legend, labels: labels, values: measured.map { $0.1 / 1e6 }, color: .blue))
bars.annotate(.horizontalLine(y: 1000, label: "target 1 G/s", color: .vermillion))
bars.annotate(.horizontalLine(y: 200, label: "PyTorch uniform_ ≈ 200 M/s", color: .gray))
bars.legend = .topRight
bars.yRange = 0...(max(1100, (measured.map(\.1).max() ?? 0) / 1e6 * 1.15))
lesson.save(bars)

// MARK: - Paper vs ours

lesson.finish(paperVsOurs: [
    Comparison(
        "stored per adapted layer", paper: "seed and α, β (Sec. 3)",
        ours: "8 B seed + \(k + l) coefficients", note: "basis of \(Format.bytes(4 * (basisA + basisB))) not stored"),
    Comparison(
        "basis made in chunks on the fly", paper: "on the GPU, chunk by chunk",
        ours: "any chunk alone, bit-identical", note: "counter-based: no prefix needed"),
    Comparison(
        "uniform floats/s, one core", paper: "not given; goal ≥ 1 G",
        ours: "SIMD \(Format.rate(simdRate)), one block \(Format.rate(scalarRate))",
        note: "SIMD width decides: \(RandomStream.fillKernel) kernel here (cell 5)"),
    Comparison(
        "vs PyTorch CPU uniform_, numpy Philox", paper: "≈ 0.2 G, ≈ 0.09 G (quoted)",
        ours: Format.fixed(simdRate / 0.2e9, 1) + "×, " + Format.fixed(simdRate / 0.09e9, 1) + "× faster",
        note: "quoted rates, not measured by this lesson"),
])
