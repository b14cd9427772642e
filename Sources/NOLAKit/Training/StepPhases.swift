#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The kinds of work a training step is made of, as `StepPhaseRecorder` times them. Each layer
/// names its own phase (a `Linear` layer's products are `.linear`, LoRA or NOLA inside it
/// `.adapters`, …); time spent outside every phase is `.other`.
public enum StepPhase: Int, CaseIterable, Sendable {
    /// `Linear` layers (a GPT's c_attn, c_proj, c_fc, mlp c_proj): their products, bias rows and sums.
    case linear
    /// LoRA, NOLA or PRANC inside a `Linear` layer: low-rank products, combining and projecting the basis.
    case adapters
    /// Multi-head attention between the projections: the per-head products and the softmax.
    case attention
    /// LayerNorm, forward and backward.
    case layerNorm
    /// GELU, forward and backward.
    case gelu
    /// The tied unembedding's logits, their softmax, the cross-entropy and its backward.
    case logitsAndLoss
    /// Residual additions and the token and position embeddings.
    case residualAndEmbedding
    /// Zeroing the gradients before a step.
    case zeroGradients
    /// The global gradient norm and clipping.
    case clipping
    /// The optimizer's update (AdamW).
    case optimizer
    /// Everything outside the phases above (the step's own bookkeeping, the recorder's clock reads).
    case other

    /// The label a breakdown table prints.
    public var label: String {
        switch self {
        case .linear: "linear layers (products, bias)"
        case .adapters: "adapters (LoRA, NOLA)"
        case .attention: "attention (per-head products, softmax)"
        case .layerNorm: "LayerNorm"
        case .gelu: "GELU"
        case .logitsAndLoss: "logits, softmax, loss"
        case .residualAndEmbedding: "residual adds, embeddings"
        case .zeroGradients: "zeroing gradients"
        case .clipping: "gradient norm, clipping"
        case .optimizer: "AdamW"
        case .other: "other"
        }
    }
}

/// Where the time of training steps goes, phase by phase (`StepPhase`), in three clocks: wall
/// time, the CPU time of the thread that runs the step, and the CPU time of the whole process (all
/// threads: BLAS workers and `Parallel`'s too).
///
///     let recorder = StepPhaseRecorder()
///     for _ in 0..<10 { try recorder.record { try trainer.step(batch) } }
///     for phase in StepPhase.allCases { print(phase.label, recorder.times.threadCPU[phase.rawValue] / 10) }
///
/// Each moment is charged to the innermost phase running (a `Linear` layer's adapter to
/// `.adapters`, not to `.linear`), so the phases add up to the steps' total. On one thread
/// (`BLAS.threads = 1`) the thread's CPU time is the steady measure on a busy machine: other
/// programs delay the step but do not add to it. On more threads, the process's CPU time also
/// counts the other threads' work (and OpenBLAS's workers spinning while they wait).
///
/// Layers report their phases through `StepPhaseRecorder.time`, which costs one read of a
/// thread-local value when nothing records. A recorder sees the phases entered on the thread
/// that calls `record` (the layers enter them there, never inside `Parallel`'s workers); other
/// threads, training other models meanwhile, are not recorded.
public final class StepPhaseRecorder {
    /// Seconds per phase (indexed by `StepPhase.rawValue`) on each clock, summed over the
    /// recorded steps.
    public struct Times: Sendable, Equatable {
        public var wall: [Double]
        public var threadCPU: [Double]
        public var processCPU: [Double]
        /// Steps recorded.
        public var steps = 0

        init() {
            let zeros = [Double](repeating: 0, count: StepPhase.allCases.count)
            (wall, threadCPU, processCPU) = (zeros, zeros, zeros)
        }

        /// Times read back (from another process's report, say): one value per phase on each clock.
        public init(steps: Int, wall: [Double], threadCPU: [Double], processCPU: [Double]) {
            let n = StepPhase.allCases.count
            checkPrecondition(
                wall.count == n && threadCPU.count == n && processCPU.count == n,
                "StepPhaseRecorder.Times: \(wall.count), \(threadCPU.count), \(processCPU.count) values for \(n) phases")
            (self.steps, self.wall, self.threadCPU, self.processCPU) = (steps, wall, threadCPU, processCPU)
        }

        /// Every phase together, on each clock.
        public var total: (wall: Double, threadCPU: Double, processCPU: Double) {
            (wall.reduce(0, +), threadCPU.reduce(0, +), processCPU.reduce(0, +))
        }
    }

    /// What has been recorded so far.
    public private(set) var times = Times()

    /// The recorder of the calling thread, while its `record` runs: a thread-local value.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        checkPrecondition(pthread_key_create(&key, nil) == 0, "StepPhaseRecorder: no thread-local key left")
        return key
    }()

    private static var active: StepPhaseRecorder? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<StepPhaseRecorder>.fromOpaque(raw).takeUnretainedValue()
    }

    private var stack: [StepPhase] = []
    private var mark = Clocks.now

    public init() {}

    /// Runs `step` (one training step) with its phases recorded into `times`.
    @discardableResult
    public func record<R>(_ step: () throws -> R) rethrows -> R {
        checkPrecondition(Self.active == nil, "StepPhaseRecorder: another recorder is already recording on this thread")
        stack = [.other]
        mark = Clocks.now
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer {
            charge()
            pthread_setspecific(Self.key, nil)
            stack = []
            times.steps += 1
        }
        return try withExtendedLifetime(self) { try step() }
    }

    /// Runs `body` as `phase` of the step being recorded (just runs it when none is).
    @inline(__always)
    static func time<R>(_ phase: StepPhase, _ body: () throws -> R) rethrows -> R {
        guard let recorder = active else { return try body() }
        recorder.enter(phase)
        defer { recorder.leave() }
        return try body()
    }

    private func enter(_ phase: StepPhase) {
        charge()
        stack.append(phase)
    }

    private func leave() {
        charge()
        stack.removeLast()
    }

    /// Adds the time since the last mark to the innermost phase, and moves the mark.
    private func charge() {
        let now = Clocks.now
        let i = (stack.last ?? .other).rawValue
        times.wall[i] += now.wall - mark.wall
        times.threadCPU[i] += now.thread - mark.thread
        times.processCPU[i] += now.process - mark.process
        mark = now
    }

    /// The three clocks, read together.
    private struct Clocks {
        var wall: Double
        var thread: Double
        var process: Double

        static var now: Clocks {
            let elapsed = ContinuousClock.now - origin
            return Clocks(
                wall: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                thread: RandomThroughput.threadCPUSeconds(), process: ProcessMemory.cpuSeconds)
        }

        static let origin = ContinuousClock.now
    }
}
