/// 4-bit NormalFloat (NF4), the data type QLoRA (Dettmers et al. 2023) stores a frozen base in.
///
/// Trained weights are close to normally distributed. NF4's 16 levels are quantiles of N(0, 1),
/// scaled into [−1, 1] so that each level takes about the same share of such weights (an
/// "information-theoretically optimal" code for normal data), with an exact zero: 7 levels below
/// zero, 0 itself, 8 above (the paper's asymmetric construction). The levels, from the QLoRA
/// paper's appendix and bitsandbytes' table, code 0 to 15:
///
///     −1.0, −0.6961928, −0.5250731, −0.3949175, −0.2844414, −0.1847734, −0.0910500, 0.0,
///      0.0795803, 0.1609302, 0.2461123, 0.3379152, 0.4407098, 0.5626170, 0.7229568, 1.0
///
/// Block-wise quantization of `n` weights, blocks of `blockSize` = 64 consecutive (row-major)
/// weights, the last block shorter when 64 does not divide `n`:
///
///     c_b     = max |w| over block b             the block's absmax (its scale)
///     code_i  = the level nearest to w_i / c_b   (0…15; a block of zeros gets code 7, 0.0)
///     ŵ_i     = levels[code_i] · c_b
///
/// "Nearest" is decided by the 15 midpoints between neighbouring levels, as bitsandbytes does:
/// a value exactly on a midpoint goes to the lower level.
///
/// Packing: two codes per byte, the first of each pair in the high nibble (bitsandbytes'
/// order): byte `j` holds `code[2j] << 4 | code[2j+1]`. An odd count leaves the last low nibble
/// 0. So `[0, 15, 7]` packs to `[0x0F, 0x70]`.
public enum NormalFloat4 {
    /// The 16 levels, code 0 to 15.
    public static let levels: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    ]
    /// The code of 0.0.
    public static let zeroCode: UInt8 = 7
    /// Weights per absmax block (QLoRA's 64).
    public static let blockSize = 64

    /// The 15 midpoints between neighbouring levels.
    static let midpoints: [Float] = (0..<15).map { (levels[$0] + levels[$0 + 1]) / 2 }

    /// The code of the level nearest to `x` (`x` is normally in [−1, 1]; values outside go to
    /// the end levels): the number of midpoints strictly below `x`.
    @inline(__always)
    public static func code(nearest x: Float) -> UInt8 {
        var lo = 0, hi = 15  // answer in lo…hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if x > midpoints[mid] { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo)
    }

    /// Codes (one per weight, unpacked) and the absmax of every block of `blockSize`.
    public static func quantize(_ values: [Float]) -> (codes: [UInt8], absmax: [Float]) {
        let blocks = (values.count + blockSize - 1) / blockSize
        var codes = [UInt8](repeating: zeroCode, count: values.count)
        var absmax = [Float](repeating: 0, count: blocks)
        for b in 0..<blocks {
            let range = (b * blockSize)..<min((b + 1) * blockSize, values.count)
            var c: Float = 0
            for i in range {
                checkPrecondition(values[i].isFinite, "NormalFloat4.quantize: weight \(i) is \(values[i]), not finite")
                c = max(c, abs(values[i]))
            }
            absmax[b] = c
            guard c > 0 else { continue }
            for i in range { codes[i] = code(nearest: values[i] / c) }
        }
        return (codes, absmax)
    }

    /// Two codes per byte, the first in the high nibble; `⌈count / 2⌉` bytes.
    public static func pack(_ codes: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (codes.count + 1) / 2)
        for (i, c) in codes.enumerated() {
            checkPrecondition(c < 16, "NormalFloat4.pack: code \(c) at \(i) is not 4 bits")
            bytes[i / 2] |= i % 2 == 0 ? c << 4 : c
        }
        return bytes
    }

    /// Code `i` of a packed stream.
    @inline(__always)
    public static func code(at i: Int, in bytes: UnsafePointer<UInt8>) -> UInt8 {
        let byte = bytes[i >> 1]
        return i & 1 == 0 ? byte >> 4 : byte & 0x0F
    }

    /// The `count` codes of `bytes` (`pack`'s inverse).
    public static func unpack(_ bytes: [UInt8], count: Int) -> [UInt8] {
        checkPrecondition(bytes.count == (count + 1) / 2, "NormalFloat4.unpack: \(bytes.count) bytes for \(count) codes")
        return bytes.withUnsafeBufferPointer { p in (0..<count).map { code(at: $0, in: p.baseAddress!) } }
    }
}

/// QLoRA's double quantization of the NF4 block scales: the absmax constants (one Float per 64
/// weights, 0.5 bit per weight) are themselves quantized to 8 bits, in blocks of 256 constants.
///
///     μ        = mean of all constants c_b (they are all ≥ 0; centring them uses the code's
///                negative half too, as QLoRA does)
///     s_k      = max |c_b − μ| / 127 over block k of 256 constants
///     q_b      = round(( c_b − μ) / s_k)  ∈ −127…127, stored as one signed byte
///     ĉ_b      = q_b · s_k + μ
///
/// Cost per weight: 8/64 bits for `q`, 32/(64·256) for `s`, i.e. 0.127 bits instead of 0.5
/// (QLoRA's own arithmetic). QLoRA quantizes the constants with bitsandbytes' 8-bit "dynamic"
/// float code; this is the plain symmetric 8-bit integer code (`SymmetricQuantizer`, absmax per
/// group of 256), which has the same cost and a different grid.
public struct DoubleQuantizedScales: Sendable, Equatable {
    /// Constants per second-level block (QLoRA's 256).
    public static let blockSize = 256
    /// `q_b`, one signed byte per constant.
    public let codes: [Int8]
    /// `s_k`, one Float per block of 256 constants.
    public let scales: [Float]
    /// `μ`.
    public let mean: Float

    /// Quantizes `constants` (finite, ≥ 0).
    public init(_ constants: [Float]) {
        let mean = constants.isEmpty ? 0 : Float(constants.reduce(0.0) { $0 + Double($1) } / Double(constants.count))
        let centred = constants.map { $0 - mean }
        let q = SymmetricQuantizer(bits: 8, groupSize: Self.blockSize).quantize(centred)
        self.codes = q.codes.map { Int8($0) }
        self.scales = q.scales
        self.mean = mean
    }

    /// Number of constants.
    public var count: Int { codes.count }

    /// `ĉ_b`.
    @inline(__always)
    public func constant(_ b: Int) -> Float {
        Float(codes[b]) * scales[b / Self.blockSize] + mean
    }

    /// Every `ĉ_b`.
    public func dequantized() -> [Float] { (0..<count).map(constant) }

    /// Bytes held: the codes, the second-level scales and the mean, as stored.
    public var storageBytes: Int {
        codes.count * MemoryLayout<Int8>.stride + scales.count * MemoryLayout<Float>.stride + MemoryLayout<Float>.stride
    }
}
