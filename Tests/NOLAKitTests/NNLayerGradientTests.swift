import NOLAKit
import Testing

/// Finite-difference checks of every layer's backward pass, with the loss `Σ y ⊙ r` for a fixed
/// random `r` (so `dy = r`), on both the input and every parameter.
@Suite("NN layers: gradients against finite differences")
struct NNLayerGradientTests {
    @Test("Linear with bias: dx, dW, db", arguments: [true, false])
    func linear(bias: Bool) {
        let layer = Linear(name: "fc", inputs: 5, outputs: 3, bias: bias, random: RandomStream(seed: 1))
        let x = Parameter(name: "x", value: randomMatrix(4, 5, seed: 2))
        let r = randomMatrix(4, 3, seed: 3)
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        #expect(layer.parameters.count == (bias ? 2 : 1))
        expectGradientsMatch([x] + layer.parameters) {
            GradientCheck.weightedSum(layer.forward(x.value), r)
        }
    }

    @Test("Linear skipping dx returns an empty matrix and the same parameter gradients")
    func linearSkipsInputGradient() {
        let full = Linear(name: "a", inputs: 6, outputs: 4, random: RandomStream(seed: 7))
        let skip = Linear(name: "b", inputs: 6, outputs: 4, computesInputGradient: false, random: RandomStream(seed: 7))
        let x = randomMatrix(5, 6, seed: 8)
        let r = randomMatrix(5, 4, seed: 9)
        _ = full.forward(x)
        _ = skip.forward(x)
        #expect(full.backward(r).shapeDescription == "(5×6)")
        #expect(skip.backward(r).count == 0)
        #expect(skip.weight.grad == full.weight.grad)
        #expect(skip.bias!.grad == full.bias!.grad)
        expectGradientsMatch(skip.parameters) {
            GradientCheck.weightedSum(skip.forward(x), r)
        }
    }

    @Test("Linear accumulates parameter gradients (+=) and skips frozen ones")
    func linearAccumulates() {
        let layer = Linear(name: "fc", inputs: 3, outputs: 2, random: RandomStream(seed: 4))
        let x = randomMatrix(2, 3, seed: 5)
        let r = randomMatrix(2, 2, seed: 6)
        _ = layer.forward(x)
        _ = layer.backward(r)
        let once = layer.weight.grad
        let onceBias = layer.bias!.grad
        _ = layer.forward(x)
        _ = layer.backward(r)
        for i in 0..<once.count {
            #expect(layer.weight.grad.data[i] == 2 * once.data[i])
        }
        for i in 0..<onceBias.count {
            #expect(layer.bias!.grad.data[i] == 2 * onceBias.data[i])
        }

        let frozen = Linear(name: "f", inputs: 3, outputs: 2, random: RandomStream(seed: 4))
        frozen.parameters.freezeAll()
        _ = frozen.forward(x)
        let dx = frozen.backward(r)
        #expect(frozen.weight.grad == Matrix.zeros(2, 3))
        #expect(frozen.bias!.grad == Matrix.zeros(1, 2))
        #expect(dx.shapeDescription == "(2×3)")
    }

    @Test("Linear initialisation follows PyTorch's default: bounds 1/√in, weight then bias")
    func linearInitialisation() {
        let stream = RandomStream(seed: 11)
        let layer = Linear(name: "fc", inputs: 16, outputs: 8, random: stream)
        let bound = RandomStream.kaimingBound(fanIn: 16)
        #expect(layer.weight.value == stream.kaimingUniform(rows: 8, cols: 16))
        #expect(layer.bias!.value == stream.uniformMatrix(rows: 1, cols: 8, bound: bound, from: 128))
        #expect(layer.weight.value.data.allSatisfy { abs($0) <= bound })
        #expect(layer.bias!.value.data.allSatisfy { abs($0) <= bound })
        #expect(layer.weight.name == "fc.weight" && layer.bias!.name == "fc.bias")
    }

    @Test("ReLU: forward values and dx away from the kink")
    func relu() {
        let layer = ReLU()
        let y = layer.forward(Matrix([[-1, 0, 2], [3, -0.5, 0.25]]))
        #expect(y == Matrix([[0, 0, 2], [3, 0, 0.25]]))
        // Inputs at least 0.1 away from 0, so a step of 1e-2 never crosses the kink.
        var values = randomMatrix(4, 6, seed: 12)
        for i in 0..<values.count { values.data[i] += values.data[i] >= 0 ? 0.1 : -0.1 }
        let x = Parameter(name: "x", value: values)
        let r = randomMatrix(4, 6, seed: 13)
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        expectGradientsMatch([x]) { GradientCheck.weightedSum(layer.forward(x.value), r) }
    }

    @Test("GELU (tanh form): known values and dx")
    func gelu() {
        let layer = GELU()
        // 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))), evaluated in Double.
        let y = layer.forward(Matrix([[-3, -1, 0, 0.5, 1, 3]]))
        let expected: [Float] = [-0.003637392, -0.158808009, 0, 0.345714010, 0.841191991, 2.996362608]
        for (a, b) in zip(y.data, expected) { #expect(abs(a - b) < 1e-6, "\(a) vs \(b)") }
        let x = Parameter(name: "x", value: randomMatrix(4, 6, seed: 14, bound: 3))
        let r = randomMatrix(4, 6, seed: 15)
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        expectGradientsMatch([x]) { GradientCheck.weightedSum(layer.forward(x.value), r) }
    }

    @Test("LayerNorm: normalised rows, and dx, dγ, dβ")
    func layerNorm() {
        let layer = LayerNorm(name: "ln", dimension: 6)
        // Default γ = 1, β = 0: each row of the output has mean 0 and variance ≈ 1.
        let plain = layer.forward(randomMatrix(3, 6, seed: 16, bound: 4))
        for i in 0..<3 {
            let row = (0..<6).map { Double(plain[i, $0]) }
            let mean = row.reduce(0, +) / 6
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-3)
        }
        // Non-trivial γ and β so that every term of the backward matters.
        layer.gamma.value = randomMatrix(1, 6, seed: 17, bound: 2)
        layer.beta.value = randomMatrix(1, 6, seed: 18)
        let x = Parameter(name: "x", value: randomMatrix(3, 6, seed: 19, bound: 2))
        let r = randomMatrix(3, 6, seed: 20)
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        expectGradientsMatch([x] + layer.parameters) {
            GradientCheck.weightedSum(layer.forward(x.value), r)
        }
    }

