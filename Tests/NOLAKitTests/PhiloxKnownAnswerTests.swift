import Testing
@testable import NOLAKit

/// The known-answer vectors published with Random123 (Salmon et al., SC'11) for Philox4x32-10.
@Suite("Philox4x32-10 known answers")
struct PhiloxKnownAnswerTests {
    @Test("zero counter, zero key")
    func zeros() {
        let out = Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0))
        #expect(out == SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
    }

    @Test("all-ones counter and key")
    func ones() {
        let out = Philox4x32.block(
            counter: SIMD4(0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff),
            key: SIMD2(0xffff_ffff, 0xffff_ffff))
        #expect(out == SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
    }

    @Test("digits of pi")
    func pi() {
        let out = Philox4x32.block(
            counter: SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344),
            key: SIMD2(0xa409_3822, 0x299f_31d0))
        #expect(out == SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
    }
}
