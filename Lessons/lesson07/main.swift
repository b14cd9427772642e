// Lesson 7 — How much of the weight space can you reach?
//
// Follows: the paper's appendix A.1 and Fig. 2 (subspace coverage of PRANC and NOLA).
//
// What you will learn:
//   • PRANC's weight change is linear in its coefficients: n numbers reach n dimensions;
//   • NOLA's is bilinear, ΔW = (Σ α_i A_i)(Σ β_j B_j) = Σ_ij α_i β_j A_i B_j: n = k + l numbers
//     reach the k·l dimensions of the products A_i B_j — quadratically many;
//   • how to measure "reachable dimensions": the numerical rank of many random samples (LAPACK).
//
// Run: swift run lesson07            (d = 8, 16, 32; a few seconds)
//      swift run lesson07 --quick    (d = 8, 16)
//      swift run lesson07 --full     (adds d = 64: slow, a 4096 × 4096 eigenproblem per point)

import ArgumentParser
import Foundation
import LessonKit
import NOLAKit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson07", abstract: "Lesson 07 — How much of the weight space can you reach? Subspace coverage (paper A.1, Fig. 2).")
    @OptionGroup var common: CommonOptions
}
let options = Options.parseLessonOptions()
let lesson = Lesson(number: 7, title: "How much of the weight space can you reach?",
                    follows: "appendix A.1, Fig. 2", options: options.common)
let dims = lesson.scale.pick(quick: [8, 16], standard: [8, 16, 32], full: [8, 16, 32, 64])

// MARK: - 1. The experiment
// For d × d weight changes and n trainable numbers: draw S random coefficient vectors (standard
// normal; S = 5d²/4 + 16, comfortably above d²), form each ΔW, flatten it to d² numbers, and count
// the dimensions the samples span: the numerical rank of XᵀX through LAPACK (eigenvalues above
// 1e-10 of the largest, in Double). Coverage = rank / d².
lesson.cell(1, "The experiment")
let rank = 4
lesson.say("""
    PRANC: ΔW = Σ_{i≤n} α_i W_i with W_i: (d, d). NOLA: k = l = n/2 and rank r = \(rank) \
    (A_i: (d, r), B_j: (r, d)); cell 3 shows that r does not change the answer. Bases Uniform(−1, 1) \
    from Philox, seed \(lesson.seed).
    """)

// MARK: - 2. Coverage against the number of trainable parameters
// PRANC climbs one dimension per number; NOLA's k·l products overtake it almost at once.
lesson.cell(2, "Coverage against the number of trainable parameters")
func budgets(_ d: Int) -> [Int] {
    // Even n from 2 up to d² (PRANC's saturation), on a roughly geometric grid.
    var n = 2, out: [Int] = []
    while n < d * d { out.append(n); n = max(n + 2, Int(Double(n) * 1.6) / 2 * 2) }
    return out + [d * d]
}
var table = Table(["d", "n", "PRANC measured", "PRANC theory min(n,d²)/d²", "NOLA measured", "NOLA theory min(kl,d²)/d²"])
var figure = Figure("coverage", title: "Subspace coverage (cf. paper Fig. 2)",
                    x: "trainable parameters n (log scale)", y: "coverage: reachable dimensions / d²")
figure.logX = true
figure.yRange = 0...1.05
figure.xRange = 1.5...2000
figure.legend = .outside
let styles: [Bool] = [false, true, false, true]
let progress = lesson.progress("coverage", total: dims.map { budgets($0).count }.reduce(0, +))
var fullAt: [Int: (pranc: Int?, nola: Int?)] = [:]
var mismatches = 0
for (index, d) in dims.enumerated() {
    var prancY: [Double] = [], nolaY: [Double] = []
    let ns = budgets(d)
    for n in ns {
        let pranc = SubspaceCoverage.measure(.pranc(n: n), d: d, seed: lesson.seed)
        let nolaMethod = SubspaceCoverage.Method.nola(k: n / 2, l: n / 2, rank: rank)
        let nola = SubspaceCoverage.measure(nolaMethod, d: d, seed: lesson.seed)
        prancY.append(pranc.coverage)
        nolaY.append(nola.coverage)
        let prancTheory = SubspaceCoverage.Method.pranc(n: n).predictedCoverage(d: d)
        let nolaTheory = nolaMethod.predictedCoverage(d: d)
        if pranc.coverage != prancTheory || nola.coverage != nolaTheory { mismatches += 1 }
        if pranc.rank == d * d && fullAt[d]?.pranc == nil { fullAt[d, default: (nil, nil)].pranc = n }
        if nola.rank == d * d && fullAt[d]?.nola == nil { fullAt[d, default: (nil, nil)].nola = n }
        table.row(["\(d)", "\(n)", Format.fixed(pranc.coverage, 3), Format.fixed(prancTheory, 3),
                   Format.fixed(nola.coverage, 3), Format.fixed(nolaTheory, 3)])
        progress.advance(note: "d=\(d), n=\(n)")
    }
    let x = ns.map(Double.init)
    figure.add(.lines("PRANC, d = \(d)", x: x, y: prancY, color: .pranc, dashed: styles[index % 4]))
    figure.add(.lines("NOLA, d = \(d)", x: x, y: nolaY, color: .nola, dashed: styles[index % 4]))
}
progress.finish()
lesson.show(table)
lesson.save(figure)
lesson.say("""
    \(mismatches == 0 ? "Every measured value equals the prediction." : "\(mismatches) measured values differ from the prediction.") \
    Why: PRANC's ΔW is a linear map of n coefficients, so its samples fill an n-dimensional \
    subspace. NOLA's is a product of two linear maps; expanding it gives Σ_ij α_i β_j A_i B_j, a \
    combination of the k·l fixed matrices A_i B_j with weights α_i β_j, and random weights of that \
    form span all of those k·l directions.
    """)

// MARK: - 3. Does the rank matter?
// The count k·l does not mention r. Try r = 1 and r = 8 at d = 16.
lesson.cell(3, "Does the rank matter?")
var rankTable = Table(["d", "n", "NOLA r = 1", "NOLA r = 4", "NOLA r = 8", "theory"])
for n in [8, 16, 24, 32] {
    let cover = [1, 4, 8].map { SubspaceCoverage.measure(.nola(k: n / 2, l: n / 2, rank: $0), d: 16, seed: lesson.seed).coverage }
    rankTable.row(["16", "\(n)"] + cover.map { Format.fixed($0, 3) }
                  + [Format.fixed(SubspaceCoverage.Method.nola(k: n / 2, l: n / 2, rank: 1).predictedCoverage(d: 16), 3)])
}
lesson.show(rankTable)
lesson.say("""
    Even rank 1 — each A_i B_j an outer product — reaches the same dimensions: the products of k \
    column vectors and l row vectors span a k·l-dimensional space of matrices.
    """)

let largest = dims.last!
lesson.finish(paperVsOurs: [
    Comparison("PRANC coverage", paper: "grows linearly with n (Fig. 2)", ours: "min(n, d²)/d², exactly", note: ""),
    Comparison("NOLA coverage", paper: "saturates at 1 quickly (Fig. 2)", ours: "min(k·l, d²)/d², exactly", note: ""),
    Comparison("n for full coverage, d = \(largest)", paper: "(curves only)",
               ours: "PRANC \(fullAt[largest]?.pranc.map(String.init) ?? "—"), NOLA \(fullAt[largest]?.nola.map(String.init) ?? "—")",
               note: "first grid point with k·l ≥ d² (n ≥ 2d) vs n ≥ d²"),
])
