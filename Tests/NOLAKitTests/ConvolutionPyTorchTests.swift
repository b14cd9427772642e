import Foundation
import NOLAKit
import Testing

/// python3 with torch, numpy and safetensors, or nil.
private let torchPython: String? = PythonProbe.python3(importing: "torch, numpy, safetensors")

private let referenceScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Benchmarks/pytorch/resnet_reference.py").standardized.path

/// Every parameter's value moved a little off its initialisation (BatchNorm's γ around 1), so
/// that no gradient is special.
private func perturb(_ parameters: [Parameter], seed: UInt64) {
    for (i, p) in parameters.enumerated() where p.isTrainable {
        var value = randomMatrix(p.value.rows, p.value.cols, seed: seed, stream: UInt64(i), bound: 0.2)
        for j in 0..<value.count { value.data[j] += p.value.data[j] }
        p.value = value
    }
}

/// The expected tensors every case shares: gradients of the trainable tensors and BatchNorm's
/// running averages after the forward.
private func gradientsAndStatistics(_ parameters: [Parameter], _ norms: [BatchNorm2d]) -> [String: SafeTensorsFile.Tensor] {
    var out: [String: SafeTensorsFile.Tensor] = [:]
    for p in parameters where p.isTrainable { out["grad.\(p.name)"] = SafeTensorsFile.Tensor(p.grad) }
    for bn in norms {
        out["running_mean.\(bn.name)"] = SafeTensorsFile.Tensor(float32: bn.runningMean, shape: [bn.channels])
        out["running_var.\(bn.name)"] = SafeTensorsFile.Tensor(float32: bn.runningVariance, shape: [bn.channels])
    }
    return out
}

/// A residual block: batch-major input and `r`, the loss `Σ y ⊙ r`.
private func writeBlockCase(_ folder: URL, stride: Int) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let input = ImageShape(channels: 4, height: 7, width: 6)
    let block = BasicBlock(name: "layer2.0", input: input, outputChannels: stride == 1 ? 4 : 8, stride: stride,
                           random1: RandomStream(seed: 41), random2: RandomStream(seed: 42))
    perturb(block.parameters, seed: 43)
    let batch = 3
    let x = randomMatrix(batch, input.count, seed: 44)
    let out = block.output
    let r = randomMatrix(batch, out.count, seed: 45)
    let y = block.forward(input.channelMajor(x))
    let dx = input.batchMajor(block.backward(out.channelMajor(r)))
    let loss = GradientCheck.weightedSum(out.batchMajor(y), r)
    try Checkpoint.file(of: block.parameters, metadata: [
        "kind": "block", "name": block.name, "channels": "\(input.channels)", "height": "\(input.height)",
        "width": "\(input.width)", "out_channels": "\(out.channels)", "stride": "\(stride)",
    ]).write(to: folder.appendingPathComponent("model.safetensors"))
    try SafeTensorsFile(tensors: ["x": SafeTensorsFile.Tensor(x), "r": SafeTensorsFile.Tensor(r)])
        .write(to: folder.appendingPathComponent("batch.safetensors"))
    var expected = gradientsAndStatistics(block.parameters, [block.bn1, block.bn2])
    expected["output"] = SafeTensorsFile.Tensor(out.batchMajor(y))
    expected["loss"] = SafeTensorsFile.Tensor(float32: [Float(loss)], shape: [1])
    expected["dx"] = SafeTensorsFile.Tensor(dx)
    try SafeTensorsFile(tensors: expected).write(to: folder.appendingPathComponent("expected.safetensors"))
}

/// ResNet-20 on six digits, the mean cross-entropy; dense, or an adapter on every site.
private func writeResNetCase(_ folder: URL, method: AdapterMethod?) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let net = ResNet.resnet20(seed: 46)
    perturb(net.parameters, seed: 47)
    try Checkpoint.file(of: net, metadata: [
        "kind": "resnet", "channels": "1", "height": "28", "width": "28", "widths": "[16, 32, 64]", "blocks": "3", "classes": "10",
    ]).write(to: folder.appendingPathComponent("model.safetensors"))
    if let method {
        net.attach(method, seed: 48)
        for bn in net.batchNorms { bn.gamma.isTrainable = true; bn.beta.isTrainable = true }
        for adapter in net.adapters { perturb(adapter.parameters, seed: 49) }
        try AdapterFile.save(net, method: method, seed: 48, to: folder.appendingPathComponent("adapter.safetensors"))
    }
    let digits = SyntheticDigits.generate(count: 6, seed: 50)
    let loss = SoftmaxCrossEntropy()
    let logits = net.forward(digits.images)
    let value = loss.forward(logits, labels: digits.labels)
    _ = net.backward(loss.backward())
    try SafeTensorsFile(tensors: [
        "x": SafeTensorsFile.Tensor(digits.images),
        "labels": SafeTensorsFile.Tensor(int32: digits.labels, shape: [digits.count]),
    ]).write(to: folder.appendingPathComponent("batch.safetensors"))
    var expected = gradientsAndStatistics(net.parameters, net.batchNorms)
    expected["output"] = SafeTensorsFile.Tensor(logits)
    expected["loss"] = SafeTensorsFile.Tensor(float32: [value], shape: [1])
    try SafeTensorsFile(tensors: expected).write(to: folder.appendingPathComponent("expected.safetensors"))
}

extension SafeTensorsFile.Tensor {
    /// An I32 tensor.
    fileprivate init(int32 values: [Int], shape: [Int]) {
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 } }
        self.init(dtype: .i32, shape: shape, bytes: bytes)
    }
}

@Suite("Residual block and ResNet-20 against PyTorch")
struct ConvolutionPyTorchTests {
    @Test("PyTorch reproduces a residual block's output and gradients (both shortcuts) and ResNet-20's logits, loss and gradients, dense, LoRA and NOLA (1e-4 relative)",
          .enabled(if: torchPython != nil, "skipped: python3 with torch, numpy and safetensors is not available (pip install torch numpy safetensors)"))
    func pytorchReference() throws {
        try withTemporaryDirectory { folder in
            var paths: [String] = []
            for stride in [1, 2] {
                let caseFolder = folder.appendingPathComponent("block-stride\(stride)")
                try writeBlockCase(caseFolder, stride: stride)
                paths.append(caseFolder.path)
            }
            let methods: [(String, AdapterMethod?)] = [
                ("resnet20-dense", nil), ("resnet20-lora", .lora(rank: 3, c: 1)),
                ("resnet20-nola", .nola(rank: 4, k: 6, l: 5, c: 1, basis: .shared)),
            ]
            for (name, method) in methods {
                let caseFolder = folder.appendingPathComponent(name)
                try writeResNetCase(caseFolder, method: method)
                paths.append(caseFolder.path)
            }
            let (status, output) = try PythonProbe.run(referenceScript, paths)
            print(output)
            #expect(status == 0, "\(output)")
            #expect(output.components(separatedBy: "match: within").count == paths.count + 1, "\(output)")
        }
    }
}
