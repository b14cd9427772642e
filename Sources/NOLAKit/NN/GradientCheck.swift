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
public struct GradientCheck: Sendable {
    /// The finite-difference step `h`, applied in `Float`.
    public var step: Float
    /// The largest accepted `error` (see `Result.error`).
    public var tolerance: Double

    /// A checker with step `h` and a tolerance on the scaled error.
    public init(step: Float = 1e-2, tolerance: Double = 1e-3) {
        self.step = step
        self.tolerance = tolerance
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
        /// Whether `error ≤ tolerance`.
        public let passed: Bool

        /// `fc1.weight: error 3.1e-05 (max |Δ| 1.2e-06, scale 0.04) ok`.
        public var description: String {
            "\(name): error \(error) (max |Δ| \(maxAbsoluteError) at \(worstIndex), scale \(scale)) \(passed ? "ok" : "FAILED")"
        }
    }

    /// `∂loss/∂θ` by central differences, one element at a time. The parameter's value is
    /// restored exactly afterwards.
    public func numericalGradient(of parameter: Parameter, loss: () -> Double) -> [Double] {
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
        parameters.map { p in
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
            return Result(
                name: p.name, maxAbsoluteError: worst, scale: scale, error: error,
                worstIndex: worstIndex, passed: error <= tolerance)
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
