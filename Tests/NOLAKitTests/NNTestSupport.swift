import NOLAKit
import Testing

/// Shared helpers for the NN tests: random matrices, a gradient-check assertion, a test adapter
/// and a synthetic classification problem.

/// A `rows × cols` matrix Uniform(−bound, bound) from stream `stream` of `seed`.
func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, stream: UInt64 = 0, bound: Float = 1) -> Matrix {
    RandomStream(seed: seed, stream: stream).uniformMatrix(rows: rows, cols: cols, bound: bound)
}

/// Runs `GradientCheck` on `parameters` and expects every result to pass.
@discardableResult
func expectGradientsMatch(
    _ parameters: [Parameter], checker: GradientCheck = GradientCheck(),
    sourceLocation: SourceLocation = #_sourceLocation, loss: () -> Double
) -> [GradientCheck.Result] {
    let results = checker.check(parameters, loss: loss)
    for r in results {
        #expect(r.passed, "\(r)", sourceLocation: sourceLocation)
    }
    return results
}

/// The simplest adapter: a full `ΔW: (out, in)` added to the layer, `y += x ΔWᵀ`.
/// It exercises the `LinearAdapter` hook without any LoRA structure.
final class FullRankAdapter: LinearAdapter {
    let delta: Parameter

    init(name: String, delta: Matrix) {
        self.delta = Parameter(name: "\(name).delta", value: delta)
    }

    func forward(_ x: Matrix, adding y: inout Matrix) {
        BLAS.gemm(x, delta.value, into: &y, transposeB: true, beta: 1)
    }

    func backward(_ dy: Matrix, input x: Matrix, addingTo dx: inout Matrix?) {
        if delta.isTrainable {
            BLAS.gemm(dy, x, into: &delta.grad, transposeA: true, beta: 1)
        }
        if dx != nil {
            BLAS.gemm(dy, delta.value, into: &dx!, beta: 1)
        }
    }

    var parameters: [Parameter] { [delta] }

    func deltaWeight() -> Matrix { delta.value }
}

/// Gaussian blobs: `classes` centres with coordinates Uniform(±spread) in `dimension` dimensions,
/// and points `centre + N(0, noise²)` with labels cycling through the classes. The centres come
/// from stream 0 of `seed`, the points from stream `split + 1`, so train and test splits share
/// the centres but not the points.
struct Blobs {
    let inputs: Matrix
    let labels: [Int]

    init(count: Int, classes: Int, dimension: Int, seed: UInt64, split: UInt64, spread: Float = 2, noise: Float = 1) {
        let centres = RandomStream(seed: seed, stream: 0).uniformMatrix(rows: classes, cols: dimension, bound: spread)
        let normals = RandomStream(seed: seed, stream: split + 1).normal(count * dimension)
        var x = Matrix(rows: count, cols: dimension)
        var y = [Int](repeating: 0, count: count)
        for i in 0..<count {
            y[i] = i % classes
            for j in 0..<dimension {
                x[i, j] = centres[y[i], j] + noise * normals[i * dimension + j]
            }
        }
        inputs = x
        labels = y
    }

    /// Rows `range` and their labels.
    func batch(_ range: Range<Int>) -> (Matrix, [Int]) {
        (inputs.rows(range), Array(labels[range]))
    }
}
