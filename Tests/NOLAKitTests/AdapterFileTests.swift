import Foundation
import Testing

@testable import NOLAKit

/// A 784-256-10 MLP (the lessons' network) with `method` attached and its trainable tensors set
/// to small random values, as if trained.
private func trainedModel(_ method: AdapterMethod, seed: UInt64 = 5) -> Sequential {
    let model = Sequential.mlp([784, 256, 10], seed: 1)
    model.attach(method, seed: seed)
    for (i, p) in model.parameters.uniqued().filter(\.isTrainable).enumerated() {
        p.value = RandomStream(seed: 99, stream: UInt64(i)).uniformMatrix(rows: p.value.rows, cols: p.value.cols, bound: 0.3)
    }
    return model
}

private func deltas(_ model: Sequential) -> [Matrix] {
    model.linearLayers.compactMap { $0.adapter?.deltaWeight() }
}

private func maxDifference(_ a: [Matrix], _ b: [Matrix]) -> Float {
    zip(a, b).map { zip($0.data, $1.data).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
}

private let methods: [AdapterMethod] = [
    .lora(rank: 2, c: 1),
    .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer),
    .nola(rank: 4, k: 16, l: 8, c: 1, basis: .shared),
    .pranc(n: 6, s: 0.1, onTheFly: false),
]

/// A temporary folder removed at the end of the test.
private func withTemporaryFolder(_ body: (URL) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nola-adapter-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try body(folder)
}

@Suite("Adapter files")
struct AdapterFileTests {
    @Test("round trip: a fresh model loaded from the file has the same ΔW", arguments: methods)
    func roundTrip(method: AdapterMethod) throws {
        let model = trainedModel(method)
        let file = AdapterFile.file(of: model, method: method, seed: 5)
        let bytes = file.encoded()
        let fresh = Sequential.mlp([784, 256, 10], seed: 1)
        let description = try AdapterFile.load(
            try SafeTensorsFile.decode(bytes, source: "mem"), source: "mem", into: fresh)
        #expect(description.rootSeed == 5)
        #expect(description.layers.map(\.name) == ["fc1", "fc2"])
        #expect(maxDifference(deltas(model), deltas(fresh)) == 0)
        // Only the coefficients train after loading, as after attaching.
        #expect(fresh.parameters.trainableCount == model.parameters.trainableCount)
    }

