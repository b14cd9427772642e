import Testing

@testable import NOLAKit

/// A small layer with an adapter, a fixed input and a fixed output weighting `r`, so that
/// `Σ y ⊙ r` is a scalar test loss.
private struct Rig {
    let layer: Linear
    let input: Parameter
    let r: Matrix

    init(inputs: Int = 7, outputs: Int = 5, batch: Int = 3, adapter: any LinearAdapter) {
        layer = Linear(name: "fc", inputs: inputs, outputs: outputs, random: RandomStream(seed: 11))
        layer.parameters.freezeAll()
        layer.adapter = adapter
        input = Parameter(name: "x", value: randomMatrix(batch, inputs, seed: 12))
        r = randomMatrix(batch, outputs, seed: 13)
    }

    /// Runs forward and backward once, leaving the analytic gradients in place.
    func backward() {
        layer.parameters.zeroGradients()
        input.zeroGradient()
        _ = layer.forward(input.value)
        input.grad = layer.backward(r)
    }

    func loss() -> Double {
        GradientCheck.weightedSum(layer.forward(input.value), r)
    }
}

/// Sets every trainable tensor of `adapter` to small random values, so no gradient is zero by
/// construction (at initialisation B = 0 hides dA).
private func randomize(_ adapter: any LinearAdapter, seed: UInt64, bound: Float = 0.5) {
    for (i, p) in adapter.parameters.enumerated() where p.isTrainable {
        p.value = randomMatrix(p.value.rows, p.value.cols, seed: seed, stream: UInt64(i), bound: bound)
    }
}

@Suite("Adapters: LoRA, NOLA, PRANC")
struct AdapterTests {
    // MARK: Seeds

    @Test("seed rule: FNV-1a and SplitMix64 known answers")
    func seedRule() {
        #expect(BasisSeeds.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(BasisSeeds.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(BasisSeeds.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        // The first output of the SplitMix64 generator started at state 0.
        #expect(BasisSeeds.splitmix64(0) == 0xe220_a839_7b1d_cdaf)
        #expect(BasisSeeds.layerSeed(root: 1, name: "fc1") != BasisSeeds.layerSeed(root: 1, name: "fc2"))
        #expect(BasisSeeds.layerSeed(root: 1, name: "fc1") != BasisSeeds.layerSeed(root: 2, name: "fc1"))
    }

    // MARK: Gradients

    @Test("LoRA: finite differences for A, B and x")
    func loraGradients() {
        let lora = LoRAAdapter(name: "fc", inputs: 7, outputs: 5, rank: 2, c: 1.5, random: RandomStream(seed: 3))
        randomize(lora, seed: 4)
        let rig = Rig(adapter: lora)
        rig.backward()
        expectGradientsMatch([lora.a, lora.b, rig.input], loss: rig.loss)
    }

    @Test("NOLA: finite differences for α, β and x in every basis storage", arguments: [
        RandomBasis.Storage.materialized, .onTheFly(chunkFloats: 20), .onTheFly,
    ])
    func nolaGradients(storage: RandomBasis.Storage) {
        let nola = NOLAAdapter(name: "fc", inputs: 7, outputs: 5, rank: 3, k: 6, l: 4, c: 2, seed: 5, storage: storage)
        randomize(nola, seed: 6, bound: 0.3)
        let rig = Rig(adapter: nola)
        rig.backward()
        expectGradientsMatch([nola.alpha, nola.beta, rig.input], loss: rig.loss)
        #expect(nola.a0.grad.data.allSatisfy { $0 == 0 }, "A₀ is frozen: no gradient")
    }

    @Test("NOLA with a shared basis: finite differences through both layers")
    func nolaSharedGradients() {
        let model = Sequential.mlp([6, 6, 6], seed: 8)
        let adapters = model.attach(.nola(rank: 2, k: 5, l: 3, c: 1, basis: .shared), seed: 9)
        let first = adapters[0] as! NOLAAdapter, second = adapters[1] as! NOLAAdapter
        #expect(first.basisA === second.basisA, "layers of one shape share one basis object")
        for a in adapters { randomize(a, seed: 10, bound: 0.3) }
        let x = randomMatrix(4, 6, seed: 1), r = randomMatrix(4, 6, seed: 2)
        model.parameters.zeroGradients()
        _ = model.forward(x)
        _ = model.backward(r)
        expectGradientsMatch([first.alpha, first.beta, second.alpha, second.beta]) {
            GradientCheck.weightedSum(model.forward(x), r)
        }
    }

