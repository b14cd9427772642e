import Testing

@testable import NOLAKit

/// `count` values Uniform(−bound, bound) from stream `stream` of `seed`.
func randomValues(_ count: Int, seed: UInt64, stream: UInt64 = 0, bound: Float = 1) -> [Float] {
    RandomStream(seed: seed, stream: stream).uniformMatrix(rows: 1, cols: count, bound: bound).data
}

@Suite("Quantization: symmetric absmax quantizer")
struct QuantizationQuantizerTests {
    @Test("levels L = 2^(q−1) − 1 per width")
    func levels() {
        let expected: [Int: Int32] = [2: 1, 3: 3, 4: 7, 8: 127, 16: 32767]
        for (bits, l) in expected {
            #expect(SymmetricQuantizer(bits: bits).maxCode == l)
        }
    }

    @Test("known answers: scale = absmax / L, round half to even, clamp")
    func knownAnswers() {
        // 3 bits: L = 3, absmax 3 → scale 1; ties 1.5 → 2, 2.5 → 2, −0.5 → 0, −1.5 → −2.
        let q3 = SymmetricQuantizer(bits: 3).quantize([3, 1.5, 2.5, -0.5, -1.5, 0.2, -3])
        #expect(q3.scales == [1])
        #expect(q3.codes == [3, 2, 2, 0, -2, 0, -3])
        #expect(q3.dequantized() == [3, 2, 2, 0, -2, 0, -3])

        // 2 bits: L = 1, the grid is {−s, 0, s}.
        let q2 = SymmetricQuantizer(bits: 2).quantize([0.2, -0.8, 0.5, 0.51])
        #expect(q2.scales == [0.8])
        #expect(q2.codes == [0, -1, 1, 1])  // 0.5/0.8 = 0.625 → 1

        // 8 bits: absmax 127 → scale 1; 16 bits: absmax 32767 → scale 1.
        #expect(SymmetricQuantizer(bits: 8).quantize([127, -0.49, 64.5, 65.5]).codes == [127, 0, 64, 66])
        #expect(SymmetricQuantizer(bits: 16).quantize([-32767, 100.5, 3]).codes == [-32767, 100, 3])
    }

    @Test("a zero tensor has scale 0 and codes 0; an empty one has nothing")
    func zeros() {
        let q = SymmetricQuantizer(bits: 4).quantize([0, 0, -0.0])
        #expect(q.scales == [0])
        #expect(q.codes == [0, 0, 0])
        #expect(q.dequantized() == [0, 0, 0])
        let empty = SymmetricQuantizer(bits: 4).quantize([Float]())
        #expect(empty.count == 0 && empty.scales == [0] && empty.dequantized().isEmpty)
    }

    @Test("round trip: codes in ±L, the largest element hits ±L, |x − x̂| ≤ scale/2", arguments: SymmetricQuantizer.paperBits)
    func roundTripBound(bits: Int) {
        let quantizer = SymmetricQuantizer(bits: bits)
        for (seed, bound) in [(1, Float(1)), (2, 1e-3), (3, 250), (4, 0.07)] as [(UInt64, Float)] {
            let x = randomValues(1001, seed: seed, bound: bound)
            let q = quantizer.quantize(x)
            let absmax = x.map(abs).max()!
            #expect(q.scales == [absmax / Float(quantizer.maxCode)])
            #expect(q.codes.allSatisfy { abs($0) <= quantizer.maxCode })
            #expect(q.codes.contains { abs($0) == quantizer.maxCode })
            let metrics = quantizer.error(of: x)
            // Float rounding of code·scale adds at most half an ulp of absmax to the bound.
            #expect(metrics.maxAbs <= metrics.bound + absmax.ulp, "\(bits) bits, bound \(bound)")
            #expect(metrics.rms <= metrics.maxAbs)
            #expect(metrics.bound == q.scales[0] / 2)
            #expect(metrics.clipped == 0, "absmax never clips")
        }
    }

