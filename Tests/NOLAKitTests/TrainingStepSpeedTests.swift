import Foundation
import Testing

@testable import NOLAKit

/// The pieces that make a GPT training step faster must not change what it computes: the AVX2
/// loops give the Swift loops' bits, the step gives the same bits on one thread and on two (and
/// twice in a row), and the phase recorder adds up.
@Suite("Training step speed: kernels, threads, phases")
struct TrainingStepSpeedTests {
    @Test("AdamW and Adam in AVX2: the Swift loop's bits, at every length (tails included)",
          .enabled(if: VectorMath.hasAVX2, "skipped: this CPU has no AVX2"))
    func adamKernel() {
        for (n, decay) in [(1, Adam.WeightDecay.decoupled(0.01)), (7, .coupled(0.1)), (8, .decoupled(0.1)), (1_000, .coupled(0)), (1_013, .decoupled(0.01))] {
            func run(avx2: Bool) -> (w: [Float], m: [Float], v: [Float]) {
                let p = Parameter(name: "p", value: randomMatrix(1, n, seed: 1, stream: 0))
                var (m, v) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
                for step in 1...3 {
                    p.grad = randomMatrix(1, n, seed: 1, stream: UInt64(step), bound: 0.3)
                    let (c1, c2) = (Float(1 - pow(0.9, Double(step))), Float(1 - pow(0.999, Double(step))))
                    Adam.update(p, m: &m, v: &v, learningRate: 1e-3, betas: (0.9, 0.999), epsilon: 1e-8, weightDecay: decay,
                                correction1: c1, correction2: c2, avx2: avx2)
                }
                return (p.value.data, m, v)
            }
            let (fast, plain) = (run(avx2: true), run(avx2: false))
            #expect(fast.w == plain.w && fast.m == plain.m && fast.v == plain.v, "\(n) values, \(decay)")
        }
    }

    @Test("maximum in AVX2: the Swift loop's value, NaN when any value is NaN",
          .enabled(if: VectorMath.hasAVX2, "skipped: this CPU has no AVX2"))
    func maximumKernel() {
        let values = RandomStream(seed: 9).uniform(100).map { $0 * 20 - 10 }
        for n in [1, 2, 7, 8, 9, 16, 17, 100] {
            values.withUnsafeBufferPointer { p in
                #expect(VectorMath.maximum(p.baseAddress!, count: n) == VectorMath.portableMaximum(p.baseAddress!, count: n), "\(n) values")
            }
        }
        for special: [Float] in [[-.infinity, -.infinity], [.nan, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8, .nan], [-1, -0.5, -.infinity]] {
            special.withUnsafeBufferPointer { p in
                let (fast, plain) = (VectorMath.maximum(p.baseAddress!, count: p.count), VectorMath.portableMaximum(p.baseAddress!, count: p.count))
                #expect(fast == plain || (fast.isNaN && plain.isNaN), "\(special)")
            }
        }
    }

