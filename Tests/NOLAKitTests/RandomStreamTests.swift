import Foundation
import Testing
@testable import NOLAKit

/// The fast (SIMD) fills against the one-block reference, random access, chunking, the stream
/// layout, and how seeds and streams separate.
@Suite("RandomStream: SIMD fills, random access, layout")
struct RandomStreamTests {
    /// Starting positions: block-aligned or not, around the octet size (32 words), and around
    /// the block index where counter word c0 wraps into c1 (block 2³²).
    static let positions: [UInt64] = [
        0, 1, 2, 3, 4, 5, 6, 7, 13, 31, 32, 33, 63, 64, 65, 127, 1001,
        4 * (1 << 32) - 70, 4 * (1 << 32) - 3, 4 * (1 << 32), 1 << 62, UInt64.max - 1100,
    ]
    /// Lengths: empty, odd, one short of / at / one past whole blocks and octets.
    static let lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 35, 63, 64, 65, 95, 96, 97, 257, 1000]
    /// Seeds and streams with bits in both 32-bit halves.
    static let streams = [
        RandomStream(seed: 0), RandomStream(seed: 42, stream: 7),
        RandomStream(seed: 0xDEAD_BEEF_0123_4567, stream: 0x8000_0001_0000_0002),
    ]

    @Test("stream words follow the documented layout")
    func layout() {
        let s = RandomStream(seed: 0x1122_3344_5566_7788, stream: 0x99AA_BBCC_DDEE_FF00)
        for p: UInt64 in [0, 1, 2, 3, 4, 5, 4 * (1 << 32) + 6] {
            let b = p / 4
            let expected = Philox4x32.block(
                counter: SIMD4(UInt32(b & 0xffff_ffff), UInt32(b >> 32), 0xDDEE_FF00, 0x99AA_BBCC),
                key: SIMD2(0x5566_7788, 0x1122_3344))[Int(p % 4)]
            #expect(s.word(at: p) == expected, "position \(p)")
        }
        // The first words of seed 0, stream 0 are the zero-counter known answer.
        var w = [UInt32](repeating: 0, count: 4)
        w.withUnsafeMutableBufferPointer { RandomStream(seed: 0).fillWords(from: 0, into: $0) }
        #expect(w == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
    }

    @Test("the SIMD engine's literal constants are Philox's")
    func laneConstants() {
        let m = PhiloxLanes.multipliers, k = PhiloxLanes.keyStep
        #expect(m[0] == UInt64(Philox4x32.m0) && m[1] == UInt64(Philox4x32.m1))
        #expect(k[0] == Philox4x32.w0 && k[1] == 0 && k[2] == Philox4x32.w1 && k[3] == 0)
        #expect(Philox4x32.rounds == 10)
    }

    @Test("SIMD words equal the reference on every (position, length)")
    func wordsMatchReference() {
        for s in Self.streams {
            for p in Self.positions {
                for n in Self.lengths {
                    var fast = [UInt32](repeating: 0, count: n), slow = fast
                    fast.withUnsafeMutableBufferPointer { s.fillWords(from: p, into: $0) }
                    slow.withUnsafeMutableBufferPointer { s.referenceFillWords(from: p, into: $0) }
                    #expect(fast == slow, "seed \(s.seed) stream \(s.stream) p \(p) n \(n)")
                }
            }
        }
    }

    @Test("SIMD uniform and symmetric floats equal the reference bit for bit")
    func floatsMatchReference() {
        for s in Self.streams {
            for p in Self.positions {
                for n in Self.lengths {
                    var fast = [Float](repeating: .nan, count: n), slow = fast
                    fast.withUnsafeMutableBufferPointer { s.fillUniform(from: p, into: $0) }
                    slow.withUnsafeMutableBufferPointer { s.referenceFillUniform(from: p, into: $0) }
                    #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "uniform p \(p) n \(n)")

                    fast.withUnsafeMutableBufferPointer { s.fillSymmetric(from: p, into: $0) }
                    slow.withUnsafeMutableBufferPointer { s.referenceFillSymmetric(from: p, into: $0) }
                    #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "symmetric p \(p) n \(n)")

                    fast.withUnsafeMutableBufferPointer { s.fillSymmetric(from: p, scale: 0.0357, into: $0) }
                    slow.withUnsafeMutableBufferPointer { s.referenceFillSymmetric(from: p, scale: 0.0357, into: $0) }
                    #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "scaled symmetric p \(p) n \(n)")
                }
            }
        }
    }

    /// Every kernel this CPU can run: portable SIMD, the AVX-512 kernel's 16-lane source compiled
    /// for the baseline (always), and AVX2 and AVX-512 themselves where the CPU has them.
    @Test("every float kernel this CPU can run (portable, 16-lane source at baseline, AVX2, AVX-512) equals the reference bit for bit")
    func kernelsMatchReference() {
        let kernels = PhiloxLanes.Kernel.allCases.filter(\.isAvailable)
        #expect(kernels.contains(.portable) && kernels.contains(.lanes16Baseline))
        print("Philox kernels checked on this CPU: \(kernels.map(\.name)); not runnable here: "
              + "\(PhiloxLanes.Kernel.allCases.filter { !$0.isAvailable }.map(\.name))")
        // First blocks: 0, around the c0 → c1 carry (block 2³²), high bits, the last octets.
        let blocks: [UInt64] = [0, 1, 5, (1 << 32) - 3, 1 << 32, 1 << 60, UInt64.max / 4 - 40]
        for s in Self.streams {
            let engine = PhiloxLanes(seed: s.seed, stream: s.stream)
            for b in blocks {
                for octets in [1, 2, 3, 4, 5] {
                    let n = 32 * octets
                    var expected = [Float](repeating: .nan, count: n)
                    for kernel in kernels {
                        var got = [Float](repeating: .nan, count: n)
                        expected.withUnsafeMutableBufferPointer { s.referenceFillUniform(from: 4 * b, into: $0) }
                        got.withUnsafeMutableBufferPointer { engine.uniform(from: b, octets: octets, into: $0.baseAddress!, kernel: kernel) }
                        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(kernel) uniform block \(b)")
                        for scale: Float in [1, 0.0357, -3] {
                            expected.withUnsafeMutableBufferPointer { s.referenceFillSymmetric(from: 4 * b, scale: scale, into: $0) }
                            got.withUnsafeMutableBufferPointer {
                                engine.symmetric(from: b, octets: octets, scale: scale, into: $0.baseAddress!, kernel: kernel)
                            }
                            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(kernel) symmetric ×\(scale) block \(b)")
                        }
                    }
                }
            }
        }
    }

    @Test("SIMD normals equal the reference bit for bit")
    func normalsMatchReference() {
        for s in Self.streams {
            for p in Self.positions where p % 4 == 0 {
                for n in Self.lengths {
                    var fast = [Float](repeating: .nan, count: n), slow = fast
                    fast.withUnsafeMutableBufferPointer { s.fillNormal(from: p, into: $0) }
                    slow.withUnsafeMutableBufferPointer { s.referenceFillNormal(from: p, into: $0) }
                    #expect(fast.map(\.bitPattern) == slow.map(\.bitPattern), "normal p \(p) n \(n)")
                }
            }
        }
    }

    @Test("a range filled alone equals the same slice of a fill from 0")
    func randomAccess() {
        let s = RandomStream(seed: 2024, stream: 3)
        let whole = s.uniform(5000)
        let wholeNormal = s.normal(5000)
        for (p, n) in [(0, 5000), (1, 1), (3, 5), (17, 100), (999, 1001), (4095, 905), (4999, 1)] {
            #expect(s.uniform(n, from: UInt64(p)) == Array(whole[p..<(p + n)]), "uniform [\(p), \(p + n))")
        }
        for (p, n) in [(0, 3), (4, 1), (32, 33), (1000, 999), (4996, 4)] {
            #expect(s.normal(n, from: UInt64(p)) == Array(wholeNormal[p..<(p + n)]), "normal [\(p), \(p + n))")
        }
    }

    @Test("filling in chunks of any sizes equals filling at once")
    func chunkedFill() {
        let s = RandomStream(seed: 77, stream: 1)
        let n = 10_000
        let once = s.symmetric(n)
        var chunked = [Float](repeating: .nan, count: n)
        var sizes = StreamCursor(seed: 5)
        var start = 0
        chunked.withUnsafeMutableBufferPointer { buffer in
            while start < n {
                let size = min(n - start, sizes.nextInt(below: 70))  // includes 0-length chunks
                s.fillSymmetric(from: UInt64(start), into: UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + size)]))
                start += size
            }
        }
        #expect(chunked.map(\.bitPattern) == once.map(\.bitPattern))

        // Normals in chunks of whole blocks.
        let normalsOnce = s.normal(4096, from: 64)
        var normalsChunked: [Float] = []
        for first in stride(from: 0, to: 4096, by: 4 * 37) {
            normalsChunked += s.normal(min(4 * 37, 4096 - first), from: UInt64(64 + first))
        }
        #expect(normalsChunked == normalsOnce)
    }

    @Test("kaimingUniform stays within ±1/√fanIn and equals the scaled symmetric fill")
    func kaiming() {
        for fanIn in [1, 3, 784, 4096] {
            let bound = RandomStream.kaimingBound(fanIn: fanIn)
            #expect(bound == Float(1 / Double(fanIn).squareRoot()))
            let w = RandomStream(seed: 9).kaimingUniform(rows: 64, cols: 100, fanIn: fanIn)
            #expect(w.data.allSatisfy { abs($0) <= bound }, "fanIn \(fanIn)")
            #expect(w.data.max()! > 0.99 * bound && w.data.min()! < -0.99 * bound, "fanIn \(fanIn) fills the range")
            let reference = RandomStream(seed: 9).symmetric(6400).map { $0 * bound }
            #expect(w.data.map(\.bitPattern) == reference.map(\.bitPattern), "fanIn \(fanIn)")
        }
        #expect(RandomStream(seed: 1).kaimingUniform(rows: 2, cols: 3).data
            == RandomStream(seed: 1).uniformMatrix(rows: 2, cols: 3, bound: RandomStream.kaimingBound(fanIn: 3)).data)
    }

    @Test("different seeds and streams give different words")
    func seedsAndStreamsDiffer() {
        let variants = [
            RandomStream(seed: 1), RandomStream(seed: 2), RandomStream(seed: 1, stream: 1),
            RandomStream(seed: 1 | (1 << 32)), RandomStream(seed: 1, stream: 1 << 32),
        ]
        let words: [[UInt32]] = variants.map { s in
            var w = [UInt32](repeating: 0, count: 1000)
            w.withUnsafeMutableBufferPointer { s.fillWords(from: 0, into: $0) }
            return w
        }
        for i in words.indices {
            for j in words.indices where j > i {
                let same = zip(words[i], words[j]).filter { $0 == $1 }.count
                #expect(same <= 2, "streams \(i) and \(j) share \(same) of 1000 words")
            }
        }
        // The same stream read twice gives the same words.
        #expect(RandomStream(seed: 3).uniform(100) == RandomStream(seed: 3).uniform(100))
    }

    @Test("empty buffers are fine")
    func emptyFills() {
        let s = RandomStream(seed: 1)
        #expect(s.uniform(0).isEmpty && s.symmetric(0, from: 3).isEmpty && s.normal(0).isEmpty)
        var w: [UInt32] = []
        w.withUnsafeMutableBufferPointer { s.fillWords(from: 5, into: $0) }
        #expect(w.isEmpty)
    }

    @Test("fillNormal stops on a position that is not a multiple of 4")
    func normalNeedsBlockStart() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RandomStream(seed: 1).normal(8, from: 6)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("position 6 is not a multiple of 4"))
    }
}

