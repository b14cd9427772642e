// Lesson 1 — Random numbers you can regenerate
//
// Follows: the paper's §2 (a NOLA adapter is stored as "the seed of the random generator, a
// single scalar" plus its coefficients) and its use of generated random basis matrices.
//
// What you will learn:
//   • why NOLA stores a seed instead of its basis, and what that saves;
//   • Philox4x32-10: a keyed counter hash, so any position of a stream is computed directly;
//   • regenerating one chunk alone gives the very same bits (the on-the-fly basis relies on it);
//   • from uniform to normal numbers (Box–Muller), and how fast each generator is.
//
// Run: swift run lesson01            (seconds)
//      swift run lesson01 --quick    (CI smoke run)
//      swift run lesson01 --full     (more samples)

import Foundation
import LessonKit
import NOLAKit

let options = CommonOptions.parseOrExit()
let lesson = Lesson(number: 1, title: "Random numbers you can regenerate", follows: "§2 (the seed), Random123's Philox", options: options)
let scale = lesson.scale

// MARK: - 1. Why a seed instead of a basis
// A NOLA layer 784 → 256 of rank 4 with k = l = 16 mixes 16 matrices A_i (4×784) and 16 matrices
// B_j (256×4). Storing them would cost more than the layer itself; storing the seed costs 8 bytes.
lesson.cell(1, "Why a seed instead of a basis")
let basisFloats = 16 * 4 * 784 + 16 * 256 * 4
var storage = Table(["what", "numbers", "bytes (fp32)"])
storage.row(["the basis A_i, B_j", Format.count(basisFloats), Format.bytes(4 * basisFloats)])
storage.row(["the layer's weight W", Format.count(784 * 256), Format.bytes(4 * 784 * 256)])
storage.row(["NOLA's seed + α, β", "1 + 32", Format.bytes(8 + 4 * 32)])
lesson.show(storage)

// MARK: - 2. Philox: a keyed counter hash
// Output block n = Philox(counter = n, key = seed): ten rounds of two 32×32→64-bit multiplies
// (Salmon et al., SC'11). Here are the published known answers, computed live.
lesson.cell(2, "Philox: a keyed counter hash")
let answers: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
    (.init(0, 0, 0, 0), .init(0, 0), .init(0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    (.init(repeating: 0xffffffff), .init(repeating: 0xffffffff), .init(0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    (.init(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), .init(0xa4093822, 0x299f31d0),
     .init(0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]
func hex(_ v: SIMD4<UInt32>) -> String { (0..<4).map { String(format: "%08x", v[$0]) }.joined(separator: " ") }
var kat = Table(["counter", "key", "output", "published?"])
for (counter, key, expected) in answers {
    let out = Philox4x32.block(counter: counter, key: key)
    kat.row([hex(counter), String(format: "%08x %08x", key[0], key[1]), hex(out), out == expected ? "yes" : "NO"])
}
lesson.show(kat)

// MARK: - 3. Random access: regenerate chunk i alone
// A stream is (seed, stream id). Fill a million floats at once; then regenerate chunk 7 of 16
// by itself, starting at its position, and compare bit for bit.
lesson.cell(3, "Random access: regenerate chunk i alone")
let stream = RandomStream(seed: lesson.seed, stream: 2)
let total = scale.pick(quick: 1 << 16, standard: 1 << 20, full: 1 << 22)
let whole = stream.symmetric(total, from: 0)
let chunk = total / 16
let alone = stream.symmetric(chunk, from: UInt64(7 * chunk))
let same = Array(whole[(7 * chunk)..<(8 * chunk)]).elementsEqual(alone) { $0.bitPattern == $1.bitPattern }
lesson.facts([("floats generated at once", Format.count(total)),
              ("chunk 7 regenerated alone", "\(Format.count(chunk)) floats from position \(Format.count(7 * chunk))"),
              ("identical bit for bit", same ? "yes" : "NO")])

// MARK: - 4. Uniform to normal
// Box–Muller: u1, u2 uniform ⇒ √(−2 ln u1)·cos(2πu2) and ·sin(2πu2) are independent N(0, 1).
lesson.cell(4, "Uniform to normal")
let normals = stream.normal(scale.pick(quick: 20_000, standard: 200_000, full: 1_000_000), from: 0).map(Double.init)
let mean = normals.reduce(0, +) / Double(normals.count)
let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normals.count - 1)
lesson.facts([("samples", Format.count(normals.count)), ("mean (expect 0)", Format.fixed(mean, 4)),
              ("variance (expect 1)", Format.fixed(variance, 4))])
var histogram = Figure("normal_histogram", title: "Box–Muller normals from Philox against the N(0, 1) density",
                       x: "value", y: "probability density")
histogram.add(.histogram("\(Format.count(normals.count)) samples", samples: normals, bins: 60, range: -4...4, color: .sky))
let xs = stride(from: -4.0, through: 4.0, by: 0.05).map { $0 }
histogram.add(.lines("N(0, 1) density", x: xs, y: xs.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() },
                     markers: false, color: .black))
histogram.legend = .topRight
lesson.save(histogram)

// MARK: - 5. How fast?
// Uniform floats per second on one thread, each generator filling a buffer of 4M floats.
lesson.cell(5, "How fast?")
let count = scale.pick(quick: 1 << 20, standard: 1 << 22, full: 1 << 24)
var rates: [(String, Double)] = []
for generator in GeneratorSpeed.Generator.allCases {
    rates.append((generator.rawValue, GeneratorSpeed.floatsPerSecond(generator, count: count)))
}
var speed = Table(["generator", "floats / s", "addressable?"])
for (name, rate) in rates { speed.row([name, Format.rate(rate), name.hasPrefix("Philox") ? "yes: any position" : "no"]) }
lesson.show(speed)
var bars = Figure("throughput", title: "Uniform floats per second, one thread", x: "", y: "million floats per second")
bars.add(.bars("", labels: rates.map(\.0), values: rates.map { $0.1 / 1e6 }, color: .lora))
bars.legend = .hidden
lesson.save(bars)

lesson.finish(paperVsOurs: [
    Comparison("stored for the basis", paper: "one seed (a single scalar)", ours: "one 64-bit seed + a documented rule", note: ""),
    Comparison("Philox known answers", paper: "Random123 KAT vectors", ours: answers.allSatisfy { Philox4x32.block(counter: $0.0, key: $0.1) == $0.2 } ? "all 3 match" : "MISMATCH", note: ""),
    Comparison("uniform floats / s", paper: "PyTorch CPU ≈ 0.2 G, numpy Philox ≈ 0.09 G (issue)",
               ours: Format.rate(rates[0].1), note: "debug build of the lesson; NOLAKit optimized"),
])
