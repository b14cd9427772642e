import NOLAKit
import Testing

@Suite("NN models: MLP, adapter hook, training")
struct NNModelTests {
    @Test("the paper's 784-256-10 MLP has 203,530 trainable parameters")
    func parameterCounts() {
        let model = Sequential.mlp([784, 256, 10], seed: 1)
        #expect(model.trainableParameterCount == 203_530)  // 784·256 + 256 + 256·10 + 10
        #expect(model.parameters.map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let (fc1, fc2) = (model.linearLayers[0], model.linearLayers[1])
        #expect(!fc1.computesInputGradient && fc2.computesInputGradient)
        fc1.weight.freeze()
        #expect(model.trainableParameterCount == 203_530 - 200_704)
        #expect(model.parameters.totalCount == 203_530)
        // An adapter's tensors join the count; one tensor shared by two layers counts once.
        let shared = FullRankAdapter(name: "shared", delta: Matrix.zeros(10, 256))
        fc2.adapter = shared
        #expect(model.trainableParameterCount == 203_530 - 200_704 + 2_560)
        model.parameters.freezeAll()
        #expect(model.trainableParameterCount == 0)
    }

    @Test("the MLP factory: layer order, activations, a deeper network's count")
    func mlpFactory() {
        let relu = Sequential.mlp([784, 256, 10], seed: 1)
        #expect(relu.layers.count == 3 && relu.layers[1] is ReLU)
        let gelu = Sequential.mlp([8, 16, 16, 4], seed: 1, activation: .gelu)
        #expect(gelu.layers.count == 5 && gelu.layers[1] is GELU && gelu.layers[3] is GELU)
        #expect(gelu.linearLayers.map(\.name) == ["fc1", "fc2", "fc3"])
        #expect(gelu.trainableParameterCount == (8 * 16 + 16) + (16 * 16 + 16) + (16 * 4 + 4))
    }

    @Test("same seed, same network; another seed, another network")
    func initialisationBySeed() {
        let a = Sequential.mlp([784, 256, 10], seed: 42).parameters.map(\.value)
        let b = Sequential.mlp([784, 256, 10], seed: 42).parameters.map(\.value)
        let c = Sequential.mlp([784, 256, 10], seed: 43).parameters.map(\.value)
        #expect(a == b)
        #expect(a != c)
        // Layer fck draws from stream k − 1: the second layer is not a copy of the first's stream.
        #expect(a[2].data[0..<10] != a[0].data[0..<10])
    }

    /// Minimum |pre-activation| of the first layer, for the kink condition of ReLU checks.
    func smallestPreactivation(_ model: Sequential, _ x: Matrix) -> Float {
        let h = model.linearLayers[0].forward(x)
        return h.data.map(abs).min()!
    }

    @Test("MLP with ReLU, end to end through softmax cross-entropy: every gradient and dx")
    func mlpGradients() throws {
        let model = Sequential.mlp([6, 8, 3], seed: 3)
        model.linearLayers[0].computesInputGradient = true  // to check dx as well
        let x = Parameter(name: "x", value: randomMatrix(4, 6, seed: 31))
        let labels = [0, 2, 1, 2]
        let loss = SoftmaxCrossEntropy()
        // A step h moves a pre-activation by at most h·max(1, |x|, |W|) = h: none may be within
        // h of the ReLU kink, or finite differences straddle it.
        let checker = GradientCheck(step: 1e-3, tolerance: 1e-2)
        try #require(smallestPreactivation(model, x.value) > 2e-3)
        _ = loss.forward(model.forward(x.value), labels: labels)
        x.grad = model.backward(loss.backward())
        expectGradientsMatch([x] + model.parameters, checker: checker) {
            Double(loss.forward(model.forward(x.value), labels: labels))
        }
    }

    @Test("Linear → LayerNorm → GELU → Linear, end to end: every gradient and dx")
    func composedGradients() {
        let model = Sequential([
            Linear(name: "fc1", inputs: 5, outputs: 7, random: RandomStream(seed: 5, stream: 1)),
            LayerNorm(name: "ln", dimension: 7),
            GELU(),
            Linear(name: "fc2", inputs: 7, outputs: 4, bias: false, random: RandomStream(seed: 5, stream: 2)),
        ])
        let x = Parameter(name: "x", value: randomMatrix(3, 5, seed: 32))
        let r = randomMatrix(3, 4, seed: 33)
        _ = model.forward(x.value)
        x.grad = model.backward(r)
        // LayerNorm of small pre-activations is strongly curved: the O(h²) truncation error at
        // h = 1e-2 reaches 1e-3, so this check takes the smaller step of the MLP check.
        expectGradientsMatch([x] + model.parameters, checker: GradientCheck(step: 1e-3, tolerance: 1e-2)) {
            GradientCheck.weightedSum(model.forward(x.value), r)
        }
    }

