/// A frozen weight matrix `W: (rows, cols)` stored packed, as QLoRA stores a base model, and
/// dequantized a few rows at a time when a product needs it. Three formats:
///
/// | format | per weight | what is stored | error |
/// | --- | --- | --- | --- |
/// | `float16` | 16 bits | IEEE half of each weight (the "16-bit" base: QLoRA's bf16/fp16) | relative 2⁻¹¹ |
/// | `int8` | 8 bits + 32 per row | `code = round(w / s_row)` in −127…127, `s_row = max_row |w| / 127` (absmax per output row, LLM.int8's vector-wise scale) | ≤ s_row / 2 |
/// | `nf4` | 4 bits + 0.127 | NF4 codes in blocks of 64, block absmax double-quantized (`NormalFloat4`, `DoubleQuantizedScales`) | ≤ c_b · (half the widest level gap) |
///
///     let packed = PackedWeight(quantizing: w, format: .nf4)
///     packed.storageBytes            // measured: the bytes of the arrays it holds
///     packed.dequantizeRows(0..<8, into: buffer)   // 8 · cols floats
///
/// `storageBytes` adds up the arrays actually held (codes, scales, second-level scales), so the
/// memory of a base is measured from its storage, not computed from the table above; the tests
/// check the two agree. (LLM.int8 also keeps outlier features in 16 bits; that refinement is
/// left out here: every weight is 8-bit.)
public struct PackedWeight: Sendable {
    /// How the weights are stored.
    public enum Format: String, Sendable, CaseIterable, CustomStringConvertible {
        case float16 = "16-bit"
        case int8 = "8-bit"
        case nf4 = "4-bit"

        /// Bits per weight of the codes themselves (16, 8, 4), without scales.
        public var bits: Int {
            switch self {
            case .float16: 16
            case .int8: 8
            case .nf4: 4
            }
        }

        /// "16-bit (fp16)", "8-bit (int8, absmax per row)", "4-bit (NF4, double-quantized scales)".
        public var description: String {
            switch self {
            case .float16: "16-bit (fp16)"
            case .int8: "8-bit (int8, absmax per row)"
            case .nf4: "4-bit (NF4, double-quantized scales)"
            }
        }
    }

    /// The stored numbers of each format.
    enum Storage: Sendable {
        /// IEEE half bit patterns, row-major.
        case half([UInt16])
        /// Codes row-major, one scale per row.
        case int8(codes: [Int8], scales: [Float])
        /// Packed NF4 codes (two per byte), one double-quantized absmax per block of 64.
        case nf4(codes: [UInt8], scales: DoubleQuantizedScales)
    }

    /// `W`'s rows (the layer's outputs).
    public let rows: Int
    /// `W`'s columns (the layer's inputs).
    public let cols: Int
    /// The format.
    public let format: Format
    let storage: Storage

    /// `w` quantized to `format` (every weight finite).
    public init(quantizing w: Matrix, format: Format) {
        rows = w.rows
        cols = w.cols
        self.format = format
        switch format {
        case .float16:
            storage = .half(w.data.map { Float16($0).bitPattern })
        case .int8:
            let q = SymmetricQuantizer(bits: 8, groupSize: max(w.cols, 1)).quantize(w)
            storage = .int8(codes: q.codes.map { Int8($0) }, scales: q.scales)
        case .nf4:
            let (codes, absmax) = NormalFloat4.quantize(w.data)
            storage = .nf4(codes: NormalFloat4.pack(codes), scales: DoubleQuantizedScales(absmax))
        }
    }

    /// Number of weights, `rows · cols`.
    public var count: Int { rows * cols }

    /// The bytes of the arrays this weight holds: what it costs in memory (and on disk, written
    /// raw). Measured from the storage, whatever the format.
    public var storageBytes: Int {
        switch storage {
        case .half(let h): h.count * MemoryLayout<UInt16>.stride
        case .int8(let codes, let scales): codes.count * MemoryLayout<Int8>.stride + scales.count * MemoryLayout<Float>.stride
        case .nf4(let codes, let scales): codes.count * MemoryLayout<UInt8>.stride + scales.storageBytes
        }
    }

    /// What `storageBytes` should be for a `(rows, cols)` weight in `format`, from the format's
    /// definition: 2 bytes per weight; 1 per weight + 4 per row; ⌈n/2⌉ + one byte per block of
    /// 64 + 4 per 256 blocks + 4 for the mean.
    public static func expectedBytes(rows: Int, cols: Int, format: Format) -> Int {
        let n = rows * cols
        switch format {
        case .float16: return 2 * n
        case .int8: return n + 4 * rows
        case .nf4:
            let blocks = (n + NormalFloat4.blockSize - 1) / NormalFloat4.blockSize
            return (n + 1) / 2 + blocks + 4 * ((blocks + DoubleQuantizedScales.blockSize - 1) / DoubleQuantizedScales.blockSize) + 4
        }
    }

    /// Writes rows `range` of `Ŵ` (dequantized) into `out`, `range.count · cols` floats, row-major.
    public func dequantizeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        checkPrecondition(
            range.lowerBound >= 0 && range.upperBound <= rows,
            "PackedWeight.dequantizeRows: rows \(range) outside 0..<\(rows)")
        let (start, end) = (range.lowerBound * cols, range.upperBound * cols)
        switch storage {
        case .half(let h):
            h.withUnsafeBufferPointer { p in
                for i in start..<end { out[i - start] = Float(Float16(bitPattern: p[i])) }
            }
        case .int8(let codes, let scales):
            codes.withUnsafeBufferPointer { p in
                for r in range {
                    let s = scales[r]
                    let (row, o) = (p.baseAddress! + r * cols, out + (r - range.lowerBound) * cols)
                    for j in 0..<cols { o[j] = Float(row[j]) * s }
                }
            }
        case .nf4(let codes, let scales):
            codes.withUnsafeBufferPointer { p in
                NormalFloat4.levels.withUnsafeBufferPointer { levels in
                    var i = start
                    while i < end {
                        let block = i / NormalFloat4.blockSize
                        let blockEnd = min(end, (block + 1) * NormalFloat4.blockSize)
                        let c = scales.constant(block)
                        while i < blockEnd {
                            out[i - start] = levels[Int(NormalFloat4.code(at: i, in: p.baseAddress!))] * c
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// `Ŵ: (rows, cols)`, the whole matrix dequantized.
    public func dequantized() -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        guard count > 0 else { return m }
        m.data.withUnsafeMutableBufferPointer { dequantizeRows(0..<rows, into: $0.baseAddress!) }
        return m
    }
}
