import CMachine

/// What the CPU offers for numeric code, read from `cpuid` and `xgetbv`: its vendor, family and
/// model, and the SIMD extensions that the CPU has AND the operating system enables (a CPU with
/// AVX-512 whose OS does not save the 512-bit registers cannot use them).
///
/// `CPUFeatures.current` is this machine; the parsing initialiser takes raw register values, so
/// the rules are tested on CPUs this machine is not.
public struct CPUFeatures: Sendable, Equatable {
    /// `GenuineIntel`, `AuthenticAMD`, … (empty when not x86-64).
    public var vendor: String
    /// The family and model as `/proc/cpuinfo` shows them (extended fields folded in).
    public var family: Int
    public var model: Int
    /// The marketing name, `AMD EPYC 7B13`, or empty.
    public var brand: String
    /// SSE3 (every x86-64 CPU since 2005).
    public var sse3: Bool
    /// 256-bit AVX, enabled by the OS.
    public var avx: Bool
    /// Fused multiply-add (FMA3) on 256-bit registers.
    public var fma: Bool
    /// 256-bit integer SIMD.
    public var avx2: Bool
    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use: foundation, doubleword/quadword,
    /// byte/word and vector-length extensions; all enabled by the OS.
    public var avx512f: Bool
    public var avx512dq: Bool
    public var avx512bw: Bool
    public var avx512vl: Bool
    /// AVX-512 bfloat16 instructions (Cooper Lake, Sapphire Rapids, Zen 4 and later).
    public var avx512bf16: Bool

