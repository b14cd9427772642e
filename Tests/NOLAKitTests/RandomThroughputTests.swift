import Foundation
import Testing
import NOLAKit

/// The SIMD fill must beat the one-block reference clearly. Rates are printed for the record;
/// release-build numbers are the ones to quote (`swift run -c release lesson01`).
@Suite("Random throughput", .serialized)
struct RandomThroughputTests {
    @Test("SIMD Philox fills uniforms at least twice as fast as the one-block reference")
    func simdBeatsScalar() {
        let scalar = RandomThroughput.floatsPerSecond(.philoxScalar, seconds: 0.03, trials: 5)
        let simd = RandomThroughput.floatsPerSecond(.philoxSIMD, seconds: 0.03, trials: 5)
        print("uniform floats/s: scalar \(scalar / 1e9) G, SIMD \(simd / 1e9) G, ratio \(simd / scalar)")
        #expect(simd > 2 * scalar, "SIMD \(simd) floats/s vs scalar \(scalar) floats/s")
    }

    @Test("every generator fills its buffer with values in [0, 1)")
    func generatorsFillUnitInterval() {
        for g in RandomThroughput.Generator.allCases {
            var x = [Float](repeating: .nan, count: 1001)
            x.withUnsafeMutableBufferPointer { RandomThroughput.fill(g, seed: 3, into: $0) }
            #expect(x.allSatisfy { $0 >= 0 && $0 < 1 }, "\(g.rawValue)")
            #expect(Set(x).count > 900, "\(g.rawValue) gives distinct values")
        }
    }
}
