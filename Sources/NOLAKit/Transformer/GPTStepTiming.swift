/// Times GPT training steps as the speed benchmark does (`cd Benchmarks && swift run -c release gpt-speed`,
/// `Benchmarks/pytorch/gpt_step.py` for PyTorch): one step = set the rate, zero the gradients,
/// forward, token cross-entropy, backward, clip the global norm at 1, AdamW.
public struct GPTStepTiming: Sendable {
    /// The model's shape.
    public var configuration: GPTConfiguration
    /// Sequences per batch, `B`.
    public var batch: Int
    /// Tokens per sequence, `T` (≤ the context).
    public var tokens: Int
    /// The adapter (nil: full fine-tuning) and where it goes.
    public var method: AdapterMethod?
    public var sites: TransformerSites

    public init(configuration: GPTConfiguration, batch: Int, tokens: Int, method: AdapterMethod? = nil, sites: TransformerSites = .queryValue) {
        checkPrecondition(configuration.problem == nil, "GPTStepTiming: \(configuration.problem ?? "")")
        checkPrecondition(batch > 0 && tokens > 0 && tokens <= configuration.context, "GPTStepTiming: batch \(batch) × \(tokens) tokens, context \(configuration.context)")
        self.configuration = configuration
        self.batch = batch
        self.tokens = tokens
        self.method = method
        self.sites = sites
    }

    /// The benchmark of issue 11: 4 blocks, width 128, 4 heads, vocabulary 2,048, context 64,
    /// batch 32 × 64 tokens.
    public static func issueBenchmark(method: AdapterMethod? = nil) -> GPTStepTiming {
        GPTStepTiming(
            configuration: GPTConfiguration(layers: 4, embedding: 128, heads: 4, vocabulary: 2048, context: 64),
            batch: 32, tokens: 64, method: method)
    }

    /// A fresh model (seed 1) with the adapter attached, its AdamW trainer, and a batch of
    /// random tokens (seed 3, every sequence full length).
    public func makeTrainer() -> (trainer: LanguageModelTrainer, batch: TokenBatch) {
        let model = GPT(configuration, seed: 1)
        if let method { model.attach(method, seed: 2, sites: model.sites(sites)) }
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: 1e-4, weightDecay: 0.01)
        let trainer = LanguageModelTrainer(model: model, optimizer: optimizer, clipNorm: 1)
        let v = configuration.vocabulary
        let words = RandomStream(seed: 3).uniform(batch * (tokens + 1)).map { min(v - 1, Int($0 * Float(v))) }
        let sequences = (0..<batch).map { Array(words[($0 * (tokens + 1))..<(($0 + 1) * (tokens + 1))]) }
        return (trainer, TokenBatch(sequences: sequences))
    }

    /// Wall-clock seconds of each of `steps` training steps, after `warmup` untimed ones.
    /// Throws `DivergenceError` as a training step does.
    public func seconds(warmup: Int = 3, steps: Int) throws -> [Double] {
        try measure(warmup: warmup, steps: steps).wall
    }

    /// Wall-clock and process CPU seconds (all threads) of each timed step. On a busy machine
    /// the CPU time of a one-thread run is the steadier measure of the work done.
    public func measure(warmup: Int = 3, steps: Int) throws -> (wall: [Double], cpu: [Double]) {
        checkPrecondition(warmup >= 0 && steps > 0, "GPTStepTiming: warmup \(warmup), steps \(steps)")
        let (trainer, batch) = makeTrainer()
        for _ in 0..<warmup { try trainer.step(batch) }
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<steps {
            let (start, cpuStart) = (ContinuousClock.now, ProcessMemory.cpuSeconds)
            try trainer.step(batch)
            let elapsed = ContinuousClock.now - start
            wall.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            cpu.append(ProcessMemory.cpuSeconds - cpuStart)
        }
        return (wall, cpu)
    }

    /// Where the time of `steps` training steps goes (after `warmup` untimed ones), phase by
    /// phase: `StepPhaseRecorder`'s times summed over the steps. Throws `DivergenceError` as a
    /// training step does.
    public func phases(warmup: Int = 3, steps: Int) throws -> StepPhaseRecorder.Times {
        checkPrecondition(warmup >= 0 && steps > 0, "GPTStepTiming: warmup \(warmup), steps \(steps)")
        let (trainer, batch) = makeTrainer()
        for _ in 0..<warmup { try trainer.step(batch) }
        let recorder = StepPhaseRecorder()
        for _ in 0..<steps { try recorder.record { try trainer.step(batch) } }
        return recorder.times
    }
}
