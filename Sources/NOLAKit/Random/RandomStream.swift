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
/// range in chunks gives the same bits as filling it at once. The fills compute eight blocks at
/// a time in SIMD registers (`PhiloxLanes`); that changes the speed, never the words: they
/// equal the one-block reference (`referenceFill…`) bit for bit, for every start and length.
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
    //
    // Every fill splits `[position, position + n)` into a ragged head (the rest of the block
    // `position` falls in), whole octets of eight blocks computed in SIMD lanes by
    // `PhiloxLanes`, and a ragged tail of fewer than 32 words, computed one block at a time.
    // The bits do not depend on the split: `RandomStream+Reference.swift` keeps the plain
    // one-block-at-a-time fills, and the tests compare the two on many ranges.

    /// The code behind the uniform and symmetric float fills on this CPU: "AVX-512" or "AVX2"
    /// (x86-64 CPUs that have them, chosen at run time) or "portable SIMD". All give the same bits.
    public static var fillKernel: String { PhiloxLanes.Kernel.best.name }

    /// Fills `out` with words `[position, position + out.count)`.
    public func fillWords(from position: UInt64, into out: UnsafeMutableBufferPointer<UInt32>) {
        guard let base = out.baseAddress, !out.isEmpty else { return }
        let engine = PhiloxLanes(seed: seed, stream: stream)
        forEachPiece(from: position, count: out.count) { i, words, lanes in
            for (k, lane) in lanes.enumerated() { base[i + k] = words[lane] }
        } octets: { i, b, octets in
            engine.words(from: b, octets: octets, into: base + i)
        }
    }

    /// Fills `out` with uniform floats in [0, 1) from words `[position, position + out.count)`.
    public func fillUniform(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        guard let base = out.baseAddress, !out.isEmpty else { return }
        let engine = PhiloxLanes(seed: seed, stream: stream)
        forEachPiece(from: position, count: out.count) { i, words, lanes in
            for (k, lane) in lanes.enumerated() { base[i + k] = RandomStream.unitFloat(words[lane]) }
        } octets: { i, b, octets in
            engine.uniform(from: b, octets: octets, into: base + i)
        }
    }

    /// Fills `out` with uniform floats in [−1, 1) from words `[position, position + out.count)`.
    public func fillSymmetric(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        fillSymmetric(from: position, scale: 1, into: out)
    }

    /// Fills `out` with `scale · symmetric(word)`: Uniform(−scale, scale), the symmetric value
    /// computed first and then multiplied by `scale` in `Float` (the same bits as filling with
    /// `fillSymmetric` and scaling afterwards).
    public func fillSymmetric(from position: UInt64 = 0, scale: Float, into out: UnsafeMutableBufferPointer<Float>) {
        guard let base = out.baseAddress, !out.isEmpty else { return }
        let engine = PhiloxLanes(seed: seed, stream: stream)
        forEachPiece(from: position, count: out.count) { i, words, lanes in
            for (k, lane) in lanes.enumerated() {
                let v = RandomStream.symmetricFloat(words[lane])
                base[i + k] = scale == 1 ? v : v * scale
            }
        } octets: { i, b, octets in
            engine.symmetric(from: b, octets: octets, scale: scale, into: base + i)
        }
    }

    /// Fills `out` with standard normal floats at positions `[position, position + out.count)`;
    /// `position` must be a multiple of 4 (see the layout above).
    public func fillNormal(from position: UInt64 = 0, into out: UnsafeMutableBufferPointer<Float>) {
        checkPrecondition(position % 4 == 0, "fillNormal: position \(position) is not a multiple of 4")
        guard let base = out.baseAddress, !out.isEmpty else { return }
        let engine = PhiloxLanes(seed: seed, stream: stream)
        forEachPiece(from: position, count: out.count) { i, words, lanes in
            // A head never occurs (position is a multiple of 4); a tail is the start of a block.
            let (z0, z1) = RandomStream.boxMuller(words.x, words.y)
            let (z2, z3) = RandomStream.boxMuller(words.z, words.w)
            let z = SIMD4(z0, z1, z2, z3)
            for (k, lane) in lanes.enumerated() { base[i + k] = z[lane] }
        } octets: { i, b, octets in
            engine.normal(from: b, octets: octets, into: base + i)
        }
    }

    /// Walks `[position, position + count)`: `words(i, block, lanes)` for pieces of single
    /// blocks (output index `i` takes lane `lanes.lowerBound` of `block`), and
    /// `octets(i, b, m)` for the `8·m` whole blocks from block `b`, written from output index `i`.
    private func forEachPiece(
        from position: UInt64, count: Int,
        words: (_ index: Int, _ block: SIMD4<UInt32>, _ lanes: Range<Int>) -> Void,
        octets: (_ index: Int, _ firstBlock: UInt64, _ octetCount: Int) -> Void
    ) {
        var i = 0
        var b = position / 4
        // Ragged head: the rest of the block that `position` falls in.
        let first = Int(position % 4)
        if first != 0 {
            let end = min(4, first + count)
            words(0, block(b), first..<end)
            i = end - first
            b &+= 1
        }
        // Whole octets of eight blocks, in SIMD lanes.
        let octetCount = (count - i) / 32
        if octetCount > 0 {
            octets(i, b, octetCount)
            i += 32 * octetCount
            b &+= UInt64(8 * octetCount)
        }
        // Ragged tail: whole blocks, then a partial one.
        while i < count {
            let n = min(4, count - i)
            words(i, block(b), 0..<n)
            i += n
            b &+= 1
        }
    }

    /// The uniform [0, 1) float of a word: `Float(w >> 8) · 2⁻²⁴`.
    @inline(__always)
    static func unitFloat(_ w: UInt32) -> Float { Float(w >> 8) * 0x1p-24 }

    /// The uniform [−1, 1) float of a word: `Float(w >> 8) · 2⁻²³ − 1`.
    @inline(__always)
    static func symmetricFloat(_ w: UInt32) -> Float { Float(w >> 8) * 0x1p-23 - 1 }

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
        let data = [Float](unsafeUninitializedCapacity: rows * cols) { buf, n in
            fillSymmetric(from: position, scale: bound, into: buf)
            n = rows * cols
        }
        return Matrix(rows: rows, cols: cols, data: data)
    }

    /// A `rows × cols` weight with Kaiming-uniform initialisation as PyTorch's `nn.Linear` does
    /// it (`kaiming_uniform_(a = √5)`): Uniform(−1/√fanIn, 1/√fanIn), where the bound is computed
    /// as `Float(1 / sqrt(Double(fanIn)))`. For a weight `(out, in)`, `fanIn` is `in = cols`.
    public func kaimingUniform(rows: Int, cols: Int, fanIn: Int? = nil, from position: UInt64 = 0) -> Matrix {
        let fan = fanIn ?? cols
        checkPrecondition(fan > 0, "kaimingUniform: fan-in must be positive, got \(fan)")
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
