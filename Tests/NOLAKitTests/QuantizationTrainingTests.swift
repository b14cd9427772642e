import Testing

@testable import NOLAKit

/// The adapter configurations QAT and PTQ must handle: LoRA and NOLA in every basis mode.
private let methods: [AdapterMethod] = [
    .lora(rank: 2, c: 1.5),
    .nola(rank: 2, k: 6, l: 5, c: 1, basis: .perLayer),
    .nola(rank: 2, k: 6, l: 5, c: 1, basis: .shared),
    .nola(rank: 2, k: 6, l: 5, c: 1, basis: .onTheFly),
]

/// A small GELU MLP `6 → 6 → 6 → 4` (smooth, so finite differences never straddle a ReLU kink;
/// two layers of one shape, so `.shared` really shares) with
/// `method` attached and its quantizable tensors set to random values (the same for the same
/// arguments): building it twice gives two identical models.
private func adaptedModel(_ method: AdapterMethod) -> Sequential {
    let model = Sequential.mlp([6, 6, 6, 4], seed: 21, activation: .gelu)
    model.attach(method, seed: 22)
    for (i, p) in model.quantizableAdapters.flatMap(\.quantizableParameters).enumerated() {
        p.value = randomMatrix(p.value.rows, p.value.cols, seed: 23, stream: UInt64(i), bound: 0.4)
    }
    return model
}

private let input = randomMatrix(5, 6, seed: 24)
private let weighting = randomMatrix(5, 4, seed: 25)

/// Runs forward and backward with the loss `Σ y ⊙ weighting`; returns `y` and every quantizable
/// tensor's gradient.
private func forwardBackward(_ model: Sequential) -> (output: Matrix, grads: [Matrix]) {
    model.parameters.zeroGradients()
    let y = model.forward(input)
    _ = model.backward(weighting)
    return (y, model.quantizableAdapters.flatMap(\.quantizableParameters).map(\.grad))
}

private func quantizableValues(_ model: Sequential) -> [Matrix] {
    model.quantizableAdapters.flatMap(\.quantizableParameters).map(\.value)
}

@Suite("Quantization: post-training and quantization-aware training")
struct QuantizationTrainingTests {
    @Test("STE: the QAT gradient on the float copy is the float gradient at the quantized point",
          arguments: methods, [2, 3, 8])
    func straightThrough(method: AdapterMethod, bits: Int) {
        let quantizer = SymmetricQuantizer(bits: bits)
        let qat = adaptedModel(method)
        let floatsBefore = quantizableValues(qat)
        QuantizationAwareTraining.enable(quantizer, on: qat)
        let (qatOutput, qatGrads) = forwardBackward(qat)
        #expect(quantizableValues(qat) == floatsBefore, "the forward pass leaves the float copy alone")

        // Reference: a plain model whose tensors ARE the quantized values.
        let reference = adaptedModel(method)
        for p in reference.quantizableAdapters.flatMap(\.quantizableParameters) {
            p.value = quantizer.fakeQuantize(p.value)
        }
        let (referenceOutput, referenceGrads) = forwardBackward(reference)
        #expect(qatOutput == referenceOutput)
        #expect(qatGrads == referenceGrads)
        #expect(qatGrads.allSatisfy { $0.data.contains { $0 != 0 } }, "gradient flows to every tensor")

        // And that reference gradient is the true one at the quantized point.
        expectGradientsMatch(reference.quantizableAdapters.flatMap(\.quantizableParameters)) {
            GradientCheck.weightedSum(reference.forward(input), weighting)
        }

        // The quantization is not a no-op: the float model gives other gradients.
        let plain = adaptedModel(method)
        #expect(forwardBackward(plain).grads != qatGrads)
    }

