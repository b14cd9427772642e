import NOLAKit
import Testing

@Suite("Throughput: tokens per second, estimates, the measured FMA peak")
struct TrainingThroughputTests {
    @Test("tokens per second is total tokens over total seconds, the skipped steps left out; estimates scale")
    func rates() {
        var t = TrainingThroughput(skipping: 1)
        #expect(t.tokensPerSecond == nil && t.seconds(forTokens: 10) == nil && t.seconds(forSteps: 1) == nil)
        t.record(tokens: 1000, seconds: 5)  // skipped: a warm-up step
        #expect(t.steps == 0 && t.tokensPerSecond == nil)
        t.record(tokens: 300, seconds: 1)
        t.record(tokens: 100, seconds: 1)
        #expect(t.steps == 2 && t.tokens == 400 && t.seconds == 2)
        #expect(t.tokensPerSecond == 200)  // not the mean of 300 and 100
        #expect(t.secondsPerStep == 1)
        #expect(t.seconds(forTokens: 1_000) == 5)
        #expect(t.seconds(forSteps: 30) == 30)
        let batch = TokenBatch(sequences: [[1, 2, 3, 4], [5, 6]], padding: 0)
        #expect(batch.realTokens == 4)  // inputs: 3 + 1 positions (the last token is only a target)
    }

    @Test("the FMA loop measures a positive peak that scales with threads, on CPUs with AVX2")
    func fmaPeak() {
        guard CPUFeatures.current.simdLevel >= .avx2 else { return }
        guard let one = FMAThroughput.measure(threads: 1, seconds: 0.02, trials: 2) else {
            Issue.record("an AVX2 CPU must give a measurement")
            return
        }
        #expect(one.gflops > 1 && one.gflops < 1000, "\(one.summary)")
        #expect(one.floatsPerRegister == (CPUFeatures.current.simdLevel == .avx512 ? 16 : 8) || one.floatsPerRegister == 8)
        #expect(one.summary.contains("measured"))
    }
}
