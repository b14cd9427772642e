import Foundation
import NOLAKit
import Testing

/// python3 with torch, numpy and safetensors, or nil.
private let torchPython: String? = PythonProbe.python3(importing: "torch, numpy, safetensors")

private let referenceScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Benchmarks/pytorch/llama_reference.py").standardized.path

/// An I32 tensor.
private func int32Tensor(_ values: [Int], shape: [Int]) -> SafeTensorsFile.Tensor {
    var bytes: [UInt8] = []
    for v in values { withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 } }
    return SafeTensorsFile.Tensor(dtype: .i32, shape: shape, bytes: bytes)
}

/// Writes one case for `llama_reference.py`: the base as the model computes with it (dequantized
/// when packed), the adapter file (if any), a batch of mixed lengths with a masked target span,
/// Swift's logits and loss, and every trainable tensor's gradient and value after one AdamW step.
private func writeCase(_ folder: URL, method: AdapterMethod?, format: PackedWeight.Format?) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let configuration = LlamaConfiguration(layers: 2, hidden: 16, intermediate: 24, heads: 4, keyValueHeads: 2, vocabulary: 37, context: 12)
    let model = LlamaModel(configuration, seed: 31)
    randomizeLlama(model.parameters, seed: 32, bound: 0.3)
    if let format { model.packBase(format) }
    var tensors: [String: SafeTensorsFile.Tensor] = [:]
    for (name, value) in model.effectiveBaseWeights() { tensors[name] = SafeTensorsFile.Tensor(value) }
    try SafeTensorsFile(metadata: configuration.metadata.merging(["base": format?.rawValue ?? "float"]) { a, _ in a }, tensors: tensors)
        .write(to: folder.appendingPathComponent("model.safetensors"))
    if let method {
        model.attach(method, seed: 33, sites: model.allSites)
        for (i, p) in model.parameters.filter(\.isTrainable).enumerated() {
            p.value = randomMatrix(p.value.rows, p.value.cols, seed: 34, stream: UInt64(i), bound: 0.2)
        }
        try AdapterFile.save(model, method: method, seed: 33, to: folder.appendingPathComponent("adapter.safetensors"))
    }
    let words = RandomStream(seed: 35).uniform(40).map { Int($0 * 37) % 37 }
    let sequences = [Array(words[0..<12]), Array(words[12..<19]), Array(words[19..<28]), Array(words[28..<31])]
    let masks = sequences.enumerated().map { i, s in s.indices.map { j in i != 1 || j > 3 } }
    let batch = TokenBatch(sequences: sequences, targetMask: masks, padding: 0)
    let (lr, beta1, beta2, eps, decay, clip): (Float, Float, Float, Float, Float, Float) = (1e-3, 0.9, 0.999, 1e-6, 0.01, 1)
    let trainer = LlamaTrainer(
        model: model, optimizer: Adam.adamW(parameters: model.parameters, learningRate: lr, betas: (beta1, beta2), epsilon: eps, weightDecay: decay),
        clipNorm: clip)
    let logits = model.forward(tokens: batch.tokens, mask: batch.mask)
    let step = try trainer.step(batch)
    let (b, t) = (batch.sequences, batch.length)
    try SafeTensorsFile(
        metadata: ["lr": "\(lr)", "beta1": "\(beta1)", "beta2": "\(beta2)", "eps": "\(eps)", "weight_decay": "\(decay)", "clip": "\(clip)"],
        tensors: [
            "tokens": int32Tensor(batch.tokens, shape: [b, t]), "targets": int32Tensor(batch.targets, shape: [b, t]),
            "lengths": int32Tensor(batch.lengths, shape: [b]),
            "loss_mask": SafeTensorsFile.Tensor(float32: batch.targets.map { $0 >= 0 ? 1 : 0 }, shape: [b, t]),
        ]).write(to: folder.appendingPathComponent("batch.safetensors"))
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

@Suite("LLaMA against PyTorch")
struct LlamaPyTorchTests {
    @Test("PyTorch's LLaMA reproduces logits, loss, gradients and one AdamW step: full training, LoRA on an 8-bit base, NOLA on NF4 and fp16 bases (1e-4 relative)",
          .enabled(if: torchPython != nil, "skipped: python3 with torch, numpy and safetensors is not available (pip install torch numpy safetensors)"))
    func pytorchReference() throws {
        try withTemporaryDirectory { folder in
            let cases: [(String, AdapterMethod?, PackedWeight.Format?)] = [
                ("full", nil, nil), ("lora-int8", .lora(rank: 1, c: 16), .int8),
                ("nola-nf4", .nola(rank: 4, k: 6, l: 5, c: 4, basis: .shared), .nf4),
                ("nola-fp16", .nola(rank: 2, k: 3, l: 3, c: 4, basis: .perLayer), .float16),
            ]
            var paths: [String] = []
            for (name, method, format) in cases {
                let caseFolder = folder.appendingPathComponent(name)
                try writeCase(caseFolder, method: method, format: format)
                paths.append(caseFolder.path)
            }
            let (status, output) = try PythonProbe.run(referenceScript, paths)
            print(output)
            #expect(status == 0, "\(output)")
            #expect(output.components(separatedBy: "match: within").count == cases.count + 1, "\(output)")
        }
    }
}
