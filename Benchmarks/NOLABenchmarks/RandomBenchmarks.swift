import Benchmark
import NOLAKit

/// Uniform floats per second: Philox one block at a time (the reference), Philox in SIMD lanes
/// (`RandomStream.fillUniform`), and the normal and scaled-symmetric fills that build NOLA's
/// bases. One iteration fills 65,536 floats (256 KiB, in cache); throughput is per iteration.
func randomBenchmarks() {
    let count = 1 << 16
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], timeUnits: .microseconds, warmupIterations: 5,
        scalingFactor: .one, maxDuration: .seconds(2), maxIterations: 10_000)

    func register(_ name: String, _ fill: @escaping @Sendable (RandomStream, UnsafeMutableBufferPointer<Float>) -> Void) {
        Benchmark("\(name), 65536 floats", configuration: configuration) { b in
            var buffer = [Float](repeating: 0, count: count)
            let stream = RandomStream(seed: 1)
            b.startMeasurement()
            for _ in b.scaledIterations {
                buffer.withUnsafeMutableBufferPointer { fill(stream, $0) }
                blackHole(buffer[count - 1])
            }
        }
    }

    register("Philox uniform, one block at a time") { $0.referenceFillUniform(from: 0, into: $1) }
    register("Philox uniform, SIMD lanes") { $0.fillUniform(from: 0, into: $1) }
    register("Philox uniform, SIMD lanes, unaligned start") { $0.fillUniform(from: 3, into: $1) }
    register("Philox symmetric × Kaiming bound, SIMD lanes") { $0.fillSymmetric(from: 0, scale: 0.0357, into: $1) }
    register("Philox normal (Box–Muller), SIMD lanes") { $0.fillNormal(from: 0, into: $1) }
    register("Philox normal (Box–Muller), one block at a time") { $0.referenceFillNormal(from: 0, into: $1) }
}