@Suite("StreamCursor")
struct StreamCursorTests {
    @Test("reads the stream's words in order and is deterministic")
    func readsWordsInOrder() {
        let s = RandomStream(seed: 11, stream: 2)
        var words = [UInt32](repeating: 0, count: 50)
        words.withUnsafeMutableBufferPointer { s.fillWords(from: 3, into: $0) }
        var cursor = StreamCursor(s, position: 3)
        #expect((0..<50).map { _ in cursor.nextWord() } == words)
        #expect(cursor.position == 53)

        var a = StreamCursor(seed: 8), b = StreamCursor(seed: 8)
        let drawsA = (0..<20).map { _ in (a.nextUniform(), a.nextInt(below: 10), a.nextNormal(), a.next()) }
        let drawsB = (0..<20).map { _ in (b.nextUniform(), b.nextInt(below: 10), b.nextNormal(), b.next()) }
        #expect(drawsA.map(\.0) == drawsB.map(\.0) && drawsA.map(\.1) == drawsB.map(\.1))
        #expect(drawsA.map(\.2) == drawsB.map(\.2) && drawsA.map(\.3) == drawsB.map(\.3))
    }

    @Test("uniforms and integers come from single words as documented")
    func drawsFromWords() {
        let s = RandomStream(seed: 4)
        var c = StreamCursor(s)
        #expect(c.nextUniform() == s.uniform(1)[0])
        // `next()` is two words, the first one low.
        #expect(c.next() == UInt64(s.word(at: 1)) | UInt64(s.word(at: 2)) << 32)
        #expect(c.position == 3)
        var ints = StreamCursor(seed: 4)
        for _ in 0..<1000 {
            let k = ints.nextInt(below: 7)
            #expect((0..<7).contains(k))
        }
    }

    @Test("permutations are permutations, fixed by the seed, different across seeds")
    func permutations() {
        var a = StreamCursor(seed: 1), b = StreamCursor(seed: 1), c = StreamCursor(seed: 2)
        let pa = a.permutation(100), pb = b.permutation(100), pc = c.permutation(100)
        #expect(pa.sorted() == Array(0..<100))
        #expect(pa == pb)
        #expect(pa != pc)
        #expect(pa != Array(0..<100))
    }
}
