/// How every random tensor of an adapter is derived from one root seed, so that an adapter file's
/// seed alone rebuilds every basis. `Sources/Python/nola_adapter.py` implements the same rule.
///
/// 1. A layer's seed: `layerSeed(root, name) = splitmix64(root ^ fnv1a64(name))`, where `name` is
///    the layer's name (`fc1`) as UTF-8 bytes. It seeds LoRA's initial `A`, NOLA's `A₀` and
///    PRANC's basis. NOLA's basis depends on the layer's shape `(out, in)` only:
///    `nolaBasisSeed = layerSeed(root, "basis:<out>x<in>")`. So the per-layer, shared and
///    on-the-fly modes hold the very same basis (they differ only in memory), and layers of one
///    shape mix the same random matrices with their own coefficients, as the paper's shared
///    basis does (Table 2: sharing costs no accuracy).
/// 2. Within a seed, each role has its own Philox stream (see `RandomStream` for the layout of a
///    stream: key = seed, counter = (block, stream id)):
///
///        stream 1 of the layer seed   A₀ (r, in): LoRA's initial A and NOLA's frozen A₀,
///                                     positions [0, r·in), row-major
///        stream 2 of the basis seed   NOLA's A basis: A_i (r, in), i = 0..<k, at [i·r·in, (i+1)·r·in)
///        stream 3 of the basis seed   NOLA's B basis: B_j (out, r), j = 0..<l, at [j·out·r, (j+1)·out·r)
///        stream 4 of the layer seed   PRANC's basis: W_i (out, in), i = 0..<n, at [i·out·in, (i+1)·out·in)
///
///    Every element is drawn from one 32-bit word `w` at its position: the basis elements are
///    `u = Float(w >> 8) · 2⁻²³ − 1`, Uniform[−1, 1), exact in `Float` (`fillSymmetric`).
///    A₀'s element is `u · bound` rounded once to `Float`, with the Kaiming-uniform bound of
///    PyTorch's `nn.Linear`, `bound = Float(1 / sqrt(Double(in)))` (fan-in `in`, computed in
///    `Double`, then rounded to `Float`).
///
/// The two hashes, exactly (all arithmetic modulo 2⁶⁴):
///
///     fnv1a64(bytes):  h = 0xcbf29ce484222325; for each byte b: h = (h ^ b) · 0x100000001b3
///     splitmix64(x):   z = x + 0x9e3779b97f4a7c15
///                      z = (z ^ (z >> 30)) · 0xbf58476d1ce4e5b9
///                      z = (z ^ (z >> 27)) · 0x94d049bb133111eb
///                      return z ^ (z >> 31)
///
/// Known answers (pinned by the tests): `fnv1a64("a") = 0xaf63dc4c8601ec8c`,
/// `fnv1a64("foobar") = 0x85944171f73967e8`, `splitmix64(0) = 0xe220a8397b1dcdaf`. The full
/// format, for a reimplementation, is `NOLAKit.docc/AdapterFileFormat.md`.
public enum BasisSeeds {
    /// Stream ids of the roles above.
    public static let initialA: UInt64 = 1
    public static let nolaA: UInt64 = 2
    public static let nolaB: UInt64 = 3
    public static let pranc: UInt64 = 4

    /// The seed of layer `name` under `root`.
    public static func layerSeed(root: UInt64, name: String) -> UInt64 {
        splitmix64(root ^ fnv1a64(name))
    }

    /// The seed of NOLA's basis for every layer of shape `(out, in)`, in every basis mode.
    public static func nolaBasisSeed(root: UInt64, outputs: Int, inputs: Int) -> UInt64 {
        layerSeed(root: root, name: "basis:\(outputs)x\(inputs)")
    }

    /// 64-bit FNV-1a of the UTF-8 bytes of `text` (offset basis 0xcbf29ce484222325, prime
    /// 0x100000001b3).
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// SplitMix64's output function (Steele, Lea, Flood 2014) applied once to `x + γ`,
    /// γ = 0x9e3779b97f4a7c15: a bijective scrambler, so distinct inputs give distinct seeds.
    public static func splitmix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
