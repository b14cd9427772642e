import Foundation
import Testing

@testable import NOLAKit

/// Finite-difference checks of every transformer layer's backward pass, with the loss
/// `Σ y ⊙ r` for a fixed random `r` (so `dy = r`).
@Suite("Transformer layers: gradients against finite differences")
struct TransformerLayerTests {
    @Test("attention: dqkv, causal and bidirectional, with padded sequences", arguments: [true, false])
    func attention(causal: Bool) {
        let mask = AttentionMask(sequences: 3, length: 5, lengths: [5, 3, 0], causal: causal)
        let core = MultiHeadAttention(heads: 2, dimension: 4)
        let qkv = Parameter(name: "qkv", value: randomMatrix(15, 12, seed: 1, bound: 1.5))
        let r = randomMatrix(15, 4, seed: 2)
        _ = core.forward(qkv.value, mask: mask)
        qkv.grad = core.backward(r)
        expectGradientsMatch([qkv]) { GradientCheck.weightedSum(core.forward(qkv.value, mask: mask), r) }
    }

    @Test("causal attention's split products (queries 0..<n/2 against keys 0..<n/2, the rest against all): dqkv at odd and even lengths")
    func attentionSplit() {
        let mask = AttentionMask(sequences: 4, length: 9, lengths: [9, 8, 2, 1], causal: true)
        #expect([9, 8, 2, 1].map { MultiHeadAttention.split($0, causal: true) } == [4, 4, 1, 0])
        let core = MultiHeadAttention(heads: 2, dimension: 6)
        let qkv = Parameter(name: "qkv", value: randomMatrix(36, 18, seed: 6, bound: 1.5))
        let r = randomMatrix(36, 6, seed: 7)
        _ = core.forward(qkv.value, mask: mask)
        qkv.grad = core.backward(r)
        expectGradientsMatch([qkv]) { GradientCheck.weightedSum(core.forward(qkv.value, mask: mask), r) }
    }

