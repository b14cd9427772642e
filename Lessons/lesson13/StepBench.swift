import Foundation
import LessonKit
import NOLAKit

/// Cell 3's bench: GPT-2 L blocks (`TransformerStack`, causal) whose Q and V each method adapts in
/// turn. Every method's adapters and Adam are kept aside and swapped in for its steps, so one base
/// serves them all (and cell 4), and the methods can be timed interleaved, round by round.
@MainActor final class StepBench {
    typealias Method = (name: String, short: String, method: AdapterMethod, color: Color)

    let width: Int
    let methods: [Method]
    let seed: UInt64
    let stack: TransformerStack
    /// The batch of `sequences × length` tokens the memory is measured on.
    let memoryBatch: (x: Matrix, labels: [Int])
    /// Bytes of the base's weights and of a step without adapters.
    private(set) var baseBytes = 0
    /// Per method: the peak resident set of the base and a step with its adapters.
    private(set) var peakBytes: [Int] = []
    /// Per method: the bytes of random basis its adapters hold (each basis counted once).
    private(set) var basisBytes: [Int] = []
    private var swapIns: [[(any LinearAdapter)?]] = []
    private var optimizers: [Adam] = []

    /// Builds the base (frozen) and measures its memory: its weights and the buffers of a step
    /// without adapters on a batch of `sequences × length` tokens, from a fresh peak window.
    init(blocks: Int, width: Int, heads: Int, methods: [Method], sequences: Int, length: Int, seed: UInt64) {
        self.width = width
        self.methods = methods
        self.seed = seed
        memoryBatch = StepBench.batch(width: width, sequences: sequences, length: length, seed: seed)
        ProcessMemory.resetPeak()
        let beforeBase = ProcessMemory.peakSinceResetBytes ?? 0
        stack = TransformerStack(layers: blocks, width: width, heads: heads, mask: StepBench.mask(sequences, length), seed: seed)
        stack.parameters.freezeAll()
        step(Adam(parameters: [], learningRate: 1e-3), memoryBatch)
        baseBytes = (ProcessMemory.peakSinceResetBytes ?? 0) - beforeBase
    }

    /// A causal mask for `sequences` of `length` tokens.
    static func mask(_ sequences: Int, _ length: Int) -> AttentionMask {
        AttentionMask(sequences: sequences, length: length, causal: true)
    }

    /// Random inputs and labels for `sequences × length` rows of width `width`.
    static func batch(width: Int, sequences: Int, length: Int, seed: UInt64) -> (x: Matrix, labels: [Int]) {
        let rows = sequences * length
        let x = Matrix(rows: rows, cols: width, data: RandomStream(seed: seed, stream: 5).symmetric(rows * width))
        let labels = RandomStream(seed: seed, stream: 6).uniform(rows).map { min(width - 1, Int($0 * Float(width))) }
        return (x, labels)
    }

    /// Memory: each method's peak resident set while it attaches and takes its first step on the
    /// memory batch, from a fresh peak window (`ProcessMemory.resetPeak`), on top of the base's.
    /// Leaves every method's adapters aside for `interleaved`; `afterEach` gets the method's short
    /// name.
    func measureMemory(afterEach: (String) -> Void) {
        let data = memoryBatch
        for entry in methods {
            ProcessMemory.resetPeak()
            let before = ProcessMemory.peakSinceResetBytes ?? 0
            let adapters = stack.attach(entry.method, seed: seed, sites: stack.sites(.queryValue))
            optimizers.append(Adam(parameters: adapters.flatMap(\.parameters).filter(\.isTrainable), learningRate: 1e-3))
            step(optimizers.last!, data)
            peakBytes.append(baseBytes + (ProcessMemory.peakSinceResetBytes ?? 0) - before)
            var seen = Set<ObjectIdentifier>()
            basisBytes.append(4 * adapters.flatMap(randomBases(of:)).filter { seen.insert(ObjectIdentifier($0)).inserted }
                .reduce(0) { $0 + $1.residentFloats })
            swapIns.append(stack.blocks.map { $0.attention.cAttn.adapter })
            for block in stack.blocks { block.attention.cAttn.adapter = nil }
            afterEach(entry.short)
        }
    }

    /// `rounds` rounds at `sequences × length` tokens of the methods `chosen` (LoRA first), the
    /// order rotating each round; per method the wall-clock step times, per NOLA method the ratios
    /// to LoRA's step of the same round, by the wall clock and by CPU time (empty for a method not
    /// timed). `afterRound` runs after each round.
    func interleaved(sequences: Int, length: Int, rounds: Int, methods chosen: [Int], afterRound: () -> Void)
        -> (seconds: [[Double]], ratios: [[Double]], cpuRatios: [[Double]])
    {
        stack.mask = StepBench.mask(sequences, length)
        let data = StepBench.batch(width: width, sequences: sequences, length: length, seed: seed &+ UInt64(length))
        for m in chosen { _ = stepSeconds(m, data) }  // size the buffers
        var seconds = [[Double]](repeating: [], count: methods.count)
        var cpu = seconds
        for round in 0..<rounds {
            for i in chosen.indices {
                let m = chosen[(i + round) % chosen.count]
                let step = stepSeconds(m, data)
                seconds[m].append(step.wall)
                cpu[m].append(step.cpu)
            }
            afterRound()
        }
        let ratios = (1..<methods.count).map { m in zip(seconds[m], seconds[0]).map { $0 / $1 } }
        let cpuRatios = (1..<methods.count).map { m in zip(cpu[m], cpu[0]).map { $0 / $1 } }
        return (seconds, ratios, cpuRatios)
    }

    /// Drops every method's adapters and optimizer: the stack is the bare base again.
    func release() {
        for block in stack.blocks { block.attention.cAttn.adapter = nil }
        swapIns = []
        optimizers = []
    }

    /// Wall-clock and process CPU seconds (all threads) of one training step of method `m` on
    /// `data`. On a machine shared with other work the CPU time is the steadier measure of the work
    /// a step does: the wall clock also counts the time other programs held the cores.
    private func stepSeconds(_ m: Int, _ data: (x: Matrix, labels: [Int])) -> (wall: Double, cpu: Double) {
        for (block, adapter) in zip(stack.blocks, swapIns[m]) { block.attention.cAttn.adapter = adapter }
        defer { for block in stack.blocks { block.attention.cAttn.adapter = nil } }
        let cpuStart = ProcessMemory.cpuSeconds
        let wall = step(optimizers[m], data)
        return (wall, ProcessMemory.cpuSeconds - cpuStart)
    }

    /// One training step (forward, a stand-in loss, backward, `optimizer`), in wall-clock seconds;
    /// a failure ends the lesson with its one-line reason.
    @discardableResult
    private func step(_ optimizer: Adam, _ data: (x: Matrix, labels: [Int])) -> Double {
        do {
            return try trainingStepSeconds(stack, optimizer: optimizer, input: data.x, labels: data.labels, warmup: 0, steps: 1)[0]
        } catch {
            Lesson.fail("\(error)")
        }
    }
}
