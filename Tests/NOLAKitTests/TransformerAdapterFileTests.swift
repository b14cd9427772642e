import Foundation
import NOLAKit
import Testing

/// python3 with numpy and safetensors, or nil.
private let numpyPython: String? = PythonProbe.python3(importing: "numpy, safetensors")

private let adapterScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Sources/Python/nola_adapter.py").standardized.path

/// A GPT with `method` on Q, V and the MLP, coefficients random.
private func adaptedGPT(_ method: AdapterMethod) -> GPT {
    let model = GPT(tinyGPT, seed: 1)
    model.attach(method, seed: 31, sites: model.sites(.queryValue).union(model.sites(.mlp)))
    randomize(model.parameters.filter(\.isTrainable), seed: 32, bound: 0.3)
    return model
}

@Suite("GPT adapter files")
struct TransformerAdapterFileTests {
    @Test("an adapter file of a GPT names every adapted site and loads into a fresh GPT with the same logits",
          arguments: [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 8, l: 6, c: 1, basis: .perLayer)])
    func roundTrip(method: AdapterMethod) throws {
        let model = adaptedGPT(method)
        let file = AdapterFile.file(of: model, method: method, seed: 31)
        let description = try AdapterFile.describe(file, source: "gpt-adapter")
        #expect(description.layers.map(\.name) == [
            "h.0.attn.c_attn.q", "h.0.attn.c_attn.v", "h.0.mlp.c_fc", "h.0.mlp.c_proj",
            "h.1.attn.c_attn.q", "h.1.attn.c_attn.v", "h.1.mlp.c_fc", "h.1.mlp.c_proj",
        ])
        #expect(description.layers[2].outputs == 32 && description.layers[2].inputs == 8)
        let fresh = GPT(tinyGPT, seed: 1)
        try AdapterFile.load(file, source: "gpt-adapter", into: fresh)
        #expect(fresh.parameters.trainableCount == model.parameters.trainableCount)
        #expect(fresh.forward(mixedBatch()) == model.forward(mixedBatch()))
    }

    @Test("Python rebuilds every site's ΔW of a GPT adapter file (q and v slices, MLP layers)",
          .enabled(if: numpyPython != nil, "skipped: python3 with numpy and safetensors is not available (pip install numpy safetensors)"))
    func pythonRebuild() throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 8, l: 6, c: 1, basis: .perLayer)] {
            let model = adaptedGPT(method)
            try withTemporaryDirectory { folder in
                let adapter = folder.appendingPathComponent("adapter.safetensors")
                let delta = folder.appendingPathComponent("delta.safetensors")
                try AdapterFile.save(model, method: method, seed: 31, to: adapter)
                try AdapterFile.deltaWeights(of: model).write(to: delta)
                let (status, output) = try PythonProbe.run(adapterScript, [adapter.path, "--compare", delta.path])
                #expect(status == 0 && output.contains("match:"), "\(method): \(output)")
                #expect(output.contains("h.1.attn.c_attn.v: dW 8x8") && output.contains("h.1.mlp.c_proj: dW 8x32"), "\(output)")
            }
        }
    }
}