    @Test("clipped STE: the gradient is exactly 0 where the code was clamped and the float gradient at x̂ elsewhere",
          arguments: methods, [ScaleRule.meanAbs, .mseOptimal, .absMax])
    func clippedStraightThrough(method: AdapterMethod, rule: ScaleRule) {
        let quantizer = SymmetricQuantizer(bits: 2, rule: rule)
        let qat = adaptedModel(method)
        let masks = quantizableValues(qat).map { quantizer.straightThrough($0.data).gradientMask! }
        QuantizationAwareTraining.enable(quantizer, on: qat)
        let qatGrads = forwardBackward(qat).grads

        let reference = adaptedModel(method)  // its tensors ARE the quantized values
        for p in reference.quantizableAdapters.flatMap(\.quantizableParameters) { p.value = quantizer.fakeQuantize(p.value) }
        let referenceGrads = forwardBackward(reference).grads

        var lost = 0  // clipped elements whose float gradient was not zero
        for (g, (r, mask)) in zip(qatGrads, zip(referenceGrads, masks)) {
            for i in mask.indices {
                if mask[i] == 0 {
                    #expect(g.data[i] == 0)
                    if r.data[i] != 0 { lost += 1 }
                } else {
                    #expect(g.data[i] == r.data[i])
                }
            }
        }
        switch rule {
        case .absMax: #expect(lost == 0 && masks.allSatisfy { !$0.contains(0) }, "absmax never clips")
        case .meanAbs: #expect(lost > 0, "mean-|x| at 2 bits clips about a quarter of uniform values")
        case .mseOptimal: break  // may or may not clip these values; the identity above holds either way
        }

        // The plain estimator passes every gradient.
        QuantizationAwareTraining.enable(quantizer, on: qat, clipGradient: false)
        #expect(forwardBackward(qat).grads == referenceGrads)
    }

    @Test("QAT from the trained float adapter ends above PTQ of the float weights trained as long (small digits task)")
    func qatBeatsPTQ() throws {
        var pretraining = AdaptationTask.Pretraining()
        pretraining.sizes = [784, 64, 10]
        pretraining.baseCount = 1000
        pretraining.epochs = 4
        let task = try AdaptationTask(source: .synthetic, seed: 4, adaptCount: 1000, validationCount: 1000,
                                      pretraining: pretraining, cacheFolder: nil)
        for method in [AdapterMethod.lora(rank: 1, c: 1), .nola(rank: 4, k: 64, l: 64, c: 1, basis: .perLayer)] {
            let (model, _) = try task.adapt(method, adapterSeed: 5, recipe: .standard(for: method, epochs: 6))
            let start = PostTrainingQuantization.snapshot(of: model)
            var anneal = AdaptationTask.Recipe.standard(for: method, epochs: 2)
            anneal.learningRate /= 10
            _ = try task.train(model, recipe: anneal, seed: 6, evaluateEveryEpoch: false)
            let trained = PostTrainingQuantization.snapshot(of: model)
            for bits in [3, 2] {
                let quantizer = SymmetricQuantizer(bits: bits)
                PostTrainingQuantization.restore(trained)
                PostTrainingQuantization.apply(quantizer, to: model)
                let ptq = evaluate(model, on: task.validation).accuracy
                PostTrainingQuantization.restore(start)
                QuantizationAwareTraining.enable(quantizer, on: model)
                _ = try task.train(model, recipe: anneal, seed: 6, evaluateEveryEpoch: false)
                QuantizationAwareTraining.finish(quantizer, on: model)
                let qat = evaluate(model, on: task.validation).accuracy
                #expect(qat >= ptq - 0.01, "\(method.name) \(bits) bits: QAT \(qat) < PTQ \(ptq)")
                if bits == 2 { #expect(qat >= ptq + 0.03, "\(method.name): QAT should recover part of what 2 bits cost") }
            }
        }
    }

    @Test("QuantizationExperiment: PTQ of the float last phase and QAT during it, each as done by hand", arguments: methods)
    func experiment(method: AdapterMethod) throws {
        let labels = [0, 1, 2, 3, 0]
        let lastPhase = { (model: Sequential) throws in
            let optimizer = Adam(parameters: model.parameters, learningRate: 0.02)
            for _ in 0..<15 {
                try trainStep(model, input: input, labels: labels, loss: SoftmaxCrossEntropy(), optimizer: optimizer)
            }
        }
        let score = { (model: Sequential) -> Double in
            -Double(SoftmaxCrossEntropy().forward(model.forward(input), labels: labels))
        }
        let ptq = [SymmetricQuantizer(bits: 3), SymmetricQuantizer(bits: 2, rule: .mseOptimal)]
        let qat = [SymmetricQuantizer(bits: 2, rule: .meanAbs), SymmetricQuantizer(bits: 3, groupSize: 4)]

        let model = adaptedModel(method)
        var calls = 0
        let result = try QuantizationExperiment.run(
            on: model, postTraining: ptq, quantizationAware: qat,
            lastPhase: { calls += 1; try lastPhase(model) }, evaluate: { score(model) })
        #expect(calls == 3)

        let float = adaptedModel(method)
        try lastPhase(float)
        #expect(result.float == score(float))
        #expect(quantizableValues(model) == quantizableValues(float), "left with the float weights of the last phase")
        for q in ptq {
            let copy = adaptedModel(method)
            try lastPhase(copy)
            PostTrainingQuantization.apply(q, to: copy)
            #expect(result.postTraining[q] == score(copy), "PTQ \(q)")
        }
        for q in qat {
            let copy = adaptedModel(method)
            QuantizationAwareTraining.enable(q, on: copy)
            try lastPhase(copy)
            QuantizationAwareTraining.finish(q, on: copy)
            #expect(result.quantizationAware[q] == score(copy), "QAT \(q)")
            #expect(result.quantizationAware[q] != result.postTraining[SymmetricQuantizer(bits: 3)])
        }
        #expect(model.quantizableAdapters.allSatisfy { $0.forwardTransform == nil })

        // A last phase that fails during QAT leaves the float weights and no fake quantizer.
        struct Stop: Error {}
        let failing = adaptedModel(method)
        calls = 0
        #expect(throws: Stop.self) {
            try QuantizationExperiment.run(
                on: failing, postTraining: [], quantizationAware: qat,
                lastPhase: { calls += 1; if calls == 2 { throw Stop() }; try lastPhase(failing) }, evaluate: { 0 })
        }
        #expect(quantizableValues(failing) == quantizableValues(float))
        #expect(failing.quantizableAdapters.allSatisfy { $0.forwardTransform == nil })
    }

