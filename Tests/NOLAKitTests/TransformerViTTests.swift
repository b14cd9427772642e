import Foundation
import NOLAKit
import Testing

/// A 2-block vision transformer over 8×8 two-channel images in 4×4 patches (4 patches).
private func tinyViT(_ pooling: TokenPooling, seed: UInt64 = 1) -> VisionTransformer {
    let config = VisionTransformerConfiguration(
        imageSize: 8, channels: 2, patchSize: 4, layers: 2, embedding: 8, heads: 2, classes: 3, pooling: pooling)
    let model = VisionTransformer(config, seed: seed)
    randomize(model.parameters, seed: seed &+ 50)
    return model
}

@Suite("Vision transformer: patches, pooling, end-to-end gradients, adapters")
struct TransformerViTTests {
    @Test("patches: pixel (y, x, k) of patch (py, px) lands at feature (dy, dx, k)")
    func patchLayout() {
        let projection = Linear(name: "p", inputs: 2 * 2 * 3, outputs: 1, random: RandomStream(seed: 1))
        let embedding = PatchEmbedding(imageSize: 4, patchSize: 2, channels: 3, projection: projection)
        #expect(embedding.patchCount == 4)
        // Image 1 of 2: value = 1000·image + 100·y + 10·x + k.
        var images = Matrix(rows: 2, cols: 4 * 4 * 3)
        for b in 0..<2 { for y in 0..<4 { for x in 0..<4 { for k in 0..<3 {
            let value = 1000 * b + 100 * y + 10 * x + k
            images[b, (y * 4 + x) * 3 + k] = Float(value)
        } } } }
        let patches = embedding.extract(images)
        #expect(patches.shapeDescription == "(8×12)")
        // Image 1, patch (py 1, px 0) = row 4 + 2; feature (dy 1, dx 1, k 2) = (1·2 + 1)·3 + 2 = 11.
        let expected: Float = 1000 + 300 + 10 + 2
        #expect(patches[6, 11] == expected)
        #expect(patches[0, 0] == 0)
        #expect(patches[3, 0] == 220)
    }

    @Test("patch embedding: dW and db against finite differences")
    func patchEmbeddingGradients() {
        let projection = Linear(name: "patch_embed.proj", inputs: 8, outputs: 5, random: RandomStream(seed: 2))
        let embedding = PatchEmbedding(imageSize: 4, patchSize: 2, channels: 2, projection: projection)
        let images = randomMatrix(3, 32, seed: 3)
        let r = randomMatrix(12, 5, seed: 4)
        _ = embedding.forward(images)
        embedding.backward(r)
        expectGradientsMatch(embedding.parameters) { GradientCheck.weightedSum(embedding.forward(images), r) }
    }

    @Test("pooling: class token and mean, dx against finite differences", arguments: TokenPooling.allCases)
    func pooling(_ pooling: TokenPooling) {
        let x = Parameter(name: "x", value: randomMatrix(6, 4, seed: 5))
        let r = randomMatrix(2, 4, seed: 6)
        x.grad = pooling.backward(r, length: 3)
        expectGradientsMatch([x]) { GradientCheck.weightedSum(pooling.forward(x.value, length: 3), r) }
        let pooled = pooling.forward(x.value, length: 3)
        let expected = pooling == .classToken ? x.value[3, 1] : (x.value[3, 1] + x.value[4, 1] + x.value[5, 1]) / 3
        #expect(abs(pooled[1, 1] - expected) < 1e-6)
    }

    @Test("a whole 2-block encoder: every tensor against finite differences", arguments: TokenPooling.allCases)
    func endToEnd(_ pooling: TokenPooling) {
        let model = tinyViT(pooling)
        let images = randomMatrix(3, 128, seed: 7)
        let labels = [0, 2, 1]
        let loss = SoftmaxCrossEntropy()
        model.parameters.zeroGradients()
        _ = loss.forward(model.forward(images), labels: labels)
        #expect(model.backward(loss.backward()).count == 0)
        // Some tensors have tiny gradients (h.1.ln_1.bias: scale 0.0025), where the loss's Float
        // rounding noise is a few 1e-3 of the scale; a wrong term would be O(1).
        let results = expectGradientsMatch(model.parameters, checker: GradientCheck(step: 1e-2, tolerance: 1e-2)) {
            Double(loss.forward(model.forward(images), labels: labels))
        }
        #expect(results.count == model.baseParameters.count)
        #expect(results.contains { $0.name == "cls_token" } == (pooling == .classToken))
    }

    @Test("an encoder with LoRA on Q,K,V or NOLA on the MLP: adapter gradients, merge equality",
          arguments: [(AdapterMethod.lora(rank: 2, c: 1), TransformerSites.queryKeyValue),
                      (.nola(rank: 2, k: 6, l: 4, c: 1, basis: .shared), .mlp)])
    func adapters(method: AdapterMethod, set: TransformerSites) {
        let model = tinyViT(.classToken)
        model.attach(method, seed: 3, sites: model.sites(set))
        model.head.parameters.forEach { $0.isTrainable = true }  // adapters + head, as the paper trains them
        randomize(model.parameters.filter(\.isTrainable), seed: 8, bound: 0.3)
        let images = randomMatrix(3, 128, seed: 9)
        let labels = [1, 1, 0]
        let loss = SoftmaxCrossEntropy()
        model.parameters.zeroGradients()
        _ = loss.forward(model.forward(images), labels: labels)
        _ = model.backward(loss.backward())
        expectGradientsMatch(model.parameters.filter(\.isTrainable), checker: GradientCheck(step: 1e-2, tolerance: 1e-2)) {
            Double(loss.forward(model.forward(images), labels: labels))
        }
        let adapted = model.forward(images)
        model.mergeAdapters()
        #expect(model.forward(images).maxAbsDifference(adapted) < 1e-5)
    }

    @Test("head only: the backward stops at the head, with the same head gradient")
    func headOnly() {
        let model = tinyViT(.mean)
        let images = randomMatrix(2, 128, seed: 10)
        let loss = SoftmaxCrossEntropy()
        model.parameters.zeroGradients()
        _ = loss.forward(model.forward(images), labels: [0, 1])
        _ = model.backward(loss.backward())
        let full = model.head.weight.grad
        model.parameters.zeroGradients()
        model.parameters.freezeAll()
        model.head.parameters.forEach { $0.isTrainable = true }
        _ = loss.forward(model.forward(images), labels: [0, 1])
        _ = model.backward(loss.backward())
        #expect(model.head.weight.grad == full)
        #expect(model.blocks[0].attention.cAttn.weight.grad == Matrix.zeros(24, 8))
        #expect(model.features(images).shapeDescription == "(2×8)")
    }

    @Test("a ViT is a Layer: `fit` trains it on digits and the loss falls")
    func trainsWithFit() throws {
        let data = SyntheticDigits.generate(count: 200, seed: 1)
        let config = VisionTransformerConfiguration(patchSize: 7, layers: 1, embedding: 16, heads: 2, classes: 10)
        let model = VisionTransformer(config, seed: 2)
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: 3e-3)
        let records = try fit(model, optimizer: optimizer, train: data, configuration: FitConfiguration(epochs: 3, batchSize: 50, seed: 3))
        #expect(records.last!.trainLoss < records.first!.trainLoss)
        #expect(model.baseParameters.totalCount == config.parameterCount)
        #expect(config.tokens == 17 && config.parameterCounts.first { $0.part == "class token" }?.count == 16)
    }
}