    /// A description from known flags (for tests and for CPUs that are not x86-64).
    public init(
        vendor: String = "", family: Int = 0, model: Int = 0, brand: String = "", sse3: Bool = false,
        avx: Bool = false, fma: Bool = false, avx2: Bool = false, avx512f: Bool = false, avx512dq: Bool = false,
        avx512bw: Bool = false, avx512vl: Bool = false, avx512bf16: Bool = false
    ) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.brand = brand
        self.sse3 = sse3
        self.avx = avx
        self.fma = fma
        self.avx2 = avx2
        self.avx512f = avx512f
        self.avx512dq = avx512dq
        self.avx512bw = avx512bw
        self.avx512vl = avx512vl
        self.avx512bf16 = avx512bf16
    }

    /// The features encoded in raw `cpuid` leaves (eax, ebx, ecx, edx) and XCR0:
    ///
    ///     leaf 0          ebx, edx, ecx: the vendor string
    ///     leaf 1          eax: family and model; ecx: bit 0 SSE3, 12 FMA, 27 OSXSAVE, 28 AVX
    ///     leaf 7, sub 0   ebx: bit 5 AVX2, 16 AVX512F, 17 AVX512DQ, 30 AVX512BW, 31 AVX512VL
    ///     leaf 7, sub 1   eax: bit 5 AVX512_BF16
    ///     XCR0            bits 1–2: the OS saves SSE and AVX state; bits 5–7: AVX-512 state
    public init(
        leaf0: SIMD4<UInt32>, leaf1: SIMD4<UInt32>, leaf7: SIMD4<UInt32>, leaf7Sub1: SIMD4<UInt32>,
        xcr0: UInt64, brand: String = ""
    ) {
        func bit(_ word: UInt32, _ i: Int) -> Bool { (word >> UInt32(i)) & 1 == 1 }
        var vendorBytes: [UInt8] = []
        for word in [leaf0[1], leaf0[3], leaf0[2]] {
            for shift in stride(from: 0, to: 32, by: 8) { vendorBytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        let signature = leaf1[0]
        let baseFamily = Int((signature >> 8) & 0xF), baseModel = Int((signature >> 4) & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int((signature >> 20) & 0xFF) : baseFamily
        let model = baseFamily == 0x6 || baseFamily == 0xF ? (Int((signature >> 16) & 0xF) << 4) + baseModel : baseModel
        let osAVX = bit(leaf1[2], 27) && xcr0 & 0x6 == 0x6
        let osAVX512 = osAVX && xcr0 & 0xE0 == 0xE0
        let avx = osAVX && bit(leaf1[2], 28)
        self.init(
            vendor: String(decoding: vendorBytes.filter { $0 != 0 }, as: UTF8.self), family: family, model: model,
            brand: brand, sse3: bit(leaf1[2], 0), avx: avx, fma: avx && bit(leaf1[2], 12),
            avx2: avx && bit(leaf7[1], 5), avx512f: osAVX512 && bit(leaf7[1], 16),
            avx512dq: osAVX512 && bit(leaf7[1], 17), avx512bw: osAVX512 && bit(leaf7[1], 30),
            avx512vl: osAVX512 && bit(leaf7[1], 31), avx512bf16: osAVX512 && bit(leaf7Sub1[0], 5))
    }

    /// This machine's CPU (all false on a CPU that is not x86-64).
    public static let current: CPUFeatures = {
        func leaf(_ l: UInt32, _ sub: UInt32 = 0) -> SIMD4<UInt32> {
            let r = nola_cpuid(l, sub)
            return SIMD4(r.eax, r.ebx, r.ecx, r.edx)
        }
        var brandBytes: [UInt8] = []
        for l: UInt32 in 0x8000_0002...0x8000_0004 {
            let r = leaf(l)
            for i in 0..<4 {
                for shift in stride(from: 0, to: 32, by: 8) { brandBytes.append(UInt8(truncatingIfNeeded: r[i] >> UInt32(shift))) }
            }
        }
        let brand = String(decoding: brandBytes.filter { $0 != 0 }, as: UTF8.self)
            .split(separator: " ").joined(separator: " ")
        return CPUFeatures(leaf0: leaf(0), leaf1: leaf(1), leaf7: leaf(7), leaf7Sub1: leaf(7, 1), xcr0: nola_xcr0(), brand: brand)
    }()

    /// The widest SIMD family this CPU can run, as OpenBLAS's kernel families need it: AVX-512
    /// (F, DQ, BW, VL), AVX2 with FMA, AVX, or SSE.
    public var simdLevel: SIMDLevel {
        if avx512f && avx512dq && avx512bw && avx512vl { return .avx512 }
        if avx2 && fma { return .avx2 }
        if avx { return .avx }
        return .sse
    }

    /// The flags as a short list, `AVX2 FMA` or `AVX-512 (F DQ BW VL BF16)`.
    public var summary: String {
        var parts: [String] = []
        if avx { parts.append("AVX") }
        if avx2 { parts.append("AVX2") }
        if fma { parts.append("FMA") }
        let avx512 = [("F", avx512f), ("DQ", avx512dq), ("BW", avx512bw), ("VL", avx512vl), ("BF16", avx512bf16)]
            .filter(\.1).map(\.0)
        if !avx512.isEmpty { parts.append("AVX-512 (" + avx512.joined(separator: " ") + ")") }
        if parts.isEmpty { return sse3 ? "SSE3" : "no x86 SIMD extensions found" }
        return parts.joined(separator: " ")
    }
}

/// SIMD families in increasing width; their order is the order of their speed.
public enum SIMDLevel: Int, Sendable, Comparable, CustomStringConvertible {
    /// 128-bit SSE (4 floats).
    case sse
    /// 256-bit AVX without FMA (8 floats).
    case avx
    /// 256-bit AVX2 with FMA (8 floats).
    case avx2
    /// 512-bit AVX-512 (16 floats).
    case avx512

    public static func < (a: SIMDLevel, b: SIMDLevel) -> Bool { a.rawValue < b.rawValue }

    /// Floats in one register.
    public var floatsPerRegister: Int {
        switch self {
        case .sse: 4
        case .avx, .avx2: 8
        case .avx512: 16
        }
    }

    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }
}
