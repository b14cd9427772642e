/// Symmetric quantization to `q` bits: the quantizer of the paper's Table 4 (NOLA's α and β,
/// LoRA's A and B), with a choice of scale rule and of one scale per tensor or per group.
///
/// With `L = 2^(q−1) − 1` levels on each side of zero (q = 2: 1, 3: 3, 4: 7, 8: 127, 16: 32767),
/// and the values cut into groups (the whole tensor, or `g` consecutive row-major elements each,
/// the last group shorter when `g` does not divide the count):
///
///     s_k      = rule(group k)                     see `ScaleRule`; absmax: max|x| / L
///     code_i   = clamp(round(x_i / s_k), −L, L)    round half to even (numpy's and torch's round)
///     x̂_i      = code_i · s_k                      the dequantized value, in Float
///
/// A group of zeros has `s = 0` and codes 0. The grid is symmetric, so `2^q − 1` of the `2^q`
/// bit patterns are used and zero is exact. Each scale is one Float more on disk: a tensor of `n`
/// values costs `⌈n·q/8⌉` bytes of codes and `4·⌈n/g⌉` bytes of scales (`storageBytes`).
///
/// Guarantees of the absmax rule (for `absmax ≥ L · 2⁻¹²⁶`, i.e. a normal, not subnormal, scale):
/// - error bound: `|x_i − x̂_i| ≤ s / 2` for every element (plus Float rounding of the
///   product, far below the bound); the element of largest magnitude is exact up to one rounding.
/// - idempotence: quantizing `x̂` again gives the same scale, the same codes and the same `x̂`,
///   bit for bit. (That `fl(fl(L · fl(a/L)) / L) = fl(a/L)` holds for every Float `a` and every
///   `L` here was checked exhaustively over two binades of `a`; a test samples it. Multiplying
///   by a rounded `1/L` instead of dividing by `L` breaks it.)
///
/// The other rules clip: an element whose code was clamped has `|x − x̂| > s/2`. They are not
/// idempotent (the mean of `|x̂|` is not the mean of `|x|`), so quantize the float values once;
/// `straightThrough` reports which elements clipped, for the gradient of quantization-aware
/// training.
///
/// 16 bits means this same integer rule with `L = 32767`, not IEEE half precision: one mechanism
/// for every width. Storing a tensor as fp16 is a separate option of the file writer
/// (`SafeTensorsFile.Tensor(float16:shape:)`); the paper's "16-bit" rows of Table 4 are most
/// likely its FP16 training precision, i.e. that option, not this rule. Near the largest element
/// the 16-bit integer grid (step `absmax/32767`) is finer than fp16 (relative step 2⁻¹⁰); for
/// elements much smaller than `absmax` it is coarser.
public struct SymmetricQuantizer: Sendable, Hashable, CustomStringConvertible {
    /// Bits per code, `q`.
    public let bits: Int
    /// How each group's scale is chosen.
    public let rule: ScaleRule
    /// Consecutive elements sharing one scale; nil: one scale for the whole tensor.
    public let groupSize: Int?

    /// The widths this quantizer accepts: 2 through 16.
    public static let supportedBits: ClosedRange<Int> = 2...16
    /// The widths of the paper's Table 4.
    public static let paperBits: [Int] = [16, 8, 4, 3, 2]

    /// A `bits`-bit quantizer with `rule`, one scale per tensor (`groupSize` nil) or per
    /// `groupSize` elements. `bits` must be in `supportedBits` and `groupSize` positive (use
    /// `validate` first for values a user typed).
    public init(bits: Int, rule: ScaleRule = .absMax, groupSize: Int? = nil) {
        checkPrecondition(
            Self.supportedBits.contains(bits),
            "SymmetricQuantizer: \(bits) bits is outside \(Self.supportedBits.lowerBound)…\(Self.supportedBits.upperBound)")
        checkPrecondition(groupSize.map { $0 > 0 } ?? true, "SymmetricQuantizer: group size \(groupSize!) must be positive")
        self.bits = bits
        self.rule = rule
        self.groupSize = groupSize
    }

    /// Throws a one-line error when `bits` (say, from a `--bits` flag) is not a supported width.
    public static func validate(bits: Int) throws {
        guard supportedBits.contains(bits) else {
            throw QuantizationInputError(
                "\(bits)-bit quantization is not supported; use a width from 2 to 16 (the paper uses 16, 8, 4, 3, 2)")
        }
    }

    /// Parses a group size a user typed or a file holds: "tensor" (nil, one scale per tensor) or
    /// a positive integer. Throws one line otherwise.
    public static func groupSize(parsing text: String) throws -> Int? {
        if text == "tensor" { return nil }
        guard let g = Int(text), g > 0 else {
            throw QuantizationInputError("group size '\(text)' is not 'tensor' or a positive integer")
        }
        return g
    }

    /// `L = 2^(q−1) − 1`: codes run from `−L` to `L`.
    public var maxCode: Int32 { (Int32(1) << Int32(bits - 1)) - 1 }

