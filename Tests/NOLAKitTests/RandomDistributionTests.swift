import Foundation
import Testing
import NOLAKit

/// Statistical checks with fixed seeds: means, variances, a χ² test on uniform bins and
/// Kolmogorov–Smirnov distances. With a fixed seed each check is deterministic; the tolerances
/// are about six standard errors (or the 0.1 % critical value), so a correct generator passes
/// with room and a broken conversion (a wrong shift, a lost bit, a biased Box–Muller) fails.
@Suite("Random distributions")
struct RandomDistributionTests {
    static let n = 1 << 20

    static func meanAndVariance(_ x: [Float]) -> (mean: Double, variance: Double) {
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count - 1)
        return (mean, variance)
    }

    /// Kolmogorov–Smirnov distance between the sample and the distribution function `cdf`.
    static func ksDistance(_ x: [Float], cdf: (Double) -> Double) -> Double {
        let sorted = x.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, v) in sorted.enumerated() {
            let f = cdf(Double(v))
            d = max(d, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
        }
        return d
    }

    /// KS critical distance at the 0.1 % level: 1.95 / √n.
    static var ksCritical: Double { 1.95 / Double(n).squareRoot() }

    @Test("uniform [0, 1): range, mean 1/2, variance 1/12, χ² on 256 bins, KS")
    func uniform() {
        let x = RandomStream(seed: 1234).uniform(Self.n)
        #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
        let (mean, variance) = Self.meanAndVariance(x)
        let se = (1.0 / 12 / Double(Self.n)).squareRoot()  // standard error of the mean ≈ 2.8e-4
        #expect(abs(mean - 0.5) < 6 * se, "mean \(mean)")
        #expect(abs(variance - 1.0 / 12) < 6e-4, "variance \(variance)")  // s.e. of the variance ≈ 7e-5

        var counts = [Double](repeating: 0, count: 256)
        for v in x { counts[Int(v * 256)] += 1 }
        let expected = Double(Self.n) / 256
        let chi2 = counts.reduce(0.0) { $0 + ($1 - expected) * ($1 - expected) / expected }
        #expect(chi2 < 330.5, "χ² = \(chi2) with 255 degrees of freedom (0.1 % critical value 330.5)")
        #expect(chi2 > 190, "χ² = \(chi2) is suspiciously small: the bins are too even")

        let d = Self.ksDistance(x) { min(max($0, 0), 1) }
        #expect(d < Self.ksCritical, "KS distance \(d)")
    }

    @Test("symmetric [−1, 1): range, mean 0, variance 1/3")
    func symmetric() {
        let x = RandomStream(seed: 99, stream: 4).symmetric(Self.n, from: 5)
        #expect(x.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(x.contains { $0 < -0.9999 } && x.contains { $0 > 0.9999 })
        let (mean, variance) = Self.meanAndVariance(x)
        #expect(abs(mean) < 6 * (1.0 / 3 / Double(Self.n)).squareRoot(), "mean \(mean)")
        #expect(abs(variance - 1.0 / 3) < 2.5e-3, "variance \(variance)")
        let d = Self.ksDistance(x) { min(max(($0 + 1) / 2, 0), 1) }
        #expect(d < Self.ksCritical, "KS distance \(d)")
    }

    @Test("normal (Box–Muller): mean 0, variance 1, tails, KS against Φ")
    func normal() {
        let x = RandomStream(seed: 31, stream: 2).normal(Self.n)
        #expect(x.allSatisfy { $0.isFinite })
        let (mean, variance) = Self.meanAndVariance(x)
        #expect(abs(mean) < 6 / Double(Self.n).squareRoot(), "mean \(mean)")
        #expect(abs(variance - 1) < 6 * (2.0 / Double(Self.n)).squareRoot(), "variance \(variance)")
        // Beyond 3σ: expected fraction 0.0027.
        let tail = Double(x.filter { abs($0) > 3 }.count) / Double(Self.n)
        #expect(abs(tail - 0.0027) < 0.0004, "fraction beyond 3σ: \(tail)")
        let d = Self.ksDistance(x) { 0.5 * (1 + erf($0 / 2.0.squareRoot())) }
        #expect(d < Self.ksCritical, "KS distance \(d)")
    }

    @Test("KS catches a broken generator (the test has teeth)")
    func ksDetectsBias() {
        // Squaring uniforms skews them toward 0: the KS distance must blow past the threshold.
        let skewed = RandomStream(seed: 1234).uniform(1 << 14).map { $0 * $0 }
        let d = Self.ksDistance(skewed) { min(max($0, 0), 1) }
        #expect(d > 10 * 1.95 / Double(1 << 14).squareRoot())
    }
}
