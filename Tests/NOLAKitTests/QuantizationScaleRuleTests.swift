import Testing

@testable import NOLAKit

/// `Σ (x − x̂)²` in Double, summed in order (as the MSE search sums it).
private func squaredError(_ x: [Float], _ quantizer: SymmetricQuantizer) -> Double {
    zip(x, quantizer.fakeQuantize(x)).reduce(0) { sum, pair in
        let e = Double(pair.0) - Double(pair.1)
        return sum + e * e
    }
}

/// Values with a heavy tail: u³ for u Uniform(−1, 1) (most near 0, a few near ±1).
private func heavyTailed(_ count: Int, seed: UInt64) -> [Float] {
    randomValues(count, seed: seed).map { $0 * $0 * $0 }
}

@Suite("Quantization: scale rules (absmax, mean-|x|, MSE-optimal) and per-group scales")
struct QuantizationScaleRuleTests {
    // MARK: mean-|x|

    @Test("mean-|x| known answers: s = mean|x|; more bits do not refine the step; the largest values clip")
    func meanAbsKnownAnswers() {
        let x: [Float] = [0.5, -1, 2, -4.5]  // mean |x| = 8 / 4 = 2
        // 2 bits (L = 1): x/s = 0.25, −0.5, 1, −2.25 → 0, −0 (ties to even), 1, −2 → clamped to −1.
        let q2 = SymmetricQuantizer(bits: 2, rule: .meanAbs)
        #expect(q2.quantize(x).scales == [2])
        #expect(q2.quantize(x).codes == [0, 0, 1, -1])
        #expect(q2.fakeQuantize(x) == [0, 0, 2, -2])
        #expect(q2.straightThrough(x).gradientMask == [1, 1, 1, 0])
        #expect(q2.error(of: x).clipped == 1)
        // 3 and 4 bits: the same step, so the same codes; −4.5 fits (−2.25 rounds to −2).
        for bits in [3, 4] {
            let q = SymmetricQuantizer(bits: bits, rule: .meanAbs)
            #expect(q.quantize(x).codes == [0, 0, 1, -2], "\(bits) bits")
            #expect(q.straightThrough(x).gradientMask == [1, 1, 1, 1])
        }
    }

    @Test("mean-|x| on Uniform(−a, a): 2 bits clip |x| ≥ 0.75a (25 %); 3 and 4 bits clip nothing and use codes ±2 only")
    func meanAbsOnUniform() {
        let x = randomValues(40_000, seed: 11, bound: 3)  // a = 3
        let q2 = SymmetricQuantizer(bits: 2, rule: .meanAbs)
        let fraction = Double(q2.error(of: x).clipped) / Double(x.count)
        #expect(abs(fraction - 0.25) < 0.01, "clipped fraction \(fraction)")
        let s = q2.quantize(x).scales[0]
        #expect(abs(s - 1.5) < 0.02, "mean |x| = a/2: \(s)")
        for bits in [3, 4] {
            let q = SymmetricQuantizer(bits: bits, rule: .meanAbs).quantize(x)
            #expect(q.codes.map { abs($0) }.max() == 2, "\(bits) bits")
            #expect(SymmetricQuantizer(bits: bits, rule: .meanAbs).error(of: x).clipped == 0)
        }
    }

    // MARK: MSE-optimal

    @Test("MSE known answer, 2 bits: six 1s and a 3 → s = 9/7, the 3 clips (error 24/7 against absmax's 6)")
    func mseTwoBits() {
        let x: [Float] = [1, 1, 1, 1, 1, 1, 3]
        let q = SymmetricQuantizer(bits: 2, rule: .mseOptimal)
        let s = q.quantize(x).scales[0]
        #expect(abs(s - 9.0 / 7) < 1e-5, "s = \(s)")
        #expect(q.quantize(x).codes == [1, 1, 1, 1, 1, 1, 1])
        #expect(q.error(of: x).clipped == 1)
        #expect(abs(squaredError(x, q) - 24.0 / 7) < 1e-4)
        #expect(squaredError(x, SymmetricQuantizer(bits: 2)) == 6)  // absmax: the 1s round to 0
    }

    @Test("MSE known answer, 3 bits: [1, 2, 3, 4, 20] → s = 6.4 (error 20.4), not absmax's 20/3 (21.1)")
    func mseThreeBits() {
        // For s in (6, 8]: 1, 2, 3 round to 0, 4 to 1, 20 to 3: E(s) = 14 + (4 − s)² + (20 − 3s)²,
        // minimal at 20s = 128.
        let x: [Float] = [1, 2, 3, 4, 20]
        let q = SymmetricQuantizer(bits: 3, rule: .mseOptimal)
        let s = q.quantize(x).scales[0]
        // The minimum is flat (E'' = 20) and E is summed from Float products, so s is found to
        // about 10⁻⁴ relative: Float rounding, not the search, is the limit.
        #expect(abs(s - 6.4) < 1e-3, "s = \(s)")
        #expect(q.quantize(x).codes == [0, 0, 0, 1, 3])
        #expect(abs(squaredError(x, q) - 20.4) < 1e-5)
        #expect(abs(squaredError(x, SymmetricQuantizer(bits: 3)) - (14 + 64.0 / 9)) < 1e-4)
    }

    @Test("MSE picks absmax's scale bit for bit when absmax is optimal: [1, 1, 1, 10] at 2 bits")
    func mseEqualsAbsMax() {
        let x: [Float] = [1, 1, 1, 10]
        #expect(SymmetricQuantizer(bits: 2, rule: .mseOptimal).quantize(x) == SymmetricQuantizer(bits: 2).quantize(x))
    }