    /// `3-bit`, `3-bit mean-abs`, `3-bit absmax g32`.
    public var description: String {
        var text = "\(bits)-bit"
        if rule != .absMax || groupSize != nil { text += " \(rule)" }
        if let groupSize { text += " g\(groupSize)" }
        return text
    }

    /// The group size written to files: "tensor" or the number.
    public var groupSizeText: String { groupSize.map(String.init) ?? "tensor" }

    /// Number of scales for `count` values: 1 per tensor, or `⌈count / g⌉`.
    public func scaleCount(for count: Int) -> Int {
        guard let g = groupSize else { return 1 }
        return (count + g - 1) / g
    }

    /// `absmax / L`, or 0 when `absmax` is 0: the absmax rule's scale.
    public func scale(forAbsMax absmax: Float) -> Float {
        absmax / Float(maxCode)
    }

    /// The codes and scales of `values`, as a `(1, count)` tensor.
    public func quantize(_ values: [Float]) -> QuantizedTensor {
        encode(values, rows: 1, cols: values.count).tensor
    }

    /// The codes and scales of `matrix`, keeping its shape.
    public func quantize(_ matrix: Matrix) -> QuantizedTensor {
        encode(matrix.data, rows: matrix.rows, cols: matrix.cols).tensor
    }

    /// Quantize then dequantize: the values the forward pass of quantization-aware training uses.
    public func fakeQuantize(_ values: [Float]) -> [Float] {
        quantize(values).dequantized()
    }

    /// `fakeQuantize` of a matrix, same shape.
    public func fakeQuantize(_ matrix: Matrix) -> Matrix {
        Matrix(rows: matrix.rows, cols: matrix.cols, data: fakeQuantize(matrix.data))
    }

    /// The fake-quantized values and the straight-through gradient mask of quantization-aware
    /// training: 1 where the element's code was not clamped, 0 where it clipped (Jacob et al.
    /// 2018: the gradient does not flow through the clamp). `clipGradient: false` passes the
    /// gradient everywhere (mask nil), as the plain straight-through estimator does.
    public func straightThrough(_ values: [Float], clipGradient: Bool = true) -> TransformedValues {
        let (tensor, inRange) = encode(values, rows: 1, cols: values.count)
        return TransformedValues(values: tensor.dequantized(), gradientMask: clipGradient ? inRange.map { $0 ? 1 : 0 } : nil)
    }

    /// How far `fakeQuantize(values)` is from `values`, and how many elements clipped.
    public func error(of values: [Float]) -> QuantizationErrorMetrics {
        let (q, inRange) = encode(values, rows: 1, cols: values.count)
        return QuantizationErrorMetrics(
            original: values, dequantized: q.dequantized(), bound: (q.scales.max() ?? 0) / 2,
            clipped: inRange.count(where: { !$0 }))
    }

    /// The codes and scales, and for each element whether its code fitted `−L…L` unclamped.
    private func encode(_ values: [Float], rows: Int, cols: Int) -> (tensor: QuantizedTensor, inRange: [Bool]) {
        checkPrecondition(values.count == rows * cols, "quantize: \(values.count) values for (\(rows)×\(cols))")
        for (i, x) in values.enumerated() {
            checkPrecondition(x.isFinite, "quantize: element \(i) of (\(rows)×\(cols)) is \(x), not finite")
        }
        let g = groupSize ?? max(values.count, 1)
        let limit = Float(maxCode)
        var codes = [Int32](repeating: 0, count: values.count)
        var inRange = [Bool](repeating: true, count: values.count)
        var scales: [Float] = []
        scales.reserveCapacity(scaleCount(for: values.count))
        for k in 0..<scaleCount(for: values.count) {
            let group = k * g..<min((k + 1) * g, values.count)
            let s = rule.scale(of: values[group], maxCode: maxCode)
            scales.append(s)
            guard s > 0 else { continue }
            for i in group {
                let r = (values[i] / s).rounded(.toNearestOrEven)
                inRange[i] = abs(r) <= limit
                codes[i] = Int32(min(max(r, -limit), limit))
            }
        }
        return (QuantizedTensor(codes: codes, scales: scales, bits: bits, groupSize: groupSize, rows: rows, cols: cols), inRange)
    }
}

/// The codes and scales of one quantized tensor: `x̂_i = codes[i] · scales[i / g]`, row-major,
/// with `g` the group size (the whole tensor when nil: one scale).
public struct QuantizedTensor: Sendable, Equatable {
    /// Integers in `−L…L`, `L = 2^(bits−1) − 1`, row-major.
    public let codes: [Int32]
    /// One scale per group, in order (one for a per-tensor quantizer).
    public let scales: [Float]
    /// Bits per code.
    public let bits: Int
    /// Elements per scale; nil: one scale for the whole tensor.
    public let groupSize: Int?
    /// Shape of the tensor.
    public let rows: Int
    public let cols: Int

