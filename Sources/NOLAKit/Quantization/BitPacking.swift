/// Packs `q`-bit quantization codes into bytes, and back, so a 3-bit adapter costs 3 bits per
/// coefficient on disk.
///
/// The layout, exactly (a reader in any language follows these three rules):
///
/// 1. Offset binary: code `c ∈ −L…L` (`L = 2^(q−1) − 1`) is stored as the unsigned field
///    `u = c + L ∈ 0…2^q − 2`. The all-ones field `2^q − 1` is never written; reading one is an
///    error (it is how a corrupted byte is often caught).
/// 2. A little-endian bit stream: field `i` occupies stream bits `[i·q, (i+1)·q)`, its least
///    significant bit first. Stream bit `j` is bit `j mod 8` (value `1 << (j mod 8)`) of byte
///    `j / 8`. So 8-bit fields are one byte each, and 16-bit fields are little-endian `UInt16`s.
/// 3. Length: `⌈count·q / 8⌉` bytes; the unused high bits of the last byte are zero.
///
/// Example, q = 3 (L = 3), codes `[−3, 0, 3, 1]` → fields `[0, 3, 6, 4]` → bytes `[0x98, 0x09]`.
///
/// In Python with numpy:
///
///     bits  = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[: count * q]
///     codes = bits.reshape(count, q).astype(np.int64) @ (1 << np.arange(q)) - (2 ** (q - 1) - 1)
///     values = codes.astype(np.float32) * scale
public enum BitPacking {
    /// Bytes needed for `count` codes of `bits` bits: `⌈count·bits / 8⌉`.
    public static func byteCount(count: Int, bits: Int) -> Int {
        (count * bits + 7) / 8
    }

    /// The codes as a little-endian bit stream of offset-binary fields. Every code must lie in
    /// `−L…L` for `bits` (a programming error otherwise).
    public static func pack(codes: [Int32], bits: Int) -> [UInt8] {
        let limit = SymmetricQuantizer(bits: bits).maxCode
        var bytes = [UInt8]()
        bytes.reserveCapacity(byteCount(count: codes.count, bits: bits))
        var buffer: UInt64 = 0  // pending stream bits, the oldest in the lowest position
        var pending = 0  // how many bits `buffer` holds (< 8 between codes)
        for (i, c) in codes.enumerated() {
            checkPrecondition(abs(c) <= limit, "BitPacking.pack: code \(c) at index \(i) is outside ±\(limit) for \(bits) bits")
            buffer |= UInt64(c + limit) << UInt64(pending)
            pending += bits
            while pending >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                pending -= 8
            }
        }
        if pending > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
        return bytes
    }

    /// The `count` codes packed in `bytes` by `pack`. Throws a one-line error naming `name` when
    /// the width is unsupported, the length is not `⌈count·bits / 8⌉`, a field is the unused
    /// all-ones pattern, or the padding bits of the last byte are not zero.
    public static func unpack(_ bytes: [UInt8], bits: Int, count: Int, name: String = "packed codes") throws -> [Int32] {
        guard SymmetricQuantizer.supportedBits.contains(bits) else {
            throw QuantizationInputError("\(name): \(bits)-bit codes are not supported (2 to 16); the file is damaged or newer")
        }
        guard count >= 0, count <= (Int.max - 7) / bits else {
            throw QuantizationInputError("\(name): impossible element count \(count); the file is damaged")
        }
        let expected = byteCount(count: count, bits: bits)
        guard bytes.count == expected else {
            let how = bytes.count < expected ? "truncated" : "too long"
            throw QuantizationInputError(
                "\(name): \(bytes.count) bytes but \(count) codes of \(bits) bits need \(expected); the data is \(how), write the file again")
        }
        let limit = SymmetricQuantizer(bits: bits).maxCode
        let mask = (UInt64(1) << UInt64(bits)) - 1
        var codes = [Int32](repeating: 0, count: count)
        var buffer: UInt64 = 0
        var pending = 0
        var next = 0  // next byte to read
        for i in 0..<count {
            while pending < bits {
                buffer |= UInt64(bytes[next]) << UInt64(pending)
                next += 1
                pending += 8
            }
            let field = buffer & mask
            buffer >>= UInt64(bits)
            pending -= bits
            guard field != mask else {
                throw QuantizationInputError(
                    "\(name): code \(i) is the unused \(bits)-bit pattern \(field) (codes are 0…\(mask - 1)); the data is corrupted, write the file again")
            }
            codes[i] = Int32(field) - limit
        }
        guard buffer == 0 else {
            throw QuantizationInputError(
                "\(name): the \(pending) padding bits after the last code are not zero; the data is corrupted, write the file again")
        }
        return codes
    }
}
