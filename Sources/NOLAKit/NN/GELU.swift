import CMathAVX2

/// The Gaussian error linear unit in its tanh form (GPT-2's, PyTorch's
/// `GELU(approximate="tanh")`), element-wise:
///
///     y = ½ x (1 + tanh u),   u = √(2/π) (x + 0.044715 x³)
///
/// Backward: `dy/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)`, with
/// `tanh u` kept from the forward. `tanh` is `VectorMath.tanh` (absolute error about 1e-7, 5–10×
/// faster than the C library's, which took a third of a GPT training step); on CPUs with AVX2
/// and FMA the forward runs `CMathAVX2`'s kernel, the same formula eight lanes wide.
/// Shapes: `x, y, dy, dx: (batch, n)`.
public final class GELU: Layer {
    private var input = Matrix(rows: 0, cols: 0)
    /// `tanh u` of the last forward, reused by the backward.
    private var tanhU: [Float] = []
    private var output = Matrix(rows: 0, cols: 0)
    private var inputGradient = Matrix(rows: 0, cols: 0)

    /// `√(2/π)`.
    static let k: Float = 0.797_884_56
    /// The cubic coefficient of the approximation.
    static let c: Float = 0.044715

    /// A GELU (no parameters).
    public init() {}

    /// None.
    public var parameters: [Parameter] { [] }

    /// `y = ½ x (1 + tanh(√(2/π)(x + 0.044715 x³)))`, eight values at a time (`VectorMath.tanh`),
    /// on every core for large inputs.
    public func forward(_ x: Matrix) -> Matrix {
        StepPhaseRecorder.time(.gelu) { forwardPass(x) }
    }

    private func forwardPass(_ x: Matrix) -> Matrix {
        input = x
        output.prepare(rows: x.rows, cols: x.cols)
        if tanhU.count != x.count { tanhU = [Float](repeating: 0, count: x.count) }
        guard x.count > 0 else { return output }
        x.data.withUnsafeBufferPointer { px in
            output.data.withUnsafeMutableBufferPointer { py in
                tanhU.withUnsafeMutableBufferPointer { pt in
                    GELU.forward(px.baseAddress!, into: py.baseAddress!, tanh: pt.baseAddress!, count: px.count)
                }
            }
        }
        return output
    }

    /// `y = gelu(x)` and `t = tanh u` for `count` values, on every core for many values; with
    /// the AVX2 kernel when `avx2` (default: when the CPU has it).
    static func forward(
        _ xs: UnsafePointer<Float>, into ys: UnsafeMutablePointer<Float>, tanh ts: UnsafeMutablePointer<Float>, count: Int,
        avx2: Bool = VectorMath.hasAVX2
    ) {
        if avx2 {
            forEachRange(count) { r in
                nola_gelu_avx2(xs + r.lowerBound, ys + r.lowerBound, ts + r.lowerBound, r.count)
            }
            return
        }
        forEachOctet(count) { i, n in
            let v = load(xs + i, n)
            let t = VectorMath.tanh(k * (v + c * v * v * v))
            store(t, ts + i, n)
            store(0.5 * v * (1 + t), ys + i, n)
        }
    }

    /// `dx = dy ⊙ gelu'(x)`.
    public func backward(_ dy: Matrix) -> Matrix {
        StepPhaseRecorder.time(.gelu) { backwardPass(dy) }
    }

    private func backwardPass(_ dy: Matrix) -> Matrix {
        checkPrecondition(
            dy.rows == input.rows && dy.cols == input.cols && tanhU.count == input.count,
            "GELU.backward: dy is \(dy.shapeDescription) but the cached input is \(input.shapeDescription) "
                + "(call forward before each backward)")
        inputGradient.prepare(rows: dy.rows, cols: dy.cols)
        guard dy.count > 0 else { return inputGradient }
        dy.data.withUnsafeBufferPointer { pdy in
            input.data.withUnsafeBufferPointer { px in
                tanhU.withUnsafeBufferPointer { pt in
                    inputGradient.data.withUnsafeMutableBufferPointer { pdx in
                        GELU.backward(
                            pdy.baseAddress!, input: px.baseAddress!, tanh: pt.baseAddress!, into: pdx.baseAddress!, count: pdy.count)
                    }
                }
            }
        }
        input = Matrix(rows: 0, cols: 0)
        return inputGradient
    }

    /// `dx = dy ⊙ gelu'(x)` for `count` values from the forward's `tanh u`; with the AVX2 kernel
    /// when `avx2` (default: when the CPU has it).
    static func backward(
        _ dys: UnsafePointer<Float>, input xs: UnsafePointer<Float>, tanh ts: UnsafePointer<Float>,
        into dxs: UnsafeMutablePointer<Float>, count: Int, avx2: Bool = VectorMath.hasAVX2
    ) {
        if avx2 {
            forEachRange(count) { r in
                let o = r.lowerBound
                nola_gelu_backward_avx2(dys + o, xs + o, ts + o, dxs + o, r.count)
            }
            return
        }
        forEachOctet(count) { i, n in
            let v = load(xs + i, n)
            let t = load(ts + i, n)
            let du = k * (1 + 3 * c * v * v)
            store(load(dys + i, n) * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du), dxs + i, n)
        }
    }

    /// Calls `body(i, n)` for the runs of `n ≤ 8` values starting at `i = 0, 8, 16, …` below
    /// `count`, the runs split across cores when there are many.
    static func forEachOctet(_ count: Int, _ body: (Int, Int) -> Void) {
        let octets = (count + 7) / 8
        Parallel.forEachSlice(octets, minimumPerWorker: 4096) { _, slice in
            for o in slice { body(8 * o, min(8, count - 8 * o)) }
        }
    }

    /// Calls `body` for consecutive ranges of `0..<count` (whole octets but the last), one per
    /// core when there are many values.
    static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        let octets = (count + 7) / 8
        Parallel.forEachSlice(octets, minimumPerWorker: 4096) { _, slice in
            body((8 * slice.lowerBound)..<min(count, 8 * slice.upperBound))
        }
    }

    /// `n ≤ 8` values from `p` (zeros after them).
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ n: Int) -> SIMD8<Float> {
        if n == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>(repeating: 0)
        for j in 0..<n { v[j] = p[j] }
        return v
    }

    /// The first `n ≤ 8` lanes of `v` to `p`.
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 8 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
            return
        }
        for j in 0..<n { p[j] = v[j] }
    }
}
