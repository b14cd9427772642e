// Lesson 2 — Matrix multiply
//
// Follows: no figure of the paper, but every one of them: LoRA, PRANC and NOLA are all matrix
// products, and the paper's speed argument (NOLA is d/r times cheaper than PRANC) is a count of
// multiply-adds. This lesson shows why every later lesson hands its products to BLAS.
//
// What you will learn:
//   • C = A·B costs 2n³ floating-point operations; GFLOPS = 2n³ / seconds / 10⁹;
//   • a textbook triple loop is starved by memory, not by arithmetic;
//   • cache blocking and a vectorizable inner loop help a lot; OpenBLAS (register blocking,
//     packing, SIMD kernels, threads) helps much more;
//   • which BLAS runs (OpenBLAS's version, the kernel family it chose for this CPU, its threads)
//     and how close it gets to the CPU's peak, measured with a loop of independent fused
//     multiply-adds (the formula cores × FMA units × SIMD width × 2 × clock needs the clock the
//     cores really run at, which /proc/cpuinfo does not tell: it reports the nominal one);
//   • our Matrix wrapper adds nothing measurable on top of a direct cblas_sgemm call.
//
// Run: swift run lesson02            (n up to 1024; seconds)
//      swift run lesson02 --quick    (n up to 256)
//      swift run lesson02 --full     (n up to 2048)

import COpenBLAS
import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson02", abstract: "Lesson 02 — Matrix multiply: naive, blocked and OpenBLAS (why every lesson calls BLAS).")
    @OptionGroup var common: CommonOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(number: 2, title: "Matrix multiply", follows: "every figure (all methods are matrix products)", options: options.common)
let scale = lesson.scale

// MARK: - 1. Three ways to multiply
// naive: for i, for j, for p: C[i][j] += A[i][p]·B[p][j]   (walks down a column of B)
// blocked: 64×64 tiles, loop order i–p–j, the inner loop along rows of B and C, 8 floats at once
// OpenBLAS sgemm: packed panels, register-blocked SIMD kernels, \(BLAS.threads) threads.
// All three live in NOLAKit (compiled optimized) and agree to rounding; the tests check it.
// OpenBLAS carries kernels for many CPUs and picks one when it loads; an OpenBLAS older than the
// CPU may pick a generic one (Prescott, SSE3, 2004), and every lesson then switches it to the
// best family it has (one line says so at the start). Here we print what runs.
lesson.cell(1, "Three ways to multiply")
let check = 97
let a0 = RandomStream(seed: lesson.seed, stream: 1).uniformMatrix(rows: check, cols: check, bound: 1)
let b0 = RandomStream(seed: lesson.seed, stream: 2).uniformMatrix(rows: check, cols: check, bound: 1)
let reference = BLAS.matmul(a0, b0)
let blas = OpenBLASInfo.current
let cpu = CPUFeatures.current
let nominal = PeakFlops.thisMachine
// The peak that counts: independent FMAs on every BLAS thread, at the clock the cores reach now.
let measuredPeak = FMAThroughput.measure(threads: BLAS.threads)
let peak = measuredPeak?.gflops ?? nominal?.gflops
lesson.facts([
    ("max |naive − BLAS| (n = 97)", Format.significant(Double(ReferenceGemm.naive(a0, b0).maxAbsDifference(reference)), 2)),
    ("max |blocked − BLAS| (n = 97)", Format.significant(Double(ReferenceGemm.blocked(a0, b0).maxAbsDifference(reference)), 2)),
    ("BLAS in use", blas.summary),
    ("its build", blas.config),
    ("CPU", "\(cpu.brand.isEmpty ? cpu.vendor : cpu.brand): \(cpu.summary)"),
    ("peak, measured", measuredPeak?.summary ?? "not measurable here (no AVX2 and FMA): the nominal formula below is used"),
    ("peak from the nominal clock", nominal?.formula ?? "unknown (no clock in /proc/cpuinfo)"),
])
if let nominal {
    lesson.say("The nominal formula assumes: " + nominal.assumptions.joined(separator: "; ") + ".")
}
if let measuredPeak, let nominal {
    lesson.say("""
        The measured peak is \(Format.percent(measuredPeak.gflops / nominal.gflops, 0)) of the nominal one: the \
        cores run \(measuredPeak.gflops > nominal.gflops ? "above" : "below") the clock /proc/cpuinfo reports \
        (turbo raises it; the loop counts its threads' CPU time, so other programs on a shared machine do \
        not lower it). Shares below are of the measured peak, the most FMAs these threads can issue.
        """)
}

