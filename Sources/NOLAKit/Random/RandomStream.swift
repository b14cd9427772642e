/// An endless, addressable sequence of random 32-bit words: Philox4x32-10 keyed by a seed, with a
/// stream id so that one seed gives many independent sequences.
///
/// ## Stream layout (adapter files depend on it; `Sources/Python/nola_adapter.py` follows it)
///
/// - Key: the 64-bit `seed`, `k0 = seed & 0xffffffff` (low word), `k1 = seed >> 32`.
/// - Counter of block `b` (a 64-bit block index) in stream `s` (a 64-bit stream id):
///   `c0 = b & 0xffffffff`, `c1 = b >> 32`, `c2 = s & 0xffffffff`, `c3 = s >> 32`.
/// - Word `p` of the stream (its "position") is output word `p % 4` of block `p / 4`.
/// - Uniform `Float` in [0, 1) from word `w`: `Float(w >> 8) * 2⁻²⁴` (the top 24 bits, exact).
/// - Uniform `Float` in [−1, 1) from word `w`: `Float(w >> 8) * 2⁻²³ − 1` (exact).
/// - Standard normal from block `b` (Box–Muller, positions `4b … 4b+3`):
///   `u1 = (Float(w0 >> 8) + 1) · 2⁻²⁴` in (0, 1], `u2 = Float(w1 >> 8) · 2⁻²⁴`,
///   `ρ = √(−2 ln u1)`, normals `ρ cos 2πu2`, `ρ sin 2πu2` at positions `4b`, `4b+1`; the same
///   with `w2, w3` at `4b+2`, `4b+3`. Normal fills start at a multiple of 4 for this reason.
///
/// Any range `[p, p + n)` can be filled without generating the words before `p`, and filling a
/// range in chunks gives the same bits as filling it at once.
public struct RandomStream: Sendable, Hashable {
    /// The 64-bit seed: Philox's key.
    public let seed: UInt64
    /// The stream id: the high half of Philox's counter.
    public let stream: UInt64

    /// The stream `stream` of `seed`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    @inlinable var key: SIMD2<UInt32> {
        SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    }

    /// The counter of block `b` in this stream.
    @inlinable func counter(block b: UInt64) -> SIMD4<UInt32> {
        SIMD4(
            UInt32(truncatingIfNeeded: b), UInt32(truncatingIfNeeded: b >> 32),
            UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32))
    }

    /// The four words of block `b` (positions `4b … 4b+3`).
    @inlinable public func block(_ b: UInt64) -> SIMD4<UInt32> {
        Philox4x32.block(counter: counter(block: b), key: key)
    }

    /// The word at `position`.
    public func word(at position: UInt64) -> UInt32 {
        block(position / 4)[Int(position % 4)]
    }

    // MARK: Filling buffers

    /// Fills `out` with words `[position, position + out.count)`.
    public func fillWords(from position: UInt64, into out: UnsafeMutableBufferPointer<UInt32>) {
        fill(from: position, into: out) { $0 }
    }

    /// Fills `out` with uniform floats in [0, 1) from words `[position, position + out.count)`.
    public func fillUniform(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        fill(from: position, into: out) { Float($0 >> 8) * 0x1p-24 }
    }

    /// Fills `out` with uniform floats in [−1, 1) from words `[position, position + out.count)`.
    public func fillSymmetric(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        fill(from: position, into: out) { Float($0 >> 8) * 0x1p-23 - 1 }
    }

    /// The generic block loop: handles a ragged start and end, calls `transform` per word.
    @inlinable
    func fill<T>(
        from position: UInt64, into out: UnsafeMutableBufferPointer<T>, _ transform: (UInt32) -> T
    ) {
        var p = position
        var i = 0
        let n = out.count
        while i < n {
            let b = block(p / 4)
            var lane = Int(p % 4)
            while lane < 4 && i < n {
                out[i] = transform(b[lane])
                lane += 1
                i += 1
                p += 1
            }
        }
    }

    /// Fills `out` with standard normal floats at positions `[position, position + out.count)`;
    /// `position` must be a multiple of 4 (see the layout above).
    public func fillNormal(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(position % 4 == 0, "fillNormal: position \(position) is not a multiple of 4")
        var i = 0
        var b = position / 4
        while i < out.count {
            let w = block(b)
            let (z0, z1) = RandomStream.boxMuller(w.x, w.y)
            let (z2, z3) = RandomStream.boxMuller(w.z, w.w)
            for z in [z0, z1, z2, z3] where i < out.count {
                out[i] = z
                i += 1
            }
            b += 1
        }
    }

    /// Two standard normals from two words (Box–Muller).
    @inlinable
    static func boxMuller(_ a: UInt32, _ b: UInt32) -> (Float, Float) {
        let u1 = (Float(a >> 8) + 1) * 0x1p-24
        let u2 = Float(b >> 8) * 0x1p-24
        let rho = (-2 * logf(u1)).squareRoot()
        let theta = 2 * Float.pi * u2
        return (rho * cosf(theta), rho * sinf(theta))
    }

    // MARK: Arrays and matrices

    /// `count` uniform floats in [0, 1) from `position`.
    public func uniform(_ count: Int, from position: UInt64 = 0) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            fillUniform(from: position, into: buf)
            n = count
        }
    }

    /// `count` uniform floats in [−1, 1) from `position`.
    public func symmetric(_ count: Int, from position: UInt64 = 0) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            fillSymmetric(from: position, into: buf)
            n = count
        }
    }

    /// `count` standard normal floats from `position` (a multiple of 4).
    public func normal(_ count: Int, from position: UInt64 = 0) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            fillNormal(from: position, into: buf)
            n = count
        }
    }

    /// A `rows × cols` matrix, Uniform(−bound, bound), from `position`: element `(i, j)` is
    /// `bound · symmetric(word[position + i·cols + j])`, multiplied in `Float`.
    public func uniformMatrix(rows: Int, cols: Int, bound: Float, from position: UInt64 = 0) -> Matrix {
        var data = symmetric(rows * cols, from: position)
        if bound != 1 {
            for i in data.indices { data[i] *= bound }
        }
        return Matrix(rows: rows, cols: cols, data: data)
    }

    /// A `rows × cols` weight with Kaiming-uniform initialisation as PyTorch's `nn.Linear` does
    /// it (`kaiming_uniform_(a = √5)`): Uniform(−1/√fanIn, 1/√fanIn), where the bound is computed
    /// as `Float(1 / sqrt(Double(fanIn)))`. For a weight `(out, in)`, `fanIn` is `in = cols`.
    public func kaimingUniform(rows: Int, cols: Int, fanIn: Int? = nil, from position: UInt64 = 0) -> Matrix {
        let fan = fanIn ?? cols
        precondition(fan > 0, "kaimingUniform: fan-in must be positive, got \(fan)")
        return uniformMatrix(rows: rows, cols: cols, bound: RandomStream.kaimingBound(fanIn: fan), from: position)
    }

    /// `1/√fanIn` in `Float`, the bound of PyTorch's default `nn.Linear` initialisation.
    public static func kaimingBound(fanIn: Int) -> Float {
        Float(1 / Double(fanIn).squareRoot())
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
