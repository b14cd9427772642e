/// Checks hand-written gradients against central finite differences.
///
/// For every element `θ_j` of a parameter, the numerical derivative is
///
///     (L(θ_j + h) − L(θ_j − h)) / ((θ_j + h) − (θ_j − h))
///
/// where the denominator is the step actually taken in `Float` (not `2h`), and `L` is returned
/// as a `Double`. The analytic derivative is whatever the caller left in `parameter.grad`.
/// Inputs are checked the same way: wrap `x` in a `Parameter`, read `input.value` inside the loss,
/// and store the layer's `dx` in `input.grad`.
///
/// The layers compute in `Float` (about 7 significant digits), so the loss carries rounding
/// noise of roughly `1e-7 · |terms|`, which the difference divides by `2h`; the truncation error
/// of the central difference is `O(h²)`. The defaults, `h = 1e-2` and tolerance `1e-3`, suit a
/// single layer with O(1) inputs: the errors measured on every layer here are 1e-6 to 5e-5, so a
/// real bug (a wrong term, a missing factor: errors of O(1)) cannot hide. A deeper network, or
/// one with LayerNorm of small inputs, is more curved: use `h = 1e-3` and tolerance `1e-2`
/// (measured errors there: up to 1.2e-3).
/// Functions with kinks (ReLU) need inputs at least `h · |weight|` away from the kink.
///
/// The test loss of choice is `weightedSum(y, r) = Σ y ⊙ r` for a fixed random `r`: its
/// gradient with respect to `y` is `r`, so every output element is exercised with a different weight.
///
/// **A verdict that holds for any seed** (`GradientCheck.float32(step:)`, what lesson 11 shows).
/// A fixed tolerance on central differences fails now and then on a correct backward pass: on a
/// strongly curved loss the truncation error `h² · L‴ / 6` alone exceeds it (lesson 11's tiny
/// GPT, seed 100: relative error 0.0048 at `h = 10⁻²`, 0.0012 at `h/2` — a quarter, as `h²`
/// predicts), and at small steps the rounding of the Float32 loss, divided by the step, does. So
/// the numerical derivative is extrapolated (`Difference.extrapolated`: Richardson,
/// `(4·D(h/2) − D(h))/3`, truncation `O(h⁴)`), and the tolerance is widened by what Float32
/// rounding can contribute (`roundingFactor`): the loss is good to about `ε₃₂ · max(1, |L|)`
/// (`ε₃₂ = 2⁻²³`) per evaluation, which the extrapolated difference turns into at most
/// `3 · ε₃₂ · max(1, |L|) / h` in a derivative; `roundingFactor` times that is allowed on top of
/// `tolerance`. Measured on lesson 11's tiny GPT for seeds 0–149, 2⁶⁴−2 and 2⁶⁴−1: every check
/// passes, the largest error beyond `1e-3` being 0.36 of one bound, so `float32(step:)`'s factor
/// of 4 leaves a margin of 11. A wrong term in a backward pass still gives errors of order 1.
public struct GradientCheck: Sendable {
    /// The finite-difference step `h`, applied in `Float`.
    public var step: Float
    /// The largest accepted `error` (see `Result.error`), before any rounding allowance.
    public var tolerance: Double
    /// How the numerical derivative is formed.
    public var difference: Difference = .central
    /// How many times the Float32 rounding bound of the difference (see above) is allowed on top
    /// of `tolerance`; 0 (the default) allows nothing.
    public var roundingFactor: Double = 0

    /// The numerical derivative.
    public enum Difference: Sendable {
        /// `(L(θ + h) − L(θ − h)) / 2h`: truncation error `O(h²)`, `2n` evaluations of the loss.
        case central
        /// Richardson's extrapolation of central differences at `h` and `h/2`,
        /// `(4·D(h/2) − D(h)) / 3`: truncation error `O(h⁴)`, `4n` evaluations.
        case extrapolated
    }

    /// A checker with step `h` and a tolerance on the scaled error.
    public init(step: Float = 1e-2, tolerance: Double = 1e-3) {
        self.step = step
        self.tolerance = tolerance
    }

    /// The check for a whole network in Float32 whose verdict does not depend on the seed:
    /// extrapolated differences at `step` and `step/2`, tolerance `1e-3` plus 4 times the
    /// Float32 rounding bound (see the type's documentation).
    public static func float32(step: Float = 1e-2) -> GradientCheck {
        var checker = GradientCheck(step: step, tolerance: 1e-3)
        checker.difference = .extrapolated
        checker.roundingFactor = 4
        return checker
    }

