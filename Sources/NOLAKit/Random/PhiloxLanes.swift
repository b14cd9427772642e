import CPhiloxKernels

/// Philox4x32-10 on eight blocks at once, in SIMD registers: the bulk engine behind
/// `RandomStream`'s fills. It computes exactly what `Philox4x32.block` computes, block for
/// block (the tests compare them on many ranges); only the arrangement of the work differs.
///
/// ## How one round runs on a whole block in one register
///
/// A block `(c0, c1, c2, c3)` sits in four 32-bit lanes. Read as two 64-bit lanes, `c0` and `c2`
/// are the low halves, and the CPU multiplies exactly those: `(lane & 0xffffffff) · m` is one
/// 32×32→64 instruction (`pmuludq` on x86, `umull` on ARM) that gives both products at once,
/// laid out in 32-bit lanes as `P = (lo0, hi0, lo1, hi1)`. The round then is
///
///     new = reverse(P) ^ (c1, 0, c3, 0) ^ (k0, 0, k1, 0)
///         = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
///
/// where `reverse(P) = (hi1, lo1, hi0, lo0)` is one shuffle and `(c1, 0, c3, 0)` is the block
/// shifted right by 32 within each 64-bit lane. The output stays in stream order, so no
/// transpose is needed at the end. A `SIMD16<UInt32>` holds four blocks; two of them (eight
/// blocks, 32 words) are in flight so that one block's multiply overlaps another's shuffle.
///
/// The compiler turns this into `pmuludq`/`pshufd`/`psrlq`/`pxor` on x86-64 (SSE2, the baseline
/// every x86-64 CPU has) and into NEON on ARM. On x86-64 CPUs with AVX2 or AVX-512 the uniform
/// and symmetric fills go to `CPhiloxKernels` instead: the same rounds in 256-bit or 512-bit
/// registers, chosen at run time (`Kernel.best`), with the same bits.
struct PhiloxLanes {
    /// Which code computes the float fills.
    enum Kernel: Sendable, Equatable, CaseIterable {
        /// This file's SIMD code, at the target's baseline.
        case portable
        /// `nola_philox_fill_avx2` (x86-64 CPUs with AVX2 only).
        case avx2
        /// `nola_philox_fill_avx512`, 16 lanes (x86-64 CPUs with AVX-512F only).
        case avx512
        /// `nola_philox_fill_lanes16_baseline`: the AVX-512 kernel's source compiled for the
        /// baseline. Never chosen for speed; it runs everywhere, so the tests check the bits of
        /// the 16-lane arithmetic on CPUs without AVX-512 too.
        case lanes16Baseline

        /// A short name for tables: `portable SIMD`, `AVX2`, `AVX-512`, `16-lane C at baseline`.
        var name: String {
            switch self {
            case .portable: "portable SIMD"
            case .avx2: "AVX2"
            case .avx512: "AVX-512"
            case .lanes16Baseline: "16-lane C at baseline"
            }
        }

        /// Whether this CPU can run the kernel.
        var isAvailable: Bool {
            switch self {
            case .portable, .lanes16Baseline: true
            case .avx2: nola_philox_avx2_available() != 0
            case .avx512: nola_philox_avx512_available() != 0
            }
        }

        /// The widest kernel this CPU can run: AVX-512, else AVX2, else portable.
        static let best: Kernel = Kernel.avx512.isAvailable ? .avx512 : (Kernel.avx2.isAvailable ? .avx2 : .portable)

        /// `nola_philox_fill_…` for the C kernels, nil for the portable Swift code.
        var fill: (@convention(c) (UInt64, UInt64, UInt64, Int, Int32, Float, UnsafeMutablePointer<Float>?) -> Void)? {
            switch self {
            case .portable: nil
            case .avx2: nola_philox_fill_avx2
            case .avx512: nola_philox_fill_avx512
            case .lanes16Baseline: nola_philox_fill_lanes16_baseline
            }
        }
    }

