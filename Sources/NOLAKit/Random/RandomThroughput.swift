#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How fast generators turn out uniform [0, 1) floats: lesson 1's speed table.
///
/// Every generator fills the same buffer with `Float(24 random bits) · 2⁻²⁴`, so the table
/// compares the generators, not the conversions. Swift's `SystemRandomNumberGenerator` and the
/// C library's `random()` are here only as a yardstick: they cannot be regenerated from a seed
/// at an arbitrary position, and NOLAKit uses neither anywhere else.
public enum RandomThroughput {
    /// The generators compared.
    public enum Generator: String, CaseIterable, Sendable {
        /// `RandomStream.referenceFillUniform`: Philox one block at a time.
        case philoxScalar = "Philox4x32-10, one block at a time"
        /// Philox eight blocks at a time in SIMD lanes, with the portable engine only (SSE2 on
        /// x86-64, the baseline every such CPU has; NEON on ARM).
        case philoxPortableSIMD = "Philox4x32-10, SIMD lanes, portable"
        /// The AVX2 kernel (8 lanes of 32 bits), x86-64 CPUs with AVX2 only.
        case philoxAVX2 = "Philox4x32-10, AVX2 kernel (8 lanes)"
        /// The AVX-512 kernel (16 lanes), x86-64 CPUs with AVX-512F only.
        case philoxAVX512 = "Philox4x32-10, AVX-512 kernel (16 lanes)"
        /// `RandomStream.fillUniform`: Philox eight blocks at a time with the kernel it picks at
        /// run time (`RandomStream.fillKernel`: the widest of the above the CPU has).
        case philoxSIMD = "Philox4x32-10, SIMD lanes, best kernel"
        /// Swift's `SystemRandomNumberGenerator` (the OS's entropy source), two floats per `next()`.
        case system = "Swift SystemRandomNumberGenerator"
        /// The C library's `random()` (additive feedback, a global state behind a lock), one float per call.
        case libcRandom = "C library random()"

        /// True for the Philox generators: any range can be regenerated from the seed.
        public var isRegenerable: Bool {
            switch self {
            case .philoxScalar, .philoxPortableSIMD, .philoxAVX2, .philoxAVX512, .philoxSIMD: true
            case .system, .libcRandom: false
            }
        }

        /// Whether this CPU can run it (the AVX2 and AVX-512 kernels need those extensions).
        public var isAvailable: Bool { kernel?.isAvailable ?? true }

        /// The generator that pins the kernel the fills use on this CPU (`RandomStream.fillKernel`).
        public static var usedByFills: Generator {
            switch PhiloxLanes.Kernel.best {
            case .avx512: .philoxAVX512
            case .avx2: .philoxAVX2
            case .portable, .lanes16Baseline: .philoxPortableSIMD
            }
        }

        /// The Philox kernel a generator pins, if it pins one.
        var kernel: PhiloxLanes.Kernel? {
            switch self {
            case .philoxPortableSIMD: .portable
            case .philoxAVX2: .avx2
            case .philoxAVX512: .avx512
            default: nil
            }
        }
    }

    /// Fills `out` once with uniform floats from `generator` (`seed` keys Philox and seeds
    /// `random()`; the system generator takes no seed).
    public static func fill(_ generator: Generator, seed: UInt64, into out: UnsafeMutableBufferPointer<Float>) {
        switch generator {
        case .philoxScalar:
            RandomStream(seed: seed).referenceFillUniform(from: 0, into: out)
        case .philoxPortableSIMD, .philoxAVX2, .philoxAVX512:
            checkPrecondition(generator.isAvailable, "RandomThroughput: this CPU cannot run \(generator.rawValue)")
            let whole = out.count / 32
            if whole > 0 {
                PhiloxLanes(seed: seed, stream: 0).uniform(from: 0, octets: whole, into: out.baseAddress!, kernel: generator.kernel!)
            }
            RandomStream(seed: seed).referenceFillUniform(
                from: UInt64(32 * whole), into: UnsafeMutableBufferPointer(rebasing: out[(32 * whole)...]))
        case .philoxSIMD:
            RandomStream(seed: seed).fillUniform(from: 0, into: out)
        case .system:
            var g = SystemRandomNumberGenerator()
            var i = 0
            while i < out.count {
                let x = g.next()
                out[i] = Float(UInt32(truncatingIfNeeded: x) >> 8) * 0x1p-24
                if i + 1 < out.count { out[i + 1] = Float(UInt32(truncatingIfNeeded: x >> 32) >> 8) * 0x1p-24 }
                i += 2
            }
        case .libcRandom:
            srandom(UInt32(truncatingIfNeeded: seed))
            for i in 0..<out.count {
                out[i] = Float(random() >> 7) * 0x1p-24  // random() has 31 bits; keep the top 24
            }
        }
    }

    /// Floats per second of `generator` on one core: the best of `trials` timings, each filling
    /// a buffer of `count` floats (256 KiB by default, so it stays in cache) again and again for
    /// at least `seconds`. Time is the thread's CPU time, not the wall clock, and the best trial
    /// counts, not the mean: on a shared machine other programs only ever slow a run down.
    public static func floatsPerSecond(
        _ generator: Generator, count: Int = 1 << 16, seconds: Double = 0.05, trials: Int = 3
    ) -> Double {
        checkPrecondition(count > 0 && trials > 0, "floatsPerSecond: count \(count) and trials \(trials) must be positive")
        var buffer = [Float](repeating: 0, count: count)
        var best = 0.0
        buffer.withUnsafeMutableBufferPointer { out in
            fill(generator, seed: 1, into: out)  // warm up: page in the buffer, load the code
            for trial in 0..<trials {
                var filled = 0
                let start = threadCPUSeconds()
                var elapsed = 0.0
                repeat {
                    fill(generator, seed: UInt64(trial + 2), into: out)
                    filled += count
                    elapsed = threadCPUSeconds() - start
                } while elapsed < seconds
                best = max(best, Double(filled) / elapsed)
            }
        }
        return best
    }

    /// CPU time used so far by the calling thread, in seconds.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
