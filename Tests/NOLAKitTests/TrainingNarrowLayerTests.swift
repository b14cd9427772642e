import Testing

@testable import NOLAKit

/// The speed path of narrow layers (a 10-class head): their products run as several one-thread
/// BLAS calls over row blocks. They must give what one BLAS call gives.
@Suite("Training speed: a narrow layer's blocked products")
struct TrainingNarrowLayerTests {
    @Test("a 256→10 head at batch 512 uses one-thread blocks of 102 rows; wide layers and small batches do not")
    func blockChoice() {
        let random = RandomStream(seed: 1)
        let head = Linear(name: "fc2", inputs: 256, outputs: 10, random: random)
        #expect(head.oneThreadRowBlock(batch: 512) == 102)  // 102 · 10 · 256 ≤ 262,144 < 103 · 10 · 256
        #expect(head.oneThreadRowBlock(batch: 64) == nil)  // one call is already one thread
        let wide = Linear(name: "fc1", inputs: 784, outputs: 256, random: random)
        #expect(wide.oneThreadRowBlock(batch: 512) == nil)
    }

    @Test("forward, dW, db and dx of the blocked path equal one BLAS call each", arguments: [512, 333])
    func blockedEqualsOneCall(batch: Int) throws {
        let layer = Linear(name: "head", inputs: 256, outputs: 10, random: RandomStream(seed: 2))
        try #require(layer.oneThreadRowBlock(batch: batch) != nil)
        let x = randomMatrix(batch, 256, seed: 3)
        let dy = randomMatrix(batch, 10, seed: 4)

        // References: y = x Wᵀ + b, dW = dyᵀ x, db = Σ_rows dy, dx = dy W, each as one call.
        var expectedY = BLAS.matmul(x, layer.weight.value, transposeB: true)
        for i in 0..<batch {
            for o in 0..<10 { expectedY[i, o] += layer.bias!.value[0, o] }
        }
        let expectedDW = BLAS.matmul(dy, x, transposeA: true)
        let expectedDX = BLAS.matmul(dy, layer.weight.value)
        var expectedDB = Matrix(rows: 1, cols: 10)
        for i in 0..<batch {
            for o in 0..<10 { expectedDB[0, o] += dy[i, o] }
        }

        let y = layer.forward(x)
        #expect(y.maxAbsDifference(expectedY) < 1e-4)
        let dx = layer.backward(dy)
        #expect(layer.weight.grad.maxAbsDifference(expectedDW) < 1e-3)
        #expect(layer.bias!.grad.maxAbsDifference(expectedDB) < 1e-3)
        #expect(dx.maxAbsDifference(expectedDX) < 1e-4)

        // Gradients accumulate (+=) over the blocks and over calls alike.
        _ = layer.forward(x)
        _ = layer.backward(dy)
        var twice = expectedDW
        BLAS.scal(2, &twice)
        #expect(layer.weight.grad.maxAbsDifference(twice) < 2e-3)
    }
}
