import Foundation
import Testing

@testable import NOLAKit

/// The packed base of lesson 16: NF4's levels and packing against known values, double
/// quantization, 8-bit rows, fp16, the bytes measured from storage, and the products of a packed
/// layer against the float product of its dequantized matrix.
@Suite("Quantization: the packed base (NF4, 8-bit rows, fp16)")
struct QuantizationPackedBaseTests {
    @Test("NF4: the 16 published levels, zero at code 7, and the nearest-level rule on known values")
    func nf4Levels() {
        #expect(NormalFloat4.levels == [
            -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
            -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
            0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
            0.7229568362236023, 1.0,
        ])
        #expect(NormalFloat4.levels[Int(NormalFloat4.zeroCode)] == 0)
        for (code, level) in NormalFloat4.levels.enumerated() { #expect(NormalFloat4.code(nearest: level) == UInt8(code)) }
        // The midpoint between 0 and 0.0795803 is 0.03979015: on it → the lower level, above it → the upper.
        #expect(NormalFloat4.code(nearest: (NormalFloat4.levels[7] + NormalFloat4.levels[8]) / 2) == 7)
        #expect(NormalFloat4.code(nearest: 0.0398) == 8)
        #expect(NormalFloat4.code(nearest: -3) == 0)
        #expect(NormalFloat4.code(nearest: 3) == 15)
    }

    @Test("NF4: one block of known weights → known codes, absmax and packed bytes; round trip")
    func nf4KnownBlock() {
        let w: [Float] = [2.0, -2.0, 1.0, 0.0, 0.5, -0.5, 1.4, -0.2]
        let (codes, absmax) = NormalFloat4.quantize(w)
        #expect(absmax == [2.0])
        #expect(codes == [15, 0, 12, 7, 10, 4, 14, 6])
        let packed = NormalFloat4.pack(codes)
        #expect(packed == [0xF0, 0xC7, 0xA4, 0xE6])
        #expect(NormalFloat4.unpack(packed, count: 8) == codes)
        #expect(NormalFloat4.pack([0, 15, 7]) == [0x0F, 0x70])
        #expect(NormalFloat4.unpack([0x0F, 0x70], count: 3) == [0, 15, 7])
        // Blocks of 64: 65 weights are two blocks, the second of one weight; zeros get code 7.
        let long = (0..<65).map { Float($0) - 32 }
        let (longCodes, longMax) = NormalFloat4.quantize(long)
        #expect(longMax == [32, 32])
        #expect(longCodes[32] == 7 && longCodes[0] == 0 && longCodes[64] == 15)
        #expect(NormalFloat4.quantize([0, 0, 0]).codes == [7, 7, 7])
    }

    @Test("double quantization: known constants → known codes; error within half a step")
    func doubleQuantization() {
        let dq = DoubleQuantizedScales([1, 2, 3, 6])  // mean 3, centred [-2, -1, 0, 3], step 3/127
        #expect(dq.mean == 3)
        #expect(dq.codes == [-85, -42, 0, 127])
        #expect(dq.scales == [Float(3) / 127])
        for (c, cHat) in zip([Float(1), 2, 3, 6], dq.dequantized()) { #expect(abs(c - cHat) <= 3 / 127 / 2 + 1e-6) }
        // 600 constants: three second-level blocks (256, 256, 88).
        let many = (0..<600).map { Float($0 % 37) * 0.01 + 0.2 }
        let big = DoubleQuantizedScales(many)
        #expect(big.scales.count == 3 && big.codes.count == 600)
        #expect(big.storageBytes == 600 + 3 * 4 + 4)
    }

    @Test("8-bit rows: absmax per row, known codes, a zero row; fp16 keeps exact halves")
    func int8AndHalf() {
        let w = Matrix([[1, -0.5, 0.25], [0, 0, 0], [-2, 1, 0.004]])
        let packed = PackedWeight(quantizing: w, format: .int8)
        guard case .int8(let codes, let scales) = packed.storage else { Issue.record("not int8"); return }
        #expect(codes == [127, -64, 32, 0, 0, 0, -127, 64, 0])
        #expect(scales == [Float(1) / 127, 0, Float(2) / 127])
        let back = packed.dequantized()
        #expect(back[0, 0] == 1 && back[1, 1] == 0 && back[2, 0] == -2)
        for i in 0..<3 { for j in 0..<3 { #expect(abs(back[i, j] - w[i, j]) <= scales[i] / 2 + 1e-7) } }
        let half = PackedWeight(quantizing: Matrix([[0.5, -1.25, 0.1]]), format: .float16).dequantized()
        #expect(half.data == [0.5, -1.25, 0.0999755859375])
    }

    @Test("packed round trips: every weight within its format's bound", arguments: PackedWeight.Format.allCases)
    func roundTrip(format: PackedWeight.Format) {
        let w = randomMatrix(37, 29, seed: 3)  // 1,073 weights: an odd count, 17 NF4 blocks
        let back = PackedWeight(quantizing: w, format: format).dequantized()
        let widestGap = zip(NormalFloat4.levels, NormalFloat4.levels.dropFirst()).map { $1 - $0 }.max()!
        for i in 0..<w.rows {
            let rowMax = (0..<w.cols).map { abs(w[i, $0]) }.max()!
            for j in 0..<w.cols {
                let error = abs(back[i, j] - w[i, j])
                switch format {
                case .float16: #expect(error <= abs(w[i, j]) * 0x1p-11 + 1e-7)
                case .int8: #expect(error <= rowMax / 127 / 2 + 1e-7)
                case .nf4: #expect(error <= widestGap / 2 * 1.02 + 0.01)  // |w| ≤ 1, and the block scale's own 8-bit error
                }
            }
        }
    }

    @Test("bytes measured from the storage equal each format's definition; NF4 costs 4.127 bits a weight")
    func storageBytes() {
        for (rows, cols) in [(256, 256), (37, 29), (1, 1), (300, 64)] {
            let w = randomMatrix(rows, cols, seed: 4)
            for format in PackedWeight.Format.allCases {
                let packed = PackedWeight(quantizing: w, format: format)
                #expect(packed.storageBytes == PackedWeight.expectedBytes(rows: rows, cols: cols, format: format))
            }
        }
        let big = randomMatrix(256, 256, seed: 5)
        let bits = PackedWeight.Format.allCases.map { Double(PackedWeight(quantizing: big, format: $0).storageBytes) * 8 / 65_536 }
        #expect(bits[0] == 16)
        #expect(bits[1] == 8.125)
        #expect(abs(bits[2] - (4 + 8.0 / 64 + 32.0 / (64 * 256) + 32.0 / 65_536)) < 1e-12)
    }

    @Test("a packed layer's products equal the float products of its dequantized matrix (several tiles)",
          arguments: PackedWeight.Format.allCases)
    func packedProducts(format: PackedWeight.Format) {
        let layer = randomPackedLinear("w", inputs: 64, outputs: 600, seed: 6)  // 512 rows a tile: two tiles
        layer.pack(format)
        let wHat = layer.packed!.dequantized()
        #expect(layer.linear.weight.value.count == 0 && !layer.linear.weight.isTrainable)
        let x = randomMatrix(9, 64, seed: 7), dy = randomMatrix(9, 600, seed: 8)
        let y = layer.forward(x)
        let dx = layer.backward(dy)
        let yFloat = BLAS.matmul(x, wHat, transposeB: true), dxFloat = BLAS.matmul(dy, wHat)
        #expect(y.maxAbsDifference(yFloat) <= 1e-5 * yFloat.data.map(abs).max()!)
        #expect(dx.maxAbsDifference(dxFloat) <= 1e-5 * dxFloat.data.map(abs).max()!)
    }

    @Test("adapters on a packed layer: finite differences for LoRA's and NOLA's tensors and for x",
          arguments: [AdapterMethod.lora(rank: 2, c: 16), .nola(rank: 4, k: 5, l: 3, c: 4, basis: .perLayer)])
    func adaptersOnPackedLayer(method: AdapterMethod) {
        let layer = randomPackedLinear("w", inputs: 6, outputs: 5, seed: 9)
        layer.pack(.nf4)
        switch method {
        case .lora(let r, let c): layer.adapter = LoRAAdapter(name: "w", inputs: 6, outputs: 5, rank: r, c: c, random: RandomStream(seed: 10))
        case .nola(let r, let k, let l, let c, _): layer.adapter = NOLAAdapter(name: "w", inputs: 6, outputs: 5, rank: r, k: k, l: l, c: c, seed: 11)
        default: Issue.record("unexpected method")
        }
        for (i, p) in layer.parameters.enumerated() where p.isTrainable { p.value = randomMatrix(p.value.rows, p.value.cols, seed: 12, stream: UInt64(i), bound: 0.5) }
        let x = Parameter(name: "x", value: randomMatrix(4, 6, seed: 13))
        let r = randomMatrix(4, 5, seed: 14)
        layer.parameters.zeroGradients()
        _ = layer.forward(x.value)
        x.grad = layer.backward(r)
        let trainable = layer.parameters.filter(\.isTrainable)
        #expect(trainable.count == 2)
        expectGradientsMatch([x] + trainable) { GradientCheck.weightedSum(layer.forward(x.value), r) }
    }
}
