import Foundation
import NOLAKit
import Testing

/// python3 with torch, numpy and safetensors, or nil.
private let torchPython: String? = PythonProbe.python3(importing: "torch, numpy, safetensors")

private let referenceScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Benchmarks/pytorch/gpt_reference.py").standardized.path

/// An I32 tensor.
private func int32Tensor(_ values: [Int], shape: [Int]) -> SafeTensorsFile.Tensor {
    var bytes: [UInt8] = []
    for v in values { withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 } }
    return SafeTensorsFile.Tensor(dtype: .i32, shape: shape, bytes: bytes)
}

/// Writes one case for `gpt_reference.py`: the model, the adapter (if any), a batch of mixed
/// lengths with masked targets, Swift's logits and loss, and every trainable tensor after one
/// AdamW step with clipping.
private func writeCase(_ folder: URL, method: AdapterMethod?, labelSmoothing: Float) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let config = GPTConfiguration(layers: 2, embedding: 16, heads: 4, vocabulary: 37, context: 12)
    let model = GPT(config, seed: 21)
    randomize(model.parameters, seed: 22, bound: 0.3)
    try model.save(to: folder.appendingPathComponent("model.safetensors"))
    if let method {
        model.attach(method, seed: 23, sites: model.sites(.queryValue))
        randomize(model.parameters.filter(\.isTrainable), seed: 24, bound: 0.3)
        try AdapterFile.save(model, method: method, seed: 23, to: folder.appendingPathComponent("adapter.safetensors"))
    }
    let words = RandomStream(seed: 25).uniform(40).map { Int($0 * 37) % 37 }
    let sequences = [Array(words[0..<12]), Array(words[12..<19]), Array(words[19..<28]), Array(words[28..<31])]
    let masks = sequences.enumerated().map { i, s in s.indices.map { j in i != 1 || j > 3 } }
    let batch = TokenBatch(sequences: sequences, targetMask: masks, padding: 0)
    // ε = 1e-6, not 1e-8: the keys' bias has an exact gradient of 0 (adding a constant to every
    // key does not change a softmax), so both sides hold rounding noise of about 1e-9 there,
    // which Adam's first step with ε = 1e-8 would blow up to ±lr·noise/(noise + ε) — a
    // different number on each side. The gradients themselves are compared directly too.
    let (lr, beta1, beta2, eps, decay, clip): (Float, Float, Float, Float, Float, Float) = (1e-3, 0.9, 0.999, 1e-6, 0.01, 1)
    let optimizer = Adam.adamW(parameters: model.parameters, learningRate: lr, betas: (beta1, beta2), epsilon: eps, weightDecay: decay)
    let trainer = LanguageModelTrainer(model: model, optimizer: optimizer, loss: TokenCrossEntropy(labelSmoothing: labelSmoothing), clipNorm: clip)
    let logits = model.forward(batch)
    let step = try trainer.step(batch)
    let (b, t) = (batch.sequences, batch.length)
    let batchFile = SafeTensorsFile(
        metadata: ["lr": "\(lr)", "beta1": "\(beta1)", "beta2": "\(beta2)", "eps": "\(eps)", "weight_decay": "\(decay)",
                   "clip": "\(clip)", "label_smoothing": "\(labelSmoothing)"],
        tensors: [
            "tokens": int32Tensor(batch.tokens, shape: [b, t]), "targets": int32Tensor(batch.targets, shape: [b, t]),
            "lengths": int32Tensor(batch.lengths, shape: [b]),
            "loss_mask": SafeTensorsFile.Tensor(float32: batch.targets.map { $0 >= 0 ? 1 : 0 }, shape: [b, t]),
        ])
    try batchFile.write(to: folder.appendingPathComponent("batch.safetensors"))
    var expected: [String: SafeTensorsFile.Tensor] = [
        "logits": SafeTensorsFile.Tensor(logits), "loss": SafeTensorsFile.Tensor(float32: [step.loss], shape: [1]),
        "grad_norm": SafeTensorsFile.Tensor(float32: [step.gradientNorm], shape: [1]),
    ]
    for p in model.parameters where p.isTrainable {
        expected["after.\(p.name)"] = SafeTensorsFile.Tensor(p.value)
        expected["grad.\(p.name)"] = SafeTensorsFile.Tensor(p.grad)
    }
    try SafeTensorsFile(tensors: expected).write(to: folder.appendingPathComponent("expected.safetensors"))
}

@Suite("GPT against PyTorch")
struct TransformerPyTorchTests {
    @Test("PyTorch reproduces the logits, the loss and one AdamW step: full fine-tuning, LoRA and NOLA on Q,V (1e-4 relative)",
          .enabled(if: torchPython != nil, "skipped: python3 with torch, numpy and safetensors is not available (pip install torch numpy safetensors)"))
    func pytorchReference() throws {
        try withTemporaryDirectory { folder in
            let cases: [(String, AdapterMethod?, Float)] = [
                ("full", nil, 0), ("full-smoothing", nil, 0.1), ("lora", .lora(rank: 2, c: 2), 0),
                ("nola", .nola(rank: 4, k: 6, l: 5, c: 1, basis: .perLayer), 0.1),
            ]
            var paths: [String] = []
            for (name, method, smoothing) in cases {
                let caseFolder = folder.appendingPathComponent(name)
                try writeCase(caseFolder, method: method, labelSmoothing: smoothing)
                paths.append(caseFolder.path)
            }
            let (status, output) = try PythonProbe.run(referenceScript, paths)
            print(output)
            #expect(status == 0, "\(output)")
            #expect(output.components(separatedBy: "match: within").count == cases.count + 1, "\(output)")
        }
    }
}
