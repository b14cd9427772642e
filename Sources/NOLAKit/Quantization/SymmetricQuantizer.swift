/// Symmetric absmax quantization to `q` bits with one float scale per tensor: the quantizer of
/// the paper's Table 4 (NOLA's α and β, LoRA's A and B).
///
/// With `L = 2^(q−1) − 1` levels on each side of zero (q = 2: 1, 3: 3, 4: 7, 8: 127, 16: 32767):
///
///     scale    = absmax / L                       absmax = max_i |x_i|, computed in Float
///     code_i   = clamp(round(x_i / scale), −L, L) round half to even (numpy's and torch's round)
///     x̂_i      = code_i · scale                   the dequantized value, in Float
///
/// A tensor of zeros has `scale = 0` and all codes 0. The grid is symmetric, so `2^q − 1` of
/// the `2^q` bit patterns are used: zero is exact, and the element of largest magnitude is
/// exact up to one Float rounding (`±L · scale`).
///
/// Guarantees (for `absmax ≥ L · 2⁻¹²⁶`, i.e. a normal, not subnormal, scale):
/// - error bound: `|x_i − x̂_i| ≤ scale / 2` for every element (plus Float rounding of the
///   product, far below the bound);
/// - idempotence: quantizing `x̂` again gives the same scale, the same codes and the same `x̂`,
///   bit for bit. (That `fl(fl(L · fl(a/L)) / L) = fl(a/L)` holds for every Float `a` and every
///   `L` here was checked exhaustively over two binades of `a`; a test samples it. Multiplying
///   by a rounded `1/L` instead of dividing by `L` breaks it.)
///
/// 16 bits means this same integer rule with `L = 32767`, not IEEE half precision: one mechanism
/// for every width. Storing a tensor as fp16 is a separate option of the file writer
/// (`SafeTensorsFile.Tensor(float16:shape:)`); the paper's "16-bit" rows of Table 4 are most
/// likely its FP16 training precision, i.e. that option, not this rule. Near the largest element the 16-bit integer grid (step `absmax/32767`) is finer
/// than fp16 (relative step 2⁻¹⁰); for elements much smaller than `absmax` it is coarser.
public struct SymmetricQuantizer: Sendable, Equatable, CustomStringConvertible {
    /// Bits per code, `q`.
    public let bits: Int

    /// The widths this quantizer accepts: 2 through 16.
    public static let supportedBits: ClosedRange<Int> = 2...16
    /// The widths of the paper's Table 4.
    public static let paperBits: [Int] = [16, 8, 4, 3, 2]

    /// A `bits`-bit quantizer; `bits` must be in `supportedBits` (use `validate(bits:)` first
    /// for a value a user typed).
    public init(bits: Int) {
        checkPrecondition(
            Self.supportedBits.contains(bits),
            "SymmetricQuantizer: \(bits) bits is outside \(Self.supportedBits.lowerBound)…\(Self.supportedBits.upperBound)")
        self.bits = bits
    }

    /// Throws a one-line error when `bits` (say, from a `--bits` flag) is not a supported width.
    public static func validate(bits: Int) throws {
        guard supportedBits.contains(bits) else {
            throw QuantizationInputError(
                "\(bits)-bit quantization is not supported; use a width from 2 to 16 (the paper uses 16, 8, 4, 3, 2)")
        }
    }

    /// `L = 2^(q−1) − 1`: codes run from `−L` to `L`.
    public var maxCode: Int32 { (Int32(1) << Int32(bits - 1)) - 1 }

    /// `q-bit`.
    public var description: String { "\(bits)-bit" }

    /// `absmax / L`, or 0 when `absmax` is 0.
    public func scale(forAbsMax absmax: Float) -> Float {
        absmax / Float(maxCode)
    }

    /// The codes and scale of `values`, as a `(1, count)` tensor.
    public func quantize(_ values: [Float]) -> QuantizedTensor {
        quantize(values, rows: 1, cols: values.count)
    }

    /// The codes and scale of `matrix`, keeping its shape.
    public func quantize(_ matrix: Matrix) -> QuantizedTensor {
        quantize(matrix.data, rows: matrix.rows, cols: matrix.cols)
    }

    /// Quantize then dequantize: the values the forward pass of quantization-aware training uses.
    public func fakeQuantize(_ values: [Float]) -> [Float] {
        quantize(values).dequantized()
    }

    /// `fakeQuantize` of a matrix, same shape.
    public func fakeQuantize(_ matrix: Matrix) -> Matrix {
        Matrix(rows: matrix.rows, cols: matrix.cols, data: fakeQuantize(matrix.data))
    }