    @Test("MSE is never worse than absmax, and better on heavy tails at low bits", arguments: [2, 3, 4, 8])
    func mseNeverWorse(bits: Int) {
        let absMax = SymmetricQuantizer(bits: bits), mse = SymmetricQuantizer(bits: bits, rule: .mseOptimal)
        var gains: [Double] = []
        for seed in 0..<30 as Range<UInt64> {
            for x in [randomValues(5 + Int(seed) * 17, seed: seed, bound: 0.3), heavyTailed(257, seed: seed + 100)] {
                let e = squaredError(x, mse), reference = squaredError(x, absMax)
                #expect(e <= reference, "seed \(seed), \(bits) bits: \(e) > \(reference)")
                gains.append(reference / max(e, .leastNonzeroMagnitude))
            }
        }
        if bits <= 3 { #expect(gains.max()! > 1.5, "MSE should clearly beat absmax somewhere at \(bits) bits") }
    }

    @Test("MSE search: scale-invariant and zero for zeros")
    func mseEdgeCases() {
        let x = heavyTailed(101, seed: 3)
        let q = SymmetricQuantizer(bits: 3, rule: .mseOptimal)
        #expect(q.quantize(x.map { $0 * 16 }).codes == q.quantize(x).codes)
        #expect(q.quantize(x.map { $0 * 16 }).scales == [q.quantize(x).scales[0] * 16])
        #expect(q.quantize([0, 0, 0]).scales == [0])
        #expect(q.quantize([Float]()).scales == [0])
    }

    // MARK: Groups

    @Test("per-group known answer: groups of 3, absmax each, the last group shorter")
    func groupsKnownAnswer() {
        let x: [Float] = [1.1, -2, 0.5, 4, 0, 0.3, 0.6]
        let q = SymmetricQuantizer(bits: 3, groupSize: 3).quantize(x)
        #expect(q.scales == [Float(2) / 3, Float(4) / 3, Float(0.6) / 3])
        // 1.1/(2/3) = 1.65 → 2, −3, 0.75 → 1 | 3, 0, 0.225 → 0 | 3
        #expect(q.codes == [2, -3, 1, 3, 0, 0, 3])
        #expect(q.dequantized() == [2 * q.scales[0], -3 * q.scales[0], q.scales[0], 3 * q.scales[1], 0, 0, 3 * q.scales[2]])
        #expect(q.storageBytes == 3 + 3 * 4)  // ⌈7·3/8⌉ bytes of codes, three Float scales
        #expect(SymmetricQuantizer(bits: 3, groupSize: 3).scaleCount(for: 7) == 3)
        #expect(SymmetricQuantizer(bits: 3, groupSize: 3).description == "3-bit absmax g3")
    }

    @Test("a group as large as the tensor is per-tensor; small groups cut absmax's error",
          arguments: ScaleRule.allCases)
    func groupsAgreeWithPerTensor(rule: ScaleRule) {
        let x = heavyTailed(64, seed: 9)
        let whole = SymmetricQuantizer(bits: 3, rule: rule).quantize(x)
        for g in [64, 100] {
            let grouped = SymmetricQuantizer(bits: 3, rule: rule, groupSize: g).quantize(x)
            #expect(grouped.codes == whole.codes && grouped.scales == whole.scales)
        }
        if rule == .absMax {
            let perTensor = squaredError(x, SymmetricQuantizer(bits: 3))
            #expect(squaredError(x, SymmetricQuantizer(bits: 3, groupSize: 8)) < 0.75 * perTensor)
            #expect(squaredError(x, SymmetricQuantizer(bits: 3, groupSize: 1)) < 1e-12,
                    "groups of 1: every value is ±L·s exactly, up to rounding")
        }
    }

    @Test("each group's MSE scale is never worse than its absmax scale", arguments: [2, 3])
    func mseGroupsNeverWorse(bits: Int) {
        let x = heavyTailed(300, seed: 21)
        #expect(squaredError(x, SymmetricQuantizer(bits: bits, rule: .mseOptimal, groupSize: 32))
                <= squaredError(x, SymmetricQuantizer(bits: bits, groupSize: 32)))
    }

    // MARK: Names and input

    @Test("rule names and group sizes parse; bad ones give one line")
    func parsing() throws {
        for rule in ScaleRule.allCases { #expect(try ScaleRule.named(rule.rawValue) == rule) }
        let bad = #expect(throws: QuantizationInputError.self) { try ScaleRule.named("lsq") }
        #expect(bad?.description == "scale rule 'lsq' is unknown; use absmax, mean-abs, mse")
        #expect(try SymmetricQuantizer.groupSize(parsing: "tensor") == nil)
        #expect(try SymmetricQuantizer.groupSize(parsing: "32") == 32)
        for text in ["0", "-4", "x", ""] {
            let error = #expect(throws: QuantizationInputError.self) { try SymmetricQuantizer.groupSize(parsing: text) }
            #expect(error?.description.contains("'\(text)'") == true)
        }
    }

    @Test("straightThrough: the mask is 1 inside the grid, 0 where the code was clamped; nil when not clipping")
    func straightThroughMask() {
        let x: [Float] = [1, 1, 1, 1, 1, 1, 3]
        let mse = SymmetricQuantizer(bits: 2, rule: .mseOptimal)
        let t = mse.straightThrough(x)
        #expect(t.values == mse.fakeQuantize(x))
        #expect(t.gradientMask == [1, 1, 1, 1, 1, 1, 0])
        #expect(mse.straightThrough(x, clipGradient: false).gradientMask == nil)
        #expect(SymmetricQuantizer(bits: 2).straightThrough(x).gradientMask == [Float](repeating: 1, count: 7))
    }
}
