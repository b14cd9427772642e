import Foundation
import Testing

@testable import NOLAKit

/// Finite-difference checks of every LLaMA layer's backward pass (loss `Σ y ⊙ r`, so `dy = r`),
/// and the properties RoPE and grouped-query attention promise.
@Suite("LLaMA layers: gradients against finite differences")
struct LlamaLayerTests {
    @Test("RMSNorm: dx and dγ")
    func rmsNorm() {
        let norm = RMSNorm(name: "n", dimension: 6)
        norm.gamma.value = randomMatrix(1, 6, seed: 1, bound: 0.5)
        for j in 0..<6 { norm.gamma.value.data[j] += 1 }
        let x = Parameter(name: "x", value: randomMatrix(5, 6, seed: 2))
        let r = randomMatrix(5, 6, seed: 3)
        norm.gamma.zeroGradient()
        _ = norm.forward(x.value)
        x.grad = norm.backward(r)
        expectGradientsMatch([x, norm.gamma]) { GradientCheck.weightedSum(norm.forward(x.value), r) }
    }

    @Test("RMSNorm: each output row has root mean square |γ| (γ = 1: exactly 1, up to ε)")
    func rmsNormScale() {
        let norm = RMSNorm(name: "n", dimension: 16, epsilon: 0)
        let y = norm.forward(randomMatrix(4, 16, seed: 4, bound: 3))
        for i in 0..<4 {
            let ms = (0..<16).map { Double(y[i, $0] * y[i, $0]) }.reduce(0, +) / 16
            #expect(abs(ms - 1) < 1e-5)
        }
    }

    @Test("RoPE: the inverse undoes the rotation, norms are kept, and q·k depends only on the distance")
    func ropeProperties() {
        let rope = RotaryEmbedding(headSize: 8, maxPositions: 32)
        let x = randomMatrix(6, 16, seed: 5)
        var y = x
        rope.rotate(&y, heads: 2) { $0 + 3 }
        var back = y
        rope.rotate(&back, heads: 2, inverse: true) { $0 + 3 }
        #expect(back.maxAbsDifference(x) < 1e-5)
        for r in 0..<6 {
            let before = (0..<16).map { Double(x[r, $0] * x[r, $0]) }.reduce(0, +)
            let after = (0..<16).map { Double(y[r, $0] * y[r, $0]) }.reduce(0, +)
            #expect(abs(before - after) < 1e-4 * before)
        }
        // One query vector and one key vector at positions (t, s) and (t + 7, s + 7): same dot product.
        let q = randomMatrix(1, 8, seed: 6), k = randomMatrix(1, 8, seed: 7)
        func dot(_ t: Int, _ s: Int) -> Float {
            var a = q, b = k
            rope.rotate(&a, heads: 1) { _ in t }
            rope.rotate(&b, heads: 1) { _ in s }
            return (0..<8).map { a[0, $0] * b[0, $0] }.reduce(0, +)
        }
        #expect(abs(dot(5, 2) - dot(12, 9)) < 1e-4)
        #expect(abs(dot(3, 3) - (0..<8).map { q[0, $0] * k[0, $0] }.reduce(0, +)) < 1e-5)
        #expect(rope.frequencies[0] == 1)
    }

    @Test("RoPE: the backward (inverse rotation) against finite differences")
    func ropeGradient() {
        let rope = RotaryEmbedding(headSize: 4, maxPositions: 8)
        let x = Parameter(name: "x", value: randomMatrix(5, 8, seed: 8))
        let r = randomMatrix(5, 8, seed: 9)
        var g = r
        rope.rotate(&g, heads: 2, inverse: true) { $0 % 5 }
        x.grad = g
        expectGradientsMatch([x]) {
            var y = x.value
            rope.rotate(&y, heads: 2) { $0 % 5 }
            return GradientCheck.weightedSum(y, r)
        }
    }

    @Test("grouped-query attention: dx and the four projections, padded sequences, 4 query heads on 2 key/value heads")
    func attention() {
        let (d, hs) = (8, 2)
        let attention = GroupedQueryAttention(
            q: randomPackedLinear("q", inputs: d, outputs: 4 * hs, seed: 10), k: randomPackedLinear("k", inputs: d, outputs: 2 * hs, seed: 11),
            v: randomPackedLinear("v", inputs: d, outputs: 2 * hs, seed: 12), o: randomPackedLinear("o", inputs: 4 * hs, outputs: d, seed: 13),
            heads: 4, keyValueHeads: 2, rope: RotaryEmbedding(headSize: hs, maxPositions: 8))
        let mask = AttentionMask(sequences: 3, length: 5, lengths: [5, 3, 0], causal: true)
        let x = Parameter(name: "x", value: randomMatrix(15, d, seed: 14))
        let r = randomMatrix(15, d, seed: 15)
        attention.parameters.zeroGradients()
        _ = attention.forward(x.value, mask: mask)
        x.grad = attention.backward(r)
        expectGradientsMatch([x] + attention.parameters) { GradientCheck.weightedSum(attention.forward(x.value, mask: mask), r) }
    }