    /// The largest error in a derivative that rounding the Float32 loss `loss` can cause:
    /// `c · ε₃₂ · max(1, |L|) / h`, `c` = 1 for central and 3 for extrapolated differences.
    public func roundingBound(loss: Double) -> Double {
        let epsilon = Double(Float.ulpOfOne)
        let spread: Double = difference == .central ? 1 : 3
        return spread * epsilon * max(1, abs(loss)) / Double(step)
    }

    /// The comparison for one parameter.
    public struct Result: Sendable, CustomStringConvertible {
        /// The parameter's name.
        public let name: String
        /// `max_j |analytic_j − numerical_j|`.
        public let maxAbsoluteError: Double
        /// `max_j |numerical_j|`: the gradient's scale.
        public let scale: Double
        /// `maxAbsoluteError / max(scale, 1e-3)`: the error relative to the gradient's size
        /// (with a floor, so an all-zero gradient is judged on its absolute error).
        public let error: Double
        /// The element with the largest absolute error.
        public let worstIndex: Int
        /// The largest accepted `error`: `tolerance` plus the rounding allowance, in the same
        /// relative units.
        public let accepted: Double
        /// Whether `error ≤ accepted`.
        public let passed: Bool

        /// `fc1.weight: error 3.1e-05 (max |Δ| 1.2e-06, scale 0.04, accepted 0.001) ok`.
        public var description: String {
            "\(name): error \(error) (max |Δ| \(maxAbsoluteError) at \(worstIndex), scale \(scale), accepted \(accepted)) "
                + (passed ? "ok" : "FAILED")
        }
    }

    /// `∂loss/∂θ` by finite differences (`difference`), one element at a time. The parameter's
    /// value is restored exactly afterwards.
    public func numericalGradient(of parameter: Parameter, loss: () -> Double) -> [Double] {
        switch difference {
        case .central:
            return centralDifferences(of: parameter, step: step, loss: loss)
        case .extrapolated:
            let coarse = centralDifferences(of: parameter, step: step, loss: loss)
            let fine = centralDifferences(of: parameter, step: step / 2, loss: loss)
            return zip(fine, coarse).map { (4 * $0 - $1) / 3 }
        }
    }

    /// `∂loss/∂θ` by central differences with step `step`.
    func centralDifferences(of parameter: Parameter, step: Float, loss: () -> Double) -> [Double] {
        var gradient = [Double](repeating: 0, count: parameter.count)
        for j in 0..<parameter.count {
            let original = parameter.value.data[j]
            let plus = original + step
            let minus = original - step
            parameter.value.data[j] = plus
            let lossPlus = loss()
            parameter.value.data[j] = minus
            let lossMinus = loss()
            parameter.value.data[j] = original
            gradient[j] = (lossPlus - lossMinus) / (Double(plus) - Double(minus))
        }
        return gradient
    }

    /// Compares each parameter's `grad` (filled by the caller's backward pass) with the
    /// numerical gradient of `loss`. The caller's `loss` must run the forward pass afresh.
    public func check(_ parameters: [Parameter], loss: () -> Double) -> [Result] {
        let allowance = roundingFactor > 0 ? roundingFactor * roundingBound(loss: loss()) : 0
        return parameters.map { p in
            let numerical = numericalGradient(of: p, loss: loss)
            var worst = 0.0
            var worstIndex = 0
            var scale = 0.0
            for j in 0..<numerical.count {
                let difference = abs(Double(p.grad.data[j]) - numerical[j])
                if difference > worst {
                    worst = difference
                    worstIndex = j
                }
                scale = max(scale, abs(numerical[j]))
            }
            let error = worst / max(scale, 1e-3)
            let accepted = tolerance + allowance / max(scale, 1e-3)
            return Result(
                name: p.name, maxAbsoluteError: worst, scale: scale, error: error,
                worstIndex: worstIndex, accepted: accepted, passed: error <= accepted)
        }
    }

    /// `Σ y ⊙ r`, accumulated in `Double`: a scalar test loss whose gradient is `dy = r`.
    public static func weightedSum(_ y: Matrix, _ r: Matrix) -> Double {
        checkPrecondition(
            y.rows == r.rows && y.cols == r.cols,
            "GradientCheck.weightedSum: y is \(y.shapeDescription) but r is \(r.shapeDescription)")
        var total = 0.0
        for i in 0..<y.count { total += Double(y.data[i]) * Double(r.data[i]) }
        return total
    }
}
