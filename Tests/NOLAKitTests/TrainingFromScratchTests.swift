import Foundation
import NOLAKit
import Testing

/// Training from scratch with a few numbers (appendix A.2; lessons 05 and 08), and what an
/// adapter costs on a square layer.
@Suite("Training from scratch: the A.2 runs, counts, determinism, adapter cost")
struct TrainingFromScratchTests {
    /// A small task: 1,024 synthetic digits (2 batches of 512), 200 held out.
    static func task() throws -> FromScratchTask {
        try FromScratchTask(source: .synthetic, seed: 5, trainCount: 1_024, validationCount: 200)
    }

    @Test("A.2's trainable counts: PRANC 2n, NOLA 2(k+l) = 64 at 32 per layer, LoRA r=1 1,306, dense 203,530")
    func counts() throws {
        let task = try Self.task()
        let (pranc, nola) = FromScratchTask.paperMethods()
        #expect(task.makeModel(pranc, seed: 1).parameters.trainableCount == 64)
        #expect(task.makeModel(nola, seed: 1).parameters.trainableCount == 64)
        #expect(task.makeModel(FromScratchTask.pranc(perLayer: 8), seed: 1).parameters.trainableCount == 16)
        #expect(task.makeModel(FromScratchTask.nola(perLayer: 512), seed: 1).parameters.trainableCount == 1_024)
        #expect(task.makeModel(.lora(rank: 1, c: 1), seed: 1).parameters.trainableCount == 1_306)
        #expect(task.makeModel(nil, seed: 1).parameters.trainableCount == 203_530)
        guard case .nola(let r, let k, let l, _, _) = nola else { Issue.record("not NOLA: \(nola)"); return }
        #expect((r, k, l) == (4, 16, 16))
        // Biases on top: 256 + 10.
        let withBiases = try task.run(pranc, seed: 1, recipe: .init(epochs: 0, trainBiases: true)).run
        #expect(withBiases.trainable == 64 + 266)
    }

    @Test("an A.2 run is deterministic by seed: same seed, same losses and coefficients bit for bit; another seed differs")
    func deterministic() throws {
        let task = try Self.task()
        for method in [FromScratchTask.pranc(perLayer: 8), FromScratchTask.nola(perLayer: 8)] {
            let recipe = FromScratchTask.Recipe(epochs: 2)
            let a = try task.run(method, seed: 3, recipe: recipe)
            let b = try task.run(method, seed: 3, recipe: recipe)
            let c = try task.run(method, seed: 4, recipe: recipe)
            #expect(a.run.history.map(\.trainLoss) == b.run.history.map(\.trainLoss))
            #expect(a.model.parameters.map(\.value) == b.model.parameters.map(\.value))
            #expect(a.run.history.map(\.trainLoss) != c.run.history.map(\.trainLoss))
            #expect(a.run.steps == 4)
        }
    }

    @Test("from a random network, PRANC, NOLA, LoRA and dense training all lower the training loss")
    func lossDecreases() throws {
        let task = try Self.task()
        let (pranc, nola) = FromScratchTask.paperMethods()
        for method in [pranc, nola, .lora(rank: 1, c: 1), nil] as [AdapterMethod?] {
            let run = try task.run(method, seed: 2, recipe: .init(epochs: 12)).run
            let first = try #require(run.history.first).trainLoss, last = run.finalTrainLoss
            #expect(last < first - 0.15, "\(method.map(\.name) ?? "dense"): loss \(first) → \(last)")
            #expect(run.validationAccuracy > 0.2, "\(method.map(\.name) ?? "dense"): accuracy \(run.validationAccuracy)")
        }
    }

    @Test("the cosine schedule starts at the peak rate (same first epoch) and then changes the run")
    func schedule() throws {
        let task = try Self.task()
        let method = FromScratchTask.nola(perLayer: 8)
        let constant = try task.run(method, seed: 1, recipe: .init(epochs: 2)).run
        let cosine = try task.run(method, seed: 1, recipe: .init(epochs: 2, cosineDecay: true)).run
        #expect(constant.history[0].trainLoss == cosine.history[0].trainLoss, "the first step uses the peak rate either way")
        #expect(constant.finalTrainLoss != cosine.finalTrainLoss)
    }

    @Test("adapter cost: PRANC holds n·d² basis floats, NOLA (k+l)·r·d, on the fly one chunk; steps are timed")
    func cost() throws {
        let d = 128
        let pranc = try AdapterCost.measure(.pranc(n: 16, s: 1, onTheFly: false), size: d, steps: 3, seed: 1)
        #expect(pranc.basisFloats == 16 * d * d && pranc.residentBasisFloats == 16 * d * d)
        let nola = try AdapterCost.measure(.nola(rank: 4, k: 8, l: 8, c: 1, basis: .perLayer), size: d, steps: 3, seed: 1)
        #expect(nola.basisFloats == 16 * 4 * d && nola.residentBasisFloats == nola.basisFloats)
        let onTheFly = try AdapterCost.measure(.pranc(n: 16, s: 1, onTheFly: true), size: d, steps: 3, seed: 1)
        #expect(onTheFly.basisFloats == 16 * d * d)
        #expect(onTheFly.residentBasisFloats == 4 * d * d, "64 K-float chunks hold 4 matrices of 128×128")
        for c in [pranc, nola, onTheFly] {
            #expect(c.stepSeconds.count == 3 && c.stepSeconds.allSatisfy { $0 > 0 } && c.medianStepSeconds > 0)
        }
    }
}