    /// A tensor from its parts: every code in `−L…L`, one finite non-negative scale per group
    /// (programming errors; `init(packed:…)` checks the same for file input).
    public init(codes: [Int32], scales: [Float], bits: Int, groupSize: Int? = nil, rows: Int, cols: Int) {
        checkPrecondition(
            SymmetricQuantizer.supportedBits.contains(bits) && codes.count == rows * cols,
            "QuantizedTensor: \(codes.count) codes of \(bits) bits for (\(rows)×\(cols))")
        let quantizer = SymmetricQuantizer(bits: bits, groupSize: groupSize)
        checkPrecondition(
            scales.count == quantizer.scaleCount(for: codes.count),
            "QuantizedTensor: \(scales.count) scales for \(codes.count) codes in groups of \(quantizer.groupSizeText)")
        checkPrecondition(scales.allSatisfy { $0.isFinite && $0 >= 0 }, "QuantizedTensor: every scale must be finite and ≥ 0")
        let limit = quantizer.maxCode
        checkPrecondition(
            codes.allSatisfy { abs($0) <= limit }, "QuantizedTensor: a code is outside ±\(limit) for \(bits) bits")
        self.codes = codes
        self.scales = scales
        self.bits = bits
        self.groupSize = groupSize
        self.rows = rows
        self.cols = cols
    }

    /// Unpacks `bytes` (see `BitPacking`) into a tensor `(rows, cols)` with `scales` (one per
    /// group of `groupSize`, or one), checking everything a damaged or forged file could get
    /// wrong. Errors name `name`.
    public init(
        packed bytes: [UInt8], scales: [Float], bits: Int, groupSize: Int? = nil, rows: Int, cols: Int, name: String
    ) throws {
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard rows >= 0, cols >= 0, !overflow else {
            throw QuantizationInputError("\(name): impossible shape (\(rows)×\(cols)); the file is damaged")
        }
        guard groupSize.map({ $0 > 0 }) ?? true else {
            throw QuantizationInputError("\(name): group size \(groupSize!) must be positive; the file is damaged")
        }
        let expected = groupSize.map { (count + $0 - 1) / $0 } ?? 1
        guard scales.count == expected else {
            throw QuantizationInputError(
                "\(name): \(scales.count) scales but \(count) values in groups of \(groupSize.map(String.init) ?? "the whole tensor") "
                    + "need \(expected); the file is damaged or its group_size is wrong")
        }
        if let bad = scales.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw QuantizationInputError("\(name): scale \(bad) is \(scales[bad]), it must be finite and ≥ 0; the file is damaged")
        }
        let codes = try BitPacking.unpack(bytes, bits: bits, count: count, name: name)
        self.init(codes: codes, scales: scales, bits: bits, groupSize: groupSize, rows: rows, cols: cols)
    }

    /// Number of elements, `rows · cols`.
    public var count: Int { codes.count }

    /// The codes packed at `bits` bits each (see `BitPacking` for the exact layout).
    public func packed() -> [UInt8] {
        BitPacking.pack(codes: codes, bits: bits)
    }

    /// Bytes of `packed()` plus 4 bytes per Float scale: what the tensor costs on disk.
    public var storageBytes: Int { BitPacking.byteCount(count: count, bits: bits) + 4 * scales.count }

    /// `codes[i] · scales[i / g]`, row-major.
    public func dequantized() -> [Float] {
        let g = groupSize ?? max(count, 1)
        var out = [Float](repeating: 0, count: codes.count)
        for i in codes.indices { out[i] = Float(codes[i]) * scales[i / g] }
        return out
    }

    /// `dequantized()` as a `(rows, cols)` matrix.
    public func dequantizedMatrix() -> Matrix {
        Matrix(rows: rows, cols: cols, data: dequantized())
    }
}

/// How far a dequantized tensor is from the original.
public struct QuantizationErrorMetrics: Sendable, Equatable {
    /// `max_i |x_i − x̂_i|`.
    public let maxAbs: Float
    /// `√(mean_i (x_i − x̂_i)²)`, 0 for an empty tensor.
    public let rms: Float
    /// `s / 2` (the largest scale's, with groups): the bound every element that did not clip obeys.
    public let bound: Float
    /// Elements whose code was clamped to `±L` (always 0 for absmax).
    public let clipped: Int

    /// The error of `dequantized` against `original` (same length).
    public init(original: [Float], dequantized: [Float], bound: Float, clipped: Int = 0) {
        checkPrecondition(
            original.count == dequantized.count,
            "QuantizationErrorMetrics: \(original.count) original values but \(dequantized.count) dequantized")
        var worst: Float = 0
        var sumSquares: Double = 0
        for i in original.indices {
            let e = original[i] - dequantized[i]
            worst = max(worst, abs(e))
            sumSquares += Double(e) * Double(e)
        }
        maxAbs = worst
        rms = original.isEmpty ? 0 : Float((sumSquares / Double(original.count)).squareRoot())
        self.bound = bound
        self.clipped = clipped
    }
}

/// Bad quantization input from a user or a file: one line naming the culprit and the fix.
public struct QuantizationInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The whole message.
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