    @Test("PRANC: finite differences for α and x, materialized and on the fly", arguments: [false, true])
    func prancGradients(onTheFly: Bool) {
        let pranc = PRANCAdapter(
            name: "fc", inputs: 7, outputs: 5, n: 9, s: 0.7, seed: 7,
            storage: onTheFly ? .onTheFly(chunkFloats: 40) : .materialized)
        randomize(pranc, seed: 8)
        let rig = Rig(adapter: pranc)
        rig.backward()
        expectGradientsMatch([pranc.alpha, rig.input], loss: rig.loss)
    }

    // MARK: Starting point

    @Test("NOLA starts at ΔW = 0 yet ∂L/∂β ≠ 0; LoRA starts at ΔW = 0")
    func startsAtZero() {
        let nola = NOLAAdapter(name: "fc", inputs: 7, outputs: 5, rank: 2, k: 4, l: 4, seed: 1)
        #expect(nola.deltaWeight().data.allSatisfy { $0 == 0 })
        let rig = Rig(adapter: nola)
        rig.backward()
        #expect(nola.beta.grad.data.contains { $0 != 0 })
        #expect(nola.alpha.grad.data.allSatisfy { $0 == 0 }, "dα ∝ B = 0 at the start")

        let lora = LoRAAdapter(name: "fc", inputs: 7, outputs: 5, rank: 2, random: RandomStream(seed: 1))
        #expect(lora.deltaWeight().data.allSatisfy { $0 == 0 })
    }

    // MARK: Modes

