import Testing

@testable import NOLAKit

/// The documented layout written out bit by bit, independently of `BitPacking`: field
/// `u = c + L` of code `i` goes to stream bits `i·q …`, least significant first; stream bit `j`
/// is bit `j % 8` of byte `j / 8`.
private func referencePack(_ codes: [Int32], bits: Int) -> [UInt8] {
    let l = (1 << (bits - 1)) - 1
    var bytes = [UInt8](repeating: 0, count: (codes.count * bits + 7) / 8)
    for (i, c) in codes.enumerated() {
        let u = Int(c) + l
        for k in 0..<bits where (u >> k) & 1 == 1 {
            let j = i * bits + k
            bytes[j / 8] |= UInt8(1 << (j % 8))
        }
    }
    return bytes
}

/// `count` codes spread over the whole range `−L…L` of `bits`, both ends included.
private func randomCodes(_ count: Int, bits: Int, seed: UInt64) -> [Int32] {
    let l = (1 << (bits - 1)) - 1
    var cursor = StreamCursor(RandomStream(seed: seed, stream: 1))
    return (0..<count).map { i in
        switch i % 7 {
        case 0: Int32(l)
        case 3: Int32(-l)
        default: Int32(cursor.nextInt(below: 2 * l + 1) - l)
        }
    }
}

@Suite("Quantization: bit packing")
struct QuantizationPackingTests {
    @Test("known bytes for every paper width")
    func knownBytes() {
        #expect(BitPacking.pack(codes: [-1, 0, 1, 1, 0], bits: 2) == [0xA4, 0x01])
        #expect(BitPacking.pack(codes: [-3, 0, 3, 1], bits: 3) == [0x98, 0x09])
        #expect(BitPacking.pack(codes: [-7, 7, 0], bits: 4) == [0xE0, 0x07])
        #expect(BitPacking.pack(codes: [-127, 0, 127], bits: 8) == [0x00, 0x7F, 0xFE])
        #expect(BitPacking.pack(codes: [-32767, 1], bits: 16) == [0x00, 0x00, 0x00, 0x80])
        #expect(BitPacking.pack(codes: [], bits: 3) == [])
    }

    @Test("pack follows the documented layout and unpack inverts it, every width and odd counts",
          arguments: Array(SymmetricQuantizer.supportedBits))
    func roundTrip(bits: Int) throws {
        for count in [0, 1, 2, 3, 5, 7, 8, 9, 13, 31, 64, 101] {
            let codes = randomCodes(count, bits: bits, seed: UInt64(bits * 1000 + count))
            let bytes = BitPacking.pack(codes: codes, bits: bits)
            #expect(bytes.count == (count * bits + 7) / 8)
            #expect(bytes.count == BitPacking.byteCount(count: count, bits: bits))
            #expect(bytes == referencePack(codes, bits: bits), "\(bits) bits, \(count) codes")
            #expect(try BitPacking.unpack(bytes, bits: bits, count: count) == codes)
        }
    }

    @Test("8-bit fields are bytes and 16-bit fields little-endian UInt16s, offset by L")
    func byteAlignedWidths() {
        let c8 = randomCodes(10, bits: 8, seed: 1)
        #expect(BitPacking.pack(codes: c8, bits: 8) == c8.map { UInt8($0 + 127) })
        let c16 = randomCodes(10, bits: 16, seed: 2)
        let b16 = BitPacking.pack(codes: c16, bits: 16)
        for i in c16.indices {
            #expect(Int32(b16[2 * i]) | Int32(b16[2 * i + 1]) << 8 == c16[i] + 32767)
        }
    }