    /// How far `fakeQuantize(values)` is from `values`.
    public func error(of values: [Float]) -> QuantizationErrorMetrics {
        let q = quantize(values)
        return QuantizationErrorMetrics(original: values, dequantized: q.dequantized(), scale: q.scale)
    }

    private func quantize(_ values: [Float], rows: Int, cols: Int) -> QuantizedTensor {
        checkPrecondition(values.count == rows * cols, "quantize: \(values.count) values for (\(rows)×\(cols))")
        var absmax: Float = 0
        for (i, x) in values.enumerated() {
            checkPrecondition(x.isFinite, "quantize: element \(i) of (\(rows)×\(cols)) is \(x), not finite")
            absmax = max(absmax, abs(x))
        }
        let scale = scale(forAbsMax: absmax)
        var codes = [Int32](repeating: 0, count: values.count)
        if scale > 0 {
            let limit = Float(maxCode)
            for i in values.indices {
                let r = (values[i] / scale).rounded(.toNearestOrEven)
                codes[i] = Int32(min(max(r, -limit), limit))
            }
        }
        return QuantizedTensor(codes: codes, scale: scale, bits: bits, rows: rows, cols: cols)
    }
}

/// The codes and scale of one quantized tensor: `x̂_i = codes[i] · scale`, row-major.
public struct QuantizedTensor: Sendable, Equatable {
    /// Integers in `−L…L`, `L = 2^(bits−1) − 1`, row-major.
    public let codes: [Int32]
    /// `absmax / L` of the original tensor (0 for a zero tensor).
    public let scale: Float
    /// Bits per code.
    public let bits: Int
    /// Shape of the tensor.
    public let rows: Int
    public let cols: Int

    /// A tensor from its parts; every code must lie in `−L…L` and the scale must be finite and
    /// non-negative (programming errors; `init(packed:…)` checks the same for file input).
    public init(codes: [Int32], scale: Float, bits: Int, rows: Int, cols: Int) {
        checkPrecondition(
            SymmetricQuantizer.supportedBits.contains(bits) && codes.count == rows * cols,
            "QuantizedTensor: \(codes.count) codes of \(bits) bits for (\(rows)×\(cols))")
        checkPrecondition(scale.isFinite && scale >= 0, "QuantizedTensor: scale \(scale) must be finite and ≥ 0")
        let limit = SymmetricQuantizer(bits: bits).maxCode
        checkPrecondition(
            codes.allSatisfy { abs($0) <= limit }, "QuantizedTensor: a code is outside ±\(limit) for \(bits) bits")
        self.codes = codes
        self.scale = scale
        self.bits = bits
        self.rows = rows
        self.cols = cols
    }

    /// Unpacks `bytes` (see `BitPacking`) into a tensor `(rows, cols)` with `scale`, checking
    /// everything a damaged or forged file could get wrong. Errors name `name`.
    public init(packed bytes: [UInt8], scale: Float, bits: Int, rows: Int, cols: Int, name: String) throws {
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard rows >= 0, cols >= 0, !overflow else {
            throw QuantizationInputError("\(name): impossible shape (\(rows)×\(cols)); the file is damaged")
        }
        guard scale.isFinite, scale >= 0 else {
            throw QuantizationInputError("\(name): scale \(scale) must be finite and ≥ 0; the file is damaged")
        }
        let codes = try BitPacking.unpack(bytes, bits: bits, count: count, name: name)
        self.init(codes: codes, scale: scale, bits: bits, rows: rows, cols: cols)
    }

    /// Number of elements, `rows · cols`.
    public var count: Int { codes.count }

    /// The codes packed at `bits` bits each (see `BitPacking` for the exact layout).
    public func packed() -> [UInt8] {
        BitPacking.pack(codes: codes, bits: bits)
    }

    /// Bytes of `packed()` plus the 4-byte Float scale: what the tensor costs on disk.
    public var storageBytes: Int { BitPacking.byteCount(count: count, bits: bits) + 4 }

    /// `codes[i] · scale`, row-major.
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: codes.count)
        for i in codes.indices { out[i] = Float(codes[i]) * scale }
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
    /// `scale / 2`, the bound `maxAbs` never exceeds.
    public let bound: Float

    /// The error of `dequantized` against `original` (same length), quantized with `scale`.
    public init(original: [Float], dequantized: [Float], scale: Float) {
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
        bound = scale / 2
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