    @Test("rounding error is uniform: rms ≈ scale/√12", arguments: [4, 8, 16])
    func rmsOfUniformError(bits: Int) {
        let quantizer = SymmetricQuantizer(bits: bits)
        let x = randomValues(20000, seed: 5)
        let q = quantizer.quantize(x)
        let rms = quantizer.error(of: x).rms
        let expected = q.scales[0] / Float(12).squareRoot()
        // Truncation instead of rounding would give scale/√3, twice as much.
        #expect(abs(rms / expected - 1) < 0.05, "rms \(rms), scale/√12 = \(expected)")
    }

    @Test("more bits, less error: 2 > 3 > 4 > 8 > 16")
    func errorShrinksWithBits() {
        let x = randomValues(500, seed: 6)
        let errors = [2, 3, 4, 8, 16].map { SymmetricQuantizer(bits: $0).error(of: x) }
        for (coarse, fine) in zip(errors, errors.dropFirst()) {
            #expect(fine.maxAbs < coarse.maxAbs && fine.rms < coarse.rms)
        }
        // 16 bits: within absmax / 65534 of every value (plus Float rounding of code·scale).
        let absmax = x.map(abs).max()!
        #expect(errors.last!.maxAbs <= absmax / 65534 + absmax.ulp)
    }

    @Test("idempotent: quantizing x̂ gives the same scale, codes and x̂, bit for bit", arguments: SymmetricQuantizer.paperBits)
    func idempotent(bits: Int) {
        let quantizer = SymmetricQuantizer(bits: bits)
        for seed in 0..<20 as Range<UInt64> {
            let x = randomValues(37, seed: seed, bound: Float(seed + 1) * 0.37)
            let once = quantizer.quantize(x)
            let twice = quantizer.quantize(once.dequantized())
            #expect(twice == once, "seed \(seed)")
            #expect(quantizer.fakeQuantize(quantizer.fakeQuantize(x)) == quantizer.fakeQuantize(x))
        }
        // Sweep the largest magnitude over every 61st Float in [1, 4): two binades, which by
        // scale invariance cover every normal magnitude. (Floating point does not promise
        // fl(fl(L·fl(a/L))/L) = fl(a/L) for free; this checks it does for these L.)
        var bitsPattern = Float(1).bitPattern
        while bitsPattern < Float(4).bitPattern {
            let a = Float(bitPattern: bitsPattern)
            let x: [Float] = [a, -0.3 * a, 0.77 * a]
            let once = quantizer.quantize(x)
            #expect(quantizer.quantize(once.dequantized()) == once, "absmax \(a)")
            bitsPattern += 61
        }
    }

    @Test("a matrix keeps its shape and quantizes like its data")
    func matrixShape() {
        let m = randomMatrix(3, 5, seed: 7)
        let quantizer = SymmetricQuantizer(bits: 4)
        let q = quantizer.quantize(m)
        #expect(q.rows == 3 && q.cols == 5)
        #expect(q.codes == quantizer.quantize(m.data).codes)
        #expect(quantizer.fakeQuantize(m) == q.dequantizedMatrix())
        #expect(q.dequantizedMatrix().rows == 3)
    }

    @Test("scaling the input by a power of two scales the scale and keeps the codes")
    func scaleInvariance() {
        let x = randomValues(64, seed: 8)
        let quantizer = SymmetricQuantizer(bits: 3)
        let q = quantizer.quantize(x), q8 = quantizer.quantize(x.map { $0 * 8 })
        #expect(q8.codes == q.codes)
        #expect(q8.scales == [q.scales[0] * 8])
    }

    @Test("bad widths: validate throws one line; the initializer stops")
    func badWidths() async throws {
        for bits in [0, 1, 17, 32] {
            let error = #expect(throws: QuantizationInputError.self) { try SymmetricQuantizer.validate(bits: bits) }
            #expect(error?.description.contains("\(bits)-bit") == true)
            #expect(error?.description.contains("\n") == false)
        }
        for bits in SymmetricQuantizer.supportedBits {
            try SymmetricQuantizer.validate(bits: bits)
        }
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SymmetricQuantizer(bits: 1)
        }
    }

    @Test("a non-finite value stops quantization with its index")
    func nonFinite() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SymmetricQuantizer(bits: 8).quantize([1, .nan, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("element 1"))
    }
}