    @Test("a packed tensor loads back to exactly the dequantized values", arguments: SymmetricQuantizer.paperBits)
    func packedTensorRoundTrip(bits: Int) throws {
        let quantizer = SymmetricQuantizer(bits: bits)
        let q = quantizer.quantize(randomMatrix(3, 7, seed: UInt64(bits), bound: 0.02))
        let loaded = try QuantizedTensor(packed: q.packed(), scales: q.scales, bits: bits, rows: 3, cols: 7, name: "fc1.nola_alpha")
        #expect(loaded == q)
        #expect(loaded.dequantized() == q.dequantized())
        #expect(loaded.dequantizedMatrix() == quantizer.fakeQuantize(randomMatrix(3, 7, seed: UInt64(bits), bound: 0.02)))
        #expect(q.storageBytes == (21 * bits + 7) / 8 + 4)
    }

    @Test("a packed tensor with a scale per group of 4 loads back exactly; the scales count in its size",
          arguments: [2, 3, 8])
    func packedGroupsRoundTrip(bits: Int) throws {
        let quantizer = SymmetricQuantizer(bits: bits, rule: .mseOptimal, groupSize: 4)
        let x = randomMatrix(3, 7, seed: UInt64(bits), bound: 0.5)
        let q = quantizer.quantize(x)
        #expect(q.scales.count == 6)  // ⌈21 / 4⌉, the last group holds one value
        let loaded = try QuantizedTensor(
            packed: q.packed(), scales: q.scales, bits: bits, groupSize: 4, rows: 3, cols: 7, name: "fc1.lora_A")
        #expect(loaded == q)
        #expect(loaded.dequantizedMatrix() == quantizer.fakeQuantize(x))
        #expect(q.storageBytes == (21 * bits + 7) / 8 + 4 * 6)
    }

    @Test("the wrong number of scales, or a bad group size, is rejected with one line")
    func wrongScaleCount() {
        let packed = BitPacking.pack(codes: [1, 2, 3, -1, 0], bits: 4)
        let fine = try? QuantizedTensor(packed: packed, scales: [1, 2, 3], bits: 4, groupSize: 2, rows: 1, cols: 5, name: "t")
        #expect(fine?.dequantized() == [1, 2, 6, -2, 0])
        expectOneLineError(naming: "t", containing: "2 scales but 5 values in groups of 2 need 3") {
            _ = try QuantizedTensor(packed: packed, scales: [1, 1], bits: 4, groupSize: 2, rows: 1, cols: 5, name: "t")
        }
        expectOneLineError(naming: "t", containing: "3 scales but 5 values in groups of the whole tensor need 1") {
            _ = try QuantizedTensor(packed: packed, scales: [1, 1, 1], bits: 4, rows: 1, cols: 5, name: "t")
        }
        expectOneLineError(naming: "t", containing: "group size 0") {
            _ = try QuantizedTensor(packed: packed, scales: [1], bits: 4, groupSize: 0, rows: 1, cols: 5, name: "t")
        }
        expectOneLineError(naming: "t", containing: "scale 1 is nan") {
            _ = try QuantizedTensor(packed: packed, scales: [1, .nan, 1], bits: 4, groupSize: 2, rows: 1, cols: 5, name: "t")
        }
    }

