import Foundation
import NOLAKit
import Testing

/// A LoRA adapter `(out, in)` of rank `r` with random A and B.
private func randomLoRA(_ name: String, inputs: Int, outputs: Int, rank: Int, seed: UInt64) -> LoRAAdapter {
    let lora = LoRAAdapter(name: name, inputs: inputs, outputs: outputs, rank: rank, c: 2,
                           random: RandomStream(seed: seed, stream: 1))
    lora.b.value = randomMatrix(outputs, rank, seed: seed, stream: 2, bound: 0.5)
    return lora
}

@Suite("Serving many adapters")
struct ServingTests {
    @Test("per-sequence adapters on a Linear: each sequence's rows equal that sequence's adapter merged into W")
    func linearMatchesMerged() {
        let (n, m, t) = (12, 10, 3)
        let layer = Linear(name: "fc", inputs: n, outputs: m, random: RandomStream(seed: 1, stream: 0))
        let loraA = randomLoRA("a", inputs: n, outputs: m, rank: 2, seed: 2)
        let nola = NOLAAdapter(name: "b", inputs: n, outputs: m, rank: 3, k: 5, l: 4, c: 1, seed: 3)
        nola.alpha.value = randomMatrix(1, 5, seed: 4, bound: 0.5)
        nola.beta.value = randomMatrix(1, 4, seed: 5, bound: 0.5)
        let adapters: [LowRankFactors?] = [LowRankFactors(loraA), nil, LowRankFactors(nola), LowRankFactors(loraA)]
        let x = randomMatrix(adapters.count * t, n, seed: 6)
        layer.adapter = PerSequenceAdapters(inputs: n, outputs: m, rowsPerSequence: t, factors: adapters)
        let served = layer.forward(x)
        layer.adapter = nil
        for (s, f) in adapters.enumerated() {
            let rows = x.rows((s * t)..<((s + 1) * t))
            let merged = Linear(name: "merged", weight: layer.weight.value, bias: layer.bias!.value)
            if let f { BLAS.axpy(1, f.deltaWeight(), &merged.weight.value) }
            #expect(served.rows((s * t)..<((s + 1) * t)).maxAbsDifference(merged.forward(rows)) < 1e-5, "sequence \(s)")
        }
    }

    @Test("per-sequence adapters at a GPT block's query and value: each sequence's output equals a merged block run on it alone")
    func stackMatchesMerged() {
        let (d, t, sequences) = (8, 4, 3)
        let mask = AttentionMask(sequences: sequences, length: t, causal: true)
        let stack = TransformerStack(layers: 1, width: d, heads: 2, mask: mask, seed: 1)
        let sites = stack.adapterSites.filter { $0.name.hasSuffix(".q") || $0.name.hasSuffix(".v") }
        // Sequence s uses adapter s: one LoRA per site.
        let factors = sites.enumerated().map { i, site in
            (0..<sequences).map { s in
                LowRankFactors(randomLoRA("\(site.name).\(s)", inputs: d, outputs: d, rank: 1 + s % 2, seed: UInt64(10 * i + s + 1)))
            }
        }
        for (i, site) in sites.enumerated() {
            site.attach(PerSequenceAdapters(inputs: d, outputs: d, rowsPerSequence: t, factors: factors[i]))
        }
        let x = randomMatrix(sequences * t, d, seed: 9)
        let served = stack.forward(x)
        for s in 0..<sequences {
            let single = TransformerStack(layers: 1, width: d, heads: 2, mask: AttentionMask(sequences: 1, length: t, causal: true), seed: 1)
            let layer = single.blocks[0].attention.cAttn
            for (i, site) in sites.enumerated() {
                let delta = factors[i][s].deltaWeight()
                for r in 0..<d { for c in 0..<d { layer.weight.value[site.outputRange.lowerBound + r, c] += delta[r, c] } }
            }
            let expected = single.forward(x.rows((s * t)..<((s + 1) * t)))
            #expect(served.rows((s * t)..<((s + 1) * t)).maxAbsDifference(expected) < 1e-5, "sequence \(s)")
        }
    }

