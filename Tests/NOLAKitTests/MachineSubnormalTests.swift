import Foundation
import Testing
@testable import NOLAKit

/// Flush-to-zero: that it reaches OpenBLAS's worker threads, and that a training step whose
/// gradients are subnormal then costs no more than one whose gradients are not. Each test runs in
/// a child process of its own (an exit test): the floating-point mode and OpenBLAS's threads are
/// per process, and other tests must not see them change.
@Suite("Machine: subnormal floats are flushed to zero")
struct MachineSubnormalTests {
    /// `C = A·B` for `n × n` matrices with every `A` element subnormal (2⁻¹³⁰ ≈ 7·10⁻⁴⁰) and `B = 1`:
    /// without flushing, every element of `C` is a subnormal sum; with it, 0.
    static func countNonzeroOfSubnormalProduct(n: Int = 768) -> Int {
        // From its bits, not by arithmetic, which a flushing thread would turn into 0.
        let subnormal = Float(bitPattern: 0x0008_0000)  // 2⁻¹³⁰
        let a = Matrix(rows: n, cols: n, repeating: subnormal), b = Matrix(rows: n, cols: n, repeating: 1)
        return BLAS.matmul(a, b).data.filter { $0 != 0 }.count
    }

    @Test("flush-to-zero reaches OpenBLAS's worker threads (restarted so that they inherit it)")
    func reachesWorkers() async {
        await #expect(processExitsWith: .success) {
            BLAS.threads = 2
            // The main thread alone: the workers, created when OpenBLAS was loaded, still compute
            // with subnormals (the part of C they compute is nonzero).
            Subnormals.setFlushToZeroOnThisThread(true)
            let mainOnly = MachineSubnormalTests.countNonzeroOfSubnormalProduct()
            guard Subnormals.flushToZeroEverywhere() else { exit(3) }  // this OpenBLAS cannot restart its workers
            let everywhere = MachineSubnormalTests.countNonzeroOfSubnormalProduct()
            print("nonzero elements: FTZ on the main thread only \(mainOnly), everywhere \(everywhere)")
            // mainOnly > 0 shows the per-thread register; everywhere == 0 is the point.
            exit(everywhere == 0 && mainOnly > 0 ? 0 : 1)
        }
    }

    /// Median thread-CPU seconds of training steps (Adam) of the 784-256-10 MLP on one BLAS
    /// thread whose backward pass starts from the loss gradient times 10⁻³⁸, which makes every
    /// gradient and most values of Adam's update subnormal; and of the same steps at scale 10⁻³.
    /// Adam's update is a Swift loop at the x86-64 baseline (SSE), where subnormals cost: on this
    /// machine (AMD Zen 3) without flush-to-zero the subnormal step took 1.36–1.40× as long, with
    /// it 1.01×. The steps alternate, so a busy machine slows both alike; thread CPU time ignores
    /// waiting for the CPU.
    static func stepSeconds(steps: Int = 15) -> (normal: Double, subnormal: Double) {
        BLAS.threads = 1
        let model = Sequential.mlp([784, 256, 10], seed: 1)
        let input = RandomStream(seed: 2).uniformMatrix(rows: 256, cols: 784, bound: 1)
        let labels = (0..<256).map { $0 % 10 }
        let loss = SoftmaxCrossEntropy()
        let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
        func step(_ gradientScale: Float) -> Double {
            let start = RandomThroughput.threadCPUSeconds()
            optimizer.zeroGradients()
            _ = loss.forward(model.forward(input), labels: labels)
            var dz = loss.backward()
            BLAS.scal(gradientScale, &dz)
            _ = model.backward(dz)
            optimizer.step()
            return RandomThroughput.threadCPUSeconds() - start
        }
        var normal: [Double] = [], subnormal: [Double] = []
        for i in 0..<(steps + 2) {
            let n = step(1e-3), s = step(1e-38)
            if i >= 2 {  // two warm-up rounds
                normal.append(n)
                subnormal.append(s)
            }
        }
        return (normal.sorted()[steps / 2], subnormal.sorted()[steps / 2])
    }

    @Test("a training step with subnormal gradients is not slower than one without")
    func subnormalStepIsNotSlower() async {
        await #expect(processExitsWith: .success) {
            Subnormals.flushToZeroEverywhere()
            let (normal, subnormal) = MachineSubnormalTests.stepSeconds()
            print("step CPU time with FTZ/DAZ: normal gradients \(normal * 1e3) ms, subnormal \(subnormal * 1e3) ms")
            exit(subnormal <= 1.2 * normal ? 0 : 1)
        }
    }
}
