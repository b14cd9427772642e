/// How a symmetric quantizer chooses the scale `s` of a group of values: the step between two
/// neighbouring levels. Codes are `clamp(round(x / s), −L, L)` with `L = 2^(q−1) − 1`, so the
/// representable values are `−L·s … L·s` and an element is **clipped** when its rounded code
/// lies outside `−L…L`, i.e. when `|x| ≥ (L + ½)·s` (every `L` here is odd, so the tie at
/// exactly `(L + ½)·s` rounds to the even `L + 1` and clips).
///
/// Three rules, from "never clip" to "clip what costs less than it saves":
///
/// - `absMax`: `s = max|x| / L`. Nothing clips; the largest element is exact. One outlier
///   stretches the grid for everybody: at 2 bits (`L = 1`) the levels are `−max, 0, +max`, and
///   every element below `max/2` becomes 0.
/// - `meanAbs` (XNOR-Net, Rastegari et al. 2016): `s = mean|x|`, the scale XNOR-Net puts on its
///   binary weights. The step no longer depends on the bit width, so the code range it implies is
///   `±L·mean|x|`, and what clips is `|x| ≥ (L + ½)·mean|x|`:
///   - Uniform(−a, a) (`mean|x| = a/2`): at 2 bits everything above `0.75a` clips — 25 % of the
///     values — and all 3 levels are used; at 3 bits nothing clips (`1.75a > a`) and the codes
///     only reach `round(a / (a/2)) = ±2`: 5 of the 7 levels; at 4 bits still ±2: 5 of 15.
///   - Normal(0, σ) (`mean|x| = σ·√(2/π) ≈ 0.80σ`): 2 bits clip `|x| ≥ 1.20σ` (23 %), 3 bits
///     clip `|x| ≥ 2.79σ` (0.5 %), 4 bits clip `|x| ≥ 6.0σ` (practically none).
///   So it is a good 2-bit (ternary) rule — zero for `|x| < mean|x|/2`, `±mean|x|` above — and
///   wastes levels from 3 bits on: more bits do not make its step finer.
/// - `mseOptimal`: the `s` that minimizes `Σ (x − x̂(s))²` for this bit width, found by search
///   (see `mseOptimalScale`). It clips a few large elements when that buys a finer step for all
///   the others, and it never does worse than `absMax`, which is one of its candidates.
public enum ScaleRule: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case absMax = "absmax"
    case meanAbs = "mean-abs"
    case mseOptimal = "mse"

    /// The name written in files and typed in options: "absmax", "mean-abs", "mse".
    public var description: String { rawValue }

    /// The name the lessons' tables and figures show: "absmax", "mean-|x|", "MSE-optimal".
    public var title: String {
        switch self {
        case .absMax: "absmax"
        case .meanAbs: "mean-|x|"
        case .mseOptimal: "MSE-optimal"
        }
    }

    /// Parses a name a user typed or a file holds; throws one line listing the known rules.
    public static func named(_ name: String) throws -> ScaleRule {
        guard let rule = ScaleRule(rawValue: name) else {
            throw QuantizationInputError(
                "scale rule '\(name)' is unknown; use \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return rule
    }

    /// The scale of `values` (one group, every element finite) for codes `−maxCode…maxCode`.
    /// 0 when every value is 0 (and for no values).
    public func scale(of values: ArraySlice<Float>, maxCode: Int32) -> Float {
        switch self {
        case .absMax: return Self.absMax(values) / Float(maxCode)
        case .meanAbs:
            guard !values.isEmpty else { return 0 }
            var sum: Double = 0
            for x in values { sum += Double(abs(x)) }
            return Float(sum / Double(values.count))
        case .mseOptimal: return Self.mseOptimalScale(values, maxCode: maxCode)
        }
    }

    /// Points of the coarse grid of the MSE search.
    public static let searchGridPoints = 100
    /// Golden-section steps after the grid: the bracket (two grid cells, 2 % of `max|x|/L`)
    /// shrinks by `0.618` per step, to `2 % · 0.618^40 ≈ 10⁻¹⁰` of `max|x|/L`.
    public static let searchGoldenSteps = 40

    /// The MSE-optimal scale of `values` for codes `−L…L`, by search over `s = t · max|x|/L`
    /// with `t ∈ (0, 1]` (a larger `s` than absmax's only coarsens the grid and cannot help):
    ///
    /// 1. Grid: `t_j = j / 100`, `j = 1…100`. The squared error `E(s) = Σ (x − x̂(s))²` is
    ///    piecewise quadratic in `s` and not convex (an element jumps a level as `s` crosses
    ///    `x / (c + ½)`), so a coarse grid finds the right basin first.
    /// 2. Golden section on `[t_{j−1}, t_{j+1}]` around the best grid point, 40 steps.
    /// 3. The result is the best scale among every candidate evaluated, in `Float` exactly as the
    ///    quantizer will use it. `t = 1` is `absMax`'s scale bit for bit, so the result is never
    ///    worse than absmax on the same values (equal when absmax is the optimum).
    ///
    /// Errors are summed in `Double` from the `Float` products `code · s`: the same numbers the
    /// forward pass sees. Cost: about 140 passes over the values.
    public static func mseOptimalScale(_ values: ArraySlice<Float>, maxCode: Int32) -> Float {
        let base = absMax(values) / Float(maxCode)
        guard base > 0 else { return 0 }
        var best = (scale: base, error: squaredError(values, scale: base, maxCode: maxCode))
        var bestIndex = searchGridPoints
        func consider(_ s: Float) -> Double {
            let e = squaredError(values, scale: s, maxCode: maxCode)
            if e < best.error { best = (s, e) }
            return e
        }
        for j in 1..<searchGridPoints {
            let before = best.error
            _ = consider(Float(j) / Float(searchGridPoints) * base)
            if best.error < before { bestIndex = j }
        }
        // Golden section on the two cells around the best grid point.
        let cell = 1 / Double(searchGridPoints)
        var lo = Double(bestIndex - 1) * cell, hi = min(1, Double(bestIndex + 1) * cell)
        let inverseGolden = (5.0.squareRoot() - 1) / 2  // 0.618…
        var x1 = hi - inverseGolden * (hi - lo), x2 = lo + inverseGolden * (hi - lo)
        var e1 = consider(Float(x1) * base), e2 = consider(Float(x2) * base)
        for _ in 0..<searchGoldenSteps {
            if e1 <= e2 {
                hi = x2
                x2 = x1
                e2 = e1
                x1 = hi - inverseGolden * (hi - lo)
                e1 = consider(Float(x1) * base)
            } else {
                lo = x1
                x1 = x2
                e1 = e2
                x2 = lo + inverseGolden * (hi - lo)
                e2 = consider(Float(x2) * base)
            }
        }
        return best.scale
    }

    /// `Σ (x − code·s)²` in Double, codes as the quantizer computes them.
    static func squaredError(_ values: ArraySlice<Float>, scale s: Float, maxCode: Int32) -> Double {
        let limit = Float(maxCode)
        var sum: Double = 0
        for x in values {
            let code = min(max((x / s).rounded(.toNearestOrEven), -limit), limit)
            let e = Double(x) - Double(code * s)
            sum += e * e
        }
        return sum
    }

    /// `max |x|`, 0 for no values.
    static func absMax(_ values: ArraySlice<Float>) -> Float {
        var m: Float = 0
        for x in values { m = max(m, abs(x)) }
        return m
    }
}
