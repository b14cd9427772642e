import Foundation
import NOLAKit
import Testing

/// Shared pieces of the LLaMA tests: a tiny configuration with grouped-query attention, models
/// with every tensor randomised (LLaMA's N(0, 0.02²) start is too flat for finite differences).

/// 2 blocks, width 8, MLP 12, 4 query heads sharing 2 key/value heads (hs = 2), vocabulary 11.
let tinyLlama = LlamaConfiguration(layers: 2, hidden: 8, intermediate: 12, heads: 4, keyValueHeads: 2, vocabulary: 11, context: 8)

/// Sets every trainable tensor to Uniform(±bound), the RMSNorm scales to 1 ± bound.
func randomizeLlama(_ parameters: [Parameter], seed: UInt64, bound: Float = 0.5) {
    for (i, p) in parameters.enumerated() where p.isTrainable {
        var value = randomMatrix(p.value.rows, p.value.cols, seed: seed, stream: UInt64(i), bound: bound)
        if p.name.hasSuffix("layernorm.weight") || p.name == "norm.weight" {
            for j in 0..<value.count { value.data[j] += 1 }
        }
        p.value = value
    }
}

/// A tiny LLaMA with random weights.
func randomLlama(_ configuration: LlamaConfiguration = tinyLlama, seed: UInt64 = 1) -> LlamaModel {
    let model = LlamaModel(configuration, seed: seed)
    randomizeLlama(model.parameters, seed: seed &+ 100)
    return model
}

/// A packed layer `(outputs, inputs)` with Uniform(±1) weights.
func randomPackedLinear(_ name: String, inputs: Int, outputs: Int, seed: UInt64) -> PackedLinear {
    PackedLinear(Linear(name: name, weight: randomMatrix(outputs, inputs, seed: seed), bias: nil))
}