    /// The error thrown by `body`, which must throw a `QuantizationInputError` of one line
    /// naming `name`.
    private func expectOneLineError(
        naming name: String, containing words: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("no error thrown; expected one containing “\(words)”", sourceLocation: sourceLocation)
        } catch let error as QuantizationInputError {
            let text = error.description
            #expect(text.hasPrefix(name) && text.contains(words) && !text.contains("\n"), "\(text)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("truncated or overlong input is rejected with one line", arguments: [2, 3, 4, 8, 16])
    func wrongLength(bits: Int) {
        let codes = randomCodes(9, bits: bits, seed: 3)
        let bytes = BitPacking.pack(codes: codes, bits: bits)
        expectOneLineError(naming: "fc2.lora_B", containing: "truncated") {
            _ = try BitPacking.unpack(Array(bytes.dropLast()), bits: bits, count: 9, name: "fc2.lora_B")
        }
        expectOneLineError(naming: "fc2.lora_B", containing: "too long") {
            _ = try BitPacking.unpack(bytes + [0], bits: bits, count: 9, name: "fc2.lora_B")
        }
        expectOneLineError(naming: "fc2.lora_B", containing: "truncated") {
            _ = try BitPacking.unpack(bytes, bits: bits, count: 9 + (bits < 8 ? 8 : 1), name: "fc2.lora_B")
        }
        expectOneLineError(naming: "fc2.lora_B", containing: "truncated") {
            _ = try BitPacking.unpack([], bits: bits, count: 1, name: "fc2.lora_B")
        }
    }

    @Test("the unused all-ones field is caught as corruption, every width", arguments: Array(SymmetricQuantizer.supportedBits))
    func allOnesField(bits: Int) {
        var codes = randomCodes(5, bits: bits, seed: 4)
        codes[2] = 0
        var bytes = BitPacking.pack(codes: codes, bits: bits)
        for k in 0..<bits {  // set every bit of field 2
            let j = 2 * bits + k
            bytes[j / 8] |= UInt8(1 << (j % 8))
        }
        expectOneLineError(naming: "x", containing: "code 2") {
            _ = try BitPacking.unpack(bytes, bits: bits, count: 5, name: "x")
        }
    }

    @Test("non-zero padding bits are caught")
    func padding() {
        var bytes = BitPacking.pack(codes: [1], bits: 3)  // 3 bits used, 5 of padding
        #expect(bytes == [0x04])
        bytes[0] |= 0x80
        expectOneLineError(naming: "x", containing: "padding") {
            _ = try BitPacking.unpack(bytes, bits: 3, count: 1, name: "x")
        }
    }

    @Test("every single flipped bit of a 3-bit tensor is rejected or decodes differently")
    func singleBitFlips() throws {
        let codes = randomCodes(11, bits: 3, seed: 5)
        let bytes = BitPacking.pack(codes: codes, bits: 3)
        var rejected = 0
        for j in 0..<(bytes.count * 8) {
            var damaged = bytes
            damaged[j / 8] ^= UInt8(1 << (j % 8))
            if let decoded = try? BitPacking.unpack(damaged, bits: 3, count: 11) {
                #expect(decoded != codes, "flip of bit \(j)")
            } else {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test("bad width, count or scale in a file are rejected with one line")
    func badHeaderValues() {
        expectOneLineError(naming: "t", containing: "1-bit") { _ = try BitPacking.unpack([0], bits: 1, count: 1, name: "t") }
        expectOneLineError(naming: "t", containing: "17-bit") { _ = try BitPacking.unpack([0, 0, 0], bits: 17, count: 1, name: "t") }
        expectOneLineError(naming: "t", containing: "count") { _ = try BitPacking.unpack([], bits: 4, count: -1, name: "t") }
        expectOneLineError(naming: "t", containing: "count") { _ = try BitPacking.unpack([], bits: 16, count: Int.max / 4, name: "t") }
        let packed = BitPacking.pack(codes: [1, 2], bits: 4)
        for scale in [Float.nan, -1, .infinity] {
            expectOneLineError(naming: "t", containing: "scale") {
                _ = try QuantizedTensor(packed: packed, scales: [scale], bits: 4, rows: 1, cols: 2, name: "t")
            }
        }
        expectOneLineError(naming: "t", containing: "shape") {
            _ = try QuantizedTensor(packed: packed, scales: [1], bits: 4, rows: -1, cols: 2, name: "t")
        }
        expectOneLineError(naming: "t", containing: "shape") {
            _ = try QuantizedTensor(packed: packed, scales: [1], bits: 4, rows: Int.max / 2, cols: 3, name: "t")
        }
    }

    @Test("packing a code outside ±L is a programming error")
    func packOutOfRange() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BitPacking.pack(codes: [0, 4], bits: 3)
        }
    }
}
