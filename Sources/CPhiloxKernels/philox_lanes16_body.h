// The body of the 16-lane Philox fill, not a header of its own: philox_lanes16.c includes it
// twice, once with NOLA_LANES16_TARGET set to `__attribute__((target("avx512f")))`, once with
// nothing (the baseline). NOLA_LANES16(name) gives each copy its own names. The layout is PhiloxLanes.swift's: a block (c0, c1, c2, c3) in
// four 32-bit lanes, four blocks per 16-lane register, and one round is
//
//   P   = (c & 0xffffffff) · (m0, m1) in 64-bit lanes   (lo0, hi0, lo1, hi1) per block
//   new = reverse(P) ^ (c >> 32 in 64-bit lanes) ^ (k0, 0, k1, 0)
//       = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)

// Counters of blocks b … b + 3: (b lo, b hi, s0, s1) each.
static inline __attribute__((always_inline)) NOLA_LANES16_TARGET nola_u32x16 NOLA_LANES16(counters)(uint64_t b, uint32_t s0, uint32_t s1) {
    uint64_t b1 = b + 1, b2 = b + 2, b3 = b + 3;
    nola_u32x16 c = {(uint32_t)b,  (uint32_t)(b >> 32),  s0, s1, (uint32_t)b1, (uint32_t)(b1 >> 32), s0, s1,
                     (uint32_t)b2, (uint32_t)(b2 >> 32), s0, s1, (uint32_t)b3, (uint32_t)(b3 >> 32), s0, s1};
    return c;
}

static inline __attribute__((always_inline)) NOLA_LANES16_TARGET nola_u32x16 NOLA_LANES16(round)(nola_u32x16 c, nola_u32x16 key) {
    const nola_u64x8 multipliers = {0xD2511F53u, 0xCD9E8D57u, 0xD2511F53u, 0xCD9E8D57u,
                                    0xD2511F53u, 0xCD9E8D57u, 0xD2511F53u, 0xCD9E8D57u};
    nola_u64x8 pairs = (nola_u64x8)c;
    nola_u32x16 p = (nola_u32x16)((pairs & 0xFFFFFFFFu) * multipliers);  // one 32×32→64 multiply per pair
    nola_u32x16 reversed = __builtin_shufflevector(p, p, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    nola_u32x16 odd = (nola_u32x16)(pairs >> 32);
    return reversed ^ odd ^ key;
}

// Float(w >> 8), exact: the value is below 2^24, so the signed conversion is exact.
static inline __attribute__((always_inline)) NOLA_LANES16_TARGET nola_f32x16 NOLA_LANES16(top24)(nola_u32x16 w) {
    return __builtin_convertvector((nola_i32x16)(w >> 8), nola_f32x16);
}

static inline __attribute__((always_inline)) NOLA_LANES16_TARGET nola_f32x16 NOLA_LANES16(floats)(nola_u32x16 w, int symmetric, float scale) {
    nola_f32x16 f = NOLA_LANES16(top24)(w);
    if (!symmetric) return f * 0x1p-24f;
    f = f * 0x1p-23f - 1.0f;  // the product is exact, so contracting it would change nothing either
    return scale == 1.0f ? f : f * scale;
}

NOLA_LANES16_TARGET void NOLA_LANES16(nola_philox_fill)(uint64_t seed, uint64_t stream, uint64_t block, size_t octets,
                                                        int symmetric, float scale, float *out) {
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const uint32_t s0 = (uint32_t)stream, s1 = (uint32_t)(stream >> 32);
    const nola_u32x16 step = {0x9E3779B9u, 0, 0xBB67AE85u, 0, 0x9E3779B9u, 0, 0xBB67AE85u, 0,
                              0x9E3779B9u, 0, 0xBB67AE85u, 0, 0x9E3779B9u, 0, 0xBB67AE85u, 0};
    const nola_u32x16 key0 = {k0, 0, k1, 0, k0, 0, k1, 0, k0, 0, k1, 0, k0, 0, k1, 0};
    size_t o = 0;
    // Two octets (16 blocks, four registers) in flight, so one register's multiply overlaps
    // another's shuffle; then a last single octet.
    for (; o + 2 <= octets; o += 2, block += 16, out += 64) {
        nola_u32x16 x0 = NOLA_LANES16(counters)(block, s0, s1), x1 = NOLA_LANES16(counters)(block + 4, s0, s1);
        nola_u32x16 x2 = NOLA_LANES16(counters)(block + 8, s0, s1), x3 = NOLA_LANES16(counters)(block + 12, s0, s1);
        nola_u32x16 key = key0;
        for (int r = 0; r < 10; r++) {
            if (r > 0) key += step;
            x0 = NOLA_LANES16(round)(x0, key);
            x1 = NOLA_LANES16(round)(x1, key);
            x2 = NOLA_LANES16(round)(x2, key);
            x3 = NOLA_LANES16(round)(x3, key);
        }
        nola_f32x16 f0 = NOLA_LANES16(floats)(x0, symmetric, scale), f1 = NOLA_LANES16(floats)(x1, symmetric, scale);
        nola_f32x16 f2 = NOLA_LANES16(floats)(x2, symmetric, scale), f3 = NOLA_LANES16(floats)(x3, symmetric, scale);
        memcpy(out, &f0, 64);
        memcpy(out + 16, &f1, 64);
        memcpy(out + 32, &f2, 64);
        memcpy(out + 48, &f3, 64);
    }
    if (o < octets) {
        nola_u32x16 x0 = NOLA_LANES16(counters)(block, s0, s1), x1 = NOLA_LANES16(counters)(block + 4, s0, s1);
        nola_u32x16 key = key0;
        for (int r = 0; r < 10; r++) {
            if (r > 0) key += step;
            x0 = NOLA_LANES16(round)(x0, key);
            x1 = NOLA_LANES16(round)(x1, key);
        }
        nola_f32x16 f0 = NOLA_LANES16(floats)(x0, symmetric, scale), f1 = NOLA_LANES16(floats)(x1, symmetric, scale);
        memcpy(out, &f0, 64);
        memcpy(out + 16, &f1, 64);
    }
}
