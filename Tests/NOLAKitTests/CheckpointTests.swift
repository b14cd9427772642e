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
}