    /// The stream's seed and id, for the C kernels.
    let seed: UInt64
    let stream: UInt64
    typealias Words = SIMD16<UInt32>
    typealias Pairs = SIMD8<UInt64>

    /// Round-0 key of one block, `(k0, 0, k1, 0)`.
    let key: SIMD4<UInt32>
    /// Stream id words `s & 0xffffffff`, `s >> 32` (counter words 2 and 3 of every block).
    let stream0: UInt32
    let stream1: UInt32

    init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
        let k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
        key = SIMD4(k0, 0, k1, 0)
        stream0 = UInt32(truncatingIfNeeded: stream)
        stream1 = UInt32(truncatingIfNeeded: stream >> 32)
    }

    // The constants of `Philox4x32`, written out as literals: the compiler must see that the
    // multipliers fit in 32 bits to emit one 32×32→64 multiply (a `static let` in another file
    // is a lazily initialised global it cannot look into). The tests check that they agree.

    /// The Weyl key increment `(w0, 0, w1, 0)`.
    @inline(__always)
    static var keyStep: SIMD4<UInt32> {
        let w0: UInt32 = 0x9E37_79B9, w1: UInt32 = 0xBB67_AE85
        return SIMD4(w0, 0, w1, 0)
    }

    /// The multipliers as 64-bit lanes: `m0` meets `c0`, `m1` meets `c2`.
    @inline(__always)
    static var multipliers: Pairs {
        let m0: UInt64 = 0xD251_1F53, m1: UInt64 = 0xCD9E_8D57
        return Pairs(m0, m1, m0, m1, m0, m1, m0, m1)
    }

    /// The counters of blocks `b … b+3`: `(b & 0xffffffff, b >> 32, s0, s1)` each.
    @inline(__always)
    func counters(from b: UInt64) -> Words {
        let b1 = b &+ 1, b2 = b &+ 2, b3 = b &+ 3
        return Words(
            UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32), stream0, stream1,
            UInt32(truncatingIfNeeded: b1), UInt32(truncatingIfNeeded: b1 >> 32), stream0, stream1,
            UInt32(truncatingIfNeeded: b2), UInt32(truncatingIfNeeded: b2 >> 32), stream0, stream1,
            UInt32(truncatingIfNeeded: b3), UInt32(truncatingIfNeeded: b3 >> 32), stream0, stream1)
    }

    /// One Philox round on four blocks (see the type's documentation); `key` is one block's
    /// `(k0, 0, k1, 0)` for this round.
    @inline(__always)
    static func round(_ c: Words, key: SIMD4<UInt32>) -> Words {
        // Little-endian lane order: 32-bit lane 2j is the low half of 64-bit lane j.
        let pairs = unsafeBitCast(c, to: Pairs.self)
        let p = unsafeBitCast((pairs & 0xFFFF_FFFF) &* multipliers, to: Words.self)
        let odd = unsafeBitCast(pairs &>> 32, to: Words.self)  // (c1, 0, c3, 0) per block
        let reversed = Words(
            p[3], p[2], p[1], p[0], p[7], p[6], p[5], p[4],
            p[11], p[10], p[9], p[8], p[15], p[14], p[13], p[12])
        let keys = SIMD8(lowHalf: key, highHalf: key)
        return reversed ^ odd ^ Words(lowHalf: keys, highHalf: keys)
    }

    /// The 32 words of blocks `b … b+7`, in stream order (positions `4b … 4b+31`).
    @inline(__always)
    func octet(from b: UInt64) -> (Words, Words) {
        var x = counters(from: b)
        var y = counters(from: b &+ 4)
        var k = key
        for r in 0..<Philox4x32.rounds {
            if r > 0 { k &+= PhiloxLanes.keyStep }
            x = PhiloxLanes.round(x, key: k)
            y = PhiloxLanes.round(y, key: k)
        }
        return (x, y)
    }

    // MARK: Bulk loops (whole octets of blocks; the callers handle ragged ends)

    /// Writes words of blocks `b … b + 8·octets − 1` to `out` (which need not be aligned).
    func words(from b: UInt64, octets: Int, into out: UnsafeMutablePointer<UInt32>) {
        let raw = UnsafeMutableRawPointer(out)
        var block = b
        for o in 0..<octets {
            let (x, y) = octet(from: block)
            raw.storeBytes(of: x, toByteOffset: o * 128, as: Words.self)
            raw.storeBytes(of: y, toByteOffset: o * 128 + 64, as: Words.self)
            block &+= 8
        }
    }

    /// Writes `Float(w >> 8) · 2⁻²⁴` for the words of `octets` octets from block `b`.
    func uniform(from b: UInt64, octets: Int, into out: UnsafeMutablePointer<Float>, kernel: Kernel = .best) {
        if let fill = kernel.fill {
            fill(seed, stream, b, octets, 0, 1, out)
            return
        }
        let raw = UnsafeMutableRawPointer(out)
        var block = b
        for o in 0..<octets {
            let (x, y) = octet(from: block)
            raw.storeBytes(of: PhiloxLanes.top24(x) * 0x1p-24, toByteOffset: o * 128, as: SIMD16<Float>.self)
            raw.storeBytes(of: PhiloxLanes.top24(y) * 0x1p-24, toByteOffset: o * 128 + 64, as: SIMD16<Float>.self)
            block &+= 8
        }
    }

    /// Writes `(Float(w >> 8) · 2⁻²³ − 1) · scale` for the words of `octets` octets from block
    /// `b` (the multiplication by `scale` is skipped when it is 1, which gives the same bits).
    func symmetric(
        from b: UInt64, octets: Int, scale: Float, into out: UnsafeMutablePointer<Float>, kernel: Kernel = .best
    ) {
        if let fill = kernel.fill {
            fill(seed, stream, b, octets, 1, scale, out)
            return
        }
        let raw = UnsafeMutableRawPointer(out)
        var block = b
        if scale == 1 {
            for o in 0..<octets {
                let (x, y) = octet(from: block)
                raw.storeBytes(of: PhiloxLanes.top24(x) * 0x1p-23 - 1, toByteOffset: o * 128, as: SIMD16<Float>.self)
                raw.storeBytes(of: PhiloxLanes.top24(y) * 0x1p-23 - 1, toByteOffset: o * 128 + 64, as: SIMD16<Float>.self)
                block &+= 8
            }
        } else {
            for o in 0..<octets {
                let (x, y) = octet(from: block)
                raw.storeBytes(of: (PhiloxLanes.top24(x) * 0x1p-23 - 1) * scale, toByteOffset: o * 128, as: SIMD16<Float>.self)
                raw.storeBytes(of: (PhiloxLanes.top24(y) * 0x1p-23 - 1) * scale, toByteOffset: o * 128 + 64, as: SIMD16<Float>.self)
                block &+= 8
            }
        }
    }

    /// Writes standard normals (Box–Muller on word pairs, as `RandomStream.boxMuller`) for the
    /// words of `octets` octets from block `b`. The logarithm, sine and cosine are the C
    /// library's, one pair at a time, so the bits equal the one-block reference exactly.
    func normal(from b: UInt64, octets: Int, into out: UnsafeMutablePointer<Float>) {
        var block = b
        var i = 0
        for _ in 0..<octets {
            let (x, y) = octet(from: block)
            for j in stride(from: 0, to: 16, by: 2) {
                (out[i + j], out[i + j + 1]) = RandomStream.boxMuller(x[j], x[j + 1])
                (out[i + 16 + j], out[i + 17 + j]) = RandomStream.boxMuller(y[j], y[j + 1])
            }
            i += 32
            block &+= 8
        }
    }

    /// `Float(w >> 8)` in every lane, exactly (the value is below 2²⁴, so the signed conversion,
    /// one instruction, is exact).
    @inline(__always)
    static func top24(_ w: Words) -> SIMD16<Float> {
        let v = unsafeBitCast(w &>> 8, to: SIMD16<Int32>.self)
        var f = SIMD16<Float>()
        for j in 0..<16 { f[j] = Float(v[j]) }
        return f
    }
}