    @Test("the three basis modes give bit-identical basis matrices and equal outputs")
    func modesAgree() throws {
        let x = randomMatrix(16, 784, seed: 2)
        var outputs: [Matrix] = []
        var gradients: [[Float]] = []
        for mode in BasisMode.allCases {
            let model = Sequential.mlp([784, 64, 64, 10], seed: 3)
            let adapters = model.attach(.nola(rank: 4, k: 40, l: 30, c: 1, basis: mode), seed: 4)
            for a in adapters { randomize(a, seed: 5, bound: 0.1) }
            model.parameters.zeroGradients()
            outputs.append(model.forward(x))
            _ = model.backward(randomMatrix(16, 10, seed: 6))
            gradients.append(adapters.flatMap { ($0 as! NOLAAdapter).alpha.grad.data + ($0 as! NOLAAdapter).beta.grad.data })
        }
        // The same basis, the same BLAS calls: outputs and gradients agree bit for bit.
        #expect(outputs[0] == outputs[1], "per-layer vs shared outputs")
        #expect(outputs[0] == outputs[2], "per-layer vs on-the-fly outputs")
        #expect(gradients[0] == gradients[1], "per-layer vs shared gradients")
        #expect(gradients[0] == gradients[2], "per-layer vs on-the-fly gradients")
        #expect(gradients[0].contains { $0 != 0 })

        // A smaller on-the-fly chunk regenerates the same matrices; sums then differ only by rounding.
        let seed = BasisSeeds.nolaBasisSeed(root: 4, outputs: 64, inputs: 64)
        let perLayer = NOLAAdapter(name: "fc2", inputs: 64, outputs: 64, rank: 4, k: 40, l: 30, seed: 1, basisSeed: seed)
        let small = NOLAAdapter(name: "fc2", inputs: 64, outputs: 64, rank: 4, k: 40, l: 30, seed: 1, basisSeed: seed,
                                storage: .onTheFly(chunkFloats: 300))
        for i in [0, 17, 39] { #expect(perLayer.basisA.matrix(i) == small.basisA.matrix(i)) }
        var a1 = Matrix(rows: 4, cols: 64), a2 = Matrix(rows: 4, cols: 64)
        let coefficients = (0..<40).map { Float($0 % 7) - 3 }
        perLayer.basisA.combine(coefficients, into: &a1)
        small.basisA.combine(coefficients, into: &a2)
        #expect(a1.maxAbsDifference(a2) <= 1e-5)
    }

    @Test("every mode draws NOLA's basis from the shape's seed; layers of one shape share it")
    func basisSeededByShape() {
        for mode in BasisMode.allCases {
            let model = Sequential.mlp([8, 8, 8], seed: 1)
            let adapters = model.attach(.nola(rank: 2, k: 3, l: 3, c: 1, basis: mode), seed: 21).map { $0 as! NOLAAdapter }
            let reference = RandomBasis(
                count: 3, rows: 2, cols: 8,
                stream: RandomStream(seed: BasisSeeds.nolaBasisSeed(root: 21, outputs: 8, inputs: 8), stream: BasisSeeds.nolaA))
            #expect(adapters[0].basisA.matrix(2) == reference.matrix(2), "\(mode)")
            #expect(adapters[1].basisA.matrix(2) == reference.matrix(2), "\(mode)")
            #expect(adapters[0].a0.value != adapters[1].a0.value, "A₀ is per layer")
            #expect((mode == .shared) == (adapters[0].basisA === adapters[1].basisA))
        }
    }

    @Test("on-the-fly memory is one chunk, not the whole basis")
    func onTheFlyMemory() {
        let b = RandomBasis(count: 1000, rows: 8, cols: 784, stream: RandomStream(seed: 1), storage: .onTheFly)
        #expect(b.residentFloats <= 1 << 16)
        let m = RandomBasis(count: 10, rows: 8, cols: 784, stream: RandomStream(seed: 1))
        #expect(m.residentFloats == 10 * 8 * 784)
    }

    // MARK: Merging

    @Test("merged equals unmerged to fp32 tolerance, and unmerge restores W", arguments: ["lora", "nola", "pranc"])
    func merge(method: String) {
        let model = Sequential.mlp([784, 256, 10], seed: 1)
        let kind: AdapterMethod =
            switch method {
            case "lora": .lora(rank: 4, c: 1)
            case "nola": .nola(rank: 4, k: 20, l: 20, c: 1, basis: .perLayer)
            default: .pranc(n: 5, s: 1, onTheFly: false)
            }
        let adapters = model.attach(kind, seed: 2)
        for a in adapters { randomize(a, seed: 3, bound: 0.05) }
        let x = randomMatrix(32, 784, seed: 4, bound: 1)
        let adapted = model.forward(x)
        let originalW = model.linearLayers[0].weight.value
        for layer in model.linearLayers { layer.mergeAdapter() }
        #expect(model.linearLayers.allSatisfy { $0.adapter == nil })
        let merged = model.forward(x)
        let scale = adapted.data.map(abs).max()!
        #expect(merged.maxAbsDifference(adapted) <= 1e-5 * max(scale, 1))
        for (layer, adapter) in zip(model.linearLayers, adapters) { layer.unmerge(adapter) }
        #expect(model.linearLayers[0].weight.value.maxAbsDifference(originalW) <= 1e-6)
        #expect(model.forward(x).maxAbsDifference(adapted) <= 1e-5 * max(scale, 1))
    }

    // MARK: Counts

    @Test("exact trainable-parameter counts")
    func counts() {
        let model = Sequential.mlp([784, 256, 10], seed: 1)
        model.attach(.lora(rank: 1, c: 1), seed: 1)
        #expect(model.parameters.trainableCount == 1306)
        let lora4 = Sequential.mlp([784, 256, 10], seed: 1)
        lora4.attach(.lora(rank: 4, c: 1), seed: 1)
        #expect(lora4.parameters.trainableCount == 4 * 1306)
        let nola = Sequential.mlp([784, 256, 10], seed: 1)
        nola.attach(.nola(rank: 4, k: 16, l: 16, c: 1, basis: .perLayer), seed: 1)
        #expect(nola.parameters.trainableCount == 64)
        let shared = Sequential.mlp([64, 64, 64, 10], seed: 1)
        shared.attach(.nola(rank: 8, k: 10, l: 7, c: 1, basis: .shared), seed: 1)
        #expect(shared.parameters.trainableCount == 3 * 17)
        let pranc = Sequential.mlp([784, 256, 10], seed: 1)
        pranc.attach(.pranc(n: 32, s: 1, onTheFly: true), seed: 1)
        #expect(pranc.parameters.trainableCount == 64)
        #expect(AdapterMethod.lora(rank: 1, c: 1).trainableCount(inputs: 784, outputs: 256) == 1040)
    }

    @Test("only adapter coefficients change when training an adapted model")
    func baseStaysFrozen() throws {
        let model = Sequential.mlp([20, 16, 4], seed: 1)
        let adapters = model.attach(.nola(rank: 2, k: 8, l: 8, c: 1, basis: .onTheFly), seed: 1)
        let before = model.linearLayers.map(\.weight.value)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.1)
        let x = randomMatrix(8, 20, seed: 2)
        for _ in 0..<5 {
            try trainStep(model, input: x, labels: [0, 1, 2, 3, 0, 1, 2, 3], loss: SoftmaxCrossEntropy(), optimizer: optimizer)
        }
        #expect(model.linearLayers.map(\.weight.value) == before)
        #expect((adapters[0] as! NOLAAdapter).beta.value.data.contains { $0 != 0 })
        #expect((adapters[0] as! NOLAAdapter).a0.value == RandomStream(seed: BasisSeeds.layerSeed(root: 1, name: "fc1"), stream: BasisSeeds.initialA).kaimingUniform(rows: 2, cols: 20))
    }
}
