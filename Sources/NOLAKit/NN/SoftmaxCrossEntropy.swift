#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Softmax followed by the negative log-likelihood of the true class, averaged over the batch
/// (PyTorch's `F.cross_entropy(logits, labels)`):
///
///     L = −(1/B) Σ_i log softmax(z_i)[label_i],   log softmax(z)_c = z_c − m − log Σ_k e^(z_k − m)
///
/// with `m = max_k z_k` subtracted first, so logits of ±1000 give a finite loss, never NaN.
/// Backward: `dz = (p − onehot(label)) / B`, `p = softmax(z)`.
/// Shapes: `z, p, dz: (B, classes)`, `labels: B` (integers in `0..<classes`).
public final class SoftmaxCrossEntropy {
    /// `softmax(z)` of the last forward: `(B, classes)`.
    public private(set) var probabilities = Matrix(rows: 0, cols: 0)
    private var labels: [Int] = []
    private var logitsGradient = Matrix(rows: 0, cols: 0)

    /// A loss (it keeps the probabilities between forward and backward).
    public init() {}

    /// The mean cross-entropy of `logits: (B, classes)` against `labels: B`.
    public func forward(_ logits: Matrix, labels: [Int]) -> Float {
        let (b, c) = (logits.rows, logits.cols)
        checkPrecondition(
            labels.count == b,
            "SoftmaxCrossEntropy: logits are \(logits.shapeDescription) but there are \(labels.count) labels")
        checkPrecondition(b > 0 && c > 0, "SoftmaxCrossEntropy: logits \(logits.shapeDescription) are empty")
        for l in labels {
            checkPrecondition(l >= 0 && l < c, "SoftmaxCrossEntropy: label \(l) is outside 0..<\(c)")
        }
        self.labels = labels
        probabilities.prepare(rows: b, cols: c)
        var total: Double = 0
        logits.data.withUnsafeBufferPointer { pz in
            probabilities.data.withUnsafeMutableBufferPointer { pp in
                for i in 0..<b {
                    let z = pz.baseAddress! + i * c
                    let p = pp.baseAddress! + i * c
                    var m = z[0]
                    for k in 1..<c { m = max(m, z[k]) }
                    var sum: Float = 0
                    for k in 0..<c {
                        let e = expf(z[k] - m)
                        p[k] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for k in 0..<c { p[k] *= inverse }
                    // −log p[label] = log Σ e^(z−m) − (z[label] − m); sum ≥ 1, so the log is finite.
                    total += Double(logf(sum) - (z[labels[i]] - m))
                }
            }
        }
        return Float(total / Double(b))
    }

    /// `dz = (p − onehot(labels)) / B`: `(B, classes)`.
    public func backward() -> Matrix {
        let (b, c) = (probabilities.rows, probabilities.cols)
        checkPrecondition(b > 0, "SoftmaxCrossEntropy.backward: call forward first")
        logitsGradient.prepare(rows: b, cols: c)
        let scale = 1 / Float(b)
        probabilities.data.withUnsafeBufferPointer { pp in
            logitsGradient.data.withUnsafeMutableBufferPointer { pg in
                for i in 0..<(b * c) { pg[i] = pp[i] * scale }
                for i in 0..<b { pg[i * c + labels[i]] -= scale }
            }
        }
        return logitsGradient
    }
}
