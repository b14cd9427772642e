import Foundation
@testable import NOLAKit
import Testing

@Suite("GPT training: clipping, AdamW steps, divergence, memory")
struct TransformerTrainingTests {
    @Test("clipping by global norm: the norm over all trainable tensors, scaled as PyTorch does")
    func clipping() {
        let a = Parameter(name: "a", value: Matrix([[0, 0]]))
        let b = Parameter(name: "b", value: Matrix([[0]]))
        let frozen = Parameter(name: "f", value: Matrix([[0]]), trainable: false)
        a.grad = Matrix([[3, 0]])
        b.grad = Matrix([[4]])
        frozen.grad = Matrix([[100]])
        #expect(GradientClipping.globalNorm([a, b, frozen, a]) == 5)
        // Under the limit: unchanged.
        #expect(GradientClipping.clip([a, b, frozen], maxNorm: 10) == 5)
        #expect(a.grad == Matrix([[3, 0]]) && b.grad == Matrix([[4]]))
        // Over it: scaled by maxNorm / (norm + 1e-6), the frozen gradient left alone.
        #expect(GradientClipping.clip([a, b, frozen], maxNorm: 1) == 5)
        let factor = Float(1) / (5 + 1e-6)
        #expect(a.grad == Matrix([[3 * factor, 0]]) && b.grad == Matrix([[4 * factor]]))
        #expect(frozen.grad == Matrix([[100]]))
        #expect(abs(GradientClipping.globalNorm([a, b]) - 1) < 1e-6)
        // A NaN gradient gives a NaN norm and is not "clipped" into numbers.
        b.grad = Matrix([[.nan]])
        #expect(GradientClipping.clip([a, b], maxNorm: 1).isNaN)
    }