// MARK: - 2. GFLOPS against n
// Each size is timed over enough repeats to take a little while; the best of three counts.
lesson.cell(2, "GFLOPS against n")
let sizes = scale.pick(quick: [32, 64, 128, 256], standard: [32, 64, 128, 256, 512, 1024],
                       full: [32, 64, 128, 256, 512, 1024, 2048])
let naiveLimit = scale.pick(quick: 256, standard: 512, full: 512)
@MainActor func gflops(_ n: Int, _ body: () -> Void) -> Double {
    let flops = 2 * Double(n) * Double(n) * Double(n)
    let repeats = max(1, Int(2e8 / flops))
    var best = Double.infinity
    for _ in 0..<3 {
        let (_, seconds) = timed { for _ in 0..<repeats { body() } }
        best = min(best, seconds / Double(repeats))
    }
    return flops / best / 1e9
}
var rows: [(n: Int, naive: Double?, blocked: Double, blas: Double)] = []
let progress = lesson.progress("timing", total: sizes.count)
for n in sizes {
    let a = RandomStream(seed: lesson.seed, stream: 3).uniformMatrix(rows: n, cols: n, bound: 1)
    let b = RandomStream(seed: lesson.seed, stream: 4).uniformMatrix(rows: n, cols: n, bound: 1)
    var c = Matrix(rows: n, cols: n)
    let naive = n <= naiveLimit ? gflops(n) { _ = ReferenceGemm.naive(a, b) } : nil
    let blocked = gflops(n) { _ = ReferenceGemm.blocked(a, b) }
    let blas = gflops(n) { BLAS.gemm(a, b, into: &c) }
    rows.append((n, naive, blocked, blas))
    progress.advance(note: "n = \(n)")
}
progress.finish()
var table = Table(["n", "naive GFLOPS", "blocked GFLOPS", "OpenBLAS GFLOPS", "OpenBLAS / naive", "peak GFLOPS (OpenBLAS %)"])
var aboveOneHundred = false
for r in rows {
    table.row(["\(r.n)", r.naive.map { Format.fixed($0, 2) } ?? "(skipped)", Format.fixed(r.blocked, 2),
               Format.fixed(r.blas, 1), r.naive.map { Format.fixed(r.blas / $0, 0) + "×" } ?? "—",
               peak.map { Format.fixed($0, 1) + " (" + Format.percent(r.blas / $0, 0) + (r.blas > $0 ? "*" : "") + ")" } ?? "—"])
    if let peak, r.blas > peak { aboveOneHundred = true }
}
lesson.show(table)
if aboveOneHundred {
    lesson.say("""
        * Above 100%: no product can exceed the FMAs the cores issue, so the clock changed between \
        the peak loop and the product (a core boosts higher while the other idles, or the machine \
        throttled); timing noise of a few percent does the same. Rerun on a quiet machine.
        """)
}
var figure = Figure(
    "gflops", title: "Single-precision C = A·B, n × n: \(blas.summary)", x: "n (log scale)", y: "GFLOPS (log scale)")
