import Foundation
import Testing
import NOLAKit

/// The SIMD fill must beat the one-block reference clearly. Rates are printed for the record;
/// release-build numbers are the ones to quote (`swift run -c release lesson01`).
@Suite("Random throughput", .serialized)
struct RandomThroughputTests {
    @Test("SIMD Philox fills uniforms at least twice as fast as the one-block reference, with either kernel")
    func simdBeatsScalar() {
        let scalar = RandomThroughput.floatsPerSecond(.philoxScalar, seconds: 0.03, trials: 5)
        let portable = RandomThroughput.floatsPerSecond(.philoxPortableSIMD, seconds: 0.03, trials: 5)
        let best = RandomThroughput.floatsPerSecond(.philoxSIMD, seconds: 0.03, trials: 5)
        print("uniform floats/s: scalar \(scalar / 1e9) G, portable SIMD \(portable / 1e9) G, "
              + "best (\(RandomStream.fillKernel)) \(best / 1e9) G")
        #expect(portable > 2 * scalar, "portable SIMD \(portable) floats/s vs scalar \(scalar) floats/s")
        #expect(best > 2 * scalar, "best kernel \(best) floats/s vs scalar \(scalar) floats/s")
    }

    @Test("every generator this CPU can run fills its buffer with values in [0, 1)")
    func generatorsFillUnitInterval() {
        for g in RandomThroughput.Generator.allCases where g.isAvailable {
            var x = [Float](repeating: .nan, count: 1001)
            x.withUnsafeMutableBufferPointer { RandomThroughput.fill(g, seed: 3, into: $0) }
            #expect(x.allSatisfy { $0 >= 0 && $0 < 1 }, "\(g.rawValue)")
            #expect(Set(x).count > 900, "\(g.rawValue) gives distinct values")
        }
    }
}