    @Test("sum of squares: known answers across the 8-lane and 4,096-value block edges")
    func sumOfSquaresKnownAnswers() {
        func sum(_ values: [Float]) -> Double { values.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) } }
        #expect(sum([]) == 0)
        #expect(sum([3, 4]) == 25)
        // n values of 0.5²: exactly n/4 in Float and Double, whatever the lanes and blocks.
        for n in [1, 7, 8, 9, 15, 16, 17, 31, 4_095, 4_096, 4_097, 8_192 + 33, 70_001] {
            #expect(sum([Float](repeating: 0.5, count: n)) == Double(n) / 4, "n = \(n)")
        }
        // 1² + 2² + … + 40² = 40 · 41 · 81 / 6 = 22,140 (every partial sum exact in Float).
        #expect(sum((1...40).map(Float.init)) == 22_140)
        // k mod 8 over 9,000 values: each block of 4,096 holds 512 of each residue, Σ r² = 140 per
        // 8 values; the tail of 808 values is 101 full cycles.
        let cyclic = (0..<9_000).map { Float($0 % 8) }
        #expect(sum(cyclic) == Double(9_000 / 8) * 140)
    }

    @Test("sum of squares: NaN and infinity come through")
    func sumOfSquaresNonFinite() {
        func sum(_ values: [Float]) -> Double { values.withUnsafeBufferPointer { GradientClipping.sumOfSquares($0) } }
        var values = [Float](repeating: 1, count: 10_000)
        values[9_999] = .nan
        #expect(sum(values).isNaN)
        values[9_999] = 1
        values[5] = -.infinity
        #expect(sum(values) == .infinity)
    }

    @Test("global norm: the same bits on one thread and on two")
    func globalNormSameBitsOnAnyThreadCount() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let a = Parameter(name: "a", value: Matrix(rows: 300, cols: 1_000))
            let b = Parameter(name: "b", value: Matrix(rows: 1, cols: 77))
            a.grad = randomMatrix(300, 1_000, seed: 7)
            b.grad = randomMatrix(1, 77, seed: 8)
            BLAS.threads = 1
            let one = GradientClipping.globalNorm([a, b])
            BLAS.threads = 2
            let two = GradientClipping.globalNorm([a, b])
            print("workers \(Parallel.workers) same \(one.bitPattern == two.bitPattern) finite \(one.isFinite)")
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(output.contains("workers 2 same true finite true"), "\(output)")
    }

    @Test("training steps: the warm-up schedule sets each rate, the loss falls, clipping bounds the update")
    func steps() throws {
        let model = randomGPT()
        let batch = mixedBatch()
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: 0, weightDecay: 0.01)
        let trainer = LanguageModelTrainer(
            model: model, optimizer: optimizer, schedule: .warmupLinear(peak: 1e-2, warmup: 4, total: 40), clipNorm: 0.5)
        let before = trainer.evaluate([batch])
        var records: [LanguageModelStep] = []
        for _ in 0..<30 { records.append(try trainer.step(batch)) }
        #expect(records[0].learningRate == 0 && records[2].learningRate == 5e-3 && records[4].learningRate == 1e-2)
        #expect(abs(records[22].learningRate - 1e-2 * 18 / 36) < 1e-8)
        #expect(records.map(\.step) == Array(1...30))
        #expect(records[0].tokens == batch.targetCount)
        let after = trainer.evaluate([batch])
        #expect(after < before - 0.5, "loss \(before) → \(after)")
        // The evaluation is the plain per-token cross-entropy.
        #expect(abs(after - Double(model.loss(batch, using: TokenCrossEntropy()))) < 1e-6)
        // Weighted by scored tokens across batches.
        let single = TokenBatch(sequences: [[1, 2]])
        let pooled = trainer.evaluate([batch, single])
        let expected = (trainer.evaluate([batch]) * Double(batch.targetCount) + trainer.evaluate([single])) / Double(batch.targetCount + 1)
        #expect(abs(pooled - expected) < 1e-6)
    }

    @Test("token batches: inputs, targets, masks and padding; an epoch's shuffled batches cover the corpus once")
    func batches() {
        let batch = TokenBatch(sequences: [[5, 6, 7, 8], [9, 10]], targetMask: [[true, false, true, true], [true, true]], padding: 0)
        #expect(batch.length == 3 && batch.lengths == [3, 1])
        #expect(batch.tokens == [5, 6, 7, 9, 0, 0])
        #expect(batch.targets == [TokenBatch.ignored, 7, 8, 10, TokenBatch.ignored, TokenBatch.ignored])
        #expect(batch.targetCount == 3)
        let corpus = (0..<10).map { [Int]((0...$0).map { $0 % 5 }) }
        let epoch = TokenBatch.batches(of: corpus, size: 4, seed: 7, epoch: 1)
        #expect(epoch.map(\.sequences) == [4, 4, 2])
        #expect(epoch.flatMap(\.lengths).sorted() == Array(0..<10))
        #expect(TokenBatch.batches(of: corpus, size: 4, seed: 7, epoch: 1) == epoch)
        #expect(TokenBatch.batches(of: corpus, size: 4, seed: 7, epoch: 2) != epoch)
        #expect(TokenBatch.batches(of: corpus, size: 4).first!.lengths == [0, 1, 2, 3])
    }

    @Test("adapters train alone: the frozen base does not move, the coefficients do")
    func adapterStep() throws {
        let model = randomGPT()
        let base = model.baseParameters.map(\.value)
        model.attach(.nola(rank: 2, k: 4, l: 4, c: 1, basis: .shared), seed: 1, sites: model.sites(.queryValue))
        let trainer = LanguageModelTrainer(
            model: model, optimizer: Adam.adamW(parameters: model.parameters, learningRate: 1e-2), clipNorm: 1)
        try trainer.step(mixedBatch())
        try trainer.step(mixedBatch())
        #expect(zip(model.baseParameters, base).allSatisfy { $0.value == $1 })
        #expect(model.parameters.filter(\.isTrainable).allSatisfy { $0.value != Matrix.zeros($0.value.rows, $0.value.cols) })
    }

    @Test("a NaN loss stops training with DivergenceError, before any weight changes")
    func divergence() throws {
        let model = randomGPT()
        let trainer = LanguageModelTrainer(model: model, optimizer: Adam.adamW(parameters: model.parameters, learningRate: 1e-3))
        try trainer.step(mixedBatch())
        model.blocks[0].mlp.cFc.weight.value[0, 0] = .nan
        let snapshot = model.baseParameters.map(\.value)
        let error = #expect(throws: DivergenceError.self) { try trainer.step(mixedBatch()) }
        #expect(error?.step == 1 && error!.loss.isNaN)
        #expect("\(error!)".contains("diverged at step 1"))
        #expect(zip(model.baseParameters, snapshot).allSatisfy { $0.value.data.elementsEqual($1.data) { $0 == $1 || ($0.isNaN && $1.isNaN) } })
    }

    @Test("memory does not grow from step to step (the resident set, step by step)")
    func memoryIsStable() throws {
        guard ProcessMemory.residentBytes != nil else { return }
        let timing = GPTStepTiming(
            configuration: GPTConfiguration(layers: 2, embedding: 64, heads: 4, vocabulary: 2048, context: 32),
            batch: 16, tokens: 32, method: .lora(rank: 4, c: 1))
        let (trainer, batch) = timing.makeTrainer()
        for _ in 0..<5 { try trainer.step(batch) }
        var increments: [Int] = []
        var last = ProcessMemory.residentBytes!
        for _ in 0..<25 {
            try trainer.step(batch)
            let now = ProcessMemory.residentBytes!
            increments.append(now - last)
            last = now
        }
        // Keeping one step's buffers would add at least the logits, 512 × 2048 floats = 4 MB, at
        // every step. Other tests run in this process at the same time and may add memory now
        // and then; the median step-to-step change ignores them.
        let median = increments.sorted()[increments.count / 2]
        #expect(median < 1 << 20, "resident set grows by \(median >> 10) KB per step: \(increments.map { $0 >> 10 }) KB")
        // The peak (getrusage) and the current set (/proc/self/statm) are read from counters that
        // Linux updates per thread in batches of 64 pages, so they may disagree by a few hundred KB.
        #expect(ProcessMemory.peakResidentBytes >= last - (1 << 20))
    }
}
