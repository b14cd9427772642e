import CMathAVX2

/// `exp` and `tanh` eight floats at a time, for the loops that apply them to millions of values
/// per training step (attention's softmax, the logits' softmax, GELU).
///
/// The C library's `expf` and `tanhf` work on one value per call (about 5 and 20 ns here); these
/// work on a `SIMD8<Float>` in SSE2 registers (the package's x86-64 baseline) at about 1–2 ns per
/// value, and agree with `expf`/`tanhf` to a few units in the last place (the tests bound it).
/// On CPUs with AVX2 and FMA, the array loops (`expShifted`, and GELU) run the same formulas
/// from `CMathAVX2` instead, about three times faster again (`kernel` says which).
///
/// - `exp(x) = 2ⁿ · e^r` with `n = round(x / ln 2)`, `r = x − n ln 2` (ln 2 split in a high part
///   exact in `Float` and a low correction, Cody & Waite), `|r| ≤ ln 2 / 2`, and `e^r` by its
///   Taylor polynomial to degree 7 (truncation error below 2⁻²⁸). `2ⁿ` is built from its bits.
///   `x < −103.98` gives 0, `x > 88.7228` gives `+∞` (as `expf`), NaN gives NaN; results below
///   2⁻¹²⁶ are subnormal, as `expf`'s.
/// - `tanh(u) = 1 − 2 / (e^{2u} + 1)`, odd-symmetrised; absolute error about 1e-7 (it is a
///   difference from 1, so its relative error grows as `|u|` shrinks below 0.01; GELU and every
///   other user here need the absolute error only).
public enum VectorMath {
    /// `eˣ`, element-wise.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let log2e: Float = 1.442_695_04
        let ln2High: Float = 0.693_145_75  // ln 2 rounded to 16 significant bits: n · ln2High is exact
        let ln2Low: Float = 1.428_606_8e-6  // ln 2 − ln2High
        let big: Float = 12_582_912  // 1.5 · 2²³: adding and subtracting it rounds to an integer
        let lower: Float = -103.98, upper: Float = 88.7228  // e^x is 0 below (in Float), ∞ above
        var clamped = x.replacing(with: lower, where: x .< lower)
        clamped.replace(with: upper, where: clamped .> upper)
        // n = round(x / ln 2): adding 1.5 · 2²³ leaves n in the low bits of `shifted`'s mantissa.
        let shifted = clamped * log2e + big
        let n = shifted - big
        let r = (clamped - n * ln2High) - n * ln2Low
        // e^r = 1 + r + r²/2! + … + r⁷/7!, Horner form.
        var p = SIMD8<Float>(repeating: 1.0 / 5040)
        p = p * r + (1.0 / 720)
        p = p * r + (1.0 / 120)
        p = p * r + (1.0 / 24)
        p = p * r + (1.0 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2ⁿ = 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each factor built from its bits (exponent field m + 127), so
        // n from −150 to 128 works: results down into the subnormals and up to the largest Float.
        // The integer n is bits(shifted) − bits(1.5 · 2²³).
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(SIMD8<Float>(repeating: big), to: SIMD8<Int32>.self)
        let half = integer &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let scale2 = unsafeBitCast((integer &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = p * scale1 * scale2
        result.replace(with: 0, where: x .< lower)
        result.replace(with: Float.infinity, where: x .> upper)
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
    }

    /// `tanh(u)`, element-wise (absolute error about 1e-7).
    @inlinable @inline(__always)
    public static func tanh(_ u: SIMD8<Float>) -> SIMD8<Float> {
        let magnitude = u.replacing(with: -u, where: u .< 0)
        // Beyond |u| = 10, tanh is 1 in Float; capping keeps e^{2|u|} finite.
        let e = exp(2 * magnitude.replacing(with: 10, where: magnitude .> 10))
        var t = 1 - 2 / (e + 1)
        t.replace(with: -t, where: u .< 0)
        t.replace(with: u, where: u .!= u)
        return t
    }

    /// `out[i] = exp(x[i])` for `count` values (any count; the tail is padded).
    @inlinable
    public static func exp(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: exp(v), as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var v = SIMD8<Float>(repeating: 0)
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let e = exp(v)
            for j in 0..<(count - i) { out[i + j] = e[j] }
        }
    }
}

extension VectorMath {
    /// The largest of `count ≥ 1` values (NaN if any is NaN); eight at a time on CPUs with AVX2.
    @inlinable
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        if hasAVX2 { return nola_maximum_avx2(x, count) }
        return portableMaximum(x, count: count)
    }

    /// `maximum` in plain Swift (what CPUs without AVX2 run; the tests compare the two).
    @inlinable
    public static func portableMaximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = x[0]
        var nan = false
        for j in 0..<count {
            let v = x[j]
            if v > m { m = v }
            if v != v { nan = true }
        }
        return nan ? .nan : m
    }

    /// Whether this CPU runs the AVX2 and FMA kernels of `CMathAVX2`.
    public static let hasAVX2 = nola_math_avx2_available() != 0

    /// The code behind the array loops on this CPU: "AVX2+FMA" or "portable SIMD".
    public static var kernel: String { hasAVX2 ? "AVX2+FMA" : "portable SIMD" }

    /// `out[j] = exp(x[j] − shift)` for `count` values (`out` may be `x`); returns their sum
    /// (in `Float`, eight partial sums).
    @inlinable
    public static func expShifted(
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, shift: Float
    ) -> Float {
        if hasAVX2 { return nola_exp_shifted_avx2(x, out, count, shift) }
        return portableExpShifted(x, into: out, count: count, shift: shift)
    }

    /// `expShifted` in portable SIMD (what CPUs without AVX2 run; the tests compare the two).
    @inlinable
    public static func portableExpShifted(
        _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, shift: Float
    ) -> Float {
        var sums = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let v = exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - shift)
            UnsafeMutableRawPointer(out + i).storeBytes(of: v, as: SIMD8<Float>.self)
            sums += v
            i += 8
        }
        if i < count {
            var v = SIMD8<Float>(repeating: -.infinity)
            for j in 0..<(count - i) { v[j] = x[i + j] - shift }
            let e = exp(v)
            for j in 0..<(count - i) { out[i + j] = e[j] }
            sums += e
        }
        return sums.sum()
    }

    /// `x = softmax(x)` in place over `count ≥ 1` values: `exp(x − max) / Σ exp(x − max)`.
    /// Returns `(max, Σ exp(x − max))`, whose `max + log(sum)` is the log-sum-exp.
    @inlinable @discardableResult
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) -> (max: Float, sum: Float) {
        let m = maximum(x, count: count)
        let sum = expShifted(x, into: x, count: count, shift: m)
        let inverse = 1 / sum
        for j in 0..<count { x[j] *= inverse }
        return (m, sum)
    }
}