    @Test("products kept on the calling thread: blocks of rows under OpenBLAS's threading threshold, the same product")
    func callingThread() {
        // 300 × 250 · 250 × 200: 15M multiply-adds, so blocks of 5 rows (5 · 200 · 250 = 250,000).
        let a = randomMatrix(300, 250, seed: 3), b = randomMatrix(250, 200, seed: 4)
        let plain = BLAS.matmul(a, b)
        for transA in [false, true] {
            let stored = transA ? a.transposed() : a  // op(A) = a either way
            var c = Matrix(rows: 300, cols: 200)
            stored.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    c.data.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemmOnCallingThread(transA ? .transpose : .none, .none, m: 300, n: 200, k: 250, alpha: 1,
                                                  pa.baseAddress!, lda: stored.cols, pb.baseAddress!, ldb: 200, beta: 0, pc.baseAddress!, ldc: 200)
                    }
                }
            }
            let worst = zip(c.data, plain.data).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "transA \(transA): largest difference \(worst)")
        }
        // Each item once, by a worker numbered below the count asked for.
        var workerOf = [Int](repeating: -1, count: 37)
        workerOf.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachSlice(37, workers: 2) { worker, slice in
                for i in slice { base[i] = base[i] == -1 ? worker : 99 }
            }
        }
        #expect(workerOf.allSatisfy { $0 == 0 || $0 == 1 })
    }

    /// Every tensor after two AdamW steps of a GPT large enough that every parallel loop splits
    /// (1,024 rows, 32 heads-and-sequences pairs), on `threads` threads.
    static func twoSteps(threads: Int, method: AdapterMethod?) throws -> [[Float]] {
        BLAS.threads = threads
        let config = GPTConfiguration(layers: 2, embedding: 32, heads: 2, vocabulary: 100, context: 64)
        let timing = GPTStepTiming(configuration: config, batch: 16, tokens: 64, method: method)
        let (trainer, batch) = timing.makeTrainer()
        for _ in 0..<2 { try trainer.step(batch) }
        return trainer.model.parameters.map(\.value.data)
    }

    /// Logits, loss and every gradient of a GPT of lesson 12's shape on one batch of E2E-like
    /// lengths (21 to 121 tokens: padded rows and masks), on `threads` threads.
    static func oneBackward(threads: Int, method: AdapterMethod?) -> [[Float]] {
        BLAS.threads = threads
        let configuration = GPTConfiguration(layers: 4, embedding: 128, heads: 4, vocabulary: 1024, context: 160)
        let model = GPT(configuration, seed: 1)
        if let method { model.attach(method, seed: 2, sites: model.sites(.queryValue)) }
        let v = configuration.vocabulary
        let words = RandomStream(seed: 3).uniform(16 * 121).map { min(v - 1, Int($0 * Float(v))) }
        let batch = TokenBatch(sequences: (0..<16).map { Array(words[($0 * 121)..<($0 * 121 + 21 + ($0 * 37) % 101)]) })
        let logits = model.forward(batch).data
        let loss = model.lossAndGradient(batch, using: TokenCrossEntropy())
        return [logits, [loss]] + model.parameters.filter(\.isTrainable).map(\.grad.data)
    }

    // The two tests below change OpenBLAS's thread count, which is one per process: run in a
    // child process each (exit tests), so that no other test multiplies while it changes. (A
    // product's bits can depend on OpenBLAS's thread count — not at these shapes, but at some:
    // a 1-block, width-16 GPT pretrains to other weights on 1 thread than on 2 — so a test
    // that trains twice and compares must not see it change midway.)

    @Test("a GPT training step gives the same bits on one thread and on two, and twice in a row (full, LoRA)")
    func threadsGiveTheSameBits() async {
        await #expect(processExitsWith: .success) {
            for method in [nil, AdapterMethod.lora(rank: 4, c: 1)] as [AdapterMethod?] {
                let one = try TrainingStepSpeedTests.twoSteps(threads: 1, method: method)
                guard try TrainingStepSpeedTests.twoSteps(threads: 1, method: method) == one else { exit(1) }
                guard try TrainingStepSpeedTests.twoSteps(threads: 2, method: method) == one else { exit(2) }
            }
            exit(0)
        }
    }

    @Test("lesson 12's shapes, padded batches, full, LoRA and NOLA: the same logits, loss and gradients on one thread and on two")
    func lessonShapesSameBits() async {
        await #expect(processExitsWith: .success) {
            for method in [nil, AdapterMethod.lora(rank: 1, c: 1), .nola(rank: 8, k: 32, l: 32, c: 1, basis: .perLayer)] as [AdapterMethod?] {
                let one = TrainingStepSpeedTests.oneBackward(threads: 1, method: method)
                let two = TrainingStepSpeedTests.oneBackward(threads: 2, method: method)
                guard one.count == two.count, zip(one, two).allSatisfy({ $0.map(\.bitPattern) == $1.map(\.bitPattern) }) else { exit(1) }
            }
            exit(0)
        }
    }

    @Test("the phase recorder: nested phases charged to the innermost, phases adding up to the step")
    func phases() throws {
        let recorder = StepPhaseRecorder()
        func spin(_ seconds: Double) {
            let start = ContinuousClock.now
            var x = 0.0
            while ContinuousClock.now - start < .seconds(seconds) { x += 1 }
            #expect(x > 0)
        }
        recorder.record {
            StepPhaseRecorder.time(.linear) {
                spin(0.02)
                StepPhaseRecorder.time(.adapters) { spin(0.02) }
            }
        }
        let t = recorder.times
        #expect(t.steps == 1)
        #expect(t.wall[StepPhase.linear.rawValue] >= 0.02 && t.wall[StepPhase.adapters.rawValue] >= 0.02)
        #expect(t.wall[StepPhase.linear.rawValue] < t.total.wall && t.threadCPU[StepPhase.gelu.rawValue] == 0)
        // A real step: every kind of work of a full fine-tuning step shows up.
        let config = GPTConfiguration(layers: 1, embedding: 16, heads: 2, vocabulary: 50, context: 16)
        let times = try GPTStepTiming(configuration: config, batch: 4, tokens: 16).phases(warmup: 1, steps: 2)
        #expect(times.steps == 2)
        for phase: StepPhase in [.linear, .attention, .layerNorm, .gelu, .logitsAndLoss, .residualAndEmbedding, .optimizer] {
            #expect(times.wall[phase.rawValue] > 0, "\(phase.label)")
        }
        #expect(times.wall[StepPhase.adapters.rawValue] == 0)
        #expect(abs(times.total.wall - times.wall.reduce(0, +)) < 1e-12)
    }
}