    @Test("grouped-query attention with one key/value head equals attention whose key/value heads are copies")
    func groupSharing() {
        // H = 2, G = 1 against H = 2, G = 2 with W_k, W_v stacked twice: the same outputs.
        let d = 4, hs = 2
        let wq = randomMatrix(4, d, seed: 16), wk = randomMatrix(2, d, seed: 17), wv = randomMatrix(2, d, seed: 18), wo = randomMatrix(d, 4, seed: 19)
        func layer(_ name: String, _ w: Matrix) -> PackedLinear { PackedLinear(Linear(name: name, weight: w, bias: nil)) }
        func stacked(_ w: Matrix) -> Matrix { Matrix(rows: 2 * w.rows, cols: w.cols, data: w.data + w.data) }
        let rope = RotaryEmbedding(headSize: hs, maxPositions: 6)
        let grouped = GroupedQueryAttention(q: layer("q", wq), k: layer("k", wk), v: layer("v", wv), o: layer("o", wo),
                                            heads: 2, keyValueHeads: 1, rope: rope)
        let full = GroupedQueryAttention(q: layer("q", wq), k: layer("k", stacked(wk)), v: layer("v", stacked(wv)), o: layer("o", wo),
                                         heads: 2, keyValueHeads: 2, rope: rope)
        let mask = AttentionMask(sequences: 2, length: 6, lengths: [6, 4], causal: true)
        let x = randomMatrix(12, d, seed: 20)
        #expect(grouped.forward(x, mask: mask).maxAbsDifference(full.forward(x, mask: mask)) < 1e-6)
    }

    @Test("SwiGLU: dx and the three projections")
    func swiglu() {
        let mlp = SwiGLU(gate: randomPackedLinear("g", inputs: 6, outputs: 10, seed: 21), up: randomPackedLinear("u", inputs: 6, outputs: 10, seed: 22),
                         down: randomPackedLinear("d", inputs: 10, outputs: 6, seed: 23))
        let x = Parameter(name: "x", value: randomMatrix(7, 6, seed: 24))
        let r = randomMatrix(7, 6, seed: 25)
        mlp.parameters.zeroGradients()
        _ = mlp.forward(x.value)
        x.grad = mlp.backward(r)
        expectGradientsMatch([x] + mlp.parameters) { GradientCheck.weightedSum(mlp.forward(x.value), r) }
    }

    @Test("one LLaMA block: dx and every tensor, with a padded sequence")
    func block() {
        let model = randomLlama()
        let block = model.blocks[1]
        let mask = AttentionMask(sequences: 2, length: 4, lengths: [4, 2], causal: true)
        let x = Parameter(name: "x", value: randomMatrix(8, 8, seed: 26))
        let r = randomMatrix(8, 8, seed: 27)
        model.parameters.zeroGradients()
        _ = block.forward(x.value, mask: mask)
        x.grad = block.backward(r)
        expectGradientsMatch([x] + block.parameters, checker: GradientCheck(step: 1e-2, tolerance: 2e-3)) {
            GradientCheck.weightedSum(block.forward(x.value, mask: mask), r)
        }
    }

    @Test("the whole model: every tensor through the token cross-entropy, mixed lengths, a masked target")
    func model() {
        let model = randomLlama()
        let batch = mixedBatch(vocabulary: 11)
        let loss = TokenCrossEntropy()
        model.parameters.zeroGradients()
        model.lossAndGradient(batch, using: loss)
        expectGradientsMatch(model.parameters, checker: GradientCheck(step: 1e-2, tolerance: 2e-3)) {
            Double(model.loss(batch, using: loss))
        }
    }

    @Test("the causal mask and padding: later or padded tokens change no earlier logit")
    func causality() {
        let model = randomLlama()
        let tokens = [1, 2, 3, 4, 5, 6]
        let mask = AttentionMask(sequences: 1, length: 6, causal: true)
        let before = model.forward(tokens: tokens, mask: mask)
        let after = model.forward(tokens: [1, 2, 3, 4, 5, 9], mask: mask)
        for i in 0..<(5 * 11) { #expect(before.data[i] == after.data[i]) }
        #expect((55..<66).contains { before.data[$0] != after.data[$0] })
        let padded = model.forward(tokens: [1, 2, 3, 4, 0, 0, 7, 8, 9, 1, 2, 3], mask: AttentionMask(sequences: 2, length: 6, lengths: [4, 6], causal: true))
        let alone = model.forward(tokens: [1, 2, 3, 4], mask: AttentionMask(sequences: 1, length: 4, causal: true))
        #expect(padded.rows(0..<4).maxAbsDifference(alone) < 1e-5)
    }
}
