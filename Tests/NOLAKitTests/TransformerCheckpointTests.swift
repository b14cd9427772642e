import Foundation
import NOLAKit
import Testing

@Suite("Transformer checkpoints: round trips, configuration in the metadata, all or nothing")
struct TransformerCheckpointTests {
    @Test("GPT round trip: the configuration, the caller's metadata and the same logits, bit for bit")
    func gptRoundTrip() throws {
        let model = randomGPT()
        model.attach(.lora(rank: 1, c: 1), seed: 1, sites: model.sites(.queryValue))  // adapters are not saved
        try withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("gpt.safetensors")
            try model.save(to: url, metadata: ["tokenizer": "{\"merges\": [[1, 2]]}", "note": "ünïcode"])
            let (loaded, metadata) = try GPT.load(from: url)
            #expect(loaded.configuration == tinyGPT)
            #expect(metadata["tokenizer"] == "{\"merges\": [[1, 2]]}" && metadata["note"] == "ünïcode")
            #expect(metadata["n_layer"] == "2" && metadata["format"] == "nola-lessons-gpt")
            #expect(loaded.baseParameters.count == model.baseParameters.count)
            model.mergeAdapters()  // B = 0: merging changes nothing
            let batch = mixedBatch()
            #expect(loaded.forward(batch) == model.forward(batch))
            // Into an existing model of the same configuration.
            let other = GPT(tinyGPT, seed: 99)
            try other.load(from: url)
            #expect(other.forward(batch) == model.forward(batch))
        }
    }

    @Test("a checkpoint of another configuration is one clear error, and the model is untouched")
    func mismatch() throws {
        let file = randomGPT().checkpointFile()
        let wider = GPT(GPTConfiguration(layers: 2, embedding: 12, heads: 2, vocabulary: 11, context: 6), seed: 1)
        let before = wider.baseParameters.map(\.value)
        let error = #expect(throws: SafeTensorsError.self) { try wider.load(file, source: "small.safetensors") }
        #expect("\(error!)" == "small.safetensors: is a GPT with n_layer 2, n_embd 8, n_head 2, vocab_size 11, n_ctx 6, "
                + "but this model has n_layer 2, n_embd 12, n_head 2, vocab_size 11, n_ctx 6")
        #expect(zip(wider.baseParameters, before).allSatisfy { $0.value == $1 })
        // A vision transformer checkpoint is not a GPT's.
        let vit = VisionTransformer(VisionTransformerConfiguration(patchSize: 7, layers: 1, embedding: 8, heads: 2, classes: 3), seed: 1)
        #expect { try GPT.load(vit.checkpointFile(), source: "vit.safetensors") } throws: {
            "\($0)".hasPrefix("vit.safetensors: is not a nola-lessons-gpt checkpoint")
        }
    }

    @Test("damaged checkpoints: truncated, a tensor missing or NaN, a bad configuration — one line each, nothing loaded",
          arguments: ["truncated", "missing", "nan", "config", "extra"])
    func damaged(kind: String) throws {
        let model = randomGPT()
        var file = model.checkpointFile()
        var bytes: [UInt8]
        switch kind {
        case "missing": file.tensors["h.1.mlp.c_fc.bias"] = nil
        case "nan": file.tensors["wpe.weight"] = SafeTensorsFile.Tensor(float32: [Float](repeating: .nan, count: 48), shape: [6, 8])
        case "config": file.metadata["n_head"] = "3"
        case "extra": file.tensors["lm_head.weight"] = SafeTensorsFile.Tensor(float32: [1], shape: [1, 1])
        default: break
        }
        bytes = file.encoded()
        if kind == "truncated" { bytes = Array(bytes.dropLast(10)) }
        let target = GPT(tinyGPT, seed: 7)
        let before = target.baseParameters.map(\.value)
        let error = #expect(throws: SafeTensorsError.self) {
            try target.load(try SafeTensorsFile.decode(bytes, source: "bad.safetensors"), source: "bad.safetensors")
        }
        let message = "\(error!)"
        #expect(message.hasPrefix("bad.safetensors: ") && !message.contains("\n"), "\(message)")
        let expected = ["truncated": "truncated", "missing": "has no tensor 'h.1.mlp.c_fc.bias'", "nan": "NaN",
                        "config": "describes no valid GPT", "extra": "lm_head.weight"][kind]!
        #expect(message.contains(expected), "\(message)")
        #expect(zip(target.baseParameters, before).allSatisfy { $0.value == $1 })
        #expect(throws: SafeTensorsError.self) {
            try GPT.load(try SafeTensorsFile.decode(bytes, source: "bad.safetensors"), source: "bad.safetensors")
        }
    }

    @Test("vision transformer round trip, with the pooling and the number of classes")
    func vitRoundTrip() throws {
        let config = VisionTransformerConfiguration(
            imageSize: 8, channels: 1, patchSize: 4, layers: 1, embedding: 8, heads: 2, classes: 3, pooling: .mean)
        let model = VisionTransformer(config, seed: 1)
        randomize(model.parameters, seed: 2)
        model.replaceHead(classes: 5, seed: 3)
        try withTemporaryDirectory { folder in
            let url = folder.appendingPathComponent("vit.safetensors")
            try model.save(to: url, metadata: ["pretrained_on": "synthetic digits"])
            let (loaded, metadata) = try VisionTransformer.load(from: url)
            #expect(loaded.configuration.classes == 5 && loaded.configuration.pooling == .mean)
            #expect(metadata["pretrained_on"] == "synthetic digits")
            let images = randomMatrix(2, 64, seed: 4)
            #expect(loaded.forward(images) == model.forward(images))
        }
        #expect(throws: SafeTensorsError.self) { try VisionTransformer.load(from: URL(fileURLWithPath: "/nonexistent/vit.safetensors")) }
    }
}
