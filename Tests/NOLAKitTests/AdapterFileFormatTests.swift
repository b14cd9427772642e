import Testing

@testable import NOLAKit

/// The known answers printed in `NOLAKit.docc/AdapterFileFormat.md`, so that the specification
/// and the code cannot drift apart (a reimplementation checks itself against the same numbers).
@Suite("Adapter file format: the specification's known answers")
struct AdapterFileFormatTests {
    /// Root seed 1, layer `fc1` of shape 4 × 3, rank 2.
    let root: UInt64 = 1

    @Test("seeds: layer seed and NOLA basis seed")
    func seeds() {
        #expect(BasisSeeds.layerSeed(root: root, name: "fc1") == 0x78d0_da5b_20de_0999)
        #expect(BasisSeeds.nolaBasisSeed(root: root, outputs: 4, inputs: 3) == 0x8eb2_4ef3_8e21_284a)
    }

    @Test("stream 1 of the layer seed, its first six words")
    func words() {
        let stream = RandomStream(seed: 0x78d0_da5b_20de_0999, stream: BasisSeeds.initialA)
        #expect((0..<6).map { stream.word(at: UInt64($0)) }
            == [0xad77_f330, 0x11eb_51ac, 0x5917_8a2e, 0xc47b_5a25, 0x6684_4ebf, 0xf5ac_7034])
    }

    @Test("A₀, A_0 and B_0 as NOLA draws them, bit for bit")
    func matrices() {
        let nola = NOLAAdapter(
            name: "fc1", inputs: 3, outputs: 4, rank: 2, k: 2, l: 1, c: 1,
            seed: BasisSeeds.layerSeed(root: root, name: "fc1"),
            basisSeed: BasisSeeds.nolaBasisSeed(root: root, outputs: 4, inputs: 3))
        #expect(nola.a0.value.data.map(\.bitPattern)
            == [0x3e52_029f, 0xbefe_3880, 0xbe33_b566, 0x3e9e_26ec, 0xbdeb_6751, 0x3f07_e0b4])
        // With α = e₀ and β = e₀: A = A₀ + A_0 and B = B_0.
        nola.alpha.value.data = [1, 0]
        nola.beta.value.data = [1]
        let (a, b) = nola.combinedFactors()
        let basisA0: [UInt32] = [0xbf4b_0d5c, 0xbf14_be16, 0x3cad_ce80, 0x3da1_6c40, 0x3dab_3940, 0x3f4d_377e]
        #expect(a.data == zip(nola.a0.value.data, basisA0).map { $0 + Float(bitPattern: $1) })
        #expect(b.data.map(\.bitPattern)
            == [0xbf5d_ce7c, 0xbd0b_fde0, 0x3e6e_dc98, 0xbf0d_a9f8, 0xbf0d_156e, 0xbf6c_745c, 0xbdbf_1ad0, 0xbf32_1778])
    }
}
