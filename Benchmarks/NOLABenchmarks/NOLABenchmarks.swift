import Benchmark
import LessonKit
import NOLAKit

// Release-build speed of the pieces the lessons time, as package-benchmark benchmarks:
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
//
// Compare benchmarks of one run with each other (ratios); absolute times on a shared machine drift.

let benchmarks: @Sendable () -> Void = {
    // As every lesson: OpenBLAS's best kernels for this CPU, subnormals flushed to zero.
    MachineSetup.prepare()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 5,
        maxDuration: .seconds(3), maxIterations: 10_000)

    trainingStepBenchmarks()
    randomBenchmarks()
}

/// One MLP 784-256-10 training step at batch 512 (forward, backward, SGD update), dense and with
/// only an adapter training, for LoRA, NOLA in each basis mode (paper Table 2's comparison) and
/// PRANC: the rows of `step-times`, whose table puts PyTorch's times beside them.
func trainingStepBenchmarks() {
    let batch = 512
    let input = RandomStream(seed: 1).uniformMatrix(rows: batch, cols: 784, bound: 1)
    let labels = (0..<batch).map { $0 % 10 }

    func register(_ name: String, attaching method: AdapterMethod?) {
        Benchmark(name) { b in
            let model = Sequential.mlp([784, 256, 10], seed: 1)
            if let method { model.attach(method, seed: 2) }
            let optimizer = SGD(parameters: model.parameters, learningRate: 0.01)
            let loss = SoftmaxCrossEntropy()
            b.startMeasurement()
            for _ in b.scaledIterations {
                blackHole(try trainStep(model, input: input, labels: labels, loss: loss, optimizer: optimizer))
            }
        }
    }

    register("MLP 784-256-10 dense step, batch 512", attaching: nil)
    register("LoRA r=1 step, batch 512", attaching: .lora(rank: 1, c: 1))
    for mode in BasisMode.allCases {
        register("NOLA r=4 k=l=16 \(mode.rawValue) step, batch 512", attaching: .nola(rank: 4, k: 16, l: 16, c: 1, basis: mode))
    }
    register("NOLA r=8 k=l=512 on-the-fly step, batch 512", attaching: .nola(rank: 8, k: 512, l: 512, c: 1, basis: .onTheFly))
    register("PRANC n=32 step, batch 512", attaching: .pranc(n: 32, s: 1, onTheFly: false))
}