    @Test("adapter hook: dx, dW and the adapter's gradient against finite differences", arguments: [true, false])
    func adapterGradients(inputGradient: Bool) {
        let layer = Linear(name: "fc", inputs: 5, outputs: 3, computesInputGradient: inputGradient, random: RandomStream(seed: 41))
        let adapter = FullRankAdapter(name: "fc.adapter", delta: randomMatrix(3, 5, seed: 42, bound: 0.5))
        layer.adapter = adapter
        #expect(layer.parameters.map(\.name) == ["fc.weight", "fc.bias", "fc.adapter.delta"])
        let x = Parameter(name: "x", value: randomMatrix(4, 5, seed: 43))
        let r = randomMatrix(4, 3, seed: 44)
        _ = layer.forward(x.value)
        let dx = layer.backward(r)
        let checked = inputGradient ? [x] + layer.parameters : layer.parameters
        if inputGradient { x.grad = dx } else { #expect(dx.count == 0) }
        expectGradientsMatch(checked) { GradientCheck.weightedSum(layer.forward(x.value), r) }
    }

    @Test("adapter with a frozen base: W gets no gradient, the adapter does")
    func adapterWithFrozenBase() {
        let layer = Linear(name: "fc", inputs: 4, outputs: 2, random: RandomStream(seed: 45))
        layer.weight.freeze()
        layer.bias!.freeze()
        let adapter = FullRankAdapter(name: "fc.adapter", delta: Matrix.zeros(2, 4))
        layer.adapter = adapter
        #expect(layer.trainableParameterCount == 8)
        let x = randomMatrix(3, 4, seed: 46)
        _ = layer.forward(x)
        _ = layer.backward(randomMatrix(3, 2, seed: 47))
        #expect(layer.weight.grad == Matrix.zeros(2, 4))
        #expect(adapter.delta.grad != Matrix.zeros(2, 4))
        // The same step on the same data moves ΔW exactly as it would move a trainable W.
        let sgd = SGD(parameters: layer.parameters, learningRate: 0.1)
        let before = layer.weight.value
        sgd.step()
        #expect(layer.weight.value == before)
        #expect(adapter.delta.value != Matrix.zeros(2, 4))
    }

    @Test("merging the adapter gives the same outputs with the adapter detached")
    func mergeAdapter() {
        let layer = Linear(name: "fc", inputs: 6, outputs: 4, random: RandomStream(seed: 48))
        let delta = randomMatrix(4, 6, seed: 49, bound: 0.3)
        layer.adapter = FullRankAdapter(name: "fc.adapter", delta: delta)
        let x = randomMatrix(5, 6, seed: 50)
        let unmerged = layer.forward(x)
        let original = layer.weight.value
        layer.mergeAdapter()
        #expect(layer.adapter == nil)
        #expect(layer.parameters.count == 2)
        let merged = layer.forward(x)
        #expect(merged.maxAbsDifference(unmerged) < 1e-5)
        for i in 0..<original.count { #expect(layer.weight.value.data[i] == original.data[i] + delta.data[i]) }
    }

    /// Trains `[dimension, 32, classes]` on blobs with `optimizer(model)` and returns the model,
    /// the loss of every step, and the accuracy on a held-out split.
    func trainOnBlobs(
        seed: UInt64, epochs: Int = 5, schedule: LearningRateSchedule = .constant(0.1),
        optimizer makeOptimizer: (Sequential) -> any Optimizer
    ) throws -> (Sequential, [Float], Double) {
        let train = Blobs(count: 960, classes: 4, dimension: 10, seed: 7, split: 0)
        let test = Blobs(count: 400, classes: 4, dimension: 10, seed: 7, split: 1)
        let model = Sequential.mlp([10, 32, 4], seed: seed)
        let optimizer = makeOptimizer(model)
        let loss = SoftmaxCrossEntropy()
        var losses: [Float] = []
        var order = StreamCursor(seed: seed, stream: 99)
        for _ in 0..<epochs {
            let permutation = order.permutation(train.inputs.rows)
            for start in stride(from: 0, to: permutation.count, by: 32) {
                let rows = permutation[start..<(start + 32)]
                var x = Matrix(rows: 32, cols: 10)
                for (i, r) in rows.enumerated() { for j in 0..<10 { x[i, j] = train.inputs[r, j] } }
                optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount)
                losses.append(try trainStep(model, input: x, labels: rows.map { train.labels[$0] }, loss: loss, optimizer: optimizer))
            }
        }
        return (model, losses, accuracy(logits: model.forward(test.inputs), labels: test.labels))
    }

    @Test("training on Gaussian blobs reaches ≥ 95% held-out accuracy (SGD and Adam)")
    func trainsOnBlobs() throws {
        let (_, sgdLosses, sgdAccuracy) = try trainOnBlobs(seed: 1, schedule: .warmupCosine(peak: 0.1, warmup: 10, total: 150)) {
            SGD(parameters: $0.parameters, learningRate: 0.1, momentum: 0.9)
        }
        let (_, adamLosses, adamAccuracy) = try trainOnBlobs(seed: 1, schedule: .constant(0.01)) {
            Adam.adamW(parameters: $0.parameters, learningRate: 0.01)
        }
        #expect(sgdAccuracy >= 0.95, "SGD: \(sgdAccuracy)")
        #expect(adamAccuracy >= 0.95, "AdamW: \(adamAccuracy)")
        #expect(sgdLosses.suffix(10).reduce(0, +) / 10 < sgdLosses[0] / 4)
        #expect(adamLosses.suffix(10).reduce(0, +) / 10 < adamLosses[0] / 4)
    }

    @Test("same seed, same run: identical losses and weights, bit for bit")
    func determinism() throws {
        let make: (Sequential) -> any Optimizer = { Adam(parameters: $0.parameters, learningRate: 0.01) }
        let (a, lossesA, _) = try trainOnBlobs(seed: 9, epochs: 1, optimizer: make)
        let (b, lossesB, _) = try trainOnBlobs(seed: 9, epochs: 1, optimizer: make)
        let (c, lossesC, _) = try trainOnBlobs(seed: 10, epochs: 1, optimizer: make)
        #expect(lossesA == lossesB)
        #expect(a.parameters.map(\.value) == b.parameters.map(\.value))
        #expect(lossesA != lossesC)
        #expect(a.parameters.map(\.value) != c.parameters.map(\.value))
    }

    @Test("a learning rate far too high stops training with a one-line divergence error")
    func divergence() throws {
        var caught: DivergenceError?
        do {
            _ = try trainOnBlobs(seed: 1, epochs: 1, schedule: .constant(100)) {
                SGD(parameters: $0.parameters, learningRate: 100, momentum: 0.9)
            }
        } catch let error as DivergenceError {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.step > 0)
        #expect(!error.loss.isFinite)
        #expect(error.description.contains("learning rate 100.0 is probably too high"))
        #expect(!error.description.contains("\n"))
    }

    @Test("a NaN in the input stops before any update, weights untouched")
    func divergenceOnBadInput() throws {
        let model = Sequential.mlp([4, 5, 2], seed: 2)
        let before = model.parameters.map(\.value)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.1)
        var x = randomMatrix(3, 4, seed: 51)
        x[1, 2] = .nan
        let error = try #require(throws: DivergenceError.self) {
            try trainStep(model, input: x, labels: [0, 1, 0], loss: SoftmaxCrossEntropy(), optimizer: optimizer)
        }
        #expect(error.step == 0 && error.loss.isNaN)
        #expect(error.description.contains("before the first update"))
        #expect(model.parameters.map(\.value) == before)
        #expect(optimizer.stepCount == 0)
    }

    @Test("regression with the MSE training step")
    func regression() throws {
        // Learn y = x Wᵀ for a fixed W with a bias-free Linear: the loss goes to ~0.
        let target = randomMatrix(2, 3, seed: 52)
        let model = Sequential([Linear(name: "fc", inputs: 3, outputs: 2, bias: false, random: RandomStream(seed: 53))])
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.3, momentum: 0.5)
        let loss = MeanSquaredError()
        var last: Float = .infinity
        for step in 0..<200 {
            let x = randomMatrix(16, 3, seed: 54, stream: UInt64(step))
            last = try trainStep(model, input: x, target: BLAS.matmul(x, target, transposeB: true), loss: loss, optimizer: optimizer)
        }
        #expect(last < 1e-6)
        #expect(model.linearLayers[0].weight.value.maxAbsDifference(target) < 1e-3)
    }
}
