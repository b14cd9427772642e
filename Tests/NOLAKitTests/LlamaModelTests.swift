import Foundation
import Testing

@testable import NOLAKit

/// The LLaMA model as a whole: a packed base with adapters on all seven projections (finite
/// differences through the model), its measured bytes, checkpoints, multiple-choice scoring.
@Suite("LLaMA model: packed base, adapters, checkpoints, scoring")
struct LlamaModelTests {
    @Test("adapters on every projection of a packed base: finite differences through the whole model",
          arguments: [(AdapterMethod.lora(rank: 1, c: 2), PackedWeight.Format.int8),
                      (AdapterMethod.nola(rank: 4, k: 4, l: 3, c: 4, basis: .shared), PackedWeight.Format.nf4)])
    func adaptersThroughPackedModel(method: AdapterMethod, format: PackedWeight.Format) {
        let model = randomLlama()
        model.packBase(format)
        let adapters = model.attach(method, seed: 3, sites: model.allSites)
        #expect(adapters.count == 7 * tinyLlama.layers)
        let trainable = model.parameters.filter(\.isTrainable)
        for (i, p) in trainable.enumerated() { p.value = randomMatrix(p.value.rows, p.value.cols, seed: 4, stream: UInt64(i), bound: 0.2) }
        let expected = 2 * ModelShape(name: "tiny", family: .llama, layers: 1, hidden: 8, intermediate: 12, heads: 4, keyValueHeads: 2, vocabulary: 11)
            .trainableCount(method, sites: .all)
        #expect(trainable.map(\.count).reduce(0, +) == expected)
        let batch = mixedBatch(vocabulary: 11)
        let loss = TokenCrossEntropy()
        model.parameters.zeroGradients()
        model.lossAndGradient(batch, using: loss)
        // Small adapter values (|θ| ≤ 0.2, c = 2 for LoRA) keep the loss near-quadratic over ±h; the
        // tolerance is GradientCheck's for deep networks (Float32 noise on the smallest gradients).
        expectGradientsMatch(trainable, checker: GradientCheck(step: 1e-2, tolerance: 1e-2)) { Double(model.loss(batch, using: loss)) }
    }

