import Foundation
import NOLAKit
import Testing

/// Shared pieces of the transformer tests: tiny models with every tensor randomised (GPT-2's
/// N(0, 0.02²) start is too flat for finite differences to see much), and batches of mixed lengths.

/// A 2-block GPT: vocabulary 11, width 8, 2 heads, context 6.
let tinyGPT = GPTConfiguration(layers: 2, embedding: 8, heads: 2, vocabulary: 11, context: 6)

/// Sets every trainable tensor of `parameters` to Uniform(±bound) (LayerNorm scales to
/// 1 ± bound, so no feature is switched off).
func randomize(_ parameters: [Parameter], seed: UInt64, bound: Float = 0.5) {
    for (i, p) in parameters.enumerated() where p.isTrainable {
        var value = randomMatrix(p.value.rows, p.value.cols, seed: seed, stream: UInt64(i), bound: bound)
        if p.name.hasSuffix("ln_1.weight") || p.name.hasSuffix("ln_2.weight") || p.name == "ln_f.weight" {
            for j in 0..<value.count { value.data[j] += 1 }
        }
        p.value = value
    }
}

/// A tiny GPT with random weights.
func randomGPT(_ configuration: GPTConfiguration = tinyGPT, seed: UInt64 = 1) -> GPT {
    let model = GPT(configuration, seed: seed)
    randomize(model.parameters, seed: seed &+ 100)
    return model
}

/// Three sequences of lengths 6, 4 and 2 tokens (inputs 5, 3, 1) over a vocabulary of `v`,
/// with the first target of the second sequence unscored.
func mixedBatch(vocabulary v: Int = 11, seed: UInt64 = 5) -> TokenBatch {
    let words = RandomStream(seed: seed).uniform(12).map { Int($0 * Float(v)) % v }
    let sequences = [Array(words[0..<6]), Array(words[6..<10]), Array(words[10..<12])]
    let mask = [[Bool](repeating: true, count: 6), [true, false, true, true], [true, true]]
    return TokenBatch(sequences: sequences, targetMask: mask, padding: 0)
}

/// Every adapter method the project has, small.
let transformerMethods: [AdapterMethod] = [
    .lora(rank: 2, c: 1.5), .nola(rank: 2, k: 5, l: 3, c: 1, basis: .perLayer),
    .nola(rank: 2, k: 5, l: 3, c: 1, basis: .shared), .nola(rank: 2, k: 5, l: 3, c: 1, basis: .onTheFly),
    .pranc(n: 4, s: 0.5, onTheFly: false),
]

/// A folder that is deleted afterwards.
func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nola-transformer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
}
