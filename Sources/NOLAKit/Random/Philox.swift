/// The Philox4x32-10 block function (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
/// easy as 1, 2, 3", SC'11): a keyed bijection of a 128-bit counter, ten rounds of two 32×32→64
/// multiplications, with the key bumped by the Weyl constants between rounds.
///
/// It is a counter-based generator: output block `n` is `philox(counter: n, key: seed)`, so any
/// block can be computed without the ones before it. That is what lets NOLA regenerate any chunk
/// of its random basis on demand.
public enum Philox4x32 {
    /// Round multipliers.
    public static let m0: UInt32 = 0xD251_1F53
    public static let m1: UInt32 = 0xCD9E_8D57
    /// Key increments (Weyl sequence: golden ratio and √3 − 1, scaled by 2³²).
    public static let w0: UInt32 = 0x9E37_79B9
    public static let w1: UInt32 = 0xBB67_AE85
    /// Number of rounds; 10 is the variant with the published known-answer vectors.
    public static let rounds = 10

    /// One block: four 32-bit counter words and two key words in, four output words out.
    ///
    /// Round: `(hi0, lo0) = m0 · c0`, `(hi1, lo1) = m1 · c2`, then
    /// `c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)`; the key gains `(w0, w1)` after each round
    /// but the last.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c0 = counter.x, c1 = counter.y, c2 = counter.z, c3 = counter.w
        var k0 = key.x, k1 = key.y
        for round in 0..<rounds {
            if round > 0 {
                k0 &+= w0
                k1 &+= w1
            }
            let p0 = UInt64(m0) &* UInt64(c0)
            let p1 = UInt64(m1) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c0 = hi1 ^ c1 ^ k0
            c1 = lo1
            c2 = hi0 ^ c3 ^ k1
            c3 = lo0
        }
        return SIMD4(c0, c1, c2, c3)
    }
}