    @Test("a packed model computes what the float model computes with the dequantized weights")
    func packedEqualsDequantized() throws {
        for format in PackedWeight.Format.allCases {
            let model = randomLlama()
            model.packBase(format)
            let reference = randomLlama()
            var values: [String: Matrix] = [:]
            for (name, value) in model.effectiveBaseWeights() { values[name] = value }
            for p in reference.baseParameters { p.value = try #require(values[p.name]) }
            let batch = mixedBatch(vocabulary: 11)
            let a = model.forward(tokens: batch.tokens, mask: batch.mask), b = reference.forward(tokens: batch.tokens, mask: batch.mask)
            #expect(a.maxAbsDifference(b) <= 1e-5 * b.data.map(abs).max()!)
        }
    }

    @Test("the packed base's bytes, measured: 16-bit projections are twice 8-bit's and about four times 4-bit's")
    func baseBytes() throws {
        let configuration = LlamaConfiguration(layers: 2, hidden: 64, intermediate: 128, heads: 4, keyValueHeads: 2, vocabulary: 100, context: 8)
        var bytes: [PackedWeight.Format: Int] = [:]
        for format in PackedWeight.Format.allCases {
            let model = LlamaModel(configuration, seed: 1)
            model.packBase(format)
            let storage = try #require(model.baseStorage)
            bytes[format] = storage.projections
            #expect(storage.embeddingAndHead == 2 * 2 * 100 * 64)
            #expect(storage.norms == 4 * (2 * 2 * 64 + 64))
            let counted = configuration.shape(name: "x").blockSites(.all).reduce(0) { $0 + PackedWeight.expectedBytes(rows: $1.outputs, cols: $1.inputs, format: format) }
            #expect(storage.projections == 2 * counted)
        }
        #expect(bytes[.float16]! == 2 * (64 * 64 * 2 + 2 * 32 * 64 + 3 * 64 * 128) * 2)
        #expect(Double(bytes[.float16]!) / Double(bytes[.nf4]!) > 3.8)
        #expect(bytes[.float16]! == 2 * (bytes[.int8]! - 4 * 2 * (64 + 32 + 32 + 64 + 128 + 128 + 64)))
    }

    @Test("checkpoint: a round trip gives the same logits; damaged files are refused and change nothing")
    func checkpoint() throws {
        let model = randomLlama()
        let file = model.checkpointFile(metadata: ["note": "test"])
        let (loaded, metadata) = try LlamaModel.load(file, source: "mem")
        #expect(metadata["note"] == "test" && loaded.configuration == tinyLlama)
        let batch = mixedBatch(vocabulary: 11)
        #expect(loaded.forward(tokens: batch.tokens, mask: batch.mask) == model.forward(tokens: batch.tokens, mask: batch.mask))
        var missing = file
        missing.tensors["lm_head.weight"] = nil
        #expect(throws: SafeTensorsError.self) { try LlamaModel.load(missing, source: "missing") }
        var other = file
        other.metadata["format"] = "nola-lessons-gpt"
        #expect(throws: SafeTensorsError.self) { try LlamaModel.load(other, source: "gpt") }
        var bad = file
        bad.metadata["num_key_value_heads"] = "3"
        #expect(throws: SafeTensorsError.self) { try LlamaModel.load(bad, source: "bad") }
        var nan = file
        nan.tensors["norm.weight"] = SafeTensorsFile.Tensor(float32: [Float](repeating: .nan, count: 8), shape: [1, 8])
        #expect(throws: SafeTensorsError.self) { try LlamaModel.load(nan, source: "nan") }
    }

    @Test("multiple-choice scoring: one pass at the shared prefix equals scoring each choice in full")
    func multipleChoice() {
        let model = randomLlama()
        let prompts = [[1, 2, 3], [4, 5, 6, 7, 8], [9]]
        let choices = [[10, 1], [10, 2], [10, 3], [10, 4]]  // a shared first token, then one token each
        let fast = model.multipleChoiceLogProbabilities(prompts: prompts, choices: choices, batchSize: 2)
        for (p, prompt) in prompts.enumerated() {
            for (c, choice) in choices.enumerated() {
                let rows = model.scoreAllPositions(prompt + choice)
                let full = rows[prompt.count - 1][choice[0]] + rows[prompt.count][choice[1]]
                let shared = rows[prompt.count - 1][choice[0]]
                #expect(abs(fast[p][c] - (full - shared)) < 1e-4)
            }
        }
        // Choices of different lengths take the slow path: full log-probabilities.
        let slow = model.multipleChoiceLogProbabilities(prompts: [[1, 2]], choices: [[3], [4, 5]])
        let rows = model.scoreAllPositions([1, 2, 4, 5])
        #expect(abs(slow[0][1] - (rows[1][4] + rows[2][5])) < 1e-4)
        let probabilities = model.scoreLastPosition([[1, 2, 3]], batchSize: 1)[0].map(exp)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
    }

    @Test("a shared prefix computed once: the rest of each sequence gives the full forward's rows, packed or not")
    func prefixCache() {
        for format in [nil, PackedWeight.Format.nf4] {
            let model = randomLlama(LlamaConfiguration(layers: 2, hidden: 8, intermediate: 12, heads: 4, keyValueHeads: 2, vocabulary: 11, context: 24))
            if let format { model.packBase(format) }
            let prefix = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            let suffixes = [[3, 1, 4], [1, 5], [9, 2, 6, 5]]
            let cache = model.prefixCache(prefix)
            let mask = AttentionMask(sequences: 3, length: 4, lengths: [3, 2, 4], causal: true)
            var tokens = [Int](repeating: 0, count: 12)
            for (b, s) in suffixes.enumerated() { for (j, id) in s.enumerated() { tokens[b * 4 + j] = id } }
            let h = model.hidden(suffixes: tokens, mask: mask, after: cache)
            for (b, s) in suffixes.enumerated() {
                let full = model.hidden(tokens: prefix + s, mask: AttentionMask(sequences: 1, length: prefix.count + s.count, causal: true))
                for j in 0..<s.count { for c in 0..<8 { #expect(abs(h[b * 4 + j, c] - full[prefix.count + j, c]) < 1e-5) } }
            }
            // Scoring uses the cache when prompts share 8 tokens or more: the same log-probabilities.
            let prompts = suffixes.map { prefix + $0 }
            let cached = model.scoreLastPosition(prompts, batchSize: 2)
            for (p, prompt) in prompts.enumerated() {
                let alone = model.scoreAllPositions(prompt)[prompt.count - 1]
                for v in 0..<11 { #expect(abs(cached[p][v] - alone[v]) < 1e-4) }
            }
        }
    }
}
