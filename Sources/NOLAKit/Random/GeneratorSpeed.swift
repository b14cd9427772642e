#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Uniform-float fills from three generators, compiled optimized, so that lesson 01 can time them
/// fairly against each other.
public enum GeneratorSpeed {
    public enum Generator: String, CaseIterable, Sendable {
        /// `RandomStream.fillUniform`: Philox4x32-10, block by block.
        case philox = "Philox4x32-10"
        /// Swift's `SystemRandomNumberGenerator` (the OS's cryptographic generator).
        case system = "Swift system RNG"
        /// The C library's `random()` (additive feedback, not addressable).
        case libc = "libc random()"
    }

    /// Fills `out` with uniform floats in [0, 1) from `generator`.
    public static func fill(_ generator: Generator, seed: UInt64, into out: UnsafeMutableBufferPointer<Float>) {
        switch generator {
        case .philox:
            RandomStream(seed: seed).fillUniform(from: 0, into: out)
        case .system:
            var rng = SystemRandomNumberGenerator()
            for i in out.indices { out[i] = Float(rng.next() >> 40) * 0x1p-24 }
        case .libc:
            srandom(UInt32(truncatingIfNeeded: seed))
            for i in out.indices { out[i] = Float(random() >> 7) * 0x1p-24 }
        }
    }

    /// Floats per second of `generator`, best of `repeats` fills of `count` floats.
    public static func floatsPerSecond(_ generator: Generator, count: Int = 1 << 22, repeats: Int = 3) -> Double {
        var buffer = [Float](repeating: 0, count: count)
        var best = Double.infinity
        for r in 0..<repeats {
            let start = ContinuousClock.now
            buffer.withUnsafeMutableBufferPointer { fill(generator, seed: UInt64(r), into: $0) }
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return Double(count) / best
    }
}