    @Test("attention probabilities: rows sum to 1 over the allowed keys, 0 elsewhere")
    func probabilities() {
        let mask = AttentionMask(sequences: 2, length: 4, lengths: [4, 2], causal: true)
        let core = MultiHeadAttention(heads: 2, dimension: 4)
        let out = core.forward(randomMatrix(8, 12, seed: 3), mask: mask)
        for b in 0..<2 {
            for h in 0..<2 {
                let p = core.probabilities(sequence: b, head: h)
                for t in 0..<4 {
                    let allowed = mask.keyCount(sequence: b, query: t)
                    var sum: Float = 0
                    for j in 0..<4 {
                        if j < allowed { #expect(p[t, j] > 0) } else { #expect(p[t, j] == 0) }
                        sum += p[t, j]
                    }
                    #expect(abs(sum - (allowed > 0 ? 1 : 0)) < 1e-6)
                }
            }
        }
        // The first query of a causal sequence sees only itself: its output is its value.
        for j in 0..<4 { #expect(abs(out[0, j] - randomMatrix(8, 12, seed: 3)[0, 8 + j]) < 1e-6) }
        // Padded rows are zero.
        for t in 2..<4 { for j in 0..<4 { #expect(out[4 + t, j] == 0) } }
    }

    @Test("attention: what sits at padded rows changes nothing at real rows, bit for bit")
    func attentionPadding() {
        for causal in [true, false] {
            let mask = AttentionMask(sequences: 2, length: 5, lengths: [5, 2], causal: causal)
            let core = MultiHeadAttention(heads: 2, dimension: 4)
            var a = randomMatrix(10, 12, seed: 4)
            var dy = randomMatrix(10, 4, seed: 5)
            let outA = core.forward(a, mask: mask)
            let gradA = core.backward(dy)
            for t in 7..<10 {
                for j in 0..<12 { a[t, j] = Float(t * j) - 20 }
                for j in 0..<4 { dy[t, j] = 7 }
            }
            let outB = core.forward(a, mask: mask)
            let gradB = core.backward(dy)
            for row in 0..<10 where mask.isReal(row: row) {
                for j in 0..<4 { #expect(outA[row, j] == outB[row, j]) }
                for j in 0..<12 { #expect(gradA[row, j] == gradB[row, j]) }
            }
        }
    }

    @Test("one block: dx and every tensor, with a padded sequence")
    func block() {
        let model = randomGPT()
        let block = model.blocks[1]
        let mask = AttentionMask(sequences: 2, length: 4, lengths: [4, 2], causal: true)
        let x = Parameter(name: "x", value: randomMatrix(8, 8, seed: 6))
        let r = randomMatrix(8, 8, seed: 7)
        model.parameters.zeroGradients()
        _ = block.forward(x.value, mask: mask)
        x.grad = block.backward(r)
        expectGradientsMatch([x] + block.parameters) { GradientCheck.weightedSum(block.forward(x.value, mask: mask), r) }
    }

    @Test("a block skipping its input gradient gives the same tensor gradients")
    func blockWithoutInputGradient() {
        let model = randomGPT()
        let block = model.blocks[0]
        let mask = AttentionMask(sequences: 1, length: 5, causal: true)
        let x = randomMatrix(5, 8, seed: 8)
        let r = randomMatrix(5, 8, seed: 9)
        block.parameters.zeroGradients()
        _ = block.forward(x, mask: mask)
        _ = block.backward(r)
        let full = block.parameters.map(\.grad)
        block.parameters.zeroGradients()
        block.ln1.parameters.freezeAll()
        _ = block.forward(x, mask: mask)
        #expect(block.backward(r, inputGradient: false).count == 0)
        for (p, g) in zip(block.parameters, full) where p.isTrainable { #expect(p.grad == g, "\(p.name)") }
    }

    @Test("final LayerNorm and the tied unembedding: dx, γ, β and the table")
    func unembedding() {
        let table = Parameter(name: "wte.weight", value: randomMatrix(7, 4, seed: 10))
        let norm = LayerNorm(name: "ln_f", dimension: 4)
        randomize(norm.parameters, seed: 11)
        let head = TiedUnembedding(table: table)
        let x = Parameter(name: "x", value: randomMatrix(3, 4, seed: 12))
        let r = randomMatrix(3, 7, seed: 13)
        _ = head.forward(norm.forward(x.value))
        x.grad = norm.backward(head.backward(r))
        expectGradientsMatch([x, table] + norm.parameters) {
            GradientCheck.weightedSum(head.forward(norm.forward(x.value)), r)
        }
    }

    @Test("token cross-entropy: ignored rows, label smoothing", arguments: [Float(0), 0.1])
    func crossEntropy(smoothing: Float) {
        let loss = TokenCrossEntropy(labelSmoothing: smoothing)
        let logits = Parameter(name: "z", value: randomMatrix(4, 6, seed: 14, bound: 3))
        let targets = [2, TokenBatch.ignored, 5, 0]
        _ = loss.forward(logits.value, targets: targets)
        logits.grad = loss.backward()
        #expect(loss.targetCount == 3)
        for j in 0..<6 { #expect(logits.grad[1, j] == 0) }
        expectGradientsMatch([logits]) { Double(loss.forward(logits.value, targets: targets)) }
        // By hand for one row: −log softmax(z)[t], averaged with the other scored rows.
        let z = logits.value
        var expected = 0.0
        for (i, t) in targets.enumerated() where t >= 0 {
            let row = (0..<6).map { Double(z[i, $0]) }
            let logSum = log(row.map { exp($0) }.reduce(0, +))
            let nll = logSum - row[t]
            let uniform = row.map { logSum - $0 }.reduce(0, +) / 6
            expected += (1 - Double(smoothing)) * nll + Double(smoothing) * uniform
        }
        #expect(abs(Double(loss.forward(z, targets: targets)) - expected / 3) < 1e-5)
        // Huge logits stay finite; no target at all gives 0 and a zero gradient.
        #expect(loss.forward(Matrix([[1000, -1000, 0]]), targets: [1]).isFinite)
        #expect(loss.forward(Matrix([[1, 2, 3]]), targets: [TokenBatch.ignored]) == 0)
        #expect(loss.backward() == Matrix.zeros(1, 3))
    }

    @Test("vector exp and tanh agree with the C library to a few ulps")
    func vectorMath() {
        var worstExp: Float = 0, worstTanh: Float = 0
        for i in 0..<20_000 {
            let x = Float(i) / 100 - 100
            let e = VectorMath.exp(SIMD8(repeating: x))[3]
            let reference = expf(x)
            if reference > 1e-37 && reference.isFinite { worstExp = max(worstExp, abs(e - reference) / reference) }
            let u = Float(i) / 1000 - 10
            worstTanh = max(worstTanh, abs(VectorMath.tanh(SIMD8(repeating: u))[5] - tanhf(u)))
        }
        #expect(worstExp < 3e-7)
        #expect(worstTanh < 3e-7)
        let edges = VectorMath.exp(SIMD8(-.infinity, -110, 0, 100, .infinity, .nan, -100, -1))
        #expect(edges[0] == 0 && edges[1] == 0 && edges[2] == 1 && edges[3] == .infinity && edges[4] == .infinity)
        #expect(edges[5].isNaN && edges[6] == expf(-100) && edges[6] > 0)
        let t = VectorMath.tanh(SIMD8(-.infinity, -30, 0, 30, .infinity, .nan, 1e-3, -1e-3))
        #expect(t[0] == -1 && t[1] == -1 && t[2] == 0 && t[3] == 1 && t[4] == 1 && t[5].isNaN)
    }

    @Test("the AVX2 kernels agree with the portable code: exp sums, GELU values and tanh",
          .enabled(if: VectorMath.hasAVX2, "skipped: this CPU has no AVX2 and FMA, so only the portable code runs"))
    func avx2Kernels() {
        let count = 1003  // not a multiple of 8: the tails too
        let x = RandomStream(seed: 41).uniform(count).map { $0 * 40 - 30 }
        var a = [Float](repeating: 0, count: count), b = a
        let (sumA, sumB) = x.withUnsafeBufferPointer { px in
            a.withUnsafeMutableBufferPointer { pa in
                b.withUnsafeMutableBufferPointer { pb in
                    (VectorMath.expShifted(px.baseAddress!, into: pa.baseAddress!, count: count, shift: 2),
                     VectorMath.portableExpShifted(px.baseAddress!, into: pb.baseAddress!, count: count, shift: 2))
                }
            }
        }
        for i in 0..<count { #expect(abs(a[i] - b[i]) <= 4e-7 * b[i], "exp(\(x[i]) − 2)") }
        #expect(abs(sumA - sumB) <= 1e-6 * sumB)
        var edges: [Float] = [-.infinity, .nan, 100, -200, 0, 1, -100, 88]
        let edgeSum = edges.withUnsafeMutableBufferPointer { VectorMath.expShifted($0.baseAddress!, into: $0.baseAddress!, count: 8, shift: 0) }
        #expect(edges[0] == 0 && edges[1].isNaN && edges[2] == .infinity && edges[3] == 0 && edges[4] == 1)
        #expect(abs(edges[5] - expf(1)) < 1e-6 && abs(edges[6] - expf(-100)) <= 1e-6 * expf(-100) && edgeSum.isNaN)
        let g = x.map { $0 / 5 }
        var (y1, t1, y2, t2) = (a, a, b, b)
        g.withUnsafeBufferPointer { pg in
            y1.withUnsafeMutableBufferPointer { py in
                t1.withUnsafeMutableBufferPointer { pt in GELU.forward(pg.baseAddress!, into: py.baseAddress!, tanh: pt.baseAddress!, count: count, avx2: true) }
            }
            y2.withUnsafeMutableBufferPointer { py in
                t2.withUnsafeMutableBufferPointer { pt in GELU.forward(pg.baseAddress!, into: py.baseAddress!, tanh: pt.baseAddress!, count: count, avx2: false) }
            }
        }
        let dy = RandomStream(seed: 42).uniform(count).map { $0 * 2 - 1 }
        var (d1, d2) = (a, b)
        dy.withUnsafeBufferPointer { pd in
            g.withUnsafeBufferPointer { pg in
                t1.withUnsafeBufferPointer { pt in
                    d1.withUnsafeMutableBufferPointer { GELU.backward(pd.baseAddress!, input: pg.baseAddress!, tanh: pt.baseAddress!, into: $0.baseAddress!, count: count, avx2: true) }
                    d2.withUnsafeMutableBufferPointer { GELU.backward(pd.baseAddress!, input: pg.baseAddress!, tanh: pt.baseAddress!, into: $0.baseAddress!, count: count, avx2: false) }
                }
            }
        }
        for i in 0..<count {
            #expect(abs(d1[i] - d2[i]) <= 1e-6 * max(1, abs(g[i])), "GELU'(\(g[i]))")
            #expect(abs(t1[i] - t2[i]) <= 3e-7 && abs(y1[i] - y2[i]) <= 3e-7 * max(1, abs(g[i])), "GELU(\(g[i]))")
            #expect(abs(t1[i] - tanhf(0.797_884_56 * (g[i] + 0.044715 * g[i] * g[i] * g[i]))) <= 3e-7)
        }
    }
}