    @Test("on a fused layer's q and v slices (a GPT's sites): clipped STE, PTQ by site name, grouped file round trip",
          arguments: [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 2, k: 6, l: 5, c: 1, basis: .perLayer)])
    func fusedSlices(method: AdapterMethod) throws {
        let quantizer = SymmetricQuantizer(bits: 2, rule: .meanAbs, groupSize: 4)
        func make() -> FusedTestModel {
            let model = FusedTestModel(d: 6)
            model.attach(method, seed: 3)
            for (i, p) in model.quantizableAdapters.flatMap(\.quantizableParameters).enumerated() {
                p.value = randomMatrix(p.value.rows, p.value.cols, seed: 4, stream: UInt64(i), bound: 0.4)
            }
            return model
        }
        /// The quantizable gradients of `Σ out ⊙ r`.
        func gradients(_ model: FusedTestModel) -> [Matrix] {
            model.parameters.zeroGradients()
            _ = model.forward(randomMatrix(3, model.d, seed: 5))
            _ = model.backward(randomMatrix(3, model.d, seed: 6))
            return model.quantizableAdapters.flatMap(\.quantizableParameters).map(\.grad)
        }
        let qat = make()
        let masks = qat.quantizableAdapters.flatMap(\.quantizableParameters).map { quantizer.straightThrough($0.value.data).gradientMask! }
        QuantizationAwareTraining.enable(quantizer, on: qat)
        let reference = make()
        let tensors = PostTrainingQuantization.apply(quantizer, to: reference)
        #expect(Set(tensors.keys).isSuperset(of: method.name == "lora" ? ["qkv.q.lora_A", "qkv.v.lora_B"] : ["qkv.q.nola_alpha", "qkv.v.nola_beta"]))
        let expected = zip(gradients(reference), masks).map { g, mask in
            Matrix(rows: g.rows, cols: g.cols, data: zip(g.data, mask).map { $0 * $1 })
        }
        #expect(gradients(qat) == expected)
        #expect(masks.contains { $0.contains(0) }, "mean-|x| at 2 bits clips some of these values")

        let file = AdapterFile.file(of: make(), method: method, seed: 3, precision: .quantized(quantizer))
        let loaded = FusedTestModel(d: 6)
        try AdapterFile.load(try SafeTensorsFile.decode(file.encoded(), source: "f"), source: "f", into: loaded)
        #expect(loaded.quantizableAdapters.flatMap(\.quantizableParameters).map(\.value)
                == reference.quantizableAdapters.flatMap(\.quantizableParameters).map(\.value))
    }

    @Test("LoRA's factorTransform: A and B through the transform in forward, backward and ΔW")
    func loraHook() {
        let make = { () -> LoRAAdapter in
            let lora = LoRAAdapter(name: "fc", inputs: 7, outputs: 5, rank: 3, c: 2, random: RandomStream(seed: 31))
            lora.b.value = randomMatrix(5, 3, seed: 32)
            return lora
        }
        let hooked = make(), reference = make()
        hooked.factorTransform = { TransformedValues(values: $0.map { $0 * 0.5 + 0.25 }) }  // any transform will do
        reference.a.value.data = reference.a.value.data.map { $0 * 0.5 + 0.25 }
        reference.b.value.data = reference.b.value.data.map { $0 * 0.5 + 0.25 }
        #expect(hooked.deltaWeight() == reference.deltaWeight())

        let x = randomMatrix(4, 7, seed: 33), dy = randomMatrix(4, 5, seed: 34)
        var outputs: [Matrix] = []
        var inputGrads: [Matrix] = []
        for lora in [hooked, reference] {
            var y = Matrix(rows: 4, cols: 5)
            lora.forward(x, adding: &y)
            var dx: Matrix? = Matrix(rows: 4, cols: 7)
            lora.backward(dy, input: x, addingTo: &dx)
            outputs.append(y)
            inputGrads.append(dx!)
        }
        #expect(outputs[0] == outputs[1])
        #expect(inputGrads[0] == inputGrads[1])
        #expect(hooked.a.grad == reference.a.grad)
        #expect(hooked.b.grad == reference.b.grad)
        hooked.factorTransform = nil
        #expect(hooked.deltaWeight() != reference.deltaWeight())
    }

    @Test("turning QAT off restores the float forward pass exactly", arguments: methods)
    func disableRestores(method: AdapterMethod) {
        let model = adaptedModel(method)
        let before = model.forward(input)
        QuantizationAwareTraining.enable(SymmetricQuantizer(bits: 3), on: model)
        let quantized = model.forward(input)
        QuantizationAwareTraining.disable(on: model)
        #expect(model.forward(input) == before)
        #expect(quantized != before)
    }

    @Test("QAT trains the float copy; PTQ afterwards gives exactly the QAT forward pass", arguments: methods)
    func qatThenPTQ(method: AdapterMethod) throws {
        let quantizer = SymmetricQuantizer(bits: 3)
        let model = adaptedModel(method)
        let labels = [0, 1, 2, 3, 0]
        QuantizationAwareTraining.enable(quantizer, on: model)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.05)
        let first = try trainStep(model, input: input, labels: labels, loss: SoftmaxCrossEntropy(), optimizer: optimizer)
        var last = first
        for _ in 0..<40 {
            last = try trainStep(model, input: input, labels: labels, loss: SoftmaxCrossEntropy(), optimizer: optimizer)
        }
        #expect(last < first, "QAT lowers the loss: \(first) → \(last)")
        let floats = quantizableValues(model)
        #expect(floats.contains { quantizer.fakeQuantize($0) != $0 }, "the float copy lies between levels")

        let qatOutput = model.forward(input)
        let tensors = PostTrainingQuantization.apply(quantizer, to: model)
        QuantizationAwareTraining.disable(on: model)
        #expect(model.forward(input) == qatOutput)
        #expect(tensors.values.allSatisfy { $0.bits == 3 })
    }

    @Test("PTQ quantizes LoRA's A, B and NOLA's α, β in place, keyed by name; A₀ and the basis stay")
    func ptqTensors() {
        let lora = adaptedModel(.lora(rank: 2, c: 1))
        let loraTensors = PostTrainingQuantization.apply(SymmetricQuantizer(bits: 4), to: lora)
        #expect(Set(loraTensors.keys) == ["fc1.lora_A", "fc1.lora_B", "fc2.lora_A", "fc2.lora_B", "fc3.lora_A", "fc3.lora_B"])
        for adapter in lora.quantizableAdapters {
            for p in adapter.quantizableParameters {
                #expect(p.value == loraTensors[p.name]!.dequantizedMatrix())
                #expect(loraTensors[p.name]!.rows == p.value.rows && loraTensors[p.name]!.cols == p.value.cols)
            }
        }

        let nola = adaptedModel(.nola(rank: 2, k: 6, l: 5, c: 1, basis: .shared))
        let nolaAdapters = nola.quantizableAdapters.map { $0 as! NOLAAdapter }
        let a0Before = nolaAdapters.map(\.a0.value)
        let basisBefore = nolaAdapters[0].basisA.matrix(2)
        let nolaTensors = PostTrainingQuantization.apply(SymmetricQuantizer(bits: 2), to: nola)
        #expect(Set(nolaTensors.keys) == ["fc1.nola_alpha", "fc1.nola_beta", "fc2.nola_alpha", "fc2.nola_beta", "fc3.nola_alpha", "fc3.nola_beta"])
        #expect(nolaAdapters.map(\.a0.value) == a0Before)
        #expect(nolaAdapters[0].basisA.matrix(2) == basisBefore)
        for a in nolaAdapters {
            #expect(Set(a.alpha.value.data).count <= 3, "2 bits: at most {−s, 0, s}")
        }
    }

    @Test("PTQ twice changes nothing; snapshot and restore bring the floats back", arguments: methods)
    func ptqIdempotentAndRestorable(method: AdapterMethod) {
        let model = adaptedModel(method)
        let floats = quantizableValues(model)
        let snapshot = PostTrainingQuantization.snapshot(of: model)
        let first = PostTrainingQuantization.apply(SymmetricQuantizer(bits: 4), to: model)
        let values = quantizableValues(model)
        #expect(values != floats)
        let second = PostTrainingQuantization.apply(SymmetricQuantizer(bits: 4), to: model)
        #expect(second == first)
        #expect(quantizableValues(model) == values)
        PostTrainingQuantization.restore(snapshot)
        #expect(quantizableValues(model) == floats)
    }

    @Test("PTQ: the output moves less with more bits", arguments: methods)
    func ptqErrorShrinks(method: AdapterMethod) {
        let reference = adaptedModel(method).forward(input)
        var deviations: [Float] = []
        for bits in [2, 3, 4, 8, 16] {
            let model = adaptedModel(method)
            PostTrainingQuantization.apply(SymmetricQuantizer(bits: bits), to: model)
            deviations.append(model.forward(input).maxAbsDifference(reference))
        }
        #expect(deviations[4] < deviations[3] && deviations[3] < deviations[2] && deviations[2] < deviations[0], "\(deviations)")
        #expect(deviations[4] < 1e-3)
    }

    @Test("an adapter that cannot be quantized (PRANC) stops with the layer's name")
    func prancRejected() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = Sequential.mlp([4, 3], seed: 1)
            model.attach(.pranc(n: 3, s: 1, onTheFly: false), seed: 2)
            PostTrainingQuantization.apply(SymmetricQuantizer(bits: 4), to: model)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("fc1") && message.contains("PRANCAdapter"))
    }
}