    @Test("per-sequence adapters: the input gradient passes the finite-difference check")
    func inputGradient() {
        let (n, m, t) = (6, 5, 2)
        let layer = Linear(name: "fc", inputs: n, outputs: m, random: RandomStream(seed: 1, stream: 0))
        layer.weight.freeze()
        layer.bias!.freeze()
        let factors: [LowRankFactors?] = [
            LowRankFactors(randomLoRA("a", inputs: n, outputs: m, rank: 2, seed: 2)), nil,
            LowRankFactors(randomLoRA("b", inputs: n, outputs: m, rank: 1, seed: 3)),
        ]
        layer.adapter = PerSequenceAdapters(inputs: n, outputs: m, rowsPerSequence: t, factors: factors)
        let input = Parameter(name: "x", value: randomMatrix(factors.count * t, n, seed: 4))
        let r = randomMatrix(factors.count * t, m, seed: 5)
        _ = layer.forward(input.value)
        input.grad = layer.backward(r)
        expectGradientsMatch([input]) { GradientCheck.weightedSum(layer.forward(input.value), r) }
    }

    @Test("a coefficient bank rebuilds each adapter's factors exactly as its own NOLA adapter, held or on the fly")
    func bankMatchesAdapters() {
        let (n, m, r, k, l) = (10, 7, 3, 6, 5)
        let basisSeed = BasisSeeds.nolaBasisSeed(root: 1, outputs: m, inputs: n)
        func adapter(_ storage: RandomBasis.Storage) -> NOLAAdapter {
            NOLAAdapter(name: "fc", inputs: n, outputs: m, rank: r, k: k, l: l, c: 2, seed: 11, basisSeed: basisSeed, storage: storage)
        }
        let held = NOLACoefficientBank(template: adapter(.materialized))
        let fly = NOLACoefficientBank(template: adapter(.onTheFly(chunkFloats: 16)))
        var own: [NOLAAdapter] = []
        for i in 0..<4 {
            let a = adapter(.materialized)
            a.alpha.value = randomMatrix(1, k, seed: UInt64(20 + i))
            a.beta.value = randomMatrix(1, l, seed: UInt64(30 + i))
            own.append(a)
            #expect(held.append(alpha: a.alpha.value.data, beta: a.beta.value.data) == i)
            fly.append(alpha: a.alpha.value.data, beta: a.beta.value.data)
        }
        #expect(held.count == 4 && held.coefficientBytes == 4 * (k + l) * 4)
        let bulk = NOLACoefficientBank(template: adapter(.materialized))
        #expect(bulk.append(contentsOf: held.coefficients) == 0 && bulk.coefficients(of: 3) == held.coefficients(of: 3))
        #expect(fly.sharedBytes < held.sharedBytes, "on the fly holds one tile, not the basis")
        for i in [2, 0, 3, 1] {
            #expect(held.factors(of: i) == LowRankFactors(own[i]))
            #expect(fly.factors(of: i) == LowRankFactors(own[i]), "same stream, same tiles: bit for bit")
        }
    }

    @Test("the factor cache builds each adapter once while it stays among the most recently used")
    func cacheEviction() {
        var built: [Int] = []
        let cache = FactorCache(capacity: 2) { i in
            built.append(i)
            return LowRankFactors(a: Matrix(rows: 1, cols: 2, repeating: Float(i)), b: Matrix(rows: 3, cols: 1), scale: 1)
        }
        for i in [0, 1, 0, 2, 0, 1] { #expect(cache.factors(i).a[0, 0] == Float(i)) }
        #expect(built == [0, 1, 2, 1], "2 evicts 1 (0 was used more recently); 1 evicts 2")
        #expect(cache.hits == 2 && cache.misses == 4)
        #expect(cache.heldAdapters == [0, 1] && cache.heldFloats == 2 * 5)
    }

    @Test("a peak-memory window starts at the current resident set and sees a new allocation")
    func peakWindow() throws {
        guard ProcessMemory.resetPeak(), let before = ProcessMemory.peakSinceResetBytes else { return }
        var big = [Float](repeating: 1, count: 16 << 20)  // 64 MB, touched
        big[big.count - 1] = 2
        let after = try #require(ProcessMemory.peakSinceResetBytes)
        #expect(after - before >= 60 << 20)
        #expect(big[0] == 1)
    }
}
