import Foundation
import Testing

@testable import NOLAKit

@Suite("Model checkpoints")
struct CheckpointTests {
    @Test("save then load restores every weight and the metadata")
    func roundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let a = Sequential.mlp([12, 8, 3], seed: 1)
        try Checkpoint.save(a, to: url, metadata: ["epochs": "3"])
        let b = Sequential.mlp([12, 8, 3], seed: 2)
        #expect(b.parameters.map(\.value) != a.parameters.map(\.value))
        let metadata = try Checkpoint.load(b, from: url)
        #expect(b.parameters.map(\.value) == a.parameters.map(\.value))
        #expect(metadata == ["epochs": "3"])
    }

    @Test("a checkpoint of another architecture is rejected with one line")
    func wrongShape() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt2-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(Sequential.mlp([12, 8, 3], seed: 1), to: url)
        #expect { try Checkpoint.load(Sequential.mlp([12, 9, 3], seed: 1), from: url) } throws: { error in
            "\(error)".contains("fc1.weight") && "\(error)".contains("expected [9, 12]")
        }
    }

    /// A file whose first tensor is valid and whose second is not: the old loader assigned
    /// `fc1.bias` before it found the bad `fc1.weight`, leaving a half-loaded model behind.
    @Test("a damaged checkpoint changes nothing: bad shape, NaN, extra tensor, missing tensor, wrong metadata")
    func allOrNothing() throws {
        let source = Sequential.mlp([12, 8, 3], seed: 1)
        let good = Checkpoint.file(of: source, metadata: ["sizes": "12-8-3"])
        var badShape = good
        badShape.tensors["fc1.weight"] = SafeTensorsFile.Tensor(Matrix(rows: 9, cols: 12))
        var notFinite = good
        var weights = source.linearLayers[1].weight.value
        weights.data[5] = .nan
        notFinite.tensors["fc2.weight"] = SafeTensorsFile.Tensor(weights)
        var extra = good
        extra.tensors["fc3.weight"] = SafeTensorsFile.Tensor(Matrix(rows: 1, cols: 1))
        var missing = good
        missing.tensors["fc2.bias"] = nil
        let cases: [(SafeTensorsFile, [String: String], String)] = [
            (badShape, [:], "fc1.weight"), (notFinite, [:], "NaN"), (extra, [:], "fc3.weight"),
            (missing, [:], "fc2.bias"), (good, ["sizes": "12-9-3"], "sizes"), (good, ["epochs": "3"], "epochs"),
        ]
        for (file, required, culprit) in cases {
            let target = Sequential.mlp([12, 8, 3], seed: 2)
            let before = target.parameters.map(\.value)
            #expect { try Checkpoint.load(target.parameters, from: file, source: "x.safetensors", requiring: required) } throws: {
                let line = "\($0)"
                return line.hasPrefix("x.safetensors: ") && line.contains(culprit) && !line.contains("\n")
            }
            #expect(target.parameters.map(\.value) == before, "a rejected file changed the model (\(culprit))")
        }
        let target = Sequential.mlp([12, 8, 3], seed: 2)
        try Checkpoint.load(target.parameters, from: good, source: "x", requiring: ["sizes": "12-8-3"])
        #expect(target.parameters.map(\.value) == source.parameters.map(\.value))
    }
}