    @Test("NOLA loads on the fly with the same ΔW; fp16 files are about half the size and close")
    func onTheFlyAndHalf() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let model = trainedModel(method)
        try withTemporaryFolder { folder in
            let url32 = folder.appendingPathComponent("a32.safetensors")
            let url16 = folder.appendingPathComponent("a16.safetensors")
            try AdapterFile.save(model, method: method, seed: 5, to: url32)
            try AdapterFile.save(model, method: method, seed: 5, precision: .f16, to: url16)
            let lazy = Sequential.mlp([784, 256, 10], seed: 1)
            let d = try AdapterFile.load(from: url32, into: lazy, onTheFly: true)
            #expect(d.method == .nola(rank: 4, k: 16, l: 8, c: 1, basis: .onTheFly))
            #expect(try AdapterFile.describe(try SafeTensorsFile.read(from: url32), source: "x").method
                    == .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer))
            #expect(maxDifference(deltas(model), deltas(lazy)) == 0)
            let half = Sequential.mlp([784, 256, 10], seed: 1)
            try AdapterFile.load(from: url16, into: half)
            #expect(maxDifference(deltas(model), deltas(half)) < 1e-2)
            let size32 = try FileManager.default.attributesOfItem(atPath: url32.path)[.size] as! Int
            let size16 = try FileManager.default.attributesOfItem(atPath: url16.path)[.size] as! Int
            #expect(size16 < size32)
        }
    }

    @Test("a NOLA file is tiny next to LoRA's: (k + l) numbers per layer, not r(in + out)")
    func sizes() {
        let nola = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let lora = AdapterMethod.lora(rank: 2, c: 1)
        let nolaBytes = AdapterFile.file(of: trainedModel(nola), method: nola, seed: 5).encoded().count
        let loraBytes = AdapterFile.file(of: trainedModel(lora), method: lora, seed: 5).encoded().count
        #expect(loraBytes > 4 * 2 * (784 + 256 + 256 + 10))
        #expect(nolaBytes < 2000)
    }

    // MARK: Quantized (packed) files

    @Test("packed files load back exactly the dequantized values, at every bit width",
          arguments: [16, 8, 4, 3, 2])
    func packedRoundTrip(bits: Int) throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)] {
            let model = trainedModel(method)
            let quantizer = SymmetricQuantizer(bits: bits)
            let file = AdapterFile.file(of: model, method: method, seed: 5, precision: .quantized(bits: bits))
            #expect(file.metadata["precision"] == "q\(bits)")
            let fresh = Sequential.mlp([784, 256, 10], seed: 1)
            try AdapterFile.load(try SafeTensorsFile.decode(file.encoded(), source: "q"), source: "q", into: fresh)
            for (original, loaded) in zip(model.linearLayers.map { $0.adapter! }, fresh.linearLayers.map { $0.adapter! }) {
                for (p, q) in zip(original.parameters, loaded.parameters) where p.isTrainable {
                    #expect(q.value.data == quantizer.fakeQuantize(p.value.data), "\(p.name) at \(bits) bits")
                }
            }
        }
    }

    /// Every scale rule, per tensor and in groups (32 divides none of the tensor sizes here, so
    /// the last group of each tensor is short).
    static let quantizers: [SymmetricQuantizer] = ScaleRule.allCases.flatMap { rule in
        [SymmetricQuantizer(bits: 3, rule: rule), SymmetricQuantizer(bits: 2, rule: rule, groupSize: 5)]
    } + [SymmetricQuantizer(bits: 4, groupSize: 32)]

    @Test("packed files carry the scale rule and group size and load back exactly the dequantized values",
          arguments: quantizers)
    func packedRulesRoundTrip(quantizer: SymmetricQuantizer) throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)] {
            let model = trainedModel(method)
            let file = AdapterFile.file(of: model, method: method, seed: 5, precision: .quantized(quantizer))
            #expect(file.metadata["scale_rule"] == quantizer.rule.rawValue)
            #expect(file.metadata["group_size"] == (quantizer.groupSize.map(String.init) ?? "tensor"))
            #expect(file.tensors["fc1.\(method.name)_\(method.name == "lora" ? "A" : "alpha").scale"]?.shape
                    == [quantizer.scaleCount(for: method.name == "lora" ? 2 * 784 : 16)])
            let fresh = Sequential.mlp([784, 256, 10], seed: 1)
            let description = try AdapterFile.load(
                try SafeTensorsFile.decode(file.encoded(), source: "q"), source: "q", into: fresh)
            #expect(description.precision == .quantized(quantizer))
            for (original, loaded) in zip(model.linearLayers.map { $0.adapter! }, fresh.linearLayers.map { $0.adapter! }) {
                for (p, q) in zip(original.parameters, loaded.parameters) where p.isTrainable {
                    #expect(q.value.data == quantizer.fakeQuantize(p.value.data), "\(p.name), \(quantizer)")
                }
            }
        }
    }

    @Test("a packed file without scale_rule and group_size (written before they existed) loads as absmax per tensor")
    func packedOldFile() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let model = trainedModel(method)
        var file = AdapterFile.file(of: model, method: method, seed: 5, precision: .quantized(bits: 3))
        file.metadata["scale_rule"] = nil
        file.metadata["group_size"] = nil
        let fresh = Sequential.mlp([784, 256, 10], seed: 1)
        let description = try AdapterFile.load(file, source: "old", into: fresh)
        #expect(description.precision == .quantized(SymmetricQuantizer(bits: 3)))
        #expect(maxDifference(deltas(fresh), deltas(model)) > 0)
        PostTrainingQuantization.apply(SymmetricQuantizer(bits: 3), to: model)
        #expect(maxDifference(deltas(fresh), deltas(model)) == 0)
    }

    @Test("unknown rule, bad group size, wrong number of scales: one line naming the problem")
    func packedBadRuleOrGroups() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        func error(_ damage: (inout SafeTensorsFile) -> Void) -> String? {
            var file = AdapterFile.file(
                of: trainedModel(method), method: method, seed: 5, precision: .quantized(SymmetricQuantizer(bits: 3, groupSize: 4)))
            damage(&file)
            do {
                try AdapterFile.load(file, source: "g.safetensors", into: Sequential.mlp([784, 256, 10], seed: 1))
                return nil
            } catch { return "\(error)" }
        }
        let cases: [(String, (inout SafeTensorsFile) -> Void)] = [
            ("metadata 'scale_rule' must be absmax, mean-abs, mse, found 'lsq'", { $0.metadata["scale_rule"] = "lsq" }),
            ("metadata 'group_size' must be 'tensor' or a positive integer, found '0'", { $0.metadata["group_size"] = "0" }),
            ("metadata 'group_size' must be 'tensor' or a positive integer, found 'x'", { $0.metadata["group_size"] = "x" }),
            ("tensor 'fc1.nola_alpha.scale' has shape [4], expected [2] (one scale per group of 8 values, as metadata 'group_size' says)",
             { $0.metadata["group_size"] = "8" }),
            ("tensor 'fc1.nola_alpha.scale' has shape [4], expected [1] (one scale per tensor",
             { $0.metadata["group_size"] = "tensor" }),
            ("tensor 'fc2.nola_beta.scale' has shape [3], expected [2]",
             { $0.tensors["fc2.nola_beta.scale"] = .init(float32: [1, 1, 1], shape: [3]) }),
            ("fc2.nola_beta: scale 1 is nan", { $0.tensors["fc2.nola_beta.scale"] = .init(float32: [1, .nan], shape: [2]) }),
        ]
        for (expected, damage) in cases {
            let message = try #require(error(damage), "\(expected): loaded")
            #expect(message.hasPrefix("g.safetensors: ") && message.contains(expected) && !message.contains("\n"), "\(message)")
        }
    }

    @Test("packed files shrink with the bit width")
    func packedSizes() {
        let method = AdapterMethod.nola(rank: 4, k: 256, l: 256, c: 1, basis: .perLayer)
        let model = trainedModel(method)
        let sizes = [16, 8, 4, 3, 2].map {
            AdapterFile.file(of: model, method: method, seed: 5, precision: .quantized(bits: $0)).encoded().count
        }
        #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 > $1 }, "\(sizes)")
    }

    @Test("a damaged packed file is refused with one line naming the tensor")
    func packedDamage() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        func error(_ damage: (inout SafeTensorsFile) -> Void) -> String? {
            var file = AdapterFile.file(of: trainedModel(method), method: method, seed: 5, precision: .quantized(bits: 3))
            damage(&file)
            do {
                try AdapterFile.load(file, source: "q.safetensors", into: Sequential.mlp([784, 256, 10], seed: 1))
                return nil
            } catch { return "\(error)" }
        }
        let short = try #require(error { $0.tensors["fc1.nola_alpha.codes"] = .init(dtype: .u8, shape: [5], bytes: [0, 0, 0, 0, 0]) })
        #expect(short.contains("'fc1.nola_alpha.codes' has shape [5], expected [6]"), "\(short)")
        let allOnes = try #require(error { $0.tensors["fc1.nola_alpha.codes"] = .init(dtype: .u8, shape: [6], bytes: [0xff, 0, 0, 0, 0, 0]) })
        #expect(allOnes.hasPrefix("q.safetensors: fc1.nola_alpha") && !allOnes.contains("\n"), "\(allOnes)")
        let noScale = try #require(error { $0.tensors["fc2.nola_beta.scale"] = nil })
        #expect(noScale.contains("has no tensor 'fc2.nola_beta.scale'"))
        let badScale = try #require(error { $0.tensors["fc2.nola_beta.scale"] = .init(float32: [-1], shape: [1]) })
        #expect(badScale.contains("fc2.nola_beta"), "\(badScale)")
        let badBits = try #require(error { $0.metadata["precision"] = "q17" })
        #expect(badBits.contains("precision 'q17' is unknown"))
    }

    // MARK: Damaged and mismatched files

    /// The error of loading `file` (after `damage`) into a fresh MLP, or nil if it loads.
    private func loadError(_ method: AdapterMethod, model: Sequential = .mlp([784, 256, 10], seed: 1),
                           damage: (inout SafeTensorsFile) -> Void) -> String? {
        var file = AdapterFile.file(of: trainedModel(method), method: method, seed: 5)
        damage(&file)
        do {
            try AdapterFile.load(try SafeTensorsFile.decode(file.encoded(), source: "x.safetensors"),
                                 source: "x.safetensors", into: model)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("unknown method, wrong format, version, generator, seed or precision: one line naming it")
    func badMetadata() throws {
        let nola = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let cases: [(String, String, String)] = [
            ("method", "dora", "method 'dora' is unknown"),
            ("format", "something", "not a NOLA Lessons adapter file"),
            ("format_version", "7", "format version '7'"),
            ("generator", "mt19937", "generator 'mt19937'"),
            ("root_seed", "-3", "root_seed '-3'"),
            ("precision", "f8", "precision 'f8'"),
            ("k", "0", "'k' must be a positive integer"),
            ("layers", "[{\"name\": 3}]", "'layers' must be a JSON array"),
        ]
        for (key, value, expected) in cases {
            let message = try #require(loadError(nola) { $0.metadata[key] = value }, "\(key)=\(value) loaded")
            #expect(message.contains(expected), "\(message)")
            #expect(message.hasPrefix("x.safetensors: ") && !message.contains("\n"))
        }
        let missing = try #require(loadError(nola) { $0.metadata["c"] = nil })
        #expect(missing.contains("metadata has no 'c'"))
    }

    @Test("wrong shape, wrong dtype, missing, extra or NaN tensors are refused and the model is untouched")
    func badTensors() throws {
        let nola = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let shape = try #require(loadError(nola) {
            $0.tensors["fc1.nola_alpha"] = .init(float32: [Float](repeating: 0, count: 15), shape: [15])
        })
        #expect(shape.contains("'fc1.nola_alpha' has shape [15], expected [16]"))
        let dtype = try #require(loadError(nola) {
            $0.tensors["fc1.nola_beta"] = .init(float16: [Float](repeating: 0, count: 8), shape: [8])
        })
        #expect(dtype.contains("is F16 but the file says precision f32"))
        let missing = try #require(loadError(nola) { $0.tensors["fc2.nola_beta"] = nil })
        #expect(missing.contains("has no tensor 'fc2.nola_beta'"))
        let extra = try #require(loadError(nola) { $0.tensors["fc1.lora_A"] = .init(float32: [1], shape: [1]) })
        #expect(extra.contains("unexpected tensor 'fc1.lora_A'"))
        let nan = try #require(loadError(nola) {
            $0.tensors["fc1.nola_alpha"] = .init(float32: [Float](repeating: .nan, count: 16), shape: [16])
        })
        #expect(nan.contains("NaN"))

        let model = Sequential.mlp([784, 256, 10], seed: 1)
        _ = loadError(nola, model: model) { $0.tensors["fc2.nola_beta"] = nil }
        #expect(model.linearLayers.allSatisfy { $0.adapter == nil })
        #expect(model.parameters.trainableCount == Sequential.mlp([784, 256, 10], seed: 1).parameters.trainableCount)
    }

    @Test("a file for another model names the layer and both shapes")
    func otherModel() throws {
        let lora = AdapterMethod.lora(rank: 2, c: 1)
        let wrongShape = try #require(loadError(lora, model: .mlp([784, 128, 10], seed: 1)) { _ in })
        #expect(wrongShape.contains("layer 'fc1' is 256×784 in the file but 128×784 in this model"))
        let fewerLayers = try #require(loadError(lora, model: .mlp([784, 256], seed: 1)) { _ in })
        #expect(fewerLayers.contains("adapts layer 'fc2', which this model does not have"))
    }

    @Test("truncated files and bad headers are refused with one line")
    func damagedBytes() throws {
        let nola = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let bytes = AdapterFile.file(of: trainedModel(nola), method: nola, seed: 5).encoded()
        for cut in [0, 4, 8, 40, bytes.count - 1] {
            #expect(throws: SafeTensorsError.self) {
                try SafeTensorsFile.decode(Array(bytes.prefix(cut)), source: "cut")
            }
        }
        var garbled = bytes
        garbled[10] = 0xff
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.decode(garbled, source: "garbled") }
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("missing.safetensors")
            let error = #expect(throws: (any Error).self) { try AdapterFile.load(from: url, into: Sequential.mlp([784, 256, 10], seed: 1)) }
            #expect("\(error!)".contains("missing.safetensors"))
        }
    }

    // MARK: Another language

    /// python3 with numpy and safetensors, or nil.
    static let python: String? = PythonProbe.python3(importing: "numpy, safetensors")

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/Python/nola_adapter.py").standardized.path

    private func runScript(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try PythonProbe.run(Self.script, arguments)
    }

    @Test("Python (numpy + safetensors) rebuilds every layer's ΔW from the file alone", 
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available (pip install numpy safetensors)"),
          arguments: methods)
    func pythonRebuild(method: AdapterMethod) throws {
        let model = trainedModel(method)
        try withTemporaryFolder { folder in
            let adapter = folder.appendingPathComponent("adapter.safetensors")
            let delta = folder.appendingPathComponent("delta.safetensors")
            try AdapterFile.save(model, method: method, seed: 5, to: adapter)
            try AdapterFile.deltaWeights(of: model).write(to: delta)
            let run = try runScript([adapter.path, "--compare", delta.path])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("match:"), "\(run.output)")
        }
    }

    @Test("Python reads packed files too (4, 3 and 2 bits) and rebuilds the same ΔW",
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available"),
          arguments: [4, 3, 2])
    func pythonPacked(bits: Int) throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)] {
            let model = trainedModel(method)
            PostTrainingQuantization.apply(SymmetricQuantizer(bits: bits), to: model)
            try withTemporaryFolder { folder in
                let adapter = folder.appendingPathComponent("adapter.safetensors")
                let delta = folder.appendingPathComponent("delta.safetensors")
                try AdapterFile.save(model, method: method, seed: 5, precision: .quantized(bits: bits), to: adapter)
                try AdapterFile.deltaWeights(of: model).write(to: delta)
                let run = try runScript([adapter.path, "--compare", delta.path])
                #expect(run.status == 0 && run.output.contains("match:"), "\(method) \(bits) bits: \(run.output)")
            }
        }
    }

    @Test("Python rebuilds the same ΔW for every scale rule and group size",
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available"),
          arguments: quantizers)
    func pythonRules(quantizer: SymmetricQuantizer) throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)] {
            let model = trainedModel(method)
            try withTemporaryFolder { folder in
                let adapter = folder.appendingPathComponent("adapter.safetensors")
                let delta = folder.appendingPathComponent("delta.safetensors")
                try AdapterFile.save(model, method: method, seed: 5, precision: .quantized(quantizer), to: adapter)
                PostTrainingQuantization.apply(quantizer, to: model)  // after writing: the rules need the float values
                try AdapterFile.deltaWeights(of: model).write(to: delta)
                let run = try runScript([adapter.path, "--compare", delta.path])
                #expect(run.status == 0 && run.output.contains("match:"), "\(method) \(quantizer): \(run.output)")
                #expect(run.output.contains("scale rule \(quantizer.rule.rawValue), group size \(quantizer.groupSizeText)"), "\(run.output)")
            }
        }
    }

    @Test("Python refuses an unknown rule, a bad group size or the wrong number of scales with one line",
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available"))
    func pythonBadRuleOrGroups() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let cases: [(String, (inout SafeTensorsFile) -> Void)] = [
            ("metadata 'scale_rule' must be absmax, mean-abs, mse, found 'lsq'", { $0.metadata["scale_rule"] = "lsq" }),
            ("metadata 'group_size' must be 'tensor' or a positive integer, found '0'", { $0.metadata["group_size"] = "0" }),
            ("tensor 'fc1.nola_alpha.scale' has shape [4], expected [2]", { $0.metadata["group_size"] = "8" }),
        ]
        for (expected, damage) in cases {
            var file = AdapterFile.file(
                of: trainedModel(method), method: method, seed: 5, precision: .quantized(SymmetricQuantizer(bits: 3, groupSize: 4)))
            damage(&file)
            try withTemporaryFolder { folder in
                let adapter = folder.appendingPathComponent("adapter.safetensors")
                try file.write(to: adapter)
                let run = try runScript([adapter.path])
                let lines = run.output.split(separator: "\n")
                #expect(run.status != 0 && lines.count == 1 && run.output.contains(expected), "\(run.output)")
            }
        }
    }

    @Test("Python notices a ΔW that differs (the comparison can fail)",
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available"))
    func pythonMismatch() throws {
        let method = AdapterMethod.nola(rank: 4, k: 16, l: 8, c: 1, basis: .perLayer)
        let model = trainedModel(method)
        try withTemporaryFolder { folder in
            let adapter = folder.appendingPathComponent("adapter.safetensors")
            let delta = folder.appendingPathComponent("delta.safetensors")
            try AdapterFile.save(model, method: method, seed: 6, to: adapter)  // wrong seed
            try AdapterFile.deltaWeights(of: model).write(to: delta)
            let run = try runScript([adapter.path, "--compare", delta.path])
            #expect(run.status != 0)
            #expect(run.output.contains("MISMATCH"), "\(run.output)")
            #expect(try runScript(["--self-test"]).status == 0)
        }
    }

    @Test("Python rebuilds ΔW of adapters on parts of a fused layer (a GPT's q and v)",
          .enabled(if: python != nil, "skipped: python3 with numpy and safetensors is not available"))
    func pythonSlices() throws {
        for method in [AdapterMethod.lora(rank: 2, c: 1), .nola(rank: 2, k: 5, l: 3, c: 1, basis: .perLayer)] {
            let model = FusedTestModel()
            model.attach(method, seed: 3)
            for (i, p) in model.parameters.enumerated() where p.isTrainable {
                p.value = randomMatrix(p.value.rows, p.value.cols, seed: 4, stream: UInt64(i), bound: 0.4)
            }
            try withTemporaryFolder { folder in
                let adapter = folder.appendingPathComponent("adapter.safetensors")
                let delta = folder.appendingPathComponent("delta.safetensors")
                try AdapterFile.save(model, method: method, seed: 3, to: adapter)
                try AdapterFile.deltaWeights(of: model).write(to: delta)
                let run = try runScript([adapter.path, "--compare", delta.path])
                #expect(run.status == 0 && run.output.contains("match:"), "\(method): \(run.output)")
            }
        }
    }
}