figure.logX = true
figure.logBase = 2
figure.logY = true
let withNaive = rows.filter { $0.naive != nil }
figure.add(.lines("naive triple loop", x: withNaive.map { Double($0.n) }, y: withNaive.map { $0.naive! }, color: .gray))
figure.add(.lines("cache-blocked Swift", x: rows.map { Double($0.n) }, y: rows.map(\.blocked), color: .orange))
figure.add(.lines("OpenBLAS sgemm (\(blas.core) kernels, \(blas.threads) threads)", x: rows.map { Double($0.n) }, y: rows.map(\.blas), color: .lora))
// Room above the curves for the legend and the peak line (log scale: a factor, not a margin).
let lowest = (withNaive.map { $0.naive! } + rows.map(\.blocked)).min() ?? 0.1
figure.yRange = (lowest / 2)...(max(peak ?? 0, rows.map(\.blas).max() ?? 1) * 8)
figure.legend = .topLeft
if let measuredPeak {
    figure.annotate(.horizontalLine(
        y: measuredPeak.gflops,
        label: "CPU peak \(Format.fixed(measuredPeak.gflops, 0)) GFLOPS (measured: \(measuredPeak.threads) threads of independent \(measuredPeak.floatsPerRegister)-float FMAs)",
        color: .vermillion))
} else if let nominal {
    figure.annotate(.horizontalLine(
        y: nominal.gflops, label: "CPU peak \(Format.fixed(nominal.gflops, 0)) GFLOPS (\(nominal.cores) cores × \(nominal.fmaUnits) FMA × \(nominal.floatsPerRegister) floats × 2 × nominal clock)",
        color: .vermillion))
}
lesson.save(figure)
lesson.say("""
    The naive loop stays near one multiply-add per memory access; blocking keeps tiles in cache \
    and lets the compiler vectorize; OpenBLAS adds register blocking, packed panels and threads. \
    That gap, not elegance, is why every later lesson calls BLAS.
    """)

// MARK: - 3. Does the Matrix wrapper cost anything?
// BLAS.gemm checks shapes, then calls cblas_sgemm. Compare with a direct call at the largest n.
lesson.cell(3, "Does the Matrix wrapper cost anything?")
let n = scale.pick(quick: 256, standard: 1024, full: 1024)
let a = RandomStream(seed: lesson.seed, stream: 5).uniformMatrix(rows: n, cols: n, bound: 1)
let b = RandomStream(seed: lesson.seed, stream: 6).uniformMatrix(rows: n, cols: n, bound: 1)
var c = Matrix(rows: n, cols: n)
var raw = [Float](repeating: 0, count: n * n)
var wrapperRates: [Double] = [], directRates: [Double] = []
@MainActor func wrapper() -> Double { gflops(n) { BLAS.gemm(a, b, into: &c) } }
@MainActor func direct() -> Double {
    gflops(n) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a.data, Int32(n),
                    b.data, Int32(n), 0, &raw, Int32(n))
    }
}
for pair in 0..<7 {  // interleaved, in alternating order, so that a noisy neighbour hurts both alike
    if pair % 2 == 0 {
        wrapperRates.append(wrapper())
        directRates.append(direct())
    } else {
        directRates.append(direct())
        wrapperRates.append(wrapper())
    }
}
let ratio = wrapperRates.max()! / directRates.max()!
lesson.facts([("n", "\(n)\(scale == .quick ? " (1024 without --quick)" : "")"),
              ("Matrix / BLAS.gemm", Format.fixed(wrapperRates.max()!, 1) + " GFLOPS"),
              ("direct cblas_sgemm", Format.fixed(directRates.max()!, 1) + " GFLOPS"),
              ("ratio", Format.percent(ratio) + " (the target is at least 90%)")])

lesson.finish(paperVsOurs: [
    Comparison("NOLA vs PRANC cost per step", paper: "d/r times fewer multiply-adds (§2)", ours: "see lessons 05 and 06",
               note: "counted in matrix products"),
    Comparison("OpenBLAS vs naive at n = \(withNaive.last!.n)", paper: "—",
               ours: Format.fixed(withNaive.last!.blas / withNaive.last!.naive!, 0) + "×", note: "this machine"),
    Comparison("OpenBLAS at n = \(rows.last!.n) vs the CPU's peak", paper: "—",
               ours: peak.map { Format.percent(rows.last!.blas / $0, 0) } ?? "—",
               note: "\(blas.core) kernels, \(blas.threads) threads; peak \(measuredPeak == nil ? "from the nominal clock" : "measured")"),
    Comparison("Matrix wrapper vs direct cblas_sgemm", paper: "—", ours: Format.percent(ratio), note: "n = \(n)"),
])