    @Test("LayerNorm's eight-lane backward: finite differences at widths across the lanes' and column groups' edges", arguments: [8, 17, 37])
    func layerNormWide(width: Int) {
        let layer = LayerNorm(name: "ln", dimension: width)
        layer.gamma.value = randomMatrix(1, width, seed: 22, bound: 2)
        layer.beta.value = randomMatrix(1, width, seed: 23)
        let x = Parameter(name: "x", value: randomMatrix(3, width, seed: 24, bound: 2))
        let r = randomMatrix(3, width, seed: 25)
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        expectGradientsMatch([x] + layer.parameters) {
            GradientCheck.weightedSum(layer.forward(x.value), r)
        }
    }

    @Test("LayerNorm's backward over many rows (columns shared among cores) equals the formula in Double")
    func layerNormManyRows() {
        let (rows, n) = (300, 37)
        let layer = LayerNorm(name: "ln", dimension: n)
        layer.gamma.value = randomMatrix(1, n, seed: 26, bound: 2)
        let x = randomMatrix(rows, n, seed: 27, bound: 3)
        let dy = randomMatrix(rows, n, seed: 28)
        _ = layer.forward(x)
        let dx = layer.backward(dy)
        var (dGamma, dBeta) = ([Double](repeating: 0, count: n), [Double](repeating: 0, count: n))
        var worst = 0.0
        for i in 0..<rows {
            let row = (0..<n).map { Double(x[i, $0]) }
            let mean = row.reduce(0, +) / Double(n)
            let r = 1 / (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n) + 1e-5).squareRoot()
            let xhat = row.map { ($0 - mean) * r }
            let g = (0..<n).map { Double(dy[i, $0]) * Double(layer.gamma.value[0, $0]) }
            let meanG = g.reduce(0, +) / Double(n)
            let meanGX = zip(g, xhat).map { $0 * $1 }.reduce(0, +) / Double(n)
            for j in 0..<n {
                worst = max(worst, abs(Double(dx[i, j]) - r * (g[j] - meanG - xhat[j] * meanGX)))
                dGamma[j] += Double(dy[i, j]) * xhat[j]
                dBeta[j] += Double(dy[i, j])
            }
        }
        #expect(worst < 1e-4, "dx differs by \(worst)")
        for j in 0..<n {
            #expect(abs(Double(layer.gamma.grad[0, j]) - dGamma[j]) < 1e-3, "dγ[\(j)]")
            #expect(abs(Double(layer.beta.grad[0, j]) - dBeta[j]) < 1e-3, "dβ[\(j)]")
        }
    }

    @Test("Embedding: rows looked up, repeated tokens accumulate")
    func embedding() {
        let layer = Embedding(name: "wte", vocabulary: 5, dimension: 4, random: RandomStream(seed: 21))
        let ids = [1, 3, 1, 0]
        let y = layer.forward(ids)
        for (i, t) in ids.enumerated() {
            for j in 0..<4 { #expect(y[i, j] == layer.table.value[t, j]) }
        }
        let r = randomMatrix(4, 4, seed: 22)
        layer.backward(r)
        // Row 1 is used twice: its gradient is the sum of rows 0 and 2 of r; row 2 is unused.
        for j in 0..<4 {
            #expect(layer.table.grad[1, j] == r[0, j] + r[2, j])
            #expect(layer.table.grad[2, j] == 0)
        }
        expectGradientsMatch(layer.parameters) { GradientCheck.weightedSum(layer.forward(ids), r) }
    }

    @Test("softmax cross-entropy: dlogits against finite differences")
    func softmaxCrossEntropy() {
        let loss = SoftmaxCrossEntropy()
        let logits = Parameter(name: "logits", value: randomMatrix(5, 4, seed: 23, bound: 3))
        let labels = [0, 3, 2, 2, 1]
        _ = loss.forward(logits.value, labels: labels)
        logits.grad = loss.backward()
        expectGradientsMatch([logits]) { Double(loss.forward(logits.value, labels: labels)) }
    }

    @Test("mean squared error: dprediction against finite differences")
    func meanSquaredError() {
        let loss = MeanSquaredError()
        let prediction = Parameter(name: "prediction", value: randomMatrix(3, 4, seed: 24))
        let target = randomMatrix(3, 4, seed: 25)
        _ = loss.forward(prediction.value, target: target)
        prediction.grad = loss.backward()
        expectGradientsMatch([prediction]) { Double(loss.forward(prediction.value, target: target)) }
    }

    @Test("a shape mismatch stops with both shapes named")
    func shapeMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = Linear(name: "fc", inputs: 5, outputs: 3, random: RandomStream(seed: 1))
            _ = layer.forward(Matrix(rows: 2, cols: 4))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("(2×4)") && message.contains("(3×5)"), "\(message)")
    }
}
