import LessonKit
import NOLAKit

/// A scale rule as the lesson names it, with its colour in the figures and its quantizer at
/// `bits` bits.
struct Rule {
    let name: String
    let slug: String
    let color: Color
    let quantizer: @Sendable (Int) -> SymmetricQuantizer

    /// The four rules the lesson compares: absmax, mean-|x| (XNOR-Net), the MSE-optimal scale,
    /// and one absmax scale per group of `groupSize` coefficients.
    static func all(groupSize g: Int) -> [Rule] {
        [
            Rule(name: ScaleRule.absMax.title, slug: "absmax", color: .blue) { SymmetricQuantizer(bits: $0) },
            Rule(name: ScaleRule.meanAbs.title, slug: "mean_abs", color: .orange) { SymmetricQuantizer(bits: $0, rule: .meanAbs) },
            Rule(name: ScaleRule.mseOptimal.title, slug: "mse", color: .green) { SymmetricQuantizer(bits: $0, rule: .mseOptimal) },
            Rule(name: "absmax, g=\(g)", slug: "groups", color: .purple) { SymmetricQuantizer(bits: $0, groupSize: g) },
        ]
    }
}

// How the lesson's tables write accuracies and their differences.

/// A change in points with its sign: "+1.2", "−3.4", "0.0".
func signed(_ x: Double) -> String {
    let text = Format.fixed(abs(x), 1)
    return text == "0.0" ? text : (x > 0 ? "+" : "−") + text
}

/// Accuracies over the seeds in percent, mean ± std: "91.2 ± 0.8".
func cell(_ s: Spread) -> String { Spread(s.values.map { 100 * $0 }).text(1) }

/// How many differences are negative: "2 of 3".
func count(_ differences: [Double]) -> String { "\(differences.count(where: { $0 < 0 })) of \(differences.count)" }

/// Differences of accuracies, in points, mean ± std.
func points(_ differences: [Double]) -> String { Spread(differences.map { 100 * $0 }).text(1) }
